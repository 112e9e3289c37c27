"""Settings: one typed object read from the environment (passed in), failing fast on bad values.

Secrets never come from a case file. Calendar and SMTP credentials come from the environment or from the
secrets file named by ``READOUT_SECRETS_FILE``; they are never printed or logged (``repr`` hides them), and
calendar credentials go only to the origin they are configured for (docs/outbound.md).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from readout.errors import ReadoutError

if TYPE_CHECKING:  # ipaddress is imported when an allow-list is parsed or an address is checked
    from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

__all__ = [
    "ChannelWebhookSettings",
    "ConfigError",
    "CredentialStore",
    "Credentials",
    "EventsWebhookSettings",
    "OidcSettings",
    "OutboundPolicy",
    "ReminderSettings",
    "Settings",
    "SmtpSettings",
    "load_settings",
    "reminder_settings",
]

# The schemes calendar URLs use, by the scheme they travel over (webcal is never downgraded to http).
_TRAVELS_AS = {"http": "http", "https": "https", "webcal": "https", "caldav": "http", "caldavs": "https"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SECRETS_MAX_BYTES = 256 * 1024  # a secrets file holds a few credentials
_SECRETS_MAX_DEPTH = 8  # calendars -> key -> {username, password} is three levels deep


class ConfigError(ReadoutError):
    """A setting is missing or malformed; the message names the variable or file and what was expected."""


@dataclass(frozen=True)
class Credentials:
    """A user name and password for one service."""

    username: str
    password: str = field(repr=False)


_Origin = tuple[str, str, int]  # scheme as sent (http or https), lower-case host, port


def _origin_and_path(url: str) -> tuple[_Origin, str] | None:
    """Where a request for ``url`` goes, and its path; None when it is not a calendar URL with a host."""
    try:
        parts = urlsplit(url.strip())
        scheme = _TRAVELS_AS.get(parts.scheme)
        host, port = (parts.hostname or "").rstrip("."), parts.port
    except ValueError:  # a port that is not a number
        return None
    if scheme is None or not host:
        return None
    return (scheme, host, port or _DEFAULT_PORTS[scheme]), parts.path or "/"


@dataclass(frozen=True)
class CredentialStore:
    """Calendar credentials, each for the origin it is configured for. ``by_key``: URL prefixes (an origin
    and a path) and host names (that host, any port); ``default`` is sent to ``default_origin`` only."""

    by_key: Mapping[str, Credentials] = field(default_factory=dict, repr=False)
    default: Credentials | None = field(default=None, repr=False)
    default_origin: str | None = None

    def for_url(self, url: str) -> Credentials | None:
        """Credentials for a request to ``url``: the longest URL prefix on the same scheme, host and port,
        else the entry for its host, else the default when ``url`` is on its origin; None: anonymous."""
        target = _origin_and_path(url)
        if target is None:
            return None
        origin, path = target
        prefixes = [key for key in self.by_key if "://" in key and _covers(key, origin, path)]
        if prefixes:
            return self.by_key[max(prefixes, key=len)]
        if origin[1] in self.by_key:
            return self.by_key[origin[1]]
        default_at = _origin_and_path(self.default_origin) if self.default_origin else None
        return self.default if default_at is not None and default_at[0] == origin else None


def _covers(prefix: str, origin: _Origin, path: str) -> bool:
    """Whether the URL prefix ``prefix`` covers a request to ``origin`` for ``path`` (a whole origin match:
    ``https://dav.example.com`` does not cover ``https://dav.example.com.evil.test``)."""
    key = _origin_and_path(prefix)
    return key is not None and key[0] == origin and path.startswith(key[1])


@dataclass(frozen=True)
class OutboundPolicy:
    """What the operator allows although not public, and over plain http (``READOUT_OUTBOUND_ALLOW``).

    Empty, the default, is the strict policy: public addresses over HTTPS only (the outbound guard,
    adapters/http/outbound.py, applies it). ``hosts`` are lower-case names with a port (None: any);
    ``networks`` address ranges with a port."""

    hosts: frozenset[tuple[str, int | None]] = frozenset()
    networks: tuple[tuple[IPv4Network | IPv6Network, int | None], ...] = ()

    def lists_host(self, host: str, port: int) -> bool:
        """Whether the host name ``host`` (as the URL spells it) is allowed on ``port``."""
        name = host.lower().rstrip(".")
        return (name, None) in self.hosts or (name, port) in self.hosts

    def lists_address(self, address: IPv4Address | IPv6Address, port: int) -> bool:
        """Whether ``address`` lies in an allowed range, on ``port``."""
        return any(address in network and allowed in (None, port) for network, allowed in self.networks)

    @classmethod
    def parse(cls, text: str) -> OutboundPolicy:
        """The policy from ``READOUT_OUTBOUND_ALLOW``: comma-separated ``host``, ``host:port``, an address
        (``127.0.0.1``, ``[::1]:5232``) or a CIDR range (``10.0.0.0/8``); ConfigError on anything else."""
        hosts: set[tuple[str, int | None]] = set()
        networks: list[tuple[IPv4Network | IPv6Network, int | None]] = []
        for entry in (item.strip() for item in text.split(",")):
            if not entry:
                continue
            found = _allowed(entry)
            if found is None:
                raise ConfigError(
                    f"READOUT_OUTBOUND_ALLOW: {entry!r} is not a host, host:port, address or CIDR range"
                )
            if isinstance(found[0], str):
                hosts.add((found[0], found[1]))
            else:
                networks.append((found[0], found[1]))
        return cls(frozenset(hosts), tuple(networks))


def _allowed(entry: str) -> tuple[str | IPv4Network | IPv6Network, int | None] | None:
    """One allow-list entry as a host name or an address range, with its port; None when it is neither."""
    import ipaddress

    host, port_text = _host_and_port(entry)
    port = int(port_text) if port_text and port_text.isascii() and port_text.isdigit() else None
    if port_text is not None and (port is None or not 0 < port < 65536):
        return None
    try:
        return ipaddress.ip_network(host, strict=False), port
    except ValueError:
        pass
    name = host.lower().rstrip(".")
    if not name or not all(label.replace("-", "").replace("_", "").isalnum() for label in name.split(".")):
        return None
    try:
        return name.encode("idna").decode("ascii"), port  # as httpx sends a non-ASCII name
    except UnicodeError:
        return None


def _host_and_port(entry: str) -> tuple[str, str | None]:
    """``host:port`` or ``[v6]:port`` split; a bare name, address or range (IPv6 has colons) has no port."""
    if entry.startswith("[") and "]" in entry:
        address, _, rest = entry[1:].partition("]")
        return address, (rest[1:] if rest.startswith(":") else rest or None)
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, port
    return entry, None


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
class SlackSettings:
    """The support leadership channel in Slack (docs/leadership-channel.md): the Web API's base URL (tests
    point it at a local fake), the bot token and the signing secret (secrets: never shown, ``repr`` hides
    them), and the channel exception requests are posted to."""

    api_url: str
    bot_token: str = field(repr=False)
    signing_secret: str = field(repr=False)
    channel: str


@dataclass(frozen=True)
class ChannelWebhookSettings:
    """The leadership channel as a notify-only incoming webhook (a Slack incoming webhook or workflow, a
    Microsoft Teams workflow; docs/leadership-channel.md): ``format`` is ``slack`` or ``teams``. The URL is a
    secret (whoever has it can post): never shown, ``repr`` hides it."""

    url: str = field(repr=False)
    format: str = "slack"


@dataclass(frozen=True)
class EventsWebhookSettings:
    """Every channel message also POSTed as signed JSON to another system (ticketing, paging): the URL, and
    the HMAC-SHA256 secret (at least 32 characters; never shown, ``repr`` hides both)."""

    url: str = field(repr=False)
    secret: str = field(repr=False)


@dataclass(frozen=True)
class ReminderSettings:
    """When the worker reminds people (services/reminders.py): ``lead_minutes`` before a live hold expires
    (``READOUT_REMINDER_LEAD_MINUTES``); an unbooked readout is at risk with less than ``at_risk_share`` of
    the time from the RCA's approval to the deadline left (``READOUT_AT_RISK_SHARE``, above 0 and below 1),
    or fewer than ``at_risk_slots`` compliant slots in its latest plan (``READOUT_AT_RISK_SLOTS``)."""

    lead_minutes: float = 120.0
    at_risk_share: float = 0.25
    at_risk_slots: int = 2


@dataclass(frozen=True)
class OidcSettings:
    """Sign-in through an OpenID Connect provider (docs/auth.md, "Signing in with OpenID Connect").

    ``issuer``: the provider's issuer URL (its discovery document is ``issuer`` +
    ``/.well-known/openid-configuration``); ``allowed_domains``: lower-case e-mail domains whose users may
    sign in (empty: any); ``role_claim`` and ``role_map``: the ID token claim whose values name roles, and
    which value grants which roles (``Role`` values); None: roles stay as the users chain has them."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    allowed_domains: frozenset[str] = frozenset()
    role_claim: str | None = None
    role_map: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with its defaults."""

    database_url: str | None = None
    source_timeout: float = 10.0  # seconds per remote calendar source while gathering (local files: none)
    http_max_bytes: int = 5_000_000  # an .ics feed larger than this is refused
    cache_dir: Path | None = None  # conditional-GET cache of .ics feeds (ETag / Last-Modified)
    calendars: CredentialStore = field(default_factory=CredentialStore)
    smtp: SmtpSettings | None = None  # None: invitations are not sent (the packet is still recorded)
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)  # strict: public addresses, HTTPS
    # The folder local calendars named by documents posted to the API must lie in (None: they may name none).
    calendar_root: Path | None = None
    oidc: OidcSettings | None = None  # None: no OpenID Connect sign-in (passwords and API tokens only)
    slack: SlackSettings | None = (
        None  # None: no leadership channel (approvers are told by e-mail, if at all)
    )
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    # None: no incoming webhook (the channel, if any, is the Slack bot's); never set together with ``slack``.
    channel_webhook: ChannelWebhookSettings | None = None
    events_webhook: EventsWebhookSettings | None = None  # None: no signed events webhook
    # The file `readout worker` appends the audit chains' heads to (docs/audit.md, "Anchors"); None: none.
    anchor_file: Path | None = None
    anchor_every: float = 3600.0  # seconds between two anchors the worker takes


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
    text = _secrets_text(path)
    try:
        if _deeper_than(text, _SECRETS_MAX_DEPTH):  # yaml's composer recurses once per level
            raise ConfigError(
                f"READOUT_SECRETS_FILE {path}: nested more than {_SECRETS_MAX_DEPTH} levels deep"
            )
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"READOUT_SECRETS_FILE {path}: cannot be read ({type(exc).__name__})") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or set(data) - {"calendars", "smtp", "oidc"}:
        raise ConfigError(
            f"READOUT_SECRETS_FILE {path}: expected a mapping with `calendars`, `smtp` and/or `oidc`"
        )
    return data


