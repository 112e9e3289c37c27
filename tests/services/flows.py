"""What the workflow tests share: a controllable clock, the people who act, and a desk that runs commands.

The desk copies case folders into the test's tmp dir (so a test may edit a calendar or the case file mid-flow),
sets the clock to the case file's own ``now`` and reads back what the store holds through the ports only, so that
the same tests can later run against the SQL store.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from readout.adapters.casefile.loader import read_case_file
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.adapters.plan_json import plan_to_json
from readout.domain.audit import AuditEntry
from readout.domain.eligibility import Eligible, eligible_slots
from readout.domain.escalation import Escalation
from readout.domain.exception_requests import ExceptionRequest, Waiver
from readout.domain.holds import Hold, HoldStatus
from readout.domain.users import Role, User
from readout.services.context import Deps
from readout.services.escalations import PlanOutcome, open_escalation, update_case
from readout.services.ports import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CASES = Path(__file__).resolve().parent / "cases"

GLOBEX = "globex-sso-outage"  # ready: four compliant slots, ESC-48213
FREEZE = "cab-freeze-no-slot"  # needs_exception: coverage-only near misses, ESC-51007
FREEZE_BOTH = "freeze-every-near-miss-crosses-a-handoff"  # every near miss needs two waivers
FREEZE_NONE = "freeze-nothing-waivable"  # no near miss at all
GLOBEX_ID, FREEZE_ID = "ESC-48213", "ESC-51007"

# Users, by the role they act in. Ids are deliberately not the case files' people ids.
PSM, EM, DUTY, ENG, LEAD, NOBODY = "paula", "dmitri", "omar", "erin", "lena", "nick"
USERS = (
    User(PSM, "Paula Program", "paula@provider.example", frozenset({Role.PROGRAM_MANAGER})),
    User(EM, "Dmitri Escalations", "dmitri@provider.example", frozenset({Role.ESCALATION_MANAGER})),
    User(DUTY, "Omar Duty", "omar@provider.example", frozenset({Role.DUTY_MANAGER})),
    User(ENG, "Erin Engineering", "erin@provider.example", frozenset({Role.ENGINEERING_MANAGER})),
    User(LEAD, "Lena Leadership", "lena@provider.example", frozenset({Role.SUPPORT_LEADERSHIP})),
    User(NOBODY, "Nick Nobody", "nick@provider.example", frozenset()),
)


EFFECT_OUTCOMES = frozenset({"hold_on_calendar", "hold_off_calendar", "readout_on_calendar", "invite_sent"})


def u(*args: int) -> datetime:
    """An aware UTC instant."""
    return datetime(*args, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand; always an aware UTC instant."""

    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def seed_users(store_uow: Callable[[], UnitOfWork]) -> None:
    """One user per role, plus one with no role."""
    with store_uow() as uow:
        for user in USERS:
            uow.users.put(user)
        uow.commit()


def edit(path: Path, old: str, new: str) -> None:
    """Replace text that must be there (a silent no-op would make the test prove nothing)."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def book(
    ics: Path, start: datetime, end: datetime, summary: str, uid: str = "booked@elsewhere.example"
) -> None:
    """Someone else books ``[start, end)`` in this calendar."""
    event = (
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\n"
        "DTSTAMP:20261101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{end:%Y%m%dT%H%M%SZ}\r\n"
        f"SUMMARY:{summary}\r\n"
        "END:VEVENT\r\n"
    )
    text = ics.read_text()
    assert "END:VCALENDAR" in text
    ics.write_text(text.replace("END:VCALENDAR", event + "END:VCALENDAR"))


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused command must leave as it was."""

    escalation: tuple[Any, ...]
    holds: tuple[Hold, ...]
    requests: tuple[ExceptionRequest, ...]
    waivers: tuple[Waiver, ...]
    audit: tuple[AuditEntry, ...]
    calendar: tuple[str, ...]


@dataclass
class Desk:
    """Runs workflow commands against one store and reads back what they left."""

    deps: Deps
    clock: Clock
    calendar: MemoryHoldCalendar
    tmp: Path

    def copy(self, name: str) -> Path:
        """Copy an example (or one of this folder's cases) into tmp; returns the copied case file."""
        source = EXAMPLES / name if (EXAMPLES / name).is_dir() else CASES / name
        target = self.tmp / name
        if not target.exists():
            shutil.copytree(source, target)
        return target / "case.yaml"

    def open(self, name: str, user: str = EM) -> PlanOutcome:
        """Copy the case, set the clock to the file's own ``now`` and open the escalation."""
        case = self.copy(name)
        self.clock.set(yaml.safe_load(case.read_text())["now"])
        return open_escalation(self.deps, read_case_file(case), user)

    def update(self, escalation_id: str, name: str, user: str = EM) -> PlanOutcome:
        """Store the (edited) copy of case ``name`` as the escalation's next version and re-plan."""
        return update_case(self.deps, escalation_id, read_case_file(self.copy(name)), user)

    def escalation(self, escalation_id: str) -> Escalation:
        with self.deps.uow() as uow:
            found = uow.escalations.get(escalation_id)
        assert found is not None
        return found

    def holds(self, escalation_id: str) -> list[Hold]:
        with self.deps.uow() as uow:
            return uow.holds.of(escalation_id)

    def live_holds(self, escalation_id: str) -> list[Hold]:
        return [h for h in self.holds(escalation_id) if h.status is HoldStatus.LIVE]

    def requests(self, escalation_id: str) -> list[ExceptionRequest]:
        with self.deps.uow() as uow:
            return uow.exceptions.of(escalation_id)

    def waivers(self, escalation_id: str) -> list[Waiver]:
        with self.deps.uow() as uow:
            return uow.waivers.of(escalation_id)

    def audit(self, escalation_id: str) -> list[AuditEntry]:
        with self.deps.uow() as uow:
            return uow.audit.entries(escalation_id)

    def kinds(self, escalation_id: str) -> list[str]:
        return [e.kind for e in self.audit(escalation_id)]

    def decisions(self, escalation_id: str) -> list[AuditEntry]:
        """The audit entries of decisions, without the outcomes of carrying them out (calendar writes,
        invitations sent), which follow the decision that caused them."""
        return [e for e in self.audit(escalation_id) if e.kind not in EFFECT_OUTCOMES]

    def decided(self, escalation_id: str) -> list[str]:
        """The kinds of ``decisions``."""
        return [e.kind for e in self.decisions(escalation_id)]

    def plan(self, escalation_id: str) -> dict[str, Any] | None:
        """The latest stored plan in the spec's JSON form."""
        with self.deps.uow() as uow:
            found = uow.plans.latest(escalation_id)
        return None if found is None else plan_to_json(found, None)

    def eligible(self, escalation_id: str) -> list[Eligible]:
        """Slots that may be held now: compliant ones and fully waived near misses."""
        with self.deps.uow() as uow:
            plan = uow.plans.latest(escalation_id)
            return eligible_slots(plan, uow.waivers.of(escalation_id)) if plan else []

    def snapshot(self, escalation_id: str) -> Snapshot:
        esc = self.escalation(escalation_id)
        return Snapshot(
            (
                esc.state,
                esc.audit_seq,
                esc.audit_head,
                esc.version,
                esc.review_slot,
                esc.packet_digest,
                esc.confirmed_by,
            ),
            tuple(self.holds(escalation_id)),
            tuple(self.requests(escalation_id)),
            tuple(self.waivers(escalation_id)),
            tuple(self.audit(escalation_id)),
            tuple(sorted(self.calendar.events)),
        )
