"""Every page of the web app checked with axe-core (4.14.1, vendored in tests/web/vendor/, injected into the
page by Playwright; nothing is fetched from the network): no violation of impact "serious" or "critical".

Each case opens one page in the state a person first meets it (signed in as the user who would use it) and
saves its screenshot for docs/web.md (tests/web/screens.py, only with READOUT_DOC_IMAGES=1). A page whose
route does not exist yet (a 404 from the router, not a page's own "not found") is an expected failure, so that
this test names every page the issue asks for and starts checking each as soon as it is served."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect

from readout.services import queries
from tests.web.conftest import FREEZE_ID, FREEZE_NOW, GLOBEX_ID, Site, sign_in
from tests.web.screens import document

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SERIOUS = ("serious", "critical")


def _violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every rule axe runs by default: WCAG 2 A and AA,
    best practices)."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return found


def _report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = "; ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:8])
        more = f" (+{len(v['nodes']) - 8} more)" if len(v["nodes"]) > 8 else ""
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']}: {targets}{more}\n  {v['helpUrl']}")
    return "\n".join(lines)


def _served(answer: Response | None, what: str, ok: bool = True) -> None:
    """Expected failure when the page's route is not there yet: the router's bare 404 ("Not Found"), not
    a page saying what it did not find."""
    assert answer is not None, f"{what}: no response"
    if answer.status == 404 and re.search(r'role="alert">\s*Not Found\s*<', answer.text()):
        pytest.xfail(f"{what}: the page is not built yet (404 at {answer.url})")
    if ok:
        assert answer.status == 200, f"{what}: {answer.status} at {answer.url}, not the page"


def _open_request_id(site: Site) -> int:
    requests = queries.escalation_status(site.deps, FREEZE_ID).requests
    assert requests, "opening the freeze records a coverage exception request"
    return requests[-1].id


def pick_link_created(page: Page, site: Site) -> str:
    """Priya holds Globex's best slots and creates a pick link on the escalation page (shown once)."""
    escalation_held(page, site)
    page.get_by_role("button", name="Create a pick link").click()
    expect(page.get_by_label(re.compile(r"^Pick link"))).to_have_value(re.compile(r"/pick/"))
    return "pick-link"


def signin_form(page: Page, site: Site) -> str:
    answer = page.goto("/sign-in")
    _served(answer, "sign-in form")
    expect(page.get_by_label("Username")).to_be_visible()
    return "signin"


def signin_refused(page: Page, site: Site) -> str:
    page.goto("/sign-in")
    page.get_by_label("Username").fill("priya")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    return "signin-refused"


def board(page: Page, site: Site) -> str:
    sign_in(page, "priya")
    expect(page.get_by_role("heading", name="Readouts", level=1)).to_be_visible()
    return "board"


def escalation_globex(page: Page, site: Site) -> str:
    sign_in(page, "priya")
    _served(page.goto(f"/escalations/{GLOBEX_ID}"), "escalation page of Globex")
    expect(page.get_by_role("heading", level=1)).to_contain_text(GLOBEX_ID)
    return "escalation-globex"


def escalation_freeze(page: Page, site: Site) -> str:
    site.clock.set(FREEZE_NOW)
    sign_in(page, "priya")
    _served(page.goto(f"/escalations/{FREEZE_ID}"), "escalation page of the Initech freeze")
    expect(page.get_by_role("heading", level=1)).to_contain_text(FREEZE_ID)
    return "escalation-freeze"


def escalation_held(page: Page, site: Site) -> str:
    escalation_globex(page, site)
    page.get_by_role("button", name="Hold", exact=True).first.click()
    expect(page.locator("#flash")).to_be_visible()  # the message after an action, not a refusal
    expect(page.locator("#flash")).not_to_have_class(re.compile(r"\berror\b"))
    return "escalation-held"


def review_page(page: Page, site: Site) -> str:
    escalation_held(page, site)
    page.get_by_role("button", name="Review the invite packet").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("nothing has been sent")
    return "review"


def confirmed(page: Page, site: Site) -> str:
    review_page(page, site)
    page.get_by_role("button", name="Confirm this packet").click()
    expect(page.locator("#flash")).to_be_visible()
    expect(page.locator("#flash")).not_to_have_class(re.compile(r"\berror\b"))
    return "confirmed"


def approvals_list(page: Page, site: Site) -> str:
    site.clock.set(FREEZE_NOW)
    sign_in(page, "omar")
    _served(page.goto("/approvals"), "approvals list")
    return "approvals"


def approval_request(page: Page, site: Site) -> str:
    site.clock.set(FREEZE_NOW)
    sign_in(page, "omar")
    _served(page.goto(f"/approvals/{FREEZE_ID}/{_open_request_id(site)}"), "an exception request's page")
    return "approval-request"


