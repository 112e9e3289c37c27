"""The words every front door reuses: nothing claimed that did not happen; who decides, and how; audit lines in
the contract zone with the "as of" of a command run with --now."""

from __future__ import annotations

from datetime import UTC, datetime

from readout.presentation import audit, messages


def test_a_hold_on_no_caldav_calendar_reads_ledger_only() -> None:
    assert messages.calendar_label("dana") == "ledger only"
    assert messages.calendar_label("caldavs://dav.example/dana/holds/") == "caldavs://dav.example/dana/holds/"


def test_a_confirmation_without_a_relay_says_no_invitation_was_sent_and_what_to_do() -> None:
    block = messages.no_invitation_block(messages.NO_RELAY)
    assert block[0] == "NO INVITATION WAS SENT: no SMTP relay is configured (READOUT_SMTP_HOST)."
    text = " ".join(block)
    assert "Send the reviewed packet" in text
    assert "will not send this invitation later" in text  # there is no command that would send it now
    assert "authoritative" not in text


def test_an_exception_request_is_recorded_not_sent_and_names_who_decides_and_how() -> None:
    groups = [
        ("COVERAGE", ("duty_manager",), (("omar", "Omar Haddad"),)),
        ("HANDOFF_WINDOW", ("engineering_manager", "program_manager"), ()),
    ]
    lines = messages.exception_recorded(3, "ESC-1", True, groups)
    text = "\n".join(lines)
    assert "sent to" not in text
    assert lines[0].startswith("Exception request #3 is recorded in Readout. Nobody has been notified")
    assert "COVERAGE: the duty manager: Omar Haddad (omar)" in text
    assert (
        "HANDOFF_WINDOW: the fix owner's manager (engineering manager) or a premium support program manager: "
        "nobody with this role in Readout's users yet"
    ) in text
    assert "readout approve ESC-1 --slot START --reason TEXT --as USER" in text
    assert "readout reject ESC-1 --reason TEXT --as USER" in text


def test_a_request_for_support_leadership_names_leadership_and_offers_approval_only_of_an_offered_slot() -> (
    None
):
    leadership = [("", ("support_leadership",), (("grace", "Grace O"),))]
    lines = messages.exception_recorded(2, "ESC-1", True, leadership)
    assert "  - support leadership: Grace O (grace)" in lines
    assert "  readout approve ESC-1 --slot START --reason TEXT --as USER" in lines
    # Nothing offered: no slot to name, so no approve command to type (only verbs that work are listed).
    bare = messages.exception_recorded(2, "ESC-1", False, leadership)
    assert not any("readout approve" in line for line in bare)
    assert "  readout reject ESC-1 --reason TEXT --as USER" in bare


def test_an_audit_line_shows_slots_in_the_contract_zone_and_the_as_of_of_a_command_run_with_now() -> None:
    payload = {
        "start": "2026-11-17T18:00:00Z",
        "end": "2026-11-17T19:00:00Z",
        "as_of": "2026-11-12T15:00:00Z",
    }
    text = audit.describe("hold_confirmed", payload, "America/Mexico_City")
    assert text == (
        "hold on Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC) became the readout "
        "(as of Thu 12 Nov 09:00 Mexico City (15:00 UTC))"
    )
    assert audit.as_of({"as_of": "2026-11-12T15:00:00Z"}, "America/Mexico_City", with_city=False) == (
        "Thu 12 Nov 09:00 (15:00 UTC)"
    )
    assert audit.as_of({}, "America/Mexico_City") == ""


def test_a_case_change_is_not_read_as_a_state_move() -> None:
    payload = {"from": "a" * 64, "to": "b" * 64, "version": 2, "origin": "/x/case.yaml"}
    assert audit.describe("case_changed", payload, "UTC") == f"case document version 2 stored ({'b' * 12}...)"


def test_an_entry_with_a_broken_payload_is_listed_not_crashed_on() -> None:
    text = audit.describe("hold_placed", {"start": "not a time", "calendar": "dana"}, "Europe/Berlin")
    assert "calendar=dana" in text


