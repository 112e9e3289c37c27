"""``readout serve``: the API under uvicorn, on a loopback address unless told otherwise."""

from __future__ import annotations

import ipaddress
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from readout.errors import ReadoutError, StoreUnavailable

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "serve", "worker_app"]

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
_EXIT_BAD_INPUT, _EXIT_STORE = 2, 5  # as the CLI's exit status


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    now: datetime | None = None,
    workers: int = 1,
    forwarded_allow_ips: str = "127.0.0.1",
) -> int:
    """Serve the API until interrupted; the exit status as the CLI's (5: the store cannot be used; 2: bad
    settings). ``now`` pins the clock (the demo, rehearsals) as ``--now`` does. ``workers`` processes serve
    requests (one per core; each builds its own app from the environment, the database being the only
    shared state). ``forwarded_allow_ips``: the proxies whose ``X-Forwarded-For`` names the client (what the
    sign-in throttle counts by address)."""
    import uvicorn

    from readout.entrypoints.http.app import create_app

    try:
        app = create_app(now=now)  # checked here, once, so a bad setting stops the start with one line
    except StoreUnavailable as error:
        print(f"readout: store unavailable: {error}", file=sys.stderr)
        return _EXIT_STORE
    except ReadoutError as error:
        print(f"readout: error: {error}", file=sys.stderr)
        return _EXIT_BAD_INPUT
    if not _loopback(host):
        print(
            f"readout: serving on {host}: reachable from other machines; put TLS in front (docs/api.md)",
            file=sys.stderr,
        )
    options = {
        "host": host,
        "port": port,
        "log_level": "info",
        "server_header": False,
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips,
    }
    if workers <= 1:
        uvicorn.run(app, **options)  # type: ignore[arg-type]
        return 0
    if now is not None:  # each worker process builds its app from the environment
        os.environ[PINNED_NOW] = now.isoformat()
    uvicorn.run(f"{__name__}:worker_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
    return 0


PINNED_NOW = "READOUT_SERVE_NOW"  # set by ``serve`` for its worker processes: ``--now``, when given


def worker_app() -> FastAPI:
    """The app of one worker process of ``readout serve --workers N``."""
    from readout.entrypoints.http.app import create_app

    pinned = os.environ.get(PINNED_NOW)
    return create_app(now=datetime.fromisoformat(pinned) if pinned else None)
