"""The customer's pick link in Chromium (issue 13, item 5): priya creates it on the escalation page for the live
holds, the customer opens it in another browser without signing in and sees only the purpose, the roles and the
held options in their own time; they pick one with a note; priya sees the pick (nothing confirmed); the link
then says it was used. Expired, revoked and wrong links say so and accept nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from readout.domain.lifecycle import State
from readout.services import holding, pick_links, queries
from tests.web.conftest import GLOBEX_ID, Site, new_context, sign_in

SUMMARY = "SSO token validation outage"  # the case's internal summary
PEOPLE = ("Dana Ortiz", "Ravi Kumar", "Mei Chen", "Luis Garza", "Sam Patel", "Ana Ruiz")
UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _held_starts(site: Site) -> list[str]:
    now = site.clock()
    holds = queries.escalation_status(site.deps, GLOBEX_ID).holds
    return sorted(h.slot.start.astimezone(UTC).strftime(UTC_FORMAT) for h in holds if h.is_live(now))


def _create_on_the_page(page: Page) -> str:
    page.goto(f"/escalations/{GLOBEX_ID}")
    page.get_by_role("button", name="Create a pick link").click()
    expect(page.get_by_role("status").filter(has_text="NOT sent to anyone").first).to_be_visible()
    url = page.get_by_label(re.compile(r"^Pick link [0-9a-f]{12} \(valid until")).input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/pick/[A-Za-z0-9_-]{43}", url), url
    return url


def test_the_customer_picks_a_held_time_in_their_own_zone_and_priya_sees_it(
    page: Page, browser: Browser, site: Site
) -> None:
    holding.hold_slots(site.deps, GLOBEX_ID, "priya")
    held = _held_starts(site)
    assert len(held) == 3
    sign_in(page, "priya", start=f"/escalations/{GLOBEX_ID}")
    url = _create_on_the_page(page)
    page.goto(f"/escalations/{GLOBEX_ID}")
    expect(page.get_by_label(re.compile(r"^Pick link "))).to_have_count(0)  # the URL is shown once

    customer = new_context(browser, site, timezone="America/Mexico_City")
    try:
        tab = customer.new_page()
        tab.goto(url)
        expect(tab.get_by_role("heading", name="Pick a time for your readout")).to_be_visible()
        expect(
            tab.get_by_role("heading", name="Root-cause analysis readout, Globex Financial")
        ).to_be_visible()
        options = tab.locator("li[data-start]")
        expect(options).to_have_count(3)
        assert [options.nth(i).get_attribute("data-start") for i in range(3)] == held
        # Luis (the customer's incident manager) is in Mexico City: each option reads in his own time first
        second = options.nth(1)
        local = datetime.fromisoformat(held[1].replace("Z", "+00:00")).astimezone(
            ZoneInfo("America/Mexico_City")
        )
        expect(second).to_contain_text(f"{local:%H:%M}-")
        expect(second).to_contain_text("Mexico City")
        expect(second).to_contain_text("UTC")
        body = tab.locator("body").inner_text()
        assert SUMMARY not in body
        assert "Signed in as" not in body
        assert not [name for name in PEOPLE if name in body]
        expect(tab.get_by_role("navigation")).to_have_count(0)

        tab.get_by_label("Show times in").select_option("UTC")  # the customer may switch the zone
        tab.get_by_role("button", name="Show").click()
        expect(options.first).to_contain_text(f"{held[0][11:16]}-")
        expect(options.first).not_to_contain_text("Mexico City")
        tab.get_by_label("Show times in").select_option("America/Mexico_City")
        tab.get_by_role("button", name="Show").click()
        expect(options.first).to_contain_text("Mexico City")

        second.get_by_role("radio").check()
        tab.get_by_label("Note (optional").fill("Our CISO can join at this time")
        tab.get_by_role("button", name="Send my answer").click()
        expect(tab.get_by_role("status").filter(has_text="your answer is recorded")).to_be_visible()
        expect(tab.get_by_text("This link was used")).to_be_visible()

        page.goto(f"/escalations/{GLOBEX_ID}")
        section = page.locator("section.pick-links")
        expect(section.locator(".answer")).to_contain_text("Luis Garza (customer) picked")
        expect(section.locator(".answer")).to_contain_text("Our CISO can join at this time")
        expect(section.locator("tr[data-state='used']")).to_have_count(1)
        assert queries.escalation_status(site.deps, GLOBEX_ID).escalation.state is State.HELD  # not confirmed

        tab.goto(url)  # opened again: used, and nothing to pick
        expect(tab.get_by_text("This link was used")).to_be_visible()
        expect(tab.get_by_role("button", name="Send my answer")).to_have_count(0)

        # the picked slot's hold released: the page says so next to the pick
        holding.release_holds(
            site.deps, GLOBEX_ID, "priya", datetime.fromisoformat(held[1].replace("Z", "+00:00"))
        )
        page.goto(f"/escalations/{GLOBEX_ID}")
        expect(page.locator("section.pick-links .answer")).to_contain_text("That slot is no longer held")
    finally:
        customer.close()


def test_an_expired_link_says_so_and_accepts_nothing(page: Page, site: Site) -> None:
    holding.hold_slots(site.deps, GLOBEX_ID, "priya")
    created = pick_links.create_link(site.deps, GLOBEX_ID, "priya", ttl=timedelta(hours=2))
    page.goto(f"/pick/{created.token}")
    expect(page.get_by_role("button", name="Send my answer")).to_be_visible()

    site.clock.advance(hours=2)
    page.goto(f"/pick/{created.token}")

    expect(page.get_by_text("This link has expired")).to_be_visible()
    expect(page.get_by_role("button", name="Send my answer")).to_have_count(0)
    answered = page.request.post(f"/pick/{created.token}", form={"choice": "none", "note": ""})
    assert answered.status == 409
    assert "This link has expired" in answered.text()


def test_a_link_revoked_on_the_escalation_page_says_so(page: Page, browser: Browser, site: Site) -> None:
    holding.hold_slots(site.deps, GLOBEX_ID, "priya")
    sign_in(page, "dana", start=f"/escalations/{GLOBEX_ID}")  # the escalation manager may hold: may revoke
    url = _create_on_the_page(page)
    row = page.locator("section.pick-links tr[data-state='open']")
    row.get_by_role("button", name=re.compile("^Revoke link")).click()
    expect(page.get_by_role("status").filter(has_text="revoked")).to_be_visible()
    expect(page.locator("section.pick-links tr[data-state='revoked']")).to_have_count(1)

    customer = new_context(browser, site, timezone="America/Mexico_City")
    try:
        tab = customer.new_page()
        tab.goto(url)
        expect(tab.get_by_text("This link was revoked")).to_be_visible()
        expect(tab.get_by_role("radio")).to_have_count(0)
    finally:
        customer.close()


def test_a_wrong_link_is_not_a_valid_link(page: Page, site: Site) -> None:
    holding.hold_slots(site.deps, GLOBEX_ID, "priya")
    pick_links.create_link(site.deps, GLOBEX_ID, "priya")
    for token in ("nope", "A" * 43, "x" * 300):
        answer = page.goto(f"/pick/{token}")
        assert answer is not None
        assert answer.status == 404
        expect(page.get_by_role("heading", name="Not a valid link")).to_be_visible()
        assert SUMMARY not in page.content()
    posted = page.request.post("/pick/" + "A" * 43, form={"choice": "none"})
    assert posted.status == 404


def test_a_bad_answer_is_refused_with_a_reason_and_the_link_stays_open(page: Page, site: Site) -> None:
    holding.hold_slots(site.deps, GLOBEX_ID, "priya")
    created = pick_links.create_link(site.deps, GLOBEX_ID, "priya")
    path = f"/pick/{created.token}"
    for form, words in (
        ({"choice": ""}, "choose one of the times"),
        ({"choice": "tomorrow at ten"}, "is not a slot start"),
        ({"choice": "2026-11-17T20:00:00Z"}, "no longer held"),
        ({"choice": "none", "note": "x" * 1001}, "at most 1000"),
    ):
        answer = page.request.post(path, form=form)
        assert answer.status == 422, form
        assert "Your answer was not recorded" in answer.text()
        assert words in answer.text()
    page.goto(path)
    expect(page.get_by_role("button", name="Send my answer")).to_be_visible()
    assert pick_links.links_of(site.deps, GLOBEX_ID)[0].answer is None
