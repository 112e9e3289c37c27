"""Incidents of the simulated organisation and the case documents (case-file spec v1) they are opened with.

An incident is drawn from its own seeded generator (the run's seed and its number), so every policy variant
of a comparison receives the same incidents; a variant changes only the documents' policy fields and whether
the program manager holds slots as soon as a plan offers them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from readout.domain.case_document import CaseDocument
from readout.simulation.calendars import source_url
from readout.simulation.org import Customer, Org, Person

__all__ = ["ORIGIN", "Incident", "Policy", "case_document", "draw_incidents"]

ORIGIN = "readout simulate"  # the case documents' origin (what error messages would name)


@dataclass(frozen=True)
class Policy:
    """A policy variant: the case documents' hold and granularity fields, and whether slots are held at once
    (``holds_on``) or only the slot the customer picked, just before review (``holds_on`` False)."""

    name: str
    holds_on: bool = True
    hold_count: int = 3
    ttl_hours: float = 24
    granularity: int = 15

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "holds_on": self.holds_on,
            "hold_count": self.hold_count,
            "ttl_hours": self.ttl_hours,
            "granularity_minutes": self.granularity,
        }


@dataclass(frozen=True)
class Incident:
    """One incident whose customer-safe RCA was approved at ``approved_at``."""

    number: int
    escalation_id: str
    customer: Customer
    approved_at: datetime
    escalation_manager: str
    fix_owner: str
    incident_manager: str
    optional: str | None
    duration: int
    due_business_days: int
    min_notice_hours: int
    language: str | None
    seed: str  # the incident's own generator for what people do (delays, choices)


def draw_incidents(org: Org, seed: int, count: int) -> list[Incident]:
    """``count`` incidents, approvals spread over the run's weeks (mostly in the customer's working hours)."""
    found: list[Incident] = []
    span_days = (org.end - org.start).days
    for n in range(count):
        rng = random.Random(f"incident:{seed}:{n}")
        customer = rng.choice(org.customers)
        zone = ZoneInfo(customer.zone)
        day = (org.start + timedelta(days=rng.randrange(span_days))).date()
        if day.weekday() >= 5 and rng.random() < 0.8:
            day -= timedelta(days=day.weekday() - 4)  # approvals happen on Fridays rather than weekends
        local = datetime.combine(day, time(8), zone) + timedelta(minutes=rng.randrange(10 * 60))
        approved = max(local.astimezone(UTC), org.start)
        em = rng.choice(org.ems)
        found.append(
            Incident(
                number=n,
                escalation_id=f"SIM-{seed}-{n + 1:05d}",
                customer=customer,
                approved_at=approved.replace(second=0, microsecond=0),
                escalation_manager=em,
                fix_owner=rng.choice(org.fix_owners),
                incident_manager=rng.choice(customer.cims),
                optional=rng.choice([e for e in org.ems if e != em]) if rng.random() < 0.3 else None,
                duration=rng.choice((45, 60, 60, 60, 90)),
                due_business_days=rng.choice((3, 5, 5, 5, 10)),
                min_notice_hours=rng.choice((12, 24, 24, 48)),
                language=customer.language if customer.language and rng.random() < 0.6 else None,
                seed=f"events:{seed}:{n}",
            )
        )
    found.sort(key=lambda i: (i.approved_at, i.number))
    return found


def _person(org: Org, pid: str) -> dict[str, Any]:
    person: Person = org.people[pid]
    out: dict[str, Any] = {
        "name": person.name,
        "email": f"{pid}@{'customer' if person.kind == 'cim' else 'provider'}.example",
        "timezone": person.zone,
    }
    if person.has_calendar:
        out["calendar"] = source_url(pid)
    if person.availability:
        out["availability"] = dict(person.availability)
    if person.protected:
        out["protected"] = [{"weekly": {"mon-fri": person.protected}, "note": "follow-the-sun handoff"}]
    return out


def _blackouts(customer: Customer) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if customer.weekly_cab:
        found.append({"weekly": dict(customer.weekly_cab), "note": "weekly CAB window"})
    if customer.cab_calendar:
        found.append({"calendar": source_url(f"cab-{customer.id}"), "note": "change calendar"})
    if customer.freeze:
        start, end = customer.freeze
        found.append({"start": start.isoformat(), "end": end.isoformat(), "note": "year-end change freeze"})
    return found


def case_document(org: Org, incident: Incident, policy: Policy) -> CaseDocument:
    """The case document the program manager opens the escalation with."""
    customer = incident.customer
    roles = {
        "escalation_manager": incident.escalation_manager,
        "fix_owner": incident.fix_owner,
        "customer_success_director": customer.csd,
        "customer_incident_manager": incident.incident_manager,
    }
    people = {
        pid: _person(org, pid)
        for pid in {*roles.values(), *([incident.optional] if incident.optional else [])}
    }
    readout: dict[str, Any] = {
        "due_business_days": incident.due_business_days,
        "duration_minutes": incident.duration,
        "min_notice_hours": incident.min_notice_hours,
        "modality": "video",
    }
    body: dict[str, Any] = {
        "version": 1,
        "escalation": {
            "id": incident.escalation_id,
            "customer_safe_rca_approved_at": incident.approved_at.isoformat(),
            "readout": readout,
        },
        "customer": {
            "id": customer.id,
            "name": customer.name,
            "timezone": customer.zone,
            "holidays": {"country": customer.country, "extra": list(customer.extra_holidays)},
            "cab_blackouts": _blackouts(customer),
        },
        "people": dict(sorted(people.items())),
        "roles": roles,
        "policy": {
            "granularity_minutes": policy.granularity,
            "tentative_is_busy": True,
            "holds": {"count": policy.hold_count, "ttl_hours": policy.ttl_hours},
        },
    }
    if customer.meeting_hours:
        body["customer"]["meeting_hours"] = dict(customer.meeting_hours)
    if customer.coverage:
        body["policy"]["coverage"] = customer.coverage
    if incident.optional:
        body["optional_attendees"] = [incident.optional]
    if incident.language:
        readout["language"] = incident.language
        body["interpreters"] = [
            {
                "id": i.id,
                "name": i.name,
                "email": f"{i.id}@interpreters.example",
                "languages": list(i.languages),
                "approved_for": list(i.approved_for),
                "timezone": i.zone,
                "availability": dict(i.availability),
                "calendar": source_url(i.id),
            }
            for i in org.interpreters
            if incident.language in i.languages
        ]
    return CaseDocument(body, ORIGIN)
