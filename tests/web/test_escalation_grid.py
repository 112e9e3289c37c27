"""The escalation page and its availability grid, in Chromium: the grid's compliant and near-miss columns are
the CLI's plan, a blocked column says what blocks it when focused, the candidates list everyone's local time,
labels follow the zone picked (the browser's too) across a daylight-saving change, no event title from the
calendars ever appears, and a plan that no longer matches the recorded one is said to and can be redone."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import Browser, Locator, Page, expect

from readout.adapters.casefile.loader import load_case
from readout.services.escalations import open_escalation
from tests.web.conftest import (
    EXAMPLES,
    FREEZE,
    FREEZE_ID,
    FREEZE_NOW,
    GLOBEX,
    GLOBEX_ID,
    ROOT,
    Site,
    new_context,
    screenshot_on_failure,
    sign_in,
)

DST_ID = "ESC-48299"
DST_NOW = datetime.fromisoformat("2026-10-29T09:00:00-06:00")


def _cli_plan(name: str) -> dict[str, Any]:
    """``readout plan CASE --json --all`` as a person would run it (the case file's ``now:`` applies; ``--all``:
    every candidate and near miss, not the best five)."""
    readout = Path(sys.executable).with_name("readout")
    done = subprocess.run(
        [str(readout), "plan", str(EXAMPLES / name / "case.yaml"), "--json", "--all"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.stdout, done.stderr
    plan: dict[str, Any] = json.loads(done.stdout)
    assert len(plan["candidates"]) == plan["compliant_count"]
    assert len(plan["near_misses"]) == plan["near_miss_count"]
    return plan


def _columns(page: Page, kind: str) -> set[str]:
    starts = page.locator(f"th.col[data-kind='{kind}']").evaluate_all("(hs) => hs.map(h => h.dataset.start)")
    return set(starts)


def _cell(page: Page, start: str, person: str) -> Locator:
    """The cell of ``person``'s row under the column for ``start``."""
    table = page.locator("table.avail", has=page.locator(f"th[data-start='{start}']"))
    index = table.locator("thead th").evaluate_all(
        f"(hs) => hs.findIndex(h => h.dataset.start === '{start}')"
    )
    assert index > 0, f"no column for {start}"
    row = table.locator("tbody tr", has=page.get_by_role("rowheader", name=re.compile(person)))
    return row.locator("th, td").nth(index)


