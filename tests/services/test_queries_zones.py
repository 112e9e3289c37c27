"""The zones status, list and audit show times in, read from the stored case document without building the
case: the business-day zone when the policy names one, else the customer's; each role holder's own zone; and
anything missing or malformed read as UTC, never a crash."""

from __future__ import annotations

from typing import Any

from readout.services.queries import Attendee, zones_of_document

BODY: dict[str, Any] = {
    "customer": {"id": "banco", "timezone": "America/Sao_Paulo"},
    "people": {
        "ana": {"name": "Ana Lima", "timezone": "America/Sao_Paulo"},
        "ravi": {"name": "Ravi Kumar", "timezone": "Asia/Kolkata"},
    },
    "roles": {"escalation_manager": "ana", "fix_owner": "ravi", "customer_success_director": None},
    "policy": {"business_days": {"timezone": None}},
}


def test_the_contract_zone_is_the_customers_unless_the_policy_names_one() -> None:
    zones = zones_of_document(BODY)
    assert zones.contract == "America/Sao_Paulo"
    assert zones.of("fix_owner") == Attendee("Ravi Kumar", "Asia/Kolkata")
    assert zones.of("customer_success_director") is None
    named = {**BODY, "policy": {"business_days": {"timezone": "Europe/Dublin"}}}
    assert zones_of_document(named).contract == "Europe/Dublin"


def test_a_document_missing_or_mangling_its_zones_reads_as_utc() -> None:
    assert zones_of_document({}).contract == "UTC"
    mangled = {
        "customer": "banco",
        "people": ["ravi"],
        "roles": {"fix_owner": 7},
        "policy": {"business_days": 3},
    }
    zones = zones_of_document(mangled)
    assert zones.contract == "UTC"
    assert dict(zones.roles) == {}
