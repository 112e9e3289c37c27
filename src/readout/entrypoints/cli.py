"""Command line: parse, call a service, present, map errors to exit codes.

Exit status: 0 done; 1 an audit chain failed verification; 2 bad input (invalid case, users or settings file,
bad setting, unknown escalation or user); 3 refused by a rule (illegal transition, missing permission, failed
confirmation gate); 4 decided and recorded, but a calendar write or invitation is not carried out yet
(retried by `readout worker`) or failed; 5 the store is unavailable (busy, read-only, full, unreachable).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from readout import __version__

# Each module below only adds its verb's arguments here (argparse alone); what a verb runs loads when it runs.
from readout.entrypoints import cli_audit, cli_commands, cli_mcp, cli_report, cli_simulate, cli_types
from readout.errors import ReadoutError, Refused, StoreUnavailable

__all__ = ["main"]

# One meaning each (docs/workflow.md, "Exit status"); 4 is returned by the workflow verbs themselves.
EXIT_OK, EXIT_TAMPERED, EXIT_BAD_INPUT, EXIT_REFUSED, EXIT_EFFECTS_PENDING, EXIT_STORE = 0, 1, 2, 3, 4, 5

_DESCRIPTION = """\
Readout schedules the contractual root-cause-analysis readout after a serious incident: it computes the
deadline (N business days after the customer-safe RCA approval), finds every compliant slot for the
required roles, ranks them, explains what blocks the rest, places short-lived holds, routes exceptions to
the right approver, and records every step in a hash-chained audit log. A named human confirms.

Workflow commands keep state in READOUT_DATABASE_URL (default: an embedded SQLite file). A decision is
recorded first; calendar writes and invitations are carried out after it, and retried by `readout worker`.

exit status:
  0  done
  1  an audit chain failed verification
  2  bad input: invalid case, users or settings file, bad setting, unknown escalation or user
  3  refused by a rule: illegal transition, missing permission, failed confirmation check
  4  decided and recorded, but a calendar write or invitation is not done yet (retried) or failed
  5  the store is unavailable (busy, read-only, disk full, unreachable): nothing was changed
"""

_PLAN_HELP = """\
Plan the readout described by CASE (a YAML or JSON case file, see docs/case-file.md), or re-plan the
stored escalation ESC from its stored case document, reading its calendars again.

Prints the deadline in the contract zone and UTC, the best compliant slots in every role holder's local
time with the reasons for their rank, near misses that need only a coverage or handoff-window waiver,
and, when nothing complies, the causes. Exit status: 0 for any plan result (ready, needs_exception,
not_ready), 2 when the case file or a calendar it names is invalid.
"""

_USERS_HELP = """\
Import users from FILE (YAML or JSON, see examples/users.yaml), list them, or show the users audit trail.

Only an administrator imports or changes users: `readout users import FILE --as ADMIN`. While the store has
no administrator (the first import), --as may be left out and FILE must name at least one user with the role
administrator. Users FILE does not name are kept. Display names must tell people apart, and the last
administrator cannot be removed. Every import is recorded in the users audit trail at the real time
(`readout users audit`); `readout audit verify` checks it.

Passwords (for signing in to the HTTP API, see docs/auth.md): `readout users set-password USER --as ADMIN`
reads the new password from standard input (asked twice, not echoed, on a terminal; the first line of a
pipe otherwise), never from the command line. A user may set their own (--as themself). Setting a password
ends the user's sessions; `readout users revoke-sessions USER --as ADMIN` ends them without a new password.

Slack: `readout users link USER --slack MEMBER_ID --as ADMIN` makes that Slack member's clicks in the
leadership channel act as USER; `readout users unlink USER --as ADMIN` ends it (docs/leadership-channel.md).
"""

_TOKENS_HELP = """\
API tokens let another system (a ticketing webhook, a script, an agent) call the HTTP API as a user, with
`Authorization: Bearer rdt_...`. The token is printed once, when it is created; Readout keeps only its
SHA-256. A token carries scopes (read: GET; write: changes; mcp: the agent surface) and always expires
(default 90 days, at most 365). The user's roles still decide what the token may do.

  readout tokens create USER --name N [--scope read --scope write] [--expires DAYS] --as ADMIN
  readout tokens list [USER]
  readout tokens revoke ID --as ADMIN

