"""Audit entries as people read them: one sentence per entry, its slots in the contract zone (UTC second),
and the "as of" instant of a command run with ``--now`` (kept in the payload; the entry's own time is the
real clock)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from readout.domain.audit import AuditEntry, PlanAnswer, SlotEvent, SlotExplanation, Verdict, payload_instant
from readout.presentation import times

__all__ = [
    "actor_text",
    "as_of",
    "describe",
    "explanation_data",
    "explanation_lines",
    "html_report",
    "recorded_at",
]

_Line = Callable[[dict[str, Any], str], str]


def actor_text(actor: str, payload: dict[str, Any]) -> str:
    """Who acted, as an auditor reads it: an agent's entries say on whose behalf (docs/agents.md)."""
    principal = payload.get("on_behalf_of")
    return f"{actor} (agent, on behalf of {principal})" if principal else actor


def _at(text: Any, zone: str) -> str:
    moment = payload_instant(text)
    return times.instant(moment, zone) if moment else str(text)


def _when(p: dict[str, Any], zone: str) -> str:
    start, end = payload_instant(p.get("start")), payload_instant(p.get("end"))
    if start and end:
        return times.slot(start, end, zone)
    return times.instant(start, zone) if start else ""


def _plan_line(p: dict[str, Any], zone: str) -> str:
    blocked = sorted(p.get("rejected_by_family", {}).items(), key=lambda kv: -kv[1])[:3]
    worst = ", ".join(f"{family} {count}" for family, count in blocked)
    head = (
        f"{p['status']}: {p.get('compliant_count', 0)} compliant, {p.get('near_miss_count', 0)} near misses"
    )
    return (
        head
        + (f"; rejected most by {worst}" if worst else "")
        + (f" ({p['reason']})" if p.get("reason") else "")
    )


def _effect_line(done: str) -> _Line:
    return lambda p, z: f"{done} {_when(p, z)}" + (f" on {p['calendar']}" if p.get("calendar") else "")


