"""Signing in and the readouts board, in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from tests.web.conftest import FREEZE_ID, GLOBEX_ID, Site, sign_in


def test_a_page_asked_for_before_signing_in_is_shown_after_it(page: Page, site: Site) -> None:
    page.goto("/?customer=globex-financial")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("Username").fill("priya")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    page.get_by_label("Password").fill("readout-demo-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.base}/?customer=globex-financial")
    expect(page.get_by_text("Signed in as")).to_contain_text("Priya Shah")


def test_the_board_shows_each_readout_with_its_deadline_and_next_action(page: Page, site: Site) -> None:
    sign_in(page, "priya")
    globex = page.locator(f"tr[data-escalation='{GLOBEX_ID}']")
    freeze = page.locator(f"tr[data-escalation='{FREEZE_ID}']")
    expect(globex).to_contain_text("Globex Financial")  # the customer by name
    expect(globex).to_contain_text("planned")
    expect(globex).to_contain_text("Mexico City")  # the deadline in the contract zone, with its city
    expect(globex).to_contain_text("UTC")
    expect(globex).to_contain_text("place holds")
    # opening the freeze found no compliant slot and requested a coverage waiver at once: the duty manager's
    expect(freeze).to_contain_text("Omar Haddad (duty manager): coverage waiver requested")
    expect(freeze.locator(".badge.risk")).to_have_text("at risk")  # no compliant slot at all
    # deadlines at risk come first
    expect(page.locator("tbody tr").first).to_have_attribute("data-escalation", FREEZE_ID)


def test_filters_narrow_the_board_and_waiting_on_me_follows_the_roles(page: Page, site: Site) -> None:
    sign_in(page, "omar")
    page.get_by_label("Waiting on me").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)  # the duty manager decides the freeze's waiver
    expect(page.locator("tbody tr")).to_have_attribute("data-escalation", FREEZE_ID)
    sign_in(page, "dana", start="/sign-in?next=/%3Fmine%3Dtrue")
    expect(page.get_by_text("No readouts match.")).to_be_hidden()  # dana coordinates Globex: holds are due
    expect(page.locator(f"tr[data-escalation='{GLOBEX_ID}']")).to_be_visible()
    page.goto("/")
    page.get_by_label("Customer").select_option("globex-financial")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_have_attribute("data-escalation", GLOBEX_ID)


def test_signing_out_ends_the_session(page: Page, site: Site) -> None:
    sign_in(page, "dana")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/"))


def test_a_dead_letter_stands_out_on_the_board_and_the_escalation_page_says_what_it_was(
    page: Page, site: Site
) -> None:
    from readout.domain.channel import ChannelMessage, request_topic
    from readout.domain.effects import EffectKind
    from readout.services.effects import _add

    now = site.clock()
    with site.deps.uow() as uow:
        effect = _add(
            uow,
            GLOBEX_ID,
            EffectKind.CHANNEL_POST,
            "test:dead",
            {
                "topic": request_topic(GLOBEX_ID, 9),
                "thread": None,
                "message": ChannelMessage("x").as_payload(),
            },
            now,
        )
        uow.effects.update(effect.claimed(now, timedelta(minutes=2)).given_up(now, "channel_not_found"))
        uow.commit()
    sign_in(page, "priya")
    badge = page.locator(f"tr[data-escalation='{GLOBEX_ID}'] a.badge")
    expect(badge).to_have_text("1 dead letter: a person must act")
    badge.click()
    dead = page.locator("section.outstanding li[data-effect-status='failed']")
    expect(dead).to_contain_text("Dead letter: Post a message to the leadership channel: FAILED")
    expect(dead).to_contain_text("channel_not_found")