An administrator manages anyone's tokens; a user may manage their own. Creating and revoking tokens is
recorded in the users audit trail (`readout users audit`).
"""


_timestamp, _positive, _port = cli_types.timestamp, cli_types.positive, cli_types.port


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print JSON instead of the readable report")
    common.add_argument(
        "--now",
        type=_timestamp,
        metavar="TS",
        help="act as if the current instant were TS (ISO 8601 with offset)",
    )
    return common


def _acting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="user", required=True, metavar="USER", help="the user acting (see users)"
    )


def _add(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse.ArgumentParser:
    return verbs.add_parser(name, help=help_text, description=help_text, parents=[_common()])


def build_parser() -> argparse.ArgumentParser:
    """The ``readout`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="readout", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"readout {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", required=True)

    plan = verbs.add_parser(
        "plan",
        help="find, rank and explain readout slots for a case file (or re-plan a stored escalation)",
        description=_PLAN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common()],
    )
    plan.add_argument("target", metavar="CASE|ESC", help="case file (.yaml, .yml, .json) or escalation id")
    plan.add_argument("--all", action="store_true", help="every candidate and near miss, not just the best")
    plan.add_argument(
        "--limit", type=_positive, default=5, metavar="N", help="how many candidates (default 5)"
    )
    plan.add_argument(
        "--as", dest="user", metavar="USER", help="acting user (required to re-plan an escalation)"
    )
    plan.add_argument("--reason", default="re-plan requested", help="why the escalation is re-planned")

    opened = _add(
        verbs,
        "open",
        "store a case file as an escalation's record and plan it (again: a new version if it changed)",
    )
    opened.add_argument("case", type=Path, metavar="CASE")
    _acting(opened)

    update = _add(verbs, "update", "store a changed case file as the escalation's next version and re-plan")
    update.add_argument("escalation", metavar="ESC")
    update.add_argument("case", type=Path, metavar="CASE")
    _acting(update)

    hold = _add(
        verbs,
        "hold",
        "place tentative holds on the best eligible slots spread over days (or one --slot; extend, release)",
    )
    hold.add_argument("escalation", metavar="ESC")
    _acting(hold)
    mode = hold.add_mutually_exclusive_group()
    mode.add_argument("--extend", action="store_true", help="push live holds' expiry to now + ttl")
    mode.add_argument("--release", action="store_true", help="release live holds (all, or --slot)")
    hold.add_argument("--hours", type=_positive, help="with --extend: hours instead of the case's ttl_hours")
    hold.add_argument(
        "--slot",
        type=_timestamp,
        metavar="START",
        help="hold only this eligible slot (with --release: release only this slot)",
    )

    request = _add(
        verbs, "request-exception", "ask support leadership to decide (e.g. replacing a role holder)"
    )
    request.add_argument("escalation", metavar="ESC")
    _acting(request)
    request.add_argument("--reason", required=True)

    approve = _add(verbs, "approve", "approve the open exception request (waive a near miss's families)")
    approve.add_argument("escalation", metavar="ESC")
    _acting(approve)
    what = approve.add_mutually_exclusive_group()
    what.add_argument("--slot", type=_timestamp, metavar="START", help="the near miss to approve")
    what.add_argument(
        "--replacement",
        metavar="ROLE=PERSON",
        help="support leadership: approve replacing a role holder by a person of the case (stored as the "
        "case's next version, then re-planned)",
    )
    approve.add_argument(
        "--customer-asked",
        action="store_true",
        help="with --slot: record that the customer asked for this slot",
    )
    approve.add_argument("--reason", required=True)

    reject = _add(verbs, "reject", "reject the open exception request (goes to support leadership)")
    reject.add_argument("escalation", metavar="ESC")
    _acting(reject)
    reject.add_argument("--reason", required=True)

    review = _add(verbs, "review", "select a held slot and show the invite packet for review (sends nothing)")
    review.add_argument("escalation", metavar="ESC")
    _acting(review)
    review.add_argument("--slot", type=_timestamp, required=True, metavar="START")

    confirm = _add(verbs, "confirm", "confirm the reviewed slot after a fresh free/busy check")
    confirm.add_argument("escalation", metavar="ESC")
    _acting(confirm)
    confirm.add_argument(
        "--packet",
        metavar="DIGEST",
        required=True,
        help="the invite packet digest shown by review (its first 8+ characters): what you commit to",
    )

    cancel = _add(verbs, "cancel", "cancel the readout before confirmation and release its holds")
    cancel.add_argument("escalation", metavar="ESC")
    _acting(cancel)
    cancel.add_argument("--reason", required=True)

    reap = _add(verbs, "reap", "release every hold past its expiry (once, or as a loop with --every)")
    reap.add_argument("--every", type=_positive, metavar="SECONDS", help="keep reaping at this interval")
    reap.add_argument("--rounds", type=_positive, metavar="N", help="with --every: stop after N rounds")
    worker = _add(
        verbs, "worker", "deliver due effects (calendars, invitations, the channel) and reap expired holds"
    )
    worker.add_argument("--once", action="store_true", help="run one pass and exit (operators, tests)")
    worker.add_argument(
        "--every", type=_positive, metavar="SECONDS", help="seconds between passes (default 15)"
    )
    worker.add_argument("--rounds", type=_positive, metavar="N", help="stop after N passes")
    worker.add_argument(
        "--metrics-port",
        type=_port,
        metavar="PORT",
        help="serve Prometheus /metrics on 127.0.0.1:PORT while the worker runs (docs/metrics.md)",
    )
    status = _add(verbs, "status", "show an escalation: state, plan, holds, exceptions")
    status.add_argument("escalation", metavar="ESC")
    _add(verbs, "list", "list stored escalations")

    cli_audit.add_parser(verbs, [_common()])
    cli_report.add_parser(verbs, [_common()])
    cli_simulate.add_parser(verbs)
    cli_mcp.add_parser(verbs)

    # No --now: changes to users are recorded at the real time.
    users = verbs.add_parser(
        "users",
        help="import, list or audit the users who act in Readout",
        description=_USERS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    users.add_argument(
        "action", choices=["import", "list", "audit", "set-password", "revoke-sessions", "link", "unlink"]
    )
    users.add_argument(
        "file",
        nargs="?",
        metavar="FILE|USER",
        help="import: the users file (YAML or JSON); set-password, revoke-sessions, link, unlink: the user",
    )
    users.add_argument(
        "--as",
        dest="user",
        metavar="ADMIN",
        help="import, set-password, revoke-sessions, link, unlink: the user acting (an administrator, or the "
        "user themself "
        "for their own password and sessions)",
    )
    users.add_argument(
        "--slack",
        metavar="MEMBER_ID",
        help="link: the Slack member id (U012ABCDEF) whose clicks in the leadership channel act as USER",
    )
    users.add_argument("--json", action="store_true", help="print JSON instead of the readable report")

    tokens = verbs.add_parser(
        "tokens",
        help="create, list or revoke API tokens (Authorization: Bearer) for the HTTP API",
        description=_TOKENS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tokens.add_argument("action", choices=["create", "list", "revoke"])
    tokens.add_argument(
        "subject", nargs="?", metavar="USER|ID", help="create: the user; list: only this user; revoke: the id"
    )
    tokens.add_argument("--name", help="create: what the token is for (e.g. the system that uses it)")
    tokens.add_argument(
        "--scope",
        action="append",
        dest="scopes",
        metavar="SCOPE",
        help="create: read, write or mcp; repeat for several (default: read)",
    )
    tokens.add_argument(
        "--expires",
        type=_positive,
        metavar="DAYS",
        help="create: days until it expires (default 90, at most 365)",
    )
    tokens.add_argument(
        "--as", dest="user", metavar="ADMIN", help="create, revoke: an administrator, or the token's own user"
    )
    tokens.add_argument("--json", action="store_true", help="print JSON instead of the readable report")

    serve = verbs.add_parser(
        "serve",
        help="run the HTTP API (sign-in, tokens, the workflow) on the store",
        description="Run Readout's HTTP API with uvicorn on READOUT_DATABASE_URL (see docs/auth.md).",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine)"
    )
    serve.add_argument("--port", type=_port, default=8000, help="port to bind (default 8000)")
    serve.add_argument(
        "--now",
        type=_timestamp,
        metavar="TS",
        help="act as if the current instant were TS (ISO 8601 with offset): demos and rehearsals",
    )
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="worker processes (default 1; one per core under load, with PostgreSQL: docs/api.md)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        metavar="IPS",
        help="comma-separated proxy addresses trusted to name the client in X-Forwarded-For "
        "(default 127.0.0.1)",
    )
    return parser


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of worker processes (1-64)")
    return int(text)


_OWN_MODULES: dict[str, Callable[[argparse.Namespace], int]] = {
    "audit": cli_audit.run,
    "report": cli_report.run,
    "simulate": cli_simulate.run,
    "mcp": cli_mcp.run,
}


def _run(args: argparse.Namespace) -> int:
    """The verbs this module runs itself; the rest go to ``cli_commands``."""
    if args.verb == "serve":
        import importlib

        # FastAPI and uvicorn load only here, never for the other verbs.
        server = importlib.import_module("readout.entrypoints.http.server")
        return int(
            server.serve(
                args.host,
                args.port,
                now=args.now,
                workers=args.workers,
                forwarded_allow_ips=args.forwarded_allow_ips,
            )
        )
    if args.verb == "worker":
        from readout.entrypoints.cli_worker import run_worker

        return run_worker(args)
    if args.verb in _OWN_MODULES:
        return _OWN_MODULES[args.verb](args)
    if args.verb == "tokens":
        from readout.entrypoints.cli_users import run_tokens

        return run_tokens(args)
    return cli_commands.run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``readout`` command."""
    args = build_parser().parse_args(argv)
    from readout.domain.audit import CHANNEL

    channel = CHANNEL.set("cli")  # every entry this command records says the local operator acted (--as)
    try:
        return _run(args)
    except StoreUnavailable as err:
        print(f"readout: store unavailable: {err}", file=sys.stderr)
        return EXIT_STORE
    except ReadoutError as err:
        code = EXIT_REFUSED if isinstance(err, Refused) else EXIT_BAD_INPUT
        print(f"readout: {'refused' if code == EXIT_REFUSED else 'error'}: {err}", file=sys.stderr)
        return code
    except BrokenPipeError:  # `readout ... | head`: the reader left; not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    finally:
        CHANNEL.reset(channel)


if __name__ == "__main__":
    sys.exit(main())