_LINES: dict[str, _Line] = {
    "opened": lambda p, z: f"opened for {p['customer']}",
    "case_changed": lambda p, z: f"case document version {p['version']} stored ({str(p['to'])[:12]}...)",
    "plan": _plan_line,
    "plan_not_ready": lambda p, z: "not ready: " + ", ".join(p["not_ready"]),
    "hold_placed": lambda p, z: f"hold on {_when(p, z)}, expires {_at(p['expires_at'], z)}",
    "pick_link_created": lambda p, z: (
        f"customer pick link {p['link']} made for {len(p.get('options', []))} held option(s), valid until "
        f"{_at(p['expires_at'], z)} (sent to nobody: the link was shown to its maker)"
    ),
    "pick_link_revoked": lambda p, z: f"customer pick link {p['link']} revoked",
    "channel_posted": lambda p, z: (
        f"posted to the leadership channel{' (in the thread)' if p.get('in_thread') else ''}: {p['topic']}"
    ),
    "channel_updated": lambda p, z: f"the leadership channel's message updated in place: {p['topic']}",
    "customer_picked": lambda p, z: (
        f"the customer picked {_when(p, z)} through pick link {p['link']}"
        f"{' with a note' if p.get('with_note') else ''} (nothing confirmed)"
    ),
    "customer_declined": lambda p, z: (
        f"the customer said none of the held times works, through pick link {p['link']}"
        f"{' with a note' if p.get('with_note') else ''}"
    ),
    "hold_extended": lambda p, z: f"hold on {_when(p, z)} now expires {_at(p['expires_at'], z)}",
    "hold_released": lambda p, z: f"hold on {_when(p, z)} released: {p['reason']}",
    "hold_expired": lambda p, z: f"hold on {_when(p, z)} expired",
    "hold_confirmed": lambda p, z: f"hold on {_when(p, z)} became the readout",
    "hold_on_calendar": _effect_line("hold put on the calendar:"),
    "hold_off_calendar": _effect_line("hold taken off the calendar:"),
    "readout_on_calendar": _effect_line("readout event on the calendar:"),
    "hold": lambda p, z: f"{p['placed']} placed, {p['live']} live",
    "review": lambda p, z: f"reviewing {_when(p, z)}, packet {p['packet_digest'][:12]}",
    "confirm": lambda p, z: (
        f"CONFIRMED {_when(p, z)} by {p['confirmed_by']}, packet {p['packet_digest'][:12]}"
        + (f"; invitation {p['invitation']}" if p.get("invitation") else "")
    ),
    "invite_not_sent": lambda p, z: f"NO invitation ({p['method']}) sent: {p['reason']}",
    "invite_sent": lambda p, z: f"invitation ({p['method']}) sent to {len(p.get('to', []))} attendee(s)",
    "waiver_recorded": lambda p, z: f"{p['family']} waived for {_when(p, z)}: {p['reason']}",
    "approve_exception": lambda p, z: _approval(p, z),
    "reject_exception": lambda p, z: f"rejected request #{p['request']}: {p['reason']}",
    "cancel": lambda p, z: f"cancelled: {p['reason']}",
    "holds_lost": lambda p, z: str(p["reason"]),
    "request_exception": lambda p, z: (
        f"exception request #{p['request']} recorded for {str(p['route']).replace('_', ' ')} "
        "(who was told, if anyone, follows in its own entries)"
    ),
    "approvers_notified": lambda p, z: (
        f"e-mailed exception request #{p['request']} to {', '.join(p.get('to', [])) or 'nobody'}"
    ),
    "reminder_sent": lambda p, z: (
        f"reminder ({str(p.get('reminder', '')).replace('_', ' ')}) e-mailed to {', '.join(p.get('to', []))}"
    ),
    "notification_sent": lambda p, z: f"e-mail sent to {', '.join(p.get('to', []))}",
    "refused": lambda p, z: f"`readout {p['command']}` refused: {p['reason']}",
    "confirmation_refused": lambda p, z: (
        f"confirmation refused by the fresh check{' of ' + _when(p, z) if 'start' in p else ''}: "
        + ("; ".join(p.get("obstacles") or []) or str(p.get("reason", "")))
    ),
    "escalate": lambda p, z: f"to support leadership (request #{p.get('request', '-')})",
    "exception_superseded": lambda p, z: f"exception request #{p['request']} superseded by a newer plan",
    "orphan_hold_released": lambda p, z: (
        f"hold on {_when(p, z)} found on {p.get('calendar')}, released: {p.get('reason', '')}"
    ),
}
_HIDDEN = frozenset({"from", "to", "as_of", "via", "credential"})


def _approval(p: dict[str, Any], zone: str) -> str:
    """What an approval approved: a replacement role holder, or a slot (with its waivers, at the customer's
    request or not)."""
    head = f"approved request #{p['request']}"
    if p.get("approves") == "replacement":
        role = str(p.get("role", "")).replace("_", " ")
        who = p.get("person_name") or p.get("person")
        was = p.get("replaces_name") or p.get("replaces")
        return f"{head}: {who} replaces {was} as the {role}: {p.get('reason', '')}".rstrip(": ")
    if "start" not in p:
        return head
    waivers = ", ".join(p.get("waivers") or [])
    text = f"{head}: {_when(p, zone)}" + (f" with {waivers} waived" if waivers else "")
    return text + (" (the customer asked for it)" if p.get("customer_asked") else "")


def describe(kind: str, payload: dict[str, Any], zone: str, with_as_of: bool = True) -> str:
    """One sentence for an audit entry; an entry of a kind without its own sentence lists its payload.
    With ``with_as_of`` it ends with the "as of" instant of a command run with ``--now``."""
    move = f"{payload['from']} -> {payload['to']}; " if _is_move(kind, payload) else ""
    try:
        text = _LINES[kind](payload, zone) if kind in _LINES else ""
    except (KeyError, TypeError, ValueError, AttributeError):
        text = ""
    if not text:
        text = ", ".join(f"{k}={v}" for k, v in payload.items() if k not in _HIDDEN)[:160]
    stamp = as_of(payload, zone) if with_as_of else ""
    return move + text + (f" (as of {stamp})" if stamp else "")


