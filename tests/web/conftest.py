"""The web app in a real browser: the app served by uvicorn on 127.0.0.1 (a thread of the test process, so the
test moves its clock), on a fresh SQLite store seeded as `make serve` seeds the demo (the demo users, with
passwords, and the two example escalations opened at their case files' `now:`), driven by Playwright with
the distribution's Chromium (`/usr/bin/chromium`; `.ci/run` installs it; no browser is downloaded).

A failing test leaves a screenshot of its page in `test-artifacts/web/`.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from readout import bootstrap
from readout.adapters.casefile.loader import CaseFileBuilder, load_case
from readout.adapters.casefile.users import load_users
from readout.adapters.ics.files import IcsFileReader
from readout.adapters.memory.hold_calendar import MemoryHoldCalendar
from readout.adapters.memory.invites import MemoryInviteSender
from readout.adapters.sql import SqlUnitOfWork, create_engine_from_url, migrate
from readout.entrypoints.http import health
from readout.entrypoints.http.app import create_app
from readout.services import auth
from readout.services.context import Deps
from readout.services.escalations import open_escalation
from readout.services.users import import_users
from tests.services.flows import Clock

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = os.environ.get("READOUT_TEST_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "readout-demo-password"
GLOBEX, FREEZE = "globex-sso-outage", "cab-freeze-no-slot"
GLOBEX_ID, FREEZE_ID = "ESC-48213", "ESC-51007"
GLOBEX_NOW = datetime.fromisoformat("2026-11-12T09:00:00-06:00")
FREEZE_NOW = datetime.fromisoformat("2026-11-23T12:00:00+01:00")
SIGNS_IN = ("alex", "priya", "dana", "omar", "lena", "grace")
# Chromium as the machine's probe starts it: no sandbox as root, nothing reaching out to the network.
_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Site:
    """The served app and what the test may move or look at behind it."""

    base: str
    deps: Deps
    clock: Clock
    holds: MemoryHoldCalendar
    invites: MemoryInviteSender


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread cannot install them; the test stops it
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = create_engine_from_url(url)
    migrate(engine)
    clock, holds, invites = Clock(GLOBEX_NOW), MemoryHoldCalendar(), MemoryInviteSender()
    deps = Deps(
        uow=lambda: SqlUnitOfWork(engine),
        view=lambda: SqlUnitOfWork(engine, read_only=True),
        reader=IcsFileReader(),
        holds=holds,
        clock=clock,
        cases=CaseFileBuilder(calendar_root=EXAMPLES),
        invites=invites,
        pinned=True,
    )
    import_users(deps, load_users(EXAMPLES / "users.yaml"), None)
    for user in SIGNS_IN:
        auth.set_password(deps, user, PASSWORD, "alex")
    open_escalation(deps, load_case(EXAMPLES / GLOBEX / "case.yaml").document, "priya")
    clock.set(FREEZE_NOW)  # each story opened at its own moment, as its case file's now: says
    open_escalation(deps, load_case(EXAMPLES / FREEZE / "case.yaml").document, "priya")
    clock.set(GLOBEX_NOW)
    readiness = health.store_readiness(bootstrap.settings({"READOUT_DATABASE_URL": url}), {})
    app = create_app(deps, readiness=readiness)
    port = _free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the web app did not start"
        time.sleep(0.02)
    try:
        yield Site(f"http://127.0.0.1:{port}", deps, clock, holds, invites)
    finally:
        server.should_exit = True
        thread.join(10)
        engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does)"
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=_FLAGS, headless=True)
    yield launched
    launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def new_context(browser: Browser, site: Site, timezone: str = "UTC") -> BrowserContext:
    """A fresh browser profile on the site, in ``timezone``, English, a laptop's window."""
    return browser.new_context(
        base_url=site.base, timezone_id=timezone, locale="en-GB", viewport={"width": 1400, "height": 900}
    )


def screenshot_on_failure(request: pytest.FixtureRequest, tab: Page) -> None:
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def page(browser: Browser, site: Site, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A tab on the site (UTC browser zone), screenshotted when the test fails."""
    context = new_context(browser, site)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        screenshot_on_failure(request, tab)
        context.close()


def sign_in(tab: Page, user: str, password: str = PASSWORD, *, start: str = "/") -> None:
    """Open ``start`` and sign in on the form it leads to, as a person would."""
    tab.goto(start)
    tab.get_by_label("Username").fill(user)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_load_state()
