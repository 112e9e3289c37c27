"""Settings: one typed object read from the environment (passed in), failing fast on bad values.

Secrets never come from a case file. Calendar and SMTP credentials come from the environment or from the
secrets file named by ``READOUT_SECRETS_FILE``; they are never printed or logged (``repr`` hides them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from readout.errors import ReadoutError

__all__ = ["ConfigError", "CredentialStore", "Credentials", "Settings", "SmtpSettings", "load_settings"]


class ConfigError(ReadoutError):
    """A setting is missing or malformed; the message names the variable or file and what was expected."""


@dataclass(frozen=True)
class Credentials:
    """A user name and password for one service."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class CredentialStore:
    """Calendar credentials by URL prefix or host (longest prefix wins), else the default."""

    by_key: Mapping[str, Credentials] = field(default_factory=dict, repr=False)
    default: Credentials | None = field(default=None, repr=False)

    def for_url(self, url: str) -> Credentials | None:
        """Credentials for ``url`` (a calendar source), or None to connect anonymously."""
        normalised = url.replace("caldavs://", "https://").replace("caldav://", "http://")
        prefixes = [k for k in self.by_key if "://" in k and normalised.startswith(k)]
        if prefixes:
            return self.by_key[max(prefixes, key=len)]
        host = urlsplit(normalised).hostname or ""
        return self.by_key.get(host, self.default)


@dataclass(frozen=True)
class SmtpSettings:
    """The relay invitations go through."""

    host: str
    port: int = 587
    starttls: bool = True
    sender: str = "readout@localhost"
    credentials: Credentials | None = field(default=None, repr=False)
    timeout: float = 30.0


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with its defaults."""

    database_url: str | None = None
    source_timeout: float = 10.0  # seconds per remote calendar source while gathering (local files: none)
    http_max_bytes: int = 5_000_000  # an .ics feed larger than this is refused
    cache_dir: Path | None = None  # conditional-GET cache of .ics feeds (ETag / Last-Modified)
    calendars: CredentialStore = field(default_factory=CredentialStore)
    smtp: SmtpSettings | None = None  # None: invitations are not sent (the packet is still recorded)


def _number(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a number") from None
    if not value >= minimum or value != value or value == float("inf"):
        raise ConfigError(f"{name}={raw!r}: expected a finite number of at least {minimum:g}")
    return value


def _credentials(data: Any, where: str) -> Credentials:
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("username"), str)
        or not isinstance(data.get("password"), str)
    ):
        raise ConfigError(f"{where}: expected {{username: ..., password: ...}}")
    return Credentials(data["username"], data["password"])


def _secrets(environ: Mapping[str, str]) -> dict[str, Any]:
    name = environ.get("READOUT_SECRETS_FILE")
    if not name:
        return {}
    import yaml  # only a secrets file needs a YAML parser

    path = Path(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"READOUT_SECRETS_FILE {path}: cannot be read ({type(exc).__name__})") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or set(data) - {"calendars", "smtp"}:
        raise ConfigError(f"READOUT_SECRETS_FILE {path}: expected a mapping with `calendars` and/or `smtp`")
    return data


def _calendar_credentials(environ: Mapping[str, str], secrets: dict[str, Any]) -> CredentialStore:
    entries = secrets.get("calendars") or {}
    if not isinstance(entries, dict):
        raise ConfigError("READOUT_SECRETS_FILE: `calendars` must map a host or URL prefix to credentials")
    by_key = {str(k): _credentials(v, f"READOUT_SECRETS_FILE calendars.{k}") for k, v in entries.items()}
    user, password = environ.get("READOUT_CALENDAR_USERNAME"), environ.get("READOUT_CALENDAR_PASSWORD")
    default = Credentials(user, password or "") if user else None
    return CredentialStore(by_key, default)


def _smtp(environ: Mapping[str, str], secrets: dict[str, Any]) -> SmtpSettings | None:
    host = environ.get("READOUT_SMTP_HOST")
    if not host:
        return None
    port = int(_number(environ, "READOUT_SMTP_PORT", 587, 1))
    starttls = environ.get("READOUT_SMTP_STARTTLS", "true").lower()
    if starttls not in ("true", "false"):
        raise ConfigError(f"READOUT_SMTP_STARTTLS={starttls!r}: expected true or false")
    credentials = None
    if "smtp" in secrets:
        credentials = _credentials(secrets["smtp"], "READOUT_SECRETS_FILE smtp")
    elif environ.get("READOUT_SMTP_USERNAME"):
        credentials = Credentials(environ["READOUT_SMTP_USERNAME"], environ.get("READOUT_SMTP_PASSWORD", ""))
    sender = environ.get("READOUT_SMTP_FROM", "readout@localhost")
    return SmtpSettings(host, port, starttls == "true", sender, credentials)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from ``environ`` (``os.environ`` in production, a dict in tests)."""
    secrets = _secrets(environ)
    cache = environ.get("READOUT_CACHE_DIR")
    return Settings(
        database_url=environ.get("READOUT_DATABASE_URL") or None,
        source_timeout=_number(environ, "READOUT_SOURCE_TIMEOUT", 10.0, 0.1),
        http_max_bytes=int(_number(environ, "READOUT_HTTP_MAX_BYTES", 5_000_000, 1024)),
        cache_dir=Path(cache) if cache else None,
        calendars=_calendar_credentials(environ, secrets),
        smtp=_smtp(environ, secrets),
    )