def _secrets_text(path: Path) -> str:
    """The secrets file's text: a regular file (a FIFO would hang the read) of bounded size."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(f"READOUT_SECRETS_FILE {path}: cannot be read ({type(exc).__name__})") from None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise ConfigError(f"READOUT_SECRETS_FILE {path}: not a regular file")
        data = os.read(handle, _SECRETS_MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"READOUT_SECRETS_FILE {path}: cannot be read ({type(exc).__name__})") from None
    finally:
        os.close(handle)
    if len(data) > _SECRETS_MAX_BYTES:
        raise ConfigError(f"READOUT_SECRETS_FILE {path}: larger than {_SECRETS_MAX_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"READOUT_SECRETS_FILE {path}: cannot be read (not UTF-8)") from None


def _deeper_than(text: str, limit: int) -> bool:
    """Whether the YAML in ``text`` nests collections more than ``limit`` deep (read as a flat stream of
    parser events, which needs no recursion however deep the text goes)."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limit:
                return True
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return False


def _calendar_credentials(environ: Mapping[str, str], secrets: dict[str, Any]) -> CredentialStore:
    entries = secrets.get("calendars") or {}
    if not isinstance(entries, dict):
        raise ConfigError("READOUT_SECRETS_FILE: `calendars` must map a host or URL prefix to credentials")
    by_key = {
        _calendar_key(k): _credentials(v, f"READOUT_SECRETS_FILE calendars.{k}") for k, v in entries.items()
    }
    user, password = environ.get("READOUT_CALENDAR_USERNAME"), environ.get("READOUT_CALENDAR_PASSWORD")
    origin = environ.get("READOUT_CALENDAR_ORIGIN") or None
    if user and origin is None:
        raise ConfigError(
            "READOUT_CALENDAR_USERNAME is set without READOUT_CALENDAR_ORIGIN: name the origin the default "
            "credentials are for (e.g. https://dav.example.com), or key them by host in READOUT_SECRETS_FILE"
        )
    if origin is not None and not user:
        raise ConfigError("READOUT_CALENDAR_ORIGIN is set without READOUT_CALENDAR_USERNAME")
    found = _origin_and_path(origin) if origin is not None else None
    if origin is not None and (found is None or found[1] != "/" or "@" in origin):
        raise ConfigError(  # the value is not quoted: it may hold a user and password
            "READOUT_CALENDAR_ORIGIN: expected a scheme, host and optional port only, "
            "e.g. https://dav.example.com or https://dav.example.com:8443"
        )
    default = Credentials(user, password or "") if user else None
    return CredentialStore(by_key, default, origin)


