"""A link made with `readout users link` is what a click in Slack acts by: before the link the duty manager's
Slack user is told they are not linked and nothing changes; after `readout users link omar --slack U0OMAR --as
alex` the same person's signed click approves the Initech freeze's near miss as omar (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from readout import bootstrap
from readout.adapters.slack import SlackChannel
from readout.config import SlackSettings
from readout.entrypoints.cli import main
from readout.entrypoints.http import health
from readout.entrypoints.http.app import create_app
from readout.entrypoints.http.auth import principal
from readout.services.context import Deps
from tests.http.conftest import FREEZE, _test_principal, as_user, case_json
from tests.http.test_slack_interactions import (
    INTERACTIONS,
    NEAR,
    SECRET,
    approve,
    body_of,
    signed,
    stored,
    trail,
)
from tests.services.flows import DUTY, PSM
from tests.support.db_fixtures import Store
from tests.support.fake_slack import FakeSlack, fake_slack

OMAR = "U0OMAR"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from fake_slack()


@pytest.fixture
def site(
    deps: Deps, store: Store, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The app on the fake Slack, nobody linked; an administrator (alex) imported with the CLI; the Initech
    freeze opened."""
    environ = {
        "READOUT_DATABASE_URL": str(store.url),
        "READOUT_SLACK_API_URL": slack.url,
        "READOUT_SLACK_BOT_TOKEN": slack.token,
        "READOUT_SLACK_SIGNING_SECRET": SECRET,
        "READOUT_SLACK_CHANNEL": slack.channel,
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    users = tmp_path / "admin.yaml"
    users.write_text(
        "users:\n  - {id: alex, name: Alex Admin, email: alex@provider.example, roles: [administrator]}\n"
    )
    assert main(["users", "import", str(users)]) == 0
    settings = SlackSettings(slack.url, slack.token, SECRET, slack.channel)
    readiness = health.store_readiness(bootstrap.settings(environ), environ)
    app = create_app(replace(deps, channel=SlackChannel(settings)), readiness=readiness, environ=environ)
    app.dependency_overrides[principal] = _test_principal
    with TestClient(app, raise_server_exceptions=True) as client:
        opened = client.post("/v1/escalations", json=case_json(FREEZE), headers=as_user(PSM))
        assert opened.json()["state"] == "exception_requested"
        yield client


def _click(site: TestClient, trigger: str) -> int:
    payload = {**approve(OMAR), "trigger_id": trigger}  # a new click: a new body (a replay is refused)
    body = body_of(payload)
    return site.post(INTERACTIONS, content=body, headers=signed(body)).status_code


def test_a_link_made_by_the_command_lets_that_slack_user_act_as_the_readout_user(
    site: TestClient, store: Store, slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _click(site, "1.1.before") == 200
    [refusal] = slack.of("chat.postEphemeral")
    assert refusal.args["user"] == OMAR
    assert "not linked" in refusal.args["text"]
    assert stored(store) == ("exception_requested", [], ["open"])

    assert main(["users", "link", DUTY, "--slack", OMAR, "--as", "alex"]) == 0
    assert f"linked to the Slack user {OMAR}" in capsys.readouterr().out

    assert _click(site, "1.2.after") == 200
    assert stored(store) == ("exception_approved", [("COVERAGE", NEAR, DUTY)], ["approved"])
    assert len(slack.of("chat.postEphemeral")) == 2  # told what was recorded in their name
    assert slack.of("chat.postEphemeral")[1].args["text"].startswith("You approved ESC-51007 request #1")
    by_slack = [e for e in trail(store) if e.payload.get("via") == "slack"]
    assert {(e.actor, e.payload["credential"]) for e in by_slack} == {(DUTY, f"slack user {OMAR}")}


def test_after_unlink_the_slack_users_clicks_are_refused_again(
    site: TestClient, store: Store, slack: FakeSlack
) -> None:
    assert main(["users", "link", DUTY, "--slack", OMAR, "--as", "alex"]) == 0
    assert main(["users", "unlink", DUTY, "--as", "alex"]) == 0

    assert _click(site, "1.3.unlinked") == 200
    assert "not linked" in slack.of("chat.postEphemeral")[-1].args["text"]
    assert stored(store) == ("exception_requested", [], ["open"])
