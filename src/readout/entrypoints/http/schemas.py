"""The API's request and response bodies (pydantic, at the edge only), so that ``/openapi.json`` describes
every field. Responses carry the same plain-data views as the CLI's ``--json`` (``services.views``) and the
plan in the spec's JSON result form (``adapters.plan_json``); these models check them on the way out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from readout.domain.effects import EffectKind, EffectStatus
from readout.domain.exception_requests import Decision, Route
from readout.domain.holds import HoldStatus
from readout.domain.lifecycle import State
from readout.domain.plan import PlanStatus

__all__ = [
    "ApproveBody",
    "AuditEntryOut",
    "CancelBody",
    "CancelOut",
    "ConfirmBody",
    "ConfirmOut",
    "DecisionOut",
    "EscalationOut",
    "ExtendBody",
    "HealthOut",
    "HoldBody",
    "HoldsOut",
    "ListItemOut",
    "OpenedOut",
    "PlanBody",
    "ReadyOut",
    "ReasonBody",
    "ReleaseBody",
    "ReviewBody",
    "ReviewOut",
    "StatusOut",
    "VerifyOut",
]

# Instants are shown as the views write them: ISO 8601 in UTC with ``Z`` (``2026-11-17T18:00:00Z``).
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
# Some character that is not white space by any regex engine's definition: JSON Schema's (ECMA-262, which
# does not count U+0085 or U+001C-U+001F) and the validator's (Unicode White_Space, which does not count
# U+FEFF) disagree on ``\S``, so a reason of one NEL passed the document and was refused by the server.
_NOT_BLANK = r"[^\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\u001c-\u001f]"
Text = Annotated[str, Field(min_length=1, max_length=2000, pattern=_NOT_BLANK)]
Id = Annotated[str, Field(min_length=1, max_length=200)]
# A slot's start as given: ISO 8601 with an offset, in the years 1900-2999 (as the CLI's --slot).
Start = Annotated[
    AwareDatetime,
    Field(
        description="a slot's start, ISO 8601 with offset", json_schema_extra={"pattern": r"^(19|2\d)\d\d-"}
    ),
]


class _Body(BaseModel):
    """Request bodies: unknown keys are errors, not ignored."""

    model_config = ConfigDict(extra="forbid")


def _in_range(value: datetime | None) -> datetime | None:
    if value is not None and not 1900 <= value.year <= 2999:
        raise ValueError("expected a year between 1900 and 2999")
    return value


class HoldBody(_Body):
    """Place holds: the best eligible slots per the case's policy, or only the eligible slot at ``slot``."""

    slot: Start | None = Field(None, description="start of the one eligible slot to hold")

    _year = field_validator("slot")(_in_range)


class ExtendBody(_Body):
    """Push the live holds' expiry to now + ``hours`` (default: the case's ``holds.ttl_hours``)."""

    hours: int | None = Field(None, ge=1, le=24 * 30)


class ReleaseBody(_Body):
    """Release the live holds (all of them, or only the one at ``slot``)."""

    slot: Start | None = None

    _year = field_validator("slot")(_in_range)


class PlanBody(_Body):
    """Re-plan from the stored case document, reading the calendars again."""

    reason: Text = "re-plan requested"


class ReviewBody(_Body):
    """Select a held slot and prepare its invite packet (nothing is sent)."""

    slot: Start

    _year = field_validator("slot")(_in_range)


class ConfirmBody(_Body):
    """Confirm the reviewed slot: ``packet_digest`` is the digest review gave (its first 8+ characters)."""

    packet_digest: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[0-9a-fA-F]+$")]


class ReasonBody(_Body):
    """A decision or request that needs a reason (exception request, rejection)."""

    reason: Text


class CancelBody(_Body):
    """Cancel the readout (before or after confirmation) and release its holds."""

    reason: Text


class Replacement(_Body):
    """A role holder replaced by another person of the case (support leadership only)."""

    role: Id
    person: Id


class ApproveBody(_Body):
    """Approve the open exception request: the near miss at ``slot`` (its waivable families the user may
    waive), or by support leadership that slot or a ``replacement``."""

    reason: Text
    slot: Start | None = None
    replacement: Replacement | None = None
    customer_asked: bool = Field(False, description="with slot: the customer asked for this slot")

    _year = field_validator("slot")(_in_range)


# --- responses -------------------------------------------------------------------------------------------


class SlotOut(BaseModel):
    start: Instant
    end: Instant


class EscalationOut(BaseModel):
    """The escalation's stored fields (``services.views.escalation_view``)."""

    id: str
    state: State
    customer: str
    opened_at: Instant | None
    approved_at: Instant | None
    deadline: Instant | None
    first_viable_at: Instant | None
    review_slot: SlotOut | None
    packet_digest: str | None
    confirmed_by: str | None
    confirmed_at: Instant | None
    audit_entries: int


class CandidateOut(BaseModel):
    start: Instant
    end: Instant
    interpreter: str | None
    score: float
    why: list[str]


class NearMissOut(BaseModel):
    start: Instant
    end: Instant
    waivers: list[str]
    interpreter: str | None