def _calendar_key(key: object) -> str:
    """A secrets-file calendar key: a URL prefix (``https://host[:port]/path``) or a bare host name."""
    text = str(key).strip()
    valid = _origin_and_path(text) is not None if "://" in text else bool(text) and not set(text) & set("/:@")
    if not valid:  # not quoted: a mistyped key may hold a password
        raise ConfigError(
            "READOUT_SECRETS_FILE calendars: every key must be a host name or a URL prefix such as "
            "https://dav.example.com/calendars/"
        )
    return text.lower().rstrip(".") if "://" not in text else text


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


def _calendar_root(environ: Mapping[str, str]) -> Path | None:
    """``READOUT_CALENDAR_ROOT``: an existing folder, made absolute with its symbolic links resolved."""
    raw = environ.get("READOUT_CALENDAR_ROOT")
    if not raw:
        return None
    try:
        root = Path(raw).resolve()
        is_folder = root.is_dir()
    except (OSError, ValueError, RuntimeError):
        is_folder = False
    if not is_folder:
        raise ConfigError(f"READOUT_CALENDAR_ROOT={raw!r}: expected an existing folder")
    return root


_OIDC_ROLES = frozenset(
    {"program_manager", "escalation_manager", "duty_manager", "engineering_manager", "support_leadership"}
)  # administrator is never granted or taken away by a provider: only by `readout users import`


