"""The audit page in Chromium: the trail in words with contract-zone and UTC times, who acted and how, the
chain's verification (intact, or what is broken), and the JSON and CSV export."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import text

from readout.adapters.sql import create_engine_from_url
from tests.support.db_fixtures import drop_append_only_guard
from tests.web.conftest import GLOBEX_ID, Site, sign_in
from tests.web.screens import document

AUDIT = f"/escalations/{GLOBEX_ID}/audit"


def _hold_over_the_api(page: Page, site: Site) -> None:
    """Dana places holds with her browser session over the API (as a script in her browser would)."""
    answer = page.request.post(f"/v1/escalations/{GLOBEX_ID}/holds", headers={"Origin": site.base})
    assert answer.ok, answer.text()


def test_the_trail_says_what_happened_when_and_who_did_it_how(page: Page, site: Site) -> None:
    sign_in(page, "dana", start=AUDIT)  # a deep link opened before signing in comes back after it
    expect(page).to_have_url(f"{site.base}{AUDIT}")
    _hold_over_the_api(page, site)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Audit trail of {GLOBEX_ID}")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Recorded (Mexico City, then UTC)")).to_be_visible()
    opened = table.locator("tbody tr[data-kind='opened']")
    expect(opened).to_contain_text("Priya Shah")  # the actor by name, not only the id
    expect(opened).to_contain_text("opened for globex-financial")
    expect(opened.locator("td.when time")).to_have_text(re.compile(r"^\w{3} \d+ \w{3} \d\d:\d\d \(.*UTC\)$"))
    held = table.locator("tbody tr[data-kind='hold']")
    expect(held).to_contain_text("Dana")
    expect(held).to_contain_text("3 placed, 3 live")
    expect(held).to_contain_text("via API")
    expect(held).to_contain_text(re.compile(r"with session [0-9a-f]{12}"))
    placed = table.locator("tbody tr[data-kind='hold_placed']").first
    # the held slot in words: Mexico City's wall time first, UTC second
    expect(placed).to_contain_text(re.compile(r"hold on \w{3} \d+ Nov \d\d:\d\d-\d\d:\d\d Mexico City \("))
    # the hold acted as of the site's pinned clock (the real clock recorded it): the "as of" column says so
    expect(table.get_by_role("columnheader", name=re.compile("As of"))).to_be_visible()
    expect(held.locator("td.when").nth(1)).to_have_text(re.compile(r"^Thu 12 Nov 09:00 \(15:00 UTC\)$"))
    expect(page.locator("#verification")).to_contain_text("Intact.")
    document(page, "audit-page", full_page=True)


def test_an_action_taken_on_a_page_is_recorded_as_via_the_web_app(page: Page, site: Site) -> None:
    sign_in(page, "dana", start=AUDIT)
    _hold_over_the_api(page, site)
    released = page.request.post(
        f"/escalations/{GLOBEX_ID}/holds/release", headers={"Origin": site.base}, form={"slot": ""}
    )
    assert released.ok, released.text()
    page.reload()
    release = page.locator("tbody tr[data-kind='hold_released']").first
    expect(release).to_contain_text("Dana Ortiz")
    expect(release).to_contain_text("via web app")
    expect(release).to_contain_text(re.compile(r"with session [0-9a-f]{12}"))
    expect(release).to_contain_text("released")


def test_the_export_links_download_the_same_entries_as_json_and_csv(page: Page, site: Site) -> None:
    sign_in(page, "grace", start=AUDIT)
    rows = page.locator("table.audit tbody tr")
    expect(rows.first).to_be_visible()
    shown = rows.count()
    with page.expect_download() as json_file:
        page.get_by_role("link", name="Download the trail as JSON").click()
    assert json_file.value.suggested_filename == f"audit-{GLOBEX_ID}.json"
    entries = json.loads(Path(json_file.value.path()).read_text())
    assert [e["seq"] for e in entries] == list(range(1, shown + 1))
    assert entries[0]["kind"] == "opened"
    assert entries[0]["actor"] == "priya"
    with page.expect_download() as csv_file:
        page.get_by_role("link", name="Download the trail as CSV").click()
    assert csv_file.value.suggested_filename == f"audit-{GLOBEX_ID}.csv"
    table = list(csv.reader(io.StringIO(Path(csv_file.value.path()).read_text())))
    assert table[0] == ["escalation", "seq", "at", "actor", "kind", "payload", "prev_hash", "hash"]
    assert [row[4] for row in table[1:]] == [e["kind"] for e in entries]


def test_a_tampered_trail_is_shown_as_broken_with_what_is_wrong(
    page: Page, site: Site, tmp_path: Path
) -> None:
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'web.db'}")  # the site's store
    try:
        drop_append_only_guard(engine)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE audit_entries SET actor = 'mallory' WHERE escalation_id = :e AND seq = 1"),
                {"e": GLOBEX_ID},
            )
    finally:
        engine.dispose()
    sign_in(page, "omar", start=AUDIT)
    verdict = page.locator("#verification")
    expect(verdict).to_contain_text("Broken.")
    expect(verdict).not_to_contain_text("Intact")
    expect(verdict.get_by_role("listitem")).to_have_text(
        ["entry 1: content does not match its hash (edited)"]
    )
    expect(page.locator("tbody tr[data-seq='1']")).to_contain_text("mallory")  # shown as stored, not hidden
    # the other escalation's chain is untouched
    page.goto("/escalations/ESC-51007/audit")
    expect(page.locator("#verification")).to_contain_text("Intact.")


def test_an_unknown_escalation_is_a_page_saying_so(page: Page, site: Site) -> None:
    sign_in(page, "priya")
    answer = page.goto("/escalations/ESC-00000/audit")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_role("alert")).to_contain_text("ESC-00000")


def test_the_escalation_page_links_to_its_audit_trail(page: Page, site: Site) -> None:
    sign_in(page, "priya", start=f"/escalations/{GLOBEX_ID}")
    page.get_by_role("link", name="Audit trail").click()
    expect(page).to_have_url(f"{site.base}/escalations/{GLOBEX_ID}/audit")
    expect(page.locator("tbody tr[data-kind='opened']")).to_have_count(1)
