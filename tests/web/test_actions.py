"""The actions on an escalation's page in Chromium: Globex from planned to confirmed by clicking (hold,
review, confirm), the freeze's approved near miss held, an exception requested with a reason, and refusals
(the service's words, nothing changed) for a wrong role, bad input and a stale packet."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from playwright.sync_api import Page, expect

from readout.domain.holds import HoldStatus
from readout.domain.lifecycle import State
from readout.domain.users import User
from readout.entrypoints.web.actions import confirm_flash
from readout.services import confirmation, holding, queries
from readout.services.exceptions import approve
from tests.web.conftest import FREEZE_ID, FREEZE_NOW, GLOBEX_ID, Site, sign_in

GLOBEX = f"/escalations/{GLOBEX_ID}"
FREEZE = f"/escalations/{FREEZE_ID}"
NOON_BERLIN = "2026-11-24T11:00:00Z"


def _state(site: Site, escalation_id: str = GLOBEX_ID) -> State:
    return queries.escalation_status(site.deps, escalation_id).escalation.state


def test_globex_goes_from_planned_to_confirmed_by_clicking(page: Page, site: Site) -> None:
    sign_in(page, "priya", start=GLOBEX)
    actions = page.locator("section.actions")
    expect(actions.get_by_label("Slot to hold")).to_contain_text("The best slots, spread over days")
    actions.get_by_role("button", name="Hold", exact=True).click()
    flash = page.locator("#flash")
    expect(flash).to_contain_text(re.compile(r"Held \d slot\(s\) for ESC-48213"))
    expect(flash).to_contain_text("review a held slot")
    live = queries.escalation_status(site.deps, GLOBEX_ID).holds
    assert live
    assert all(h.status is HoldStatus.LIVE for h in live)
    assert _state(site) is State.HELD
    rows = actions.locator("table.holds tbody tr")
    expect(rows).to_have_count(len(live))
    first = rows.first.get_attribute("data-start")
    assert first is not None
    actions.get_by_label("Held slot to review").select_option(first)
    actions.get_by_role("button", name="Review the invite packet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Review {GLOBEX_ID}: nothing has been sent")
    packet = page.locator("section.packet")
    expect(packet).to_contain_text("Root-cause analysis readout, Globex")
    expect(
        packet.get_by_role("rowheader", name="Luis Garza")
    ).to_be_visible()  # the customer's incident manager
    expect(packet).to_contain_text("Asia/Kolkata")  # every attendee's own time zone
    assert _state(site) is State.AWAITING_CONFIRMATION
    assert site.invites.sent == []  # review sends nothing
    digest = packet.get_attribute("data-digest")
    assert digest
    assert queries.escalation_status(site.deps, GLOBEX_ID).escalation.packet_digest == digest
    page.get_by_role("button", name="Confirm this packet").click()
    expect(flash).to_contain_text("Confirmed in Readout by Priya Shah")
    expect(flash).to_contain_text("Send the invitation (REQUEST) to 5 attendee(s): done")
    assert _state(site) is State.CONFIRMED
    assert len(site.invites.sent) == 1
    assert site.invites.sent[0].packet.digest == digest
    page.goto("/?show=all")
    row = page.locator(f"tr[data-escalation='{GLOBEX_ID}']")
    expect(row).to_contain_text("confirmed")
    expect(row).to_contain_text("invitation sent")


def test_a_chosen_slot_is_held_extended_and_released(page: Page, site: Site) -> None:
    sign_in(page, "dana", start=GLOBEX)
    actions = page.locator("section.actions")
    chosen = "2026-11-19T16:30:00Z"  # the fourth candidate, not among the best spread first
    actions.get_by_label("Slot to hold").select_option(chosen)
    actions.get_by_role("button", name="Hold", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("Held 1 slot(s)")
    expect(actions.locator("table.holds tbody tr")).to_have_count(1)
    expect(actions.locator("table.holds tbody tr")).to_have_attribute("data-start", chosen)
    actions.get_by_label(re.compile("Extend every live hold by")).fill("48")
    actions.get_by_role("button", name="Extend holds").click()
    expect(page.locator("#flash")).to_contain_text("Extended 1 live hold(s)")
    (hold,) = queries.escalation_status(site.deps, GLOBEX_ID).holds
    assert hold.expires_at == site.clock() + timedelta(hours=48)
    actions.get_by_label("Hold to release").select_option(chosen)
    actions.get_by_role("button", name="Release").click()
    expect(page.locator("#flash")).to_contain_text("live holds now: none")
    assert [h.status for h in queries.escalation_status(site.deps, GLOBEX_ID).holds] == [HoldStatus.RELEASED]


def test_an_exception_is_requested_with_a_reason_and_a_blank_one_is_refused(page: Page, site: Site) -> None:
    sign_in(page, "priya", start=GLOBEX)
    reason = page.get_by_label("Reason for the exception request")
    reason.fill("   ")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Request exception").click()
    assert answer.value.status == 409
    expect(page.get_by_role("alert")).to_contain_text("an exception request needs a reason")
    assert _state(site) is State.PLANNED
    page.get_by_label("Reason for the exception request").fill("the customer wants Ravi's manager instead")
    page.get_by_role("button", name="Request exception").click()
    flash = page.locator("#flash")
    expect(flash).to_contain_text("Exception request #2 is recorded in Readout")
    expect(flash).to_contain_text("Nobody has been notified")
    expect(flash).to_contain_text("support leadership: Grace Okafor (grace)")
    assert _state(site) is State.EXCEPTION_REQUESTED
    expect(
        page.locator("section.actions").get_by_role("link", name=re.compile("see the request"))
    ).to_have_attribute("href", f"/approvals/{GLOBEX_ID}/2")


def test_the_freeze_approved_near_miss_is_held_by_the_program_manager(page: Page, site: Site) -> None:
    site.clock.set(FREEZE_NOW)
    approve(site.deps, FREEZE_ID, "omar", datetime.fromisoformat(NOON_BERLIN), "duty engineer joins early")
    sign_in(page, "priya", start=FREEZE)
    actions = page.locator("section.actions")
    option = actions.get_by_label("Slot to hold").locator(f"option[value='{NOON_BERLIN}']")
    expect(option).to_contain_text("approved near miss: COVERAGE waived")
    actions.get_by_label("Slot to hold").select_option(NOON_BERLIN)
    actions.get_by_role("button", name="Hold", exact=True).click()
    expect(page.locator("#flash")).to_contain_text(
        "Held 1 slot(s) for ESC-51007: Tue 24 Nov 12:00-13:00 Berlin"
    )
    assert _state(site, FREEZE_ID) is State.HELD
    (hold,) = queries.escalation_status(site.deps, FREEZE_ID).holds
    assert hold.slot.start == datetime.fromisoformat(NOON_BERLIN)


def test_a_wrong_role_is_not_offered_the_actions_and_the_service_refuses_them_anyway(
    page: Page, site: Site
) -> None:
    sign_in(page, "omar", start=GLOBEX)
    actions = page.locator("section.actions")
    expect(actions).to_contain_text("Your roles (duty manager) do not hold, review or confirm readouts")
    expect(actions.get_by_role("button", name="Hold", exact=True)).to_have_count(0)
    answer = page.request.post(f"{GLOBEX}/hold", form={"slot": ""})  # the form, posted without the button
    assert answer.status == 403
    assert "Hold refused" in answer.text()
    assert "Omar Haddad" in answer.text()
    assert _state(site) is State.PLANNED
    assert queries.escalation_status(site.deps, GLOBEX_ID).holds == ()


def test_bad_input_and_a_stale_packet_are_refused_with_the_page_saying_why(page: Page, site: Site) -> None:
    sign_in(page, "priya", start=GLOBEX)
    answer = page.request.post(f"{GLOBEX}/hold", form={"slot": "next tuesday"})
    assert answer.status == 422
    assert "is not a slot start" in answer.text()
    answer = page.request.post(f"{GLOBEX}/holds/extend", form={"hours": "-3"})
    assert answer.status == 422
    assert "whole number" in answer.text()
    answer = page.request.post(f"{GLOBEX}/review", form={"slot": "2026-11-17T18:00:00Z"})
    assert answer.status == 409
    assert "held live" in answer.text()
    answer = page.request.post(f"{GLOBEX}/confirm", form={"packet_digest": "deadbeef"})
    assert answer.status == 409
    assert "not possible in state planned" in answer.text()
    answer = page.request.post(f"{GLOBEX}/confirm", form={"packet_digest": "<script>"})
    assert answer.status == 422
    assert "hexadecimal" in answer.text()
    assert _state(site) is State.PLANNED
    assert site.invites.sent == []


def test_a_confirmation_without_a_relay_says_no_invitation_was_sent(page: Page, site: Site) -> None:
    no_relay = replace(site.deps, invites=None)  # the same store, confirmed by a Readout with no SMTP relay
    holding.hold_slots(no_relay, GLOBEX_ID, "priya")
    start = queries.escalation_status(site.deps, GLOBEX_ID).holds[0].slot.start
    digest = confirmation.review(no_relay, GLOBEX_ID, "priya", start).packet.digest
    outcome = confirmation.confirm(no_relay, GLOBEX_ID, "priya", digest)
    flash = confirm_flash("America/Mexico_City", outcome, User("priya", "Priya Shah", "", frozenset()))
    assert flash.kind == "warn"
    assert flash.headline.startswith("Confirmed in Readout by Priya Shah: ")
    assert "NO INVITATION WAS SENT: no SMTP relay is configured (READOUT_SMTP_HOST)." in flash.headline
    assert "no attendee has been told" in " ".join(flash.recorded)
    assert flash.next.startswith(
        "Priya Shah: send the reviewed packet to its attendees yourself: Dana Ortiz <"
    )
    assert site.invites.sent == []
    sign_in(page, "priya", start="/?show=all")
    expect(page.locator(f"tr[data-escalation='{GLOBEX_ID}']")).to_contain_text("no invitation was sent")


def test_a_confirmation_the_fresh_check_refuses_says_why_and_goes_back_to_planning(
    page: Page, site: Site
) -> None:
    start = datetime.fromisoformat("2026-11-17T18:00:00Z")
    holding.hold_slots(site.deps, GLOBEX_ID, "priya", start)
    holding.extend_holds(site.deps, GLOBEX_ID, "priya", timedelta(days=30))  # still live when the clock moves
    sign_in(page, "priya", start=GLOBEX)
    page.get_by_label("Held slot to review").select_option("2026-11-17T18:00:00Z")
    page.get_by_role("button", name="Review the invite packet").click()
    site.clock.set(start - timedelta(hours=1))  # the slot is now inside the minimum notice
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Confirm this packet").click()
    assert answer.value.status == 409
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        "Not confirmed: free/busy changed: the reviewed slot is no longer compliant"
    )
    expect(alert).to_contain_text("no invitation was sent")
    assert _state(site) is not State.CONFIRMED
    assert site.invites.sent == []