class UnverifiedOut(BaseModel):
    id: str
    role: str


class UnknownOut(BaseModel):
    id: str
    role: str
    error: str


class PlanOut(BaseModel):
    """The plan in the spec's JSON result form (section 6)."""

    escalation_id: str
    status: PlanStatus
    not_ready: list[str]
    earliest_start: Instant | None
    deadline: Instant | None
    candidates: list[CandidateOut]
    near_misses: list[NearMissOut]
    violations: dict[str, int]
    causes: list[str]
    compliant_count: int
    near_miss_count: int
    slots_considered: int
    unverified: list[UnverifiedOut]
    unknown: list[UnknownOut]


class HoldCalendarOut(BaseModel):
    calendar: str
    person: str | None
    placed: bool


class HoldOut(BaseModel):
    """One hold of the ledger (``services.views.hold_view``)."""

    uid: str
    start: Instant
    end: Instant
    calendar: str | None
    calendars: list[HoldCalendarOut]
    ledger_only: bool
    where: str
    status: HoldStatus
    placed_at: Instant | None
    expires_at: Instant | None
    ended_at: Instant | None
    end_reason: str | None


class OptionOut(BaseModel):
    start: Instant
    end: Instant
    waivers: list[str]


class RequestOut(BaseModel):
    """One exception request with its decision."""

    id: int
    route: Route
    requested_at: Instant | None
    requested_by: str
    reason: str
    causes: list[str]
    deadline: Instant | None
    options: list[OptionOut]
    decision: Decision
    decided_by: str | None
    decided_at: Instant | None
    decision_reason: str | None


class WaiverOut(BaseModel):
    start: Instant
    end: Instant
    family: str
    approved_by: str
    approved_at: Instant | None
    reason: str
    request: int | None


class EffectOut(BaseModel):
    """A calendar write or invitation decided with the command, and whether it is carried out."""

    id: int | None
    kind: EffectKind
    status: EffectStatus
    attempts: int
    next_attempt_at: Instant | None
    last_error: str | None
    sentence: str


class DeciderOut(BaseModel):
    family: str | None
    roles: list[str]
    users: list[str]


class CaseVersionOut(BaseModel):
    version: int
    digest: str
    new: bool = Field(description="whether this request stored it as a new version")


class OpenedOut(EscalationOut):
    """An escalation opened (201) or planned again: the plan, and the exception request planning opened."""

    contract_zone: str
    case_version: CaseVersionOut
    plan: PlanOut
    exception_request: RequestOut | None
    deciders: list[DeciderOut]


class StatusOut(EscalationOut):
    """Everything ``readout status`` shows: state, plan, holds, exception requests, waivers, pending
    effects."""

    contract_zone: str | None
    case_version: int
    invitation_sent: bool | None
    holds: list[HoldOut]
    exception_requests: list[RequestOut]
    waivers: list[WaiverOut]
    effects: list[EffectOut]
    deciders: list[DeciderOut]
    plan: PlanOut | None


class ListItemOut(EscalationOut):
    contract_zone: str | None


class HoldsOut(BaseModel):
    """What a hold call left: the live holds, those it placed, why it stopped if it did, the effects."""

    escalation: EscalationOut
    live: list[HoldOut]
    placed: list[HoldOut]
    problem: str | None
    effects: list[EffectOut]
    effects_pending: bool


class AttendeeOut(BaseModel):
    role: str
    name: str
    email: str
    timezone: str
    local_start: str
    local_end: str


class PacketOut(BaseModel):
    """The invite packet: purpose, roles and times only (no incident details)."""

    reference: str
    purpose: str
    modality: str
    start_utc: str
    end_utc: str
    attendees: list[AttendeeOut]


class ReviewOut(BaseModel):
    escalation: EscalationOut
    contract_zone: str | None
    packet: PacketOut
    packet_digest: str
    waivers: list[WaiverOut]
    holds: list[HoldOut]


class ConfirmOut(BaseModel):
    """A confirmed readout (200). A refused confirmation is a 409 problem with ``obstacles`` and
    ``next_steps``."""

    escalation: EscalationOut
    confirmed: bool
    packet: PacketOut | None
    invitation_sent: bool | None
    invitation_not_sent_reason: str | None
    effects: list[EffectOut]
    effects_pending: bool


class DecisionOut(BaseModel):
    """An exception request raised, approved or rejected."""

    escalation: EscalationOut
    request: RequestOut
    approves: str | None
    recorded: list[WaiverOut]
    still_needed: list[str]
    open_request: RequestOut | None
    deciders: list[DeciderOut]
    plan: PlanOut | None = Field(None, description="the re-plan an approved replacement led to")


class CancelOut(BaseModel):
    escalation: EscalationOut
    cancellation_sent: bool | None
    effects: list[EffectOut]
    effects_pending: bool


class AuditEntryOut(BaseModel):
    """One entry of the hash-chained audit trail."""

    escalation: str
    seq: int
    at: Instant
    actor: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class VerifyOut(BaseModel):
    """Problems found per chain (an escalation id, or ``users``): an intact chain has none."""

    intact: bool
    chains: dict[str, list[str]]


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: str
    revision: str | None