def approval_refused(page: Page, site: Site) -> str:
    site.clock.set(FREEZE_NOW)
    sign_in(page, "dana")  # an escalation manager may not waive coverage
    _served(page.goto(f"/approvals/{FREEZE_ID}/{_open_request_id(site)}"), "an exception request's page")
    page.get_by_role("radio").first.check()
    page.get_by_label("Reason for approving").fill("the customer can only make this slot")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_be_visible()
    return "approval-refused"


def audit(page: Page, site: Site) -> str:
    sign_in(page, "priya", start=f"/escalations/{GLOBEX_ID}/audit")
    expect(page.locator("#verification")).to_contain_text("Intact.")
    return "audit"


def error_page(page: Page, site: Site) -> str:
    sign_in(page, "priya")
    page.goto("/escalations/ESC-00000/audit")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    return "error-page"


def pick_page(page: Page, site: Site) -> str:
    pick_link_created(page, site)
    path = "/pick/" + page.get_by_label(re.compile(r"^Pick link")).input_value().split("/pick/", 1)[1]
    page.context.clear_cookies()  # the customer has no account: the page is public
    _served(page.goto(path), "the customer's pick page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pick a time for your readout")
    return "pick"


def pick_page_invalid(page: Page, site: Site) -> str:
    _served(page.goto("/pick/not-a-real-link-0123456789abcdef0123456789abcdef"), "the pick page", ok=False)
    expect(page.get_by_role("heading", level=1)).to_have_text("Not a valid link")
    return "pick-invalid"


TALL = frozenset({"escalation-globex", "escalation-freeze"})  # the top only
# Pages docs/web.md does not show whole (the audit page's own test takes its picture, with more entries).
UNSHOWN = frozenset(
    {"signin-refused", "error-page", "pick-invalid", "approval-refused", "audit", "escalation-held"}
    | {"confirmed", "pick-link"}  # only their parts are shown
)
# Parts of a page shown on their own in docs/web.md: (image name, CSS selector of the part).
PARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "escalation-globex": (
        ("grid", ".grid-scroll:has(th[data-kind='compliant'])"),
        ("candidate", "ol.candidates > li"),
    ),
    "escalation-freeze": (("grid-freeze", ".grid-scroll:has(th[data-kind='near-miss'])"),),
    "escalation-held": (("held-message", "#flash"), ("actions", "section.actions")),
    "confirmed": (("confirmed-message", "#flash"),),
    "pick-link": (("pick-link-created", "section.pick-links"),),
}

PAGES: list[Callable[[Page, Site], str]] = [
    signin_form,
    signin_refused,
    board,
    escalation_globex,
    escalation_freeze,
    escalation_held,
    review_page,
    confirmed,
    approvals_list,
    approval_request,
    approval_refused,
    audit,
    error_page,
    pick_link_created,
    pick_page,
    pick_page_invalid,
]


@pytest.mark.parametrize("open_page", PAGES, ids=lambda f: f.__name__)
def test_no_serious_accessibility_violation(
    page: Page, site: Site, open_page: Callable[[Page, Site], str]
) -> None:
    name = open_page(page, site)
    page.wait_for_load_state("networkidle")
    serious = [v for v in _violations(page) if v.get("impact") in SERIOUS]
    assert not serious, f"{page.url}: axe-core finds serious or critical violations:\n{_report(serious)}"
    if name not in UNSHOWN:
        document(page, name, full_page=name not in TALL)
    for shot, selector in PARTS.get(name, ()):
        document(page, shot, part=page.locator(selector).first)


def test_the_check_finds_a_serious_violation_when_there_is_one(page: Page, site: Site) -> None:
    page.goto("/sign-in")
    assert not [v for v in _violations(page) if v.get("impact") in SERIOUS]
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', "
        "'<input type=text id=nameless><img src=/static/readout.css>')"
    )
    found = {v["id"]: v for v in _violations(page) if v.get("impact") in SERIOUS}
    assert {"image-alt", "label"} <= set(found)
    assert "#nameless" in _report(list(found.values()))


def test_the_keyboard_skips_to_the_content_and_reaches_the_audit_export(page: Page, site: Site) -> None:
    sign_in(page, "grace", start=f"/escalations/{GLOBEX_ID}/audit")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    export = page.get_by_role("link", name="Download the trail as JSON")
    for _ in range(6):  # the crumbs, then the export links: no pointer needed
        page.keyboard.press("Tab")
        if export.evaluate("(link) => link === document.activeElement"):
            break
    expect(export).to_be_focused()
    outline = export.evaluate("(link) => getComputedStyle(link).outlineStyle")
    assert outline != "none", "focus is visible"
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == f"audit-{GLOBEX_ID}.json"