def _oidc(environ: Mapping[str, str], secrets: dict[str, Any]) -> OidcSettings | None:
    """``READOUT_OIDC_*``: None when no issuer is set; ConfigError when set but incomplete or malformed."""
    issuer = environ.get("READOUT_OIDC_ISSUER", "").strip()
    if not issuer:
        for name in ("READOUT_OIDC_CLIENT_ID", "READOUT_OIDC_ROLE_CLAIM", "READOUT_OIDC_ALLOWED_DOMAINS"):
            if environ.get(name, "").strip():
                raise ConfigError(f"{name} is set without READOUT_OIDC_ISSUER")
        return None
    try:
        parts = urlsplit(issuer)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
    ):
        raise ConfigError(
            "READOUT_OIDC_ISSUER: expected the provider's issuer URL, https://host[:port][/path]"
        )
    client_id = environ.get("READOUT_OIDC_CLIENT_ID", "").strip()
    if not client_id:
        raise ConfigError("READOUT_OIDC_ISSUER is set without READOUT_OIDC_CLIENT_ID")
    entry = secrets.get("oidc")
    if entry is not None:
        if not isinstance(entry, dict) or not isinstance(entry.get("client_secret"), str):
            raise ConfigError("READOUT_SECRETS_FILE oidc: expected {client_secret: ...}")
        secret = entry["client_secret"]
    else:
        secret = environ.get("READOUT_OIDC_CLIENT_SECRET", "")
    if not secret:
        raise ConfigError(  # the value is never quoted
            "READOUT_OIDC_ISSUER is set without a client secret: set READOUT_OIDC_CLIENT_SECRET or "
            "oidc.client_secret in READOUT_SECRETS_FILE"
        )
    domains = frozenset(
        d.strip().lower().lstrip("@").rstrip(".")
        for d in environ.get("READOUT_OIDC_ALLOWED_DOMAINS", "").split(",")
        if d.strip()
    )
    for domain in domains:
        if not domain or not all(label.replace("-", "").isalnum() for label in domain.split(".")):
            raise ConfigError(f"READOUT_OIDC_ALLOWED_DOMAINS: {domain!r} is not a domain name")
    claim = environ.get("READOUT_OIDC_ROLE_CLAIM", "").strip() or None
    raw_map = environ.get("READOUT_OIDC_ROLE_MAP", "").strip()
    if bool(claim) != bool(raw_map):
        raise ConfigError("READOUT_OIDC_ROLE_CLAIM and READOUT_OIDC_ROLE_MAP are set together or not at all")
    role_map: dict[str, set[str]] = {}
    for item in (i.strip() for i in raw_map.split(",") if i.strip()):
        value, sep, role = item.rpartition("=")
        value, role = value.strip(), role.strip()
        if not sep or not value:
            raise ConfigError(f"READOUT_OIDC_ROLE_MAP: {item!r} is not CLAIM_VALUE=ROLE")
        if role not in _OIDC_ROLES:
            raise ConfigError(
                f"READOUT_OIDC_ROLE_MAP: {role!r} is not a role a provider may grant "
                f"({', '.join(sorted(_OIDC_ROLES))}; administrator only by `readout users import`)"
            )
        role_map.setdefault(value, set()).add(role)
    return OidcSettings(
        issuer,  # exactly as the provider's ID tokens name it (``iss``)
        client_id,
        secret,
        domains,
        claim,
        {value: frozenset(roles) for value, roles in role_map.items()},
    )


