"""The issue's "done when", as a user would do it: `make serve`'s script seeds and serves the demo store, and
in Chromium the demo users take the Globex readout from approval to confirmation and the Initech freeze through
a duty manager's waiver to confirmation, all by clicking."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.dav_servers import free_port
from tests.web.conftest import FREEZE_ID, GLOBEX_ID, screenshot_on_failure

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    """`examples/serve_demo.py` serving a fresh demo store; its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("READOUT_")}
    env["READOUT_DEMO_STORE"] = str(tmp_path / "serve.db")
    process = subprocess.Popen(
        [sys.executable, "examples/serve_demo.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, "serve_demo stopped"
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the demo service did not come up"
            time.sleep(0.3)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _person(browser: Browser, base: str, user: str) -> Page:
    context = browser.new_context(base_url=base, timezone_id="America/Mexico_City", locale="en-GB")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    tab.goto("/")
    tab.get_by_label("Username").fill(user)
    tab.get_by_label("Password").fill("readout-demo-password")
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", name="Readouts")).to_be_visible()
    return tab


def _hold_review_confirm(tab: Page, escalation: str) -> None:
    tab.get_by_role("link", name=escalation, exact=True).first.click()
    actions = tab.locator("section.actions")
    actions.get_by_role("button", name="Hold", exact=True).click()
    expect(tab.locator("#flash")).to_contain_text(f"for {escalation}")
    actions.get_by_role("button", name="Review the invite packet").click()
    expect(tab.get_by_role("heading", level=1)).to_contain_text("nothing has been sent")
    tab.get_by_role("button", name="Confirm this packet").click()
    flash = tab.locator("#flash")
    expect(flash).to_contain_text("Confirmed in Readout by Priya Shah")
    expect(flash).to_contain_text("NO INVITATION WAS SENT")  # the demo has no mail relay, and says so


def test_the_demo_users_take_both_readouts_to_confirmation_by_clicking(
    demo: str, browser: Browser, request: pytest.FixtureRequest
) -> None:
    priya = _person(browser, demo, "priya")
    omar = _person(browser, demo, "omar")
    try:
        _hold_review_confirm(priya, GLOBEX_ID)

        omar.get_by_role("link", name="Approvals").click()
        omar.get_by_role("link", name=re.compile(r"^#\d+")).first.click()
        expect(omar.get_by_role("heading", level=1)).to_contain_text(FREEZE_ID)
        omar.locator("input[type=radio][name=slot]").first.check()
        omar.get_by_label("Reason for approving").fill("the customer's CAB agreed to a coverage exception")
        omar.get_by_role("button", name="Approve").click()
        expect(omar.locator("#flash")).to_contain_text(re.compile(r"Exception request #\d+ approved"))

        priya.goto("/")
        _hold_review_confirm(priya, FREEZE_ID)

        priya.goto("/?show=all")
        for escalation in (GLOBEX_ID, FREEZE_ID):
            row = priya.locator(f"tr[data-escalation='{escalation}']")
            expect(row).to_contain_text("confirmed")
            expect(row).to_contain_text("no invitation was sent")
    finally:
        screenshot_on_failure(request, priya)
        screenshot_on_failure(request, omar)
        priya.context.close()
        omar.context.close()