def _is_move(kind: str, payload: dict[str, Any]) -> bool:
    """A lifecycle transition records its states as ``from``/``to`` (``case_changed`` uses them for
    digests)."""
    return kind != "case_changed" and "from" in payload and "to" in payload


def as_of(payload: dict[str, Any], zone: str, with_city: bool = True) -> str:
    """The instant a command acted as of (``--now``), when the entry carries one: contract zone and UTC
    (without the city for a column whose heading names it); empty when it carries none."""
    moment = payload_instant(payload.get("as_of"))
    if moment is None:
        return ""
    return times.instant(moment, zone) if with_city else times.instant_in(moment, zone)


def recorded_at(moment: datetime, zone: str) -> str:
    """When an entry was recorded, for a column whose heading names the contract zone: ``Thu 12 Nov 09:00
    (15:00 UTC)``."""
    return times.instant_in(moment, zone)


# audit explain -------------------------------------------------------------------------------------------

_VERDICTS = {
    Verdict.CANDIDATE: "OFFERED: compliant, a candidate",
    Verdict.NEAR_MISS: "near miss: blocked only by waivable families",
    Verdict.REJECTED: "rejected",
    Verdict.NOT_CONSIDERED: "not considered: outside this plan's horizon or off its grid",
    Verdict.NOT_READY: "no search: the plan was not ready",
    Verdict.NOT_RECORDED: "not recorded by this version (the entry predates recorded rejected starts)",
}


def _verdict(answer: PlanAnswer) -> str:
    text = _VERDICTS[answer.verdict]
    if answer.verdict is Verdict.CANDIDATE:
        text += f", rank {answer.rank}" if answer.rank else " (rank not recorded: beyond the listed ten)"
    if answer.families:
        text += ": blocked by " + ", ".join(answer.families)
    if answer.verdict is Verdict.NOT_READY and answer.reason:
        text += f" ({answer.reason})"
    return text


def _event_line(event: SlotEvent, zone: str) -> str:
    who = f"by {event.actor}"
    what = event.kind.replace("_", " ")
    bits = [f"#{event.seq} {recorded_at(event.at, zone)}: {what} {who}"]
    if event.family:
        bits.append(f"family {event.family}")
    if event.request is not None:
        bits.append(f"request #{event.request}")
    if event.reason:
        bits.append(f"reason: {event.reason}")
    return "; ".join(bits)


def explanation_lines(found: SlotExplanation, zone: str) -> list[str]:
    """``audit explain`` in words: per plan entry its answer, then holds and exception decisions."""
    lines = [f"Slot starting {times.instant(found.start, zone)}, from the audit log alone:"]
    if not found.plans:
        lines.append("  no plan entry in the log")
    for answer in found.plans:
        lines.append(
            f"  plan #{answer.seq} ({recorded_at(answer.at, zone)}, {answer.status or '-'}): "
            + _verdict(answer)
        )
    for title, events in (("Holds", found.holds), ("Exceptions", found.exceptions), ("Other", found.others)):
        if events:
            lines.append(f"{title}:")
            lines += [f"  {_event_line(e, zone)}" for e in events]
    if not found.holds:
        lines.append("Holds: none placed on this slot")
    if not found.exceptions:
        lines.append("Exceptions: none offered or decided for this slot")
    return lines


def _event_data(event: SlotEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "kind": event.kind,
        "reason": event.reason or None,
        "request": event.request,
        "family": event.family,
    }


def explanation_data(found: SlotExplanation) -> dict[str, Any]:
    """``audit explain --json``."""
    return {
        "start": found.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "plans": [
            {
                "seq": a.seq,
                "at": a.at.isoformat(timespec="microseconds"),
                "status": a.status,
                "verdict": a.verdict.value,
                "families": list(a.families),
                "rank": a.rank,
                "reason": a.reason or None,
                "words": _verdict(a),
            }
            for a in found.plans
        ],
        "holds": [_event_data(e) for e in found.holds],
        "exceptions": [_event_data(e) for e in found.exceptions],
        "others": [_event_data(e) for e in found.others],
    }