_SLACK = ("READOUT_SLACK_BOT_TOKEN", "READOUT_SLACK_SIGNING_SECRET", "READOUT_SLACK_CHANNEL")
SLACK_API_URL = "https://slack.com/api/"


def _slack(environ: Mapping[str, str]) -> SlackSettings | None:
    """``READOUT_SLACK_*``: None when no bot token, secret or channel is set; ConfigError when only some are
    (a channel half set up would take decisions nobody can answer), never echoing a secret."""
    given = {name: environ.get(name, "").strip() for name in _SLACK}
    if not any(given.values()):
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ConfigError(f"the leadership channel is half set up: {', '.join(missing)} missing")
    if not re.fullmatch(r"[CGD][A-Z0-9]{6,20}", given["READOUT_SLACK_CHANNEL"]):
        raise ConfigError(
            "READOUT_SLACK_CHANNEL: expected the channel's id (C0123ABCD: in Slack, the channel's details, "
            "at the bottom), not its name: updates and the retry look-up need the id"
        )
    url = environ.get("READOUT_SLACK_API_URL", "").strip() or SLACK_API_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or "@" in parts.netloc:
        raise ConfigError("READOUT_SLACK_API_URL: expected the Web API's base URL, https://slack.com/api/")
    return SlackSettings(
        url if url.endswith("/") else url + "/",
        given["READOUT_SLACK_BOT_TOKEN"],
        given["READOUT_SLACK_SIGNING_SECRET"],
        given["READOUT_SLACK_CHANNEL"],
    )


