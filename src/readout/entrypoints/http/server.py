"""``readout serve``: the API under uvicorn, on a loopback address unless told otherwise."""

from __future__ import annotations

import ipaddress
import sys
from datetime import datetime

from readout.errors import ReadoutError, StoreUnavailable

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "serve"]

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
_EXIT_BAD_INPUT, _EXIT_STORE = 2, 5  # as the CLI's exit status


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, now: datetime | None = None) -> int:
    """Serve the API until interrupted; the exit status as the CLI's (5: the store cannot be used; 2: bad
    settings). ``now`` pins the clock (the demo, rehearsals) as ``--now`` does."""
    import uvicorn

    from readout.entrypoints.http.app import create_app

    try:
        app = create_app(now=now)
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
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
    return 0
