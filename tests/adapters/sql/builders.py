"""Small builders for store tests: an escalation, a hold, an exception request, a waiver, a user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from readout.domain.escalation import Escalation
from readout.domain.exception_requests import ExceptionRequest, NearMissOption, Route, Waiver
from readout.domain.holds import Hold, hold_uid
from readout.domain.intervals import Interval
from readout.domain.names import COVERAGE, HANDOFF_WINDOW
from readout.domain.users import Role, User


def at(day: int, hour: int = 9, minute: int = 0, micro: int = 0) -> datetime:
    """An instant in March 2031, UTC; ``micro`` makes sure microseconds survive storage."""
    return datetime(2031, 3, day, hour, minute, 0, micro, tzinfo=UTC)


def slot(day: int, hour: int = 15) -> Interval:
    """A one-hour readout slot."""
    return Interval(at(day, hour), at(day, hour) + timedelta(hours=1))


def escalation(escalation_id: str = "ESC-1", *, opened: datetime | None = None) -> Escalation:
    """A new escalation with nothing recorded yet."""
    return Escalation(
        id=escalation_id,
        legacy_case_path=None,
        case_digest="sha256:" + "ab" * 32,
        customer_id="globex",
        opened_at=opened or at(3, 8, 15, 123456),
    )


def hold(
    escalation_id: str = "ESC-1", *, day: int = 10, calendar: str = "dana", placed: datetime | None = None
) -> Hold:
    """A live hold placed on ``calendar`` for the slot on ``day``, expiring a day later."""
    placed_at = placed or at(4, 10, 0, 654321)
    readout = slot(day)
    return Hold(
        id=0,
        uid=hold_uid(escalation_id, readout, calendar),
        escalation_id=escalation_id,
        slot=readout,
        calendar=calendar,
        placed_at=placed_at,
        expires_at=placed_at + timedelta(days=1),
    )


def exception_request(escalation_id: str = "ESC-1", *, reason: str = "no compliant slot") -> ExceptionRequest:
    """An open request with two near-miss options."""
    return ExceptionRequest(
        id=0,
        escalation_id=escalation_id,
        requested_at=at(5, 11, 30, 1),
        requested_by="pm.ana",
        route=Route.WAIVER_APPROVERS,
        causes=("coverage: no duty manager on 2031-03-10", "handoff_window"),
        options=(
            NearMissOption(slot(10), (COVERAGE,), interpreter="interp.kim"),
            NearMissOption(slot(11, 16), (COVERAGE, HANDOFF_WINDOW)),
        ),
        deadline=at(14, 17),
        reason=reason,
    )


def waiver(escalation_id: str = "ESC-1", request_id: int = 1) -> Waiver:
    """A coverage waiver for the slot on the 10th."""
    return Waiver(
        escalation_id, request_id, slot(10), COVERAGE, "dm.lee", at(6, 9, 1, 999999), "approved: CFO ask"
    )


def user(user_id: str = "pm.ana", *roles: Role) -> User:
    """A user with ``roles`` (a program manager by default)."""
    return User(
        user_id,
        user_id.replace(".", " ").title(),
        f"{user_id}@example.test",
        frozenset(roles or {Role.PROGRAM_MANAGER}),
    )