_WEBHOOK_FORMATS = ("slack", "teams")
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
EVENTS_SECRET_MIN = 32  # characters of READOUT_EVENTS_WEBHOOK_SECRET


def _webhook_url(name: str, raw: str, policy: OutboundPolicy) -> str:
    """A webhook URL: https (plain http only to this machine, for tests), no user information, and a host the
    outbound policy lets Readout reach (docs/outbound.md). The value is never quoted: it is a secret."""
    import ipaddress

    try:
        parts = urlsplit(raw)
        host, port = (parts.hostname or "").rstrip("."), parts.port
    except ValueError:  # a port that is not a number
        raise ConfigError(f"{name}: expected an https URL (https://host/path)") from None
    if parts.scheme not in ("http", "https") or not host or "@" in parts.netloc or parts.fragment:
        raise ConfigError(f"{name}: expected an https URL (https://host/path)")
    if parts.scheme == "http" and host.lower() not in _LOOPBACK_NAMES:
        raise ConfigError(f"{name}: expected https (plain http only to 127.0.0.1 or localhost, for tests)")
    port = port or _DEFAULT_PORTS[parts.scheme]
    try:
        address: IPv4Address | IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = ipaddress.ip_address("127.0.0.1") if host.lower() == "localhost" else None
    if address is None:  # a name: the outbound guard checks every address it resolves to, at every request
        return raw
    listed = policy.lists_host(host, port) or policy.lists_address(address, port)
    public = address.is_global and not address.is_multicast and parts.scheme == "https"
    if not (listed or public):
        raise ConfigError(
            f"{name}: its host is not allowed by the outbound policy: add it to READOUT_OUTBOUND_ALLOW "
            "(docs/outbound.md)"
        )
    return raw


def _channel_webhook(environ: Mapping[str, str], policy: OutboundPolicy) -> ChannelWebhookSettings | None:
    """``READOUT_CHANNEL_WEBHOOK_URL`` and ``READOUT_CHANNEL_WEBHOOK_FORMAT`` (``slack``, the default, or
    ``teams``); None when no URL is set."""
    url = environ.get("READOUT_CHANNEL_WEBHOOK_URL", "").strip()
    given = environ.get("READOUT_CHANNEL_WEBHOOK_FORMAT", "").strip()
    if not url:
        if given:
            raise ConfigError("READOUT_CHANNEL_WEBHOOK_FORMAT is set without READOUT_CHANNEL_WEBHOOK_URL")
        return None
    form = given.lower() or "slack"
    if form not in _WEBHOOK_FORMATS:
        raise ConfigError(f"READOUT_CHANNEL_WEBHOOK_FORMAT={given!r}: expected slack or teams")
    return ChannelWebhookSettings(_webhook_url("READOUT_CHANNEL_WEBHOOK_URL", url, policy), form)