def test_the_recorded_time_reads_in_the_contract_zone_then_utc() -> None:
    at = datetime(2026, 11, 23, 11, 0, 5, tzinfo=UTC)
    assert audit.recorded_at(at, "Europe/Berlin") == "Mon 23 Nov 12:00 (11:00 UTC)"


def test_an_approval_says_what_it_approved_a_replacement_or_a_slot_the_customer_asked_for() -> None:
    replacement = {
        "approves": "replacement",
        "request": 2,
        "role": "fix_owner",
        "person": "mei",
        "person_name": "Mei Chen",
        "replaces": "ravi",
        "replaces_name": "Ravi Kumar",
        "reason": "Mei covers",
        "waivers": [],
    }
    slot = {
        "approves": "slot",
        "request": 1,
        "start": "2026-11-24T11:00:00Z",
        "end": "2026-11-24T12:00:00Z",
        "waivers": ["COVERAGE"],
        "customer_asked": True,
    }

    assert audit.describe("approve_exception", replacement, "Europe/Berlin") == (
        "approved request #2: Mei Chen replaces Ravi Kumar as the fix owner: Mei covers"
    )
    assert audit.describe("approve_exception", slot, "Europe/Berlin") == (
        "approved request #1: Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC) with COVERAGE waived "
        "(the customer asked for it)"
    )


def test_refused_attempts_read_as_what_was_refused_and_why() -> None:
    refused = {"command": "approve", "grounds": "role", "reason": "Dana Ortiz may not waive COVERAGE"}
    recheck = {
        "start": "2026-11-17T18:00:00Z",
        "end": "2026-11-17T19:00:00Z",
        "reason": "the slot no longer complies",
        "obstacles": ["Mei Chen (customer success director) is now busy Tue 17 Nov 13:00-14:00 New York"],
    }

    assert audit.describe("refused", refused, "America/Chicago") == (
        "`readout approve` refused: Dana Ortiz may not waive COVERAGE"
    )
    assert audit.describe("confirmation_refused", recheck, "America/Mexico_City") == (
        "confirmation refused by the fresh check of Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC): "
        "Mei Chen (customer success director) is now busy Tue 17 Nov 13:00-14:00 New York"
    )


def test_the_customers_pick_link_entries_read_as_sentences() -> None:
    made = {"link": 3, "expires_at": "2026-11-15T15:00:00Z", "options": [{"start": "x"}, {"start": "y"}]}
    picked = {"link": 3, "with_note": True, "start": "2026-11-17T15:00:00Z", "end": "2026-11-17T16:00:00Z"}
    zone = "America/Mexico_City"
    assert audit.describe("pick_link_created", made, zone).startswith("customer pick link 3 made for 2 held")
    assert "sent to nobody" in audit.describe("pick_link_created", made, zone)
    said = audit.describe("customer_picked", picked, zone)
    assert "Tue 17 Nov 09:00-10:00 Mexico City" in said
    assert said.endswith("through pick link 3 with a note (nothing confirmed)")
    declined = audit.describe("customer_declined", {"link": 3, "with_note": False}, zone)
    assert declined == "the customer said none of the held times works, through pick link 3"
    assert audit.describe("pick_link_revoked", {"link": 3}, zone) == "customer pick link 3 revoked"


def test_an_announced_request_says_its_channel_message_is_queued_not_delivered() -> None:
    lines = messages.exception_recorded(3, "ESC-1", True, [], announced=True)
    assert "Nobody has been notified" not in lines[0]
    assert "queued" in lines[0]
    assert "`readout worker` delivers it" in lines[0]


def test_an_emailed_request_says_its_mail_is_queued_and_the_trail_names_who_got_it() -> None:
    lines = messages.exception_recorded(3, "ESC-1", True, [], emailed=True)
    assert "An e-mail to the users who may decide it is queued" in lines[0]
    assert "Nobody has been notified" not in lines[0]
    sent = audit.describe(
        "approvers_notified", {"request": 3, "route": "waiver_approvers", "to": ["omar"]}, "UTC"
    )
    assert sent == "e-mailed exception request #3 to omar"
    recorded = audit.describe("request_exception", {"request": 3, "route": "waiver_approvers"}, "UTC")
    assert "nobody notified" not in recorded  # the entry is the decision; who was told has its own entries
