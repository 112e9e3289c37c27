"""The outcomes page in Chromium, on the demo store (Globex ready at once, the Initech freeze escalated to its
waiver approvers): the measures in words, each chart an image with a title and a description followed by its
table, the period and customer form (no script), the numbers of ``GET /v1/report``, and a bad date explained."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from readout.services.outcomes import duration_text, measure
from tests.web.conftest import Site, sign_in
from tests.web.screens import document
from tests.web.test_accessibility import SERIOUS, _report, _violations


def test_the_outcomes_page_shows_the_measures_with_charts_and_tables(page: Page, site: Site) -> None:
    expected = measure(site.deps).to_json()
    sign_in(page, "lena", start="/report")
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcomes")
    expect(page.locator("#report-scope")).to_contain_text("2 escalations measured")
    viable = expected["overall"]["time_to_viable"]
    assert viable["reached"] == 1  # Globex is ready; the freeze is not
    # each chart is one image, named by its title, described in words, and followed by its table
    for name in (
        "Time from RCA approval to the first viable slot",
        "Readouts confirmed without back-and-forth, per customer",
        "Escalations by cause (each escalation once per cause)",
        "Deadlines",
    ):
        expect(page.get_by_role("img", name=name, exact=True)).to_be_visible()
    chart = page.get_by_role("img", name="Time from RCA approval to the first viable slot")
    median = duration_text(viable["total"]["median_s"])
    expect(chart.locator("desc")).to_contain_text(f"total (median): {median}")
    total = page.locator("#viable-table tbody tr").first
    expect(total).to_have_text(re.compile(rf"Total\s*{re.escape(median)}"))
    causes = expected["overall"]["escalation_causes"]["by_cause"]
    named = [cause for cause, n in causes.items() if n]
    assert named  # the freeze was escalated for what blocked it
    for cause in named:
        expect(
            page.locator("#causes-table").get_by_role("row", name=re.compile(f"^{cause} 1$"))
        ).to_be_visible()
    rows = page.locator("#customers-table tbody tr")
    expect(rows).to_have_count(2)
    document(page, "report-page", full_page=True)
    # the form narrows to one customer with a plain GET
    page.get_by_role("textbox", name="Customer").fill("globex-financial")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/report\?.*customer=globex-financial"))
    expect(page.locator("#report-scope")).to_contain_text("1 escalation measured")
    expect(rows).to_have_count(1)
    api = page.request.get("/v1/report?customer=globex-financial")
    assert api.ok
    assert api.json()["overall"]["escalations"] == 1


def test_a_bad_period_is_explained_not_measured(page: Page, site: Site) -> None:
    sign_in(page, "dana", start="/report?from=2026-11-30&to=2026-11-01")
    expect(page.get_by_role("alert")).to_contain_text("from 2026-11-30 is after its to 2026-11-01")
    page.goto("/report?from=30.11.2026")
    expect(page.get_by_role("alert")).to_contain_text("from '30.11.2026' is not a date: write YYYY-MM-DD")


def test_the_outcomes_page_has_no_serious_accessibility_violation(page: Page, site: Site) -> None:
    sign_in(page, "priya", start="/report")
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcomes")
    serious = [v for v in _violations(page) if v["impact"] in SERIOUS]
    assert not serious, f"axe-core finds serious or critical violations on /report:\n{_report(serious)}"