def _events_webhook(environ: Mapping[str, str], policy: OutboundPolicy) -> EventsWebhookSettings | None:
    """``READOUT_EVENTS_WEBHOOK_URL`` and ``READOUT_EVENTS_WEBHOOK_SECRET``, both or neither; the secret at
    least ``EVENTS_SECRET_MIN`` characters (never quoted)."""
    url = environ.get("READOUT_EVENTS_WEBHOOK_URL", "").strip()
    secret = environ.get("READOUT_EVENTS_WEBHOOK_SECRET", "").strip()
    if not url and not secret:
        return None
    if not url:
        raise ConfigError("READOUT_EVENTS_WEBHOOK_SECRET is set without READOUT_EVENTS_WEBHOOK_URL")
    if not secret:
        raise ConfigError(
            "READOUT_EVENTS_WEBHOOK_URL is set without READOUT_EVENTS_WEBHOOK_SECRET (the key receivers "
            "verify each delivery's signature with)"
        )
    if len(secret) < EVENTS_SECRET_MIN:
        raise ConfigError(
            f"READOUT_EVENTS_WEBHOOK_SECRET: expected at least {EVENTS_SECRET_MIN} characters "
            "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    return EventsWebhookSettings(_webhook_url("READOUT_EVENTS_WEBHOOK_URL", url, policy), secret)


def reminder_settings(environ: Mapping[str, str]) -> ReminderSettings:
    """``READOUT_REMINDER_LEAD_MINUTES`` (at least 1, at most a week), ``READOUT_AT_RISK_SHARE`` (a fraction
    above 0 and below 1) and ``READOUT_AT_RISK_SLOTS`` (a whole number, 0 or more); ConfigError naming the
    variable otherwise."""
    lead = _number(environ, "READOUT_REMINDER_LEAD_MINUTES", 120.0, 1.0)
    if lead > 7 * 24 * 60:
        raise ConfigError(f"READOUT_REMINDER_LEAD_MINUTES={lead:g}: expected at most 10080 (a week)")
    share = _number(environ, "READOUT_AT_RISK_SHARE", 0.25, 0.0)
    if not 0 < share < 1:
        raise ConfigError(
            f"READOUT_AT_RISK_SHARE={environ.get('READOUT_AT_RISK_SHARE')!r}: expected a fraction above 0 "
            "and below 1 (0.25: a quarter of the time from approval to deadline)"
        )
    slots = _number(environ, "READOUT_AT_RISK_SLOTS", 2, 0)
    if slots != int(slots):
        raise ConfigError(
            f"READOUT_AT_RISK_SLOTS={environ.get('READOUT_AT_RISK_SLOTS')!r}: expected a whole number"
        )
    return ReminderSettings(lead, share, int(slots))


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from ``environ`` (``os.environ`` in production, a dict in tests)."""
    secrets = _secrets(environ)
    cache = environ.get("READOUT_CACHE_DIR")
    outbound = OutboundPolicy.parse(environ.get("READOUT_OUTBOUND_ALLOW", ""))
    slack = _slack(environ)
    channel_webhook = _channel_webhook(environ, outbound)
    if slack is not None and channel_webhook is not None:
        raise ConfigError(
            "READOUT_CHANNEL_WEBHOOK_URL and READOUT_SLACK_* both configure the leadership channel: set one "
            "(the Slack bot for approvals in Slack, the incoming webhook for notices only)"
        )
    return Settings(
        database_url=environ.get("READOUT_DATABASE_URL") or None,
        source_timeout=_number(environ, "READOUT_SOURCE_TIMEOUT", 10.0, 0.1),
        http_max_bytes=int(_number(environ, "READOUT_HTTP_MAX_BYTES", 5_000_000, 1024)),
        cache_dir=Path(cache) if cache else None,
        calendars=_calendar_credentials(environ, secrets),
        smtp=_smtp(environ, secrets),
        outbound=outbound,
        calendar_root=_calendar_root(environ),
        oidc=_oidc(environ, secrets),
        slack=slack,
        reminders=reminder_settings(environ),
        anchor_file=Path(environ["READOUT_AUDIT_ANCHOR_FILE"])
        if environ.get("READOUT_AUDIT_ANCHOR_FILE")
        else None,
        anchor_every=_number(environ, "READOUT_AUDIT_ANCHOR_EVERY", 3600.0, 60.0),
        channel_webhook=channel_webhook,
        events_webhook=_events_webhook(environ, outbound),
    )
