"""Exception requests in Chromium: the list, one request's page (causes, who decides, near misses in every
attendee's own time, deadline), a duty manager's approval from a deep link, and the refusals (wrong role,
own request, rejection without a reason) that change nothing."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from readout.domain.exception_requests import Decision
from readout.domain.lifecycle import State
from readout.services import queries
from tests.web.conftest import FREEZE_ID, FREEZE_NOW, Site, sign_in

REQUEST = f"/approvals/{FREEZE_ID}/1"  # opening the freeze raised request #1 at once (coverage near misses)
NOON_BERLIN = "2026-11-24T11:00:00Z"  # Tue 24 Nov 12:00 Berlin, 05:00 Chicago, 16:30 Kolkata: needs COVERAGE


def _unchanged(site: Site) -> None:
    status = queries.escalation_status(site.deps, FREEZE_ID)
    assert status.escalation.state is State.EXCEPTION_REQUESTED
    assert status.waivers == ()
    assert [r.decision for r in status.requests] == [Decision.OPEN]


def test_the_request_page_shows_causes_deciders_deadline_and_each_attendees_time(
    page: Page, site: Site
) -> None:
    sign_in(page, "omar", start=REQUEST)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Exception request #1 for {FREEZE_ID}")
    expect(page.locator(".approval dl")).to_contain_text("Deadline")
    expect(page.locator(".approval dl")).to_contain_text("end of Mon 30 Nov (Berlin)")
    expect(page.get_by_role("list").filter(has_text="CAB_BLACKOUT")).to_contain_text("COVERAGE")
    expect(page.locator(".deciders")).to_contain_text("COVERAGE: the duty manager: Omar Haddad (omar)")
    expect(page.locator("#not-yours")).to_have_count(0)  # omar may decide
    noon = page.locator(f"tr[data-start='{NOON_BERLIN}']")
    expect(noon).to_contain_text("Tue 24 Nov 12:00-13:00 Berlin (11:00-12:00 UTC)")
    expect(noon).to_contain_text("COVERAGE")
    for local in ("05:00-06:00", "16:30-17:30", "06:00-07:00"):  # Chicago, Kolkata, New York
        expect(noon).to_contain_text(local)
    for name in ("Dana Ortiz", "Ravi Kumar", "Mei Chen", "Klaus Weber"):
        expect(page.get_by_role("columnheader", name=re.compile(name))).to_be_visible()


def test_a_wrong_role_sees_why_and_its_approval_is_refused_with_nothing_changed(
    page: Page, site: Site
) -> None:
    sign_in(page, "dana", start=REQUEST)
    expect(page.locator("#not-yours")).to_contain_text("not among those who may decide")
    page.locator(f"input[name='slot'][value='{NOON_BERLIN}']").check()
    page.get_by_label("Reason for approving").fill("the customer asked for noon")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Approve").click()
    assert answer.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("Dana Ortiz may not waive COVERAGE for this slot")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(page.get_by_role("alert")).to_contain_text("recorded in the escalation's audit trail")
    _unchanged(site)


def test_the_requester_cannot_approve_their_own_request(page: Page, site: Site) -> None:
    sign_in(page, "priya", start=REQUEST)  # priya opened the freeze: the request was raised for her
    expect(page.locator("#not-yours")).to_be_visible()
    page.locator(f"input[name='slot'][value='{NOON_BERLIN}']").check()
    page.get_by_label("Reason for approving").fill("I would like noon")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text("Priya Shah may not decide exception request 1")
    expect(page.get_by_role("alert")).to_contain_text("raised for them")
    _unchanged(site)


def test_a_rejection_without_a_reason_is_refused(page: Page, site: Site) -> None:
    sign_in(page, "omar", start=REQUEST)
    page.get_by_label("Reason for rejecting").fill("   ")  # passes the browser's `required`, not Readout
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Reject").click()
    assert answer.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("a rejection needs a reason")
    _unchanged(site)
    # an empty one never leaves the browser
    page.get_by_label("Reason for rejecting").fill("")
    page.get_by_role("button", name="Reject").click()
    assert page.get_by_label("Reason for rejecting").evaluate("e => e.validity.valueMissing")
    _unchanged(site)


def test_a_rejection_with_a_reason_goes_on_to_support_leadership(page: Page, site: Site) -> None:
    sign_in(page, "omar", start=REQUEST)
    page.get_by_label("Reason for rejecting").fill("no duty engineer can join before 08:00 Chicago")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status")).to_contain_text("Exception request #1 rejected by Omar Haddad")
    expect(page.get_by_role("status")).to_contain_text("Readout opened request #2 for support leadership")
    expect(page.get_by_role("status")).to_contain_text("Grace Okafor (grace)")
    expect(page.locator(".approval dl")).to_contain_text("rejected by omar")
    page.goto(f"/approvals/{FREEZE_ID}/2")
    expect(page.locator(".deciders")).to_contain_text("support leadership: Grace Okafor (grace)")
    assert queries.escalation_status(site.deps, FREEZE_ID).escalation.state is State.ESCALATED


def test_a_deep_link_returns_after_sign_in_and_the_duty_manager_approves(page: Page, site: Site) -> None:
    site.clock.set(FREEZE_NOW)
    page.goto(REQUEST)
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("Username").fill("omar")
    page.get_by_label("Password").fill("readout-demo-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.base}{REQUEST}")
    page.locator(f"input[name='slot'][value='{NOON_BERLIN}']").check()
    page.get_by_label("Reason for approving").fill("05:00 Chicago start approved; duty engineer joins early")
    page.get_by_role("button", name="Approve").click()
    flash = page.get_by_role("status")
    expect(flash).to_contain_text(
        "Exception request #1 approved: the slot 2026-11-24T11:00:00Z with COVERAGE"
    )
    expect(flash).to_contain_text("Waiver recorded: COVERAGE for Tue 24 Nov 12:00-13:00 Berlin")
    expect(flash).to_contain_text("hold the approved slot")
    expect(page.locator(".approval dl")).to_contain_text("approved by omar")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)  # decided: nothing left to decide
    status = queries.escalation_status(site.deps, FREEZE_ID)
    assert status.escalation.state is State.EXCEPTION_APPROVED
    assert [(w.family, w.approved_by) for w in status.waivers] == [("COVERAGE", "omar")]


def test_the_list_puts_open_requests_first_and_filters_what_waits_on_me(page: Page, site: Site) -> None:
    sign_in(page, "omar", start="/approvals")
    row = page.locator(f"tr[data-request='{FREEZE_ID}/1']")
    expect(row).to_contain_text("open")
    expect(row).to_contain_text("waiting on you")
    expect(row).to_contain_text("COVERAGE: the duty manager: Omar Haddad (omar)")
    page.get_by_label("Waiting on me").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    row.get_by_role("link", name="#1 (waiver approvers)").click()
    expect(page).to_have_url(f"{site.base}{REQUEST}")
    sign_in(page, "dana", start="/sign-in?next=/approvals%3Fmine%3Dtrue")
    expect(page.get_by_text("No exception requests match.")).to_be_visible()


def test_a_request_that_does_not_exist_is_a_page_saying_so(page: Page, site: Site) -> None:
    sign_in(page, "omar", start=f"/approvals/{FREEZE_ID}/99")
    expect(page.get_by_role("alert")).to_contain_text(f"{FREEZE_ID} has no exception request #99")
    assert page.request.get(f"/approvals/{FREEZE_ID}/99").status == 404
    assert page.request.get("/approvals/ESC-00000/1").status == 404
    assert page.request.get(f"/approvals/{FREEZE_ID}/first").status == 422
    answer = page.request.post(f"{REQUEST}/approve", form={"slot": "soon", "reason": "why not"})
    assert answer.status == 422
    assert "is not a slot start" in answer.text()
    answer = page.request.post(f"{REQUEST}/approve", form={"slot": "2026-11-24T12:00:00Z", "reason": "no"})
    assert answer.status == 404  # the service: the request offers no near miss starting then
    assert "offers no near miss starting 2026-11-24T12:00:00Z" in answer.text()
    _unchanged(site)
