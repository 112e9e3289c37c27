"""`make serve`: seed a demo store from the examples, then serve the HTTP API on it (docs/api.md).

Seeding runs the same commands an operator would (each is shown): the demo users are imported, five of them
get a password, a token is made for a "ticketing system", and the two example escalations are opened. The
service then runs on http://127.0.0.1:8000 (docs at /docs) with its clock pinned where the Globex story starts
(2026-11-12 09:00 Mexico City), so holds, review and confirm work on the examples on any day. Set
READOUT_DEMO_NOW to another instant (ISO 8601 with offset) to pin another, e.g. 2026-11-23T12:00:00+01:00
for the Initech freeze. The store is .demo/serve.db (READOUT_DEMO_STORE names another), made new on every run.

One `readout worker` process runs alongside the server (with the same pinned clock), delivering what decisions
leave to do outside (calendar writes, invitations, the leadership channel) and reaping expired holds; its
line per pass goes to worker.log beside the store. It is stopped when the server stops.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
STORE = Path(os.environ.get("READOUT_DEMO_STORE") or ROOT / ".demo" / "serve.db")  # the store, made anew
GLOBEX_NOW = "2026-11-12T09:00:00-06:00"  # where the Globex story starts; READOUT_DEMO_NOW pins another
PASSWORD = "readout-demo-password"  # a demo store's password: never use it for anything real
SIGNS_IN = ("priya", "dana", "omar", "lena", "grace")


def _readout(*args: str, stdin: str | None = None) -> str:
    """Run one ``readout`` command as an operator would, showing it first; its output as text."""
    shown = " ".join(shlex.quote(a) for a in args)
    print(f"\n$ readout {shown}" + (" < (password)" if stdin is not None else ""), flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "readout.entrypoints.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode not in (0, 4):  # 4: decided, an effect not carried out yet (no calendars written)
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"serve_demo: `readout {shown}` failed with exit status {done.returncode}")
    return done.stdout


def seed() -> str:
    """Make the demo store; the ticketing system's token (shown once)."""
    STORE.parent.mkdir(exist_ok=True)
    STORE.unlink(missing_ok=True)
    _readout("users", "import", "examples/users.yaml")
    for user in SIGNS_IN:
        _readout("users", "set-password", user, "--as", "alex", stdin=PASSWORD + "\n")
    made = _readout(
        "tokens", "create", "priya", "--name", "ticketing-webhook", "--scope", "read", "--scope", "write",
        "--as", "alex", "--json",
    )  # fmt: skip
    token = str(json.loads(made)["token"])
    print("  (token printed below)")
    # Both are opened as of the instant the service is pinned at, so the plans they record are the plans the
    # pages make again (a page shows "the calendars changed since the last recorded plan" otherwise).
    now = os.environ.get("READOUT_DEMO_NOW", GLOBEX_NOW)
    _readout("open", "examples/globex-sso-outage/case.yaml", "--as", "priya", "--now", now, "--json")
    _readout("open", "examples/cab-freeze-no-slot/case.yaml", "--as", "priya", "--now", now, "--json")
    return token


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise SystemExit(f"serve_demo: READOUT_DEMO_NOW={text!r} has no offset: write Z or +HH:MM")
    return moment


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--seed-only", action="store_true", help="make the demo store and stop")
    args = parser.parse_args()
    os.environ["READOUT_DATABASE_URL"] = f"sqlite:///{STORE}"
    os.environ.setdefault("READOUT_CALENDAR_ROOT", str(EXAMPLES))  # documents posted name calendars under it
    token = seed()
    now = os.environ.get("READOUT_DEMO_NOW", GLOBEX_NOW)
    base = f"http://{args.host}:{args.port}"
    print(
        f"""
Demo store {STORE}: users {", ".join(SIGNS_IN)} sign in with the password
{PASSWORD!r}; the clock is pinned at {now}.

  Web app:   {base}/   (priya: program manager, dana: escalation manager, omar: duty manager,
             lena: engineering manager, grace: support leadership; docs/web.md)

  Sign in:   curl -c cookies -H 'Content-Type: application/json' \\
               -d '{{"user": "dana", "password": "{PASSWORD}"}}' {base}/v1/session
  Read:      curl -b cookies {base}/v1/escalations/ESC-48213
  Token (priya, read+write, for a ticketing system; shown only now):
             {token}
  Hold:      curl -X POST -H 'Authorization: Bearer {token}' -H 'Idempotency-Key: demo-1' \\
               {base}/v1/escalations/ESC-48213/holds
  API docs:  {base}/docs   (OpenAPI: {base}/openapi.json; docs/api.md)
  Outcomes:  {base}/report   (readout report; docs/outcomes.md)   Metrics: {base}/metrics (docs/metrics.md)
  Agents:    {base}/mcp with a token of scope mcp (readout tokens create USER --scope mcp; docs/agents.md)
""",
        flush=True,
    )
    if args.seed_only:
        return 0
    from readout.entrypoints.http.server import serve

    worker = _start_worker(now)
    try:
        return serve(args.host, args.port, now=_instant(now))
    finally:
        _stop(worker)


def _start_worker(now: str) -> subprocess.Popen[bytes]:
    """`readout worker` every 15 seconds on the demo store, its lines in worker.log beside it."""
    log = STORE.with_name("worker.log")
    with log.open("wb") as out:  # the child keeps its own handle
        worker = subprocess.Popen(
            [sys.executable, "-m", "readout.entrypoints.cli", "worker", "--every", "15", "--now", now],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    print(
        f"  Worker:    readout worker --every 15, process {worker.pid}, one line per pass in {log}\n",
        flush=True,
    )
    return worker


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Stop the worker with the server: between passes nothing is lost (an effect it was carrying out is
    taken up again by the next worker when its lease runs out)."""
    worker.terminate()
    try:
        worker.wait(10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


if __name__ == "__main__":
    sys.exit(main())
