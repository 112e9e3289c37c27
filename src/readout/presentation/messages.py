"""What Readout tells people about what did and did not happen, in words every front door reuses.

The rule: never claim what did not happen. Confirming without a mail relay sends no invitation, and says so
as a warning block with what to do; an exception request is recorded, and nobody is notified until a channel
exists, so the message says who must decide and the command they run; a hold kept in the ledger only is on
nobody's calendar and is shown as such.

Pure functions over plain values returning lines of text (no markup): a terminal may colour them.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CHANNEL_QUEUED",
    "EMAIL_QUEUED",
    "LEDGER_ONLY",
    "LEDGER_ONLY_NOTE",
    "NOT_INVITED",
    "NOT_NOTIFIED",
    "NO_RELAY",
    "ROLE_WORDS",
    "calendar_label",
    "confirmed_headline",
    "decision_commands",
    "exception_recorded",
    "no_cancellation_block",
    "no_invitation_block",
    "who_decides",
]

NO_RELAY = "no SMTP relay is configured (READOUT_SMTP_HOST)"
LEDGER_ONLY = "ledger only"
LEDGER_ONLY_NOTE = (
    "ledger only: the hold is recorded in Readout and is on nobody's calendar (no role holder's calendar is "
    "a CalDAV collection Readout may write to); nobody sees it on their calendar"
)
NOT_NOTIFIED = (
    "Nobody has been notified: no leadership channel is configured (docs/leadership-channel.md). Tell them "
    "yourself; `readout status` shows the request and its options."
)
EMAIL_QUEUED = (
    "An e-mail to the users who may decide it is queued: `readout worker` sends it (`readout status` says "
    "whether it went out)."
)
CHANNEL_QUEUED = (
    "A message to the leadership channel is queued, with Approve and Reject buttons: `readout worker` "
    "delivers it (`readout status` says whether it went out)."
)

NOT_INVITED = (
    "NO INVITATION WAS SENT for this readout (no SMTP relay when it was confirmed): the attendees know only "
    "what you sent them yourself."
)

# How each role reads in a sentence about who decides.
ROLE_WORDS: dict[str, str] = {
    "duty_manager": "the duty manager",
    "engineering_manager": "the fix owner's manager (engineering manager)",
    "program_manager": "a premium support program manager",
    "support_leadership": "support leadership",
    "escalation_manager": "an escalation manager",
    "administrator": "an administrator",
}


def calendar_label(calendar: str, on_a_calendar: bool | None = None) -> str:
    """Where a hold is: its CalDAV calendar (a URL), or ``ledger only`` when it is on nobody's calendar
    (the ledger then keeps a person id there, never a calendar). ``on_a_calendar``: what the hold's
    placement says (``Placement.on_a_calendar``); None: read it from the name."""
    written = "://" in calendar if on_a_calendar is None else on_a_calendar
    return calendar if written else LEDGER_ONLY


def confirmed_headline(by: str, when: str) -> str:
    """``Confirmed in Readout by Priya Shah: Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC).``"""
    return f"Confirmed in Readout by {by}: {when}."


def no_invitation_block(reason: str) -> tuple[str, ...]:
    """The warning after a confirmation that sent nobody an invitation (``reason``: why, e.g. no relay)."""
    return (
        f"NO INVITATION WAS SENT: {reason}.",
        "The readout is confirmed in Readout only: no attendee has been told. Send the reviewed packet "
        "(below) to the attendees yourself.",
        "Readout will not send this invitation later: a relay configured now (READOUT_SMTP_HOST) sends the "
        "invitations of readouts confirmed after it.",
    )


def no_cancellation_block() -> tuple[str, ...]:
    """The warning after cancelling a confirmed readout when Readout sent no cancellation."""
    return (
        "NO CANCELLATION WAS SENT by Readout. If the attendees know of this readout (the packet you sent "
        "them yourself, or an invitation sent before), tell them it is cancelled.",
    )


def _names(users: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{name} ({uid})" for uid, name in users)


def who_decides(groups: Sequence[tuple[str, Sequence[str], Sequence[tuple[str, str]]]]) -> tuple[str, ...]:
    """One line per part of an exception request: the family (or the whole request), the role that decides
    it, and the users holding that role (``(id, name)``; the store may know none)."""
    lines = []
    for family, roles, users in groups:
        what = f"{family}: " if family else ""
        words = " or ".join(ROLE_WORDS.get(r, r.replace("_", " ")) for r in roles)
        known = _names(users) if users else "nobody with this role in Readout's users yet"
        lines.append(f"{what}{words}: {known}")
    return tuple(lines)


def decision_commands(escalation_id: str, options: bool) -> tuple[str, ...]:
    """The commands the decider runs: approving names the offered slot it approves (``options``: the
    request offers slots; without any, only a rejection can be typed)."""
    approve = (f"readout approve {escalation_id} --slot START --reason TEXT --as USER",) if options else ()
    return (*approve, f"readout reject {escalation_id} --reason TEXT --as USER")


def exception_recorded(
    request_id: int,
    escalation_id: str,
    options: bool,
    groups: Sequence[tuple[str, Sequence[str], Sequence[tuple[str, str]]]],
    announced: bool = False,
    emailed: bool = False,
) -> tuple[str, ...]:
    """What a new exception request means: recorded, told to the leadership channel (``announced``: its
    message is queued) or nobody notified, who decides and with which command.
    ``options``: the request offers slots (near misses) to approve."""
    told = CHANNEL_QUEUED if announced else EMAIL_QUEUED if emailed else NOT_NOTIFIED
    lines = [f"Exception request #{request_id} is recorded in Readout. {told}"]
    if groups:
        lines.append("Who must decide:")
        lines += [f"  - {line}" for line in who_decides(groups)]
    lines.append("They decide with:")
    lines += [f"  {command}" for command in decision_commands(escalation_id, options)]
    if options:
        lines.append("  (START: the --slot of one of the options, as `readout status` lists them)")
    return tuple(lines)