# audit export --format html -----------------------------------------------------------------------------

_DECISIONS = frozenset(
    {
        "plan",
        "plan_not_ready",
        "request_exception",
        "waiver_recorded",
        "approve_exception",
        "reject_exception",
        "escalate",
        "confirm",
        "cancel",
    }
)
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:72em}table{border-collapse:collapse;width:100%}"
    "td,th{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left}"
    "tr.decision{background:#f4f4ff}.ok{color:#070}.bad{color:#a00;font-weight:bold}code{font-size:90%}"
)


def _plan_detail(p: dict[str, Any], zone: str) -> str:
    offered = [c for c in p.get("candidates_offered", []) if isinstance(c, dict)]
    parts = []
    if offered:
        parts.append("offered first: " + "; ".join(_when(c, zone) for c in offered[:3]))
    starts = p.get("starts")
    if isinstance(starts, dict):
        rejected = starts.get("rejected") or {}
        total = sum(n for runs in rejected.values() for _, n in runs) if rejected else 0
        considered = sum(n for _, n in starts.get("considered", []))
        parts.append(
            f"{considered} starts searched every {starts.get('granularity_minutes')} minutes; rejections per "
            "family: "
            + (", ".join(f"{f} {sum(n for _, n in r)}" for f, r in rejected.items()) or "none")
            + f" ({total} in all; `readout audit explain --slot` answers for any start)"
        )
    elif p.get("status") != "not_ready":
        parts.append("rejected starts not recorded by this version")
    return "; ".join(parts)


def html_report(
    escalation_id: str,
    entries: Sequence[AuditEntry],
    zone: str,
    problems: Sequence[str],
    head: tuple[int, str],
    exported_at: datetime,
) -> str:
    """The audit trail as a stand-alone HTML page an auditor reads: every entry in words with its local and
    UTC time, the decisions highlighted (plans, exceptions, approvals with their reasons), holds, and what
    verifying the chain found. Self-contained: no script, no outside style."""
    e = html.escape
    place = times.city(zone)
    verdict = (
        '<p class="ok">Chain verified: intact.</p>'
        if not problems
        else '<p class="bad">Chain verification FAILED:</p><ul>'
        + "".join(f"<li>{e(x)}</li>" for x in problems)
        + "</ul>"
    )
    rows = []
    for entry in entries:
        words = describe(entry.kind, entry.payload, zone)
        if entry.kind == "plan":
            detail = _plan_detail(entry.payload, zone)
            words += f". {detail}" if detail else ""
        if (
            entry.kind in ("approve_exception", "reject_exception", "waiver_recorded")
            and "reason" in entry.payload
        ):
            words += (
                f" (approver: {entry.actor})" if entry.kind != "reject_exception" else f" (by {entry.actor})"
            )
        cls = ' class="decision"' if entry.kind in _DECISIONS else ""
        rows.append(
            f"<tr{cls}><td>{entry.seq}</td><td>{e(times.local_instant(entry.at, zone))}</td>"
            f"<td>{e(times.utc_instant(entry.at))}</td><td>{e(actor_text(entry.actor, entry.payload))}</td>"
            f"<td>{e(entry.kind)}</td>"
            f"<td>{e(words)}</td></tr>"
        )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Audit trail of {e(escalation_id)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Audit trail of {e(escalation_id)}</h1>"
        f"<p>Exported {e(times.instant(exported_at, zone))}. Times: {e(place)} first, UTC second. "
        f"{len(entries)} entries; head: entry {head[0]}, hash <code>{e(head[1])}</code>.</p>"
        f"{verdict}"
        "<p>Decisions (plans, exception requests, waivers, approvals, confirmation) are shaded. Each entry's "
        "hash covers its content and the hash before it; the JSON Lines export carries both and can be "
        "verified offline (docs/audit.md).</p>"
        f"<table><thead><tr><th>#</th><th>recorded ({e(place)})</th><th>UTC</th><th>actor</th><th>event</th>"
        "<th>what happened</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></body></html>\n"
    )