def test_compliant_and_near_miss_columns_are_the_plans_of_the_cli(page: Page, site: Site) -> None:
    cli = _cli_plan(GLOBEX)
    sign_in(page, "priya", start=f"/escalations/{GLOBEX_ID}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(GLOBEX_ID)
    expect(page.locator("th.col[data-kind='compliant']").first).to_be_attached()

    assert _columns(page, "compliant") == {c["start"] for c in cli["candidates"]}
    assert len(cli["candidates"]) == 4
    assert _columns(page, "near-miss") == {m["start"] for m in cli["near_misses"]}
    assert _columns(page, "blocked")
    ranked = page.locator("ol.candidates > li").evaluate_all("(ls) => ls.map(l => l.dataset.start)")
    assert ranked == [c["start"] for c in cli["candidates"]]  # in the plan's order
    expect(page.locator("#stale")).to_have_count(0)  # the recorded plan is this one


def test_the_freezes_near_misses_are_the_plans_of_the_cli(page: Page, site: Site) -> None:
    cli = _cli_plan(FREEZE)
    site.clock.set(FREEZE_NOW)  # the case file's now:, as the CLI plans it
    sign_in(page, "priya", start=f"/escalations/{FREEZE_ID}")
    expect(page.locator("th.col").first).to_be_attached()

    assert not cli["candidates"]
    assert _columns(page, "compliant") == set()
    assert _columns(page, "near-miss") == {m["start"] for m in cli["near_misses"]}
    near = page.locator(f"th.col[data-start='{cli['near_misses'][0]['start']}']")
    near.focus()
    expect(near.locator(".why")).to_be_visible()
    expect(near.locator(".why")).to_contain_text("needs a waiver")
    expect(near.locator(".why")).to_contain_text("COVERAGE: duty manager")
    expect(page.get_by_role("heading", name="Ranked candidates")).to_be_visible()
    expect(page.get_by_text("No compliant slot before the deadline")).to_be_visible()


def test_focusing_a_blocked_column_names_its_families(page: Page, site: Site) -> None:
    sign_in(page, "priya", start=f"/escalations/{GLOBEX_ID}")
    # Tuesday 17 November, 17:00 in Mexico City: the core banking release blackout has begun, Luis (the
    # customer's incident manager) is only available 09:00-13:00, and Ana (the one approved Spanish
    # interpreter) works until 15:00.
    column = page.locator("th.col[data-start='2026-11-17T23:00:00Z']")
    expect(column).to_have_attribute("data-kind", "blocked")
    why = column.locator(".why")
    expect(why).to_be_hidden()
    column.focus()
    expect(why).to_be_visible()
    expect(why).to_contain_text("Blocked by:")
    expect(why).to_contain_text("overlaps a CAB blackout (CAB_BLACKOUT)")
    expect(why).to_contain_text("Luis Garza busy or unavailable (ATTENDEE:customer_incident_manager)")
    expect(why).to_contain_text("no approved 'es' interpreter free (INTERPRETER)")
    expect(why).not_to_contain_text("COVERAGE")
    expect(column).to_have_accessible_description(re.compile(r"CAB_BLACKOUT"))
    # the arrow keys move to the next start, which says what blocks it in turn
    page.keyboard.press("ArrowRight")
    following = page.locator("th.col[data-start='2026-11-17T23:15:00Z']")
    expect(following).to_be_focused()
    expect(following.locator(".why")).to_be_visible()
    expect(why).to_be_hidden()


def test_each_candidate_lists_its_reasons_and_every_attendees_local_time(page: Page, site: Site) -> None:
    sign_in(page, "priya", start=f"/escalations/{GLOBEX_ID}")
    best = page.locator("ol.candidates > li[data-start='2026-11-17T18:00:00Z']")
    expect(best).to_contain_text("Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC)")
    expect(best.locator("ul.reasons")).to_contain_text("interpreter: Ana Ruiz")
    expect(best.locator("ul.reasons")).to_contain_text(
        "outside working hours: Tue 23:30 for Ravi Kumar (night)"
    )
    local = {
        "Dana Ortiz": "12:00-13:00 Chicago",
        "Ravi Kumar": "23:30-Wed 18 Nov 00:30 Kolkata",
        "Mei Chen": "13:00-14:00 New York",
        "Luis Garza": "12:00-13:00 Mexico City",
        "Ana Ruiz": "12:00-13:00 Mexico City",
        "Sam Patel": "12:00-13:00 Chicago",
    }
    for name, when in local.items():
        row = best.locator("tr", has=page.get_by_role("rowheader", name=name, exact=True))
        expect(row).to_contain_text(when)
    expect(best.locator("tr", has=page.get_by_role("rowheader", name="Sam Patel"))).to_contain_text(
        "optional"
    )


def _open_variant(site: Site, tmp: Path, escalation_id: str, now: datetime, approved: str | None) -> None:
    """A copy of the Globex case as another escalation, approved at ``approved`` (None: not yet)."""
    folder = tmp / escalation_id
    shutil.copytree(EXAMPLES / GLOBEX, folder)
    body = yaml.safe_load((folder / "case.yaml").read_text())
    body["now"] = now.isoformat()
    body["escalation"]["id"] = escalation_id
    body["escalation"]["customer_safe_rca_approved_at"] = approved
    (folder / "case.yaml").write_text(yaml.safe_dump(body))
    site.clock.set(now)
    open_escalation(site.deps, load_case(folder / "case.yaml").document, "priya")


def _open_dst_case(site: Site, tmp: Path) -> None:
    """The Globex case approved two weeks earlier: its horizon (Fri 30 Oct to Wed 4 Nov) crosses the end of
    US daylight saving time (Sun 1 Nov), which moves Dana's Chicago clock back an hour."""
    _open_variant(site, tmp, DST_ID, DST_NOW, "2026-10-28T16:40:00-06:00")


def test_labels_in_the_browsers_zone_and_a_persons_own_time_across_a_dst_change(
    browser: Browser, site: Site, tmp_path: Path, request: Any
) -> None:
    _open_dst_case(site, tmp_path)
    context = new_context(browser, site, timezone="Asia/Kolkata")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        sign_in(tab, "priya", start=f"/escalations/{DST_ID}")
        tab.get_by_label("Show times in").select_option("browser")
        tab.get_by_role("button", name="Show").click()
        # Chromium names India's zone by its older alias, Asia/Calcutta: the same zone
        expect(tab).to_have_url(re.compile(r"zone=browser&browser_zone=Asia%2F(Kolkata|Calcutta)"))
        expect(tab.get_by_text("labelled in Kolkata time")).to_be_visible()
        before = tab.locator("th.col[data-start='2026-10-30T15:00:00Z']")
        expect(before.locator(".t")).to_have_text("20:30")  # IST, UTC+05:30
        expect(tab.locator("table.avail", has=before).locator("caption")).to_have_text(
            "Fri 30 Oct, Kolkata (UTC+05:30)"
        )
        expect(tab.locator("th.col[data-start='2026-11-02T15:00:00Z'] .t")).to_have_text("20:30")
        # Dana (Chicago) is on CDT before Sunday 1 November and on CST after: the same UTC hour reads an hour
        # earlier on her clock.
        expect(_cell(tab, "2026-10-30T15:00:00Z", "Dana Ortiz")).to_have_text(re.compile(r"^10:00 CDT: "))
        expect(_cell(tab, "2026-11-02T15:00:00Z", "Dana Ortiz")).to_have_text(re.compile(r"^09:00 CST: "))
        # in Dana's own zone, the day the clocks change names both offsets
        tab.get_by_label("Show times in").select_option("America/Chicago")
        tab.get_by_role("button", name="Show").click()
        expect(tab.get_by_text("Sun 1 Nov, Chicago (UTC−05:00, then UTC−06:00)")).to_be_visible()
        expect(tab.locator("th.col[data-start='2026-11-02T15:00:00Z'] .t")).to_have_text("09:00")
    finally:
        screenshot_on_failure(request, tab)
        context.close()


def test_no_event_title_from_the_calendars_appears_on_the_page(page: Page, site: Site) -> None:
    titles = {
        line.split(":", 1)[1].strip()
        for ics in EXAMPLES.glob("*/calendars/*.ics")
        for line in ics.read_text().splitlines()
        if line.startswith("SUMMARY")
    }
    assert len(titles) > 5
    sign_in(page, "priya", start=f"/escalations/{GLOBEX_ID}")
    expect(page.locator("table.avail").first).to_be_visible()
    busy = page.locator("td.c-busy")
    assert busy.count() > 0  # busy time is shown, as busy
    pages = [page.content()]
    site.clock.set(FREEZE_NOW)
    page.goto(f"/escalations/{FREEZE_ID}")
    pages.append(page.content())
    for html in pages:
        assert "Escalations team" in "Escalations team"  # sanity of the check below
        leaked = [t for t in titles if t in html]
        assert not leaked, f"event titles on the page: {leaked}"


def test_a_plan_that_no_longer_matches_the_recorded_one_is_said_so_and_replanned(
    page: Page, site: Site
) -> None:
    from readout.services.queries import audit_trail

    sign_in(page, "priya", start=f"/escalations/{GLOBEX_ID}")
    expect(page.locator("#stale")).to_have_count(0)
    entries = len(audit_trail(site.deps, GLOBEX_ID))
    # Monday 16 November, noon in Mexico City: the earliest start passes two of Tuesday's compliant slots.
    site.clock.set(datetime.fromisoformat("2026-11-16T12:00:00-06:00"))
    page.reload()
    stale = page.locator("#stale")
    expect(stale).to_contain_text("The calendars changed since the last recorded plan")
    assert len(audit_trail(site.deps, GLOBEX_ID)) == entries  # looking writes nothing
    assert _columns(page, "compliant") == {"2026-11-17T18:00:00Z", "2026-11-19T16:30:00Z"}
    stale.get_by_role("button", name="Re-plan").click()
    flash = page.locator("#flash")
    expect(flash).to_contain_text("Planned again: 2 compliant slots")
    expect(flash).to_contain_text("Only recorded")
    expect(flash).to_contain_text("Next:")
    expect(page.locator("#stale")).to_have_count(0)
    assert len(audit_trail(site.deps, GLOBEX_ID)) > entries


def test_a_zone_that_is_not_one_is_said_so_and_the_contract_zone_is_used(page: Page, site: Site) -> None:
    sign_in(page, "priya", start=f"/escalations/{GLOBEX_ID}?zone=Mars%2FOlympus_Mons")
    expect(page.get_by_text("'Mars/Olympus_Mons' is not a time zone this server knows")).to_be_visible()
    expect(page.get_by_text("labelled in Mexico City time")).to_be_visible()
    expect(page.locator("th.col[data-start='2026-11-17T18:00:00Z'] .t")).to_have_text("12:00")
    picker = page.get_by_label("Show times in")
    expect(picker).to_have_value("America/Mexico_City")
    expect(picker.locator("option:checked")).to_have_text("Contract zone: Mexico City (Luis Garza, Ana Ruiz)")
    expect(picker.locator("option[value='America/Mexico_City']")).to_have_count(1)  # one option per zone


def test_an_unknown_escalation_is_a_page_saying_so(page: Page, site: Site) -> None:
    sign_in(page, "priya", start="/escalations/ESC-00000")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Not found")


def test_held_slots_are_marked_across_the_grid_and_in_the_candidates(page: Page, site: Site) -> None:
    from readout.services.queries import escalation_status

    sign_in(page, "priya", start=f"/escalations/{GLOBEX_ID}")
    placed = page.request.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers={"Origin": site.base})
    assert placed.ok, placed.text()
    held = {
        h.slot.start.strftime("%Y-%m-%dT%H:%M:%SZ") for h in escalation_status(site.deps, GLOBEX_ID).holds
    }
    assert len(held) == 3  # the case holds three slots
    page.reload()
    columns = page.locator("th.col.held")
    expect(columns).to_have_count(3)
    assert set(columns.evaluate_all("(hs) => hs.map(h => h.dataset.start)")) == held
    first = min(held)
    column = page.locator(f"th.col[data-start='{first}']")
    expect(column.locator(".sr")).to_contain_text("held")
    column.focus()
    expect(column.locator(".why")).to_contain_text("Held for this readout.")
    # a free person's cell in a held column reads as tentative: our own hold is on their calendar
    expect(_cell(page, first, "Mei Chen")).to_have_text(re.compile(r": tentative: held for this readout$"))
    for start in held:
        expect(page.locator(f"ol.candidates > li[data-start='{start}'] .badge")).to_have_text("held")


def test_planning_again_is_refused_to_a_role_that_may_not_plan(page: Page, site: Site) -> None:
    sign_in(page, "omar", start=f"/escalations/{GLOBEX_ID}")  # the duty manager may look, not plan
    expect(page.locator("th.col").first).to_be_attached()
    answer = page.request.post(
        f"/escalations/{GLOBEX_ID}/plan", headers={"Origin": site.base}, form={"reason": "try"}
    )
    assert answer.status == 403
    assert "may not open and plan" in answer.text()


def test_a_case_not_ready_says_why_and_has_no_grid(page: Page, site: Site, tmp_path: Path) -> None:
    _open_variant(site, tmp_path, "ESC-48300", DST_NOW, None)
    sign_in(page, "priya", start="/escalations/ESC-48300")
    expect(page.get_by_role("heading", name="Not ready")).to_be_visible()
    expect(
        page.get_by_text("RCA_NOT_APPROVED: the customer-safe RCA draft is not approved yet")
    ).to_be_visible()
    expect(page.get_by_text("No deadline yet")).to_be_visible()
    expect(page.get_by_text("No grid: the case is not ready to plan")).to_be_visible()
    expect(page.locator("th.col")).to_have_count(0)
