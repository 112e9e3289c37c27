"""A throwaway PostgreSQL cluster for tests: initdb in a temp folder, loopback only, trust auth, no fsync.

    with throwaway_postgres() as url:   # postgresql+psycopg://postgres@127.0.0.1:PORT/postgres
        ...

The cluster is stopped and its folder deleted afterwards. PostgreSQL refuses to run as root, so when the
tests run as root the server runs as the ``postgres`` user (via ``runuser``) in a folder it owns. Binaries
come from ``READOUT_PG_BIN`` when set, else ``PATH``, else ``/usr/lib/postgresql/<newest>/bin``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["PostgresUnavailable", "find_postgres_bin", "throwaway_postgres"]

_START_ATTEMPTS = 3  # another process can take the free port between choosing it and binding it


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be started here (missing binaries, or the server failed to start)."""


def find_postgres_bin() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``; PostgresUnavailable with what was tried otherwise."""
    tried: list[str] = []
    override = os.environ.get("READOUT_PG_BIN")
    candidates = [Path(override)] if override else _usual_places()
    for folder in candidates:
        tried.append(str(folder))
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; looked in "
        + (", ".join(tried) or "READOUT_PG_BIN, PATH and /usr/lib/postgresql/*/bin")
        + ". Install them (Debian: apt-get install postgresql) or set READOUT_TEST_POSTGRES_URL."
    )


def _usual_places() -> list[Path]:
    places = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        places.append(Path(on_path).resolve().parent)
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _major(p.parent.name))
    return places + list(reversed(installed))


def _major(name: str) -> int:
    return int(name) if name.isdigit() else -1


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            "running as root and there is no 'postgres' user to run the server as"
        ) from None
    runuser = shutil.which("runuser", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if runuser is None:
        raise PostgresUnavailable(
            "running as root and 'runuser' (util-linux) is missing: cannot become 'postgres'"
        )
    return [runuser, "-u", "postgres", "--"]


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise PostgresUnavailable(
            f"{what} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
        )


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a private cluster on a free loopback port; yield its SQLAlchemy URL; stop and delete it."""
    bin_dir = find_postgres_bin()
    as_server = _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="readout-pg-"))
    data, log = root / "data", root / "server.log"
    try:
        if as_server:
            shutil.chown(root, user="postgres", group="postgres")
        init = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        _run([*as_server, *init, "--locale=C", "--no-sync", "--no-instructions"], "initdb")
        port = _start(bin_dir, as_server, root, data, log)
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            stop = [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            subprocess.run([*as_server, *stop], capture_output=True, check=False, timeout=60)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(bin_dir: Path, as_server: list[str], root: Path, data: Path, log: Path) -> int:
    failure = ""
    for _ in range(_START_ATTEMPTS):
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        start = [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ]
        done = subprocess.run([*as_server, *start], capture_output=True, text=True, check=False, timeout=120)
        if done.returncode == 0:
            return port
        failure = log.read_text(errors="replace")[-2000:] if log.exists() else done.stderr
    raise PostgresUnavailable(f"PostgreSQL did not start after {_START_ATTEMPTS} attempts:\n{failure}")
