"""The webhook settings (config.py): READOUT_CHANNEL_WEBHOOK_URL/_FORMAT and READOUT_EVENTS_WEBHOOK_URL/_SECRET.
An https URL (plain http to this machine only), a host the outbound policy allows, both or neither of the events
URL and secret, a secret long enough, never the Slack bot and an incoming webhook at once; every refusal one
line naming the variable, never quoting a URL or secret (both are secrets); and the channel the workflow gets
for each combination."""

from __future__ import annotations

from pathlib import Path

import pytest

from readout import bootstrap
from readout.adapters.slack import SlackChannel
from readout.adapters.webhook import EventsWebhookChannel, FanOutChannel, IncomingWebhookChannel
from readout.adapters.webhook.slack_events import SlackWithEvents
from readout.config import ConfigError, load_settings
from readout.entrypoints.cli import main

HOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
TEAMS = "https://prod-00.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=SIGSIG"
EVENTS = "https://tickets.example/readout-hook"
SECRET = "0123456789abcdef0123456789abcdef-events"
SLACK = {
    "READOUT_SLACK_BOT_TOKEN": "xoxb-1",
    "READOUT_SLACK_SIGNING_SECRET": "signing",
    "READOUT_SLACK_CHANNEL": "C0LEADERS",
}


def test_nothing_set_is_no_webhook() -> None:
    settings = load_settings({})
    assert (settings.channel_webhook, settings.events_webhook) == (None, None)


def test_the_incoming_webhook_defaults_to_slack_and_takes_teams() -> None:
    slack = load_settings({"READOUT_CHANNEL_WEBHOOK_URL": HOOK}).channel_webhook
    assert slack is not None
    assert (slack.url, slack.format) == (HOOK, "slack")
    teams = load_settings(
        {"READOUT_CHANNEL_WEBHOOK_URL": TEAMS, "READOUT_CHANNEL_WEBHOOK_FORMAT": "Teams"}
    ).channel_webhook
    assert teams is not None
    assert teams.format == "teams"
    assert "SIGSIG" not in repr(teams)  # the URL is a secret
    assert "XXXX" not in repr(slack)


def test_the_events_webhook_takes_its_url_and_secret_and_never_shows_the_secret() -> None:
    found = load_settings({"READOUT_EVENTS_WEBHOOK_URL": EVENTS, "READOUT_EVENTS_WEBHOOK_SECRET": SECRET})
    assert found.events_webhook is not None
    assert (found.events_webhook.url, found.events_webhook.secret) == (EVENTS, SECRET)
    assert SECRET not in repr(found)
    assert EVENTS not in repr(found)


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"READOUT_CHANNEL_WEBHOOK_FORMAT": "teams"}, "READOUT_CHANNEL_WEBHOOK_FORMAT is set without"),
        (
            {"READOUT_CHANNEL_WEBHOOK_URL": HOOK, "READOUT_CHANNEL_WEBHOOK_FORMAT": "discord"},
            "READOUT_CHANNEL_WEBHOOK_FORMAT='discord': expected slack or teams",
        ),
        (
            {"READOUT_CHANNEL_WEBHOOK_URL": "hooks.slack.com/x"},
            "READOUT_CHANNEL_WEBHOOK_URL: expected an https",
        ),
        ({"READOUT_CHANNEL_WEBHOOK_URL": "ftp://hooks.example/x"}, "expected an https URL"),
        ({"READOUT_CHANNEL_WEBHOOK_URL": "https://u:p@hooks.example/x"}, "expected an https URL"),
        ({"READOUT_CHANNEL_WEBHOOK_URL": "https://hooks.example:99999/x"}, "expected an https URL"),
        ({"READOUT_CHANNEL_WEBHOOK_URL": "http://hooks.example/x"}, "plain http only to 127.0.0.1"),
        ({"READOUT_CHANNEL_WEBHOOK_URL": "http://127.0.0.1:9/x"}, "READOUT_OUTBOUND_ALLOW"),
        ({"READOUT_CHANNEL_WEBHOOK_URL": "https://10.1.2.3/x"}, "not allowed by the outbound policy"),
        ({"READOUT_CHANNEL_WEBHOOK_URL": "https://169.254.169.254/x"}, "not allowed by the outbound policy"),
        ({"READOUT_EVENTS_WEBHOOK_URL": EVENTS}, "without READOUT_EVENTS_WEBHOOK_SECRET"),
        ({"READOUT_EVENTS_WEBHOOK_SECRET": SECRET}, "READOUT_EVENTS_WEBHOOK_SECRET is set without"),
        (
            {
                "READOUT_EVENTS_WEBHOOK_URL": EVENTS,
                "READOUT_EVENTS_WEBHOOK_SECRET": "short-secret-31-characters-long",
            },
            "READOUT_EVENTS_WEBHOOK_SECRET: expected at least 32 characters",
        ),
        (
            {"READOUT_EVENTS_WEBHOOK_URL": "http://[::1]:8080/x", "READOUT_EVENTS_WEBHOOK_SECRET": SECRET},
            "READOUT_EVENTS_WEBHOOK_URL: its host is not allowed",
        ),
        (
            SLACK | {"READOUT_CHANNEL_WEBHOOK_URL": HOOK},
            "READOUT_CHANNEL_WEBHOOK_URL and READOUT_SLACK_* both configure the leadership channel: set one",
        ),
    ],
)
def test_a_bad_webhook_setting_is_one_line_naming_it(environ: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ)
    message = str(raised.value)
    assert says in message
    assert "\n" not in message
    for secret in (HOOK, "SIGSIG", SECRET, "short-secret-31-characters-long", "u:p@"):
        assert secret not in message


def test_loopback_over_http_is_allowed_when_the_operator_lists_it() -> None:
    allow = {"READOUT_OUTBOUND_ALLOW": "127.0.0.1"}
    for url in ("http://127.0.0.1:9/x", "http://localhost:9/x"):
        found = load_settings(allow | {"READOUT_CHANNEL_WEBHOOK_URL": url}).channel_webhook
        assert found is not None
        assert found.url == url
    named = {"READOUT_OUTBOUND_ALLOW": "localhost:9", "READOUT_CHANNEL_WEBHOOK_URL": "http://localhost:9/x"}
    assert load_settings(named).channel_webhook is not None
    with pytest.raises(ConfigError, match="not allowed by the outbound policy"):
        load_settings(
            {"READOUT_OUTBOUND_ALLOW": "localhost:9", "READOUT_CHANNEL_WEBHOOK_URL": "http://localhost:8/x"}
        )


def test_slack_and_an_incoming_webhook_stop_every_command_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("READOUT_DATABASE_URL", f"sqlite:///{tmp_path / 'readout.db'}")
    for name, value in (SLACK | {"READOUT_CHANNEL_WEBHOOK_URL": HOOK}).items():
        monkeypatch.setenv(name, value)
    assert main(["users", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "both configure the leadership channel" in err
    assert HOOK not in err


def _channel(tmp_path: Path, **environ: str) -> object:
    store = {"READOUT_DATABASE_URL": f"sqlite:///{tmp_path / 'readout.db'}"}
    return bootstrap.workflow_deps(None, store | environ).channel


def test_the_workflow_gets_the_channel_the_settings_name(tmp_path: Path) -> None:
    events = {"READOUT_EVENTS_WEBHOOK_URL": EVENTS, "READOUT_EVENTS_WEBHOOK_SECRET": SECRET}
    assert isinstance(_channel(tmp_path, READOUT_CHANNEL_WEBHOOK_URL=HOOK), IncomingWebhookChannel)
    assert isinstance(_channel(tmp_path, **events), EventsWebhookChannel)
    both = _channel(tmp_path, READOUT_CHANNEL_WEBHOOK_URL=HOOK, **events)
    assert isinstance(both, FanOutChannel)
    assert isinstance(both.primary, IncomingWebhookChannel)
    assert isinstance(_channel(tmp_path, **SLACK), SlackChannel)
    with_slack = _channel(tmp_path, **SLACK, **events)
    assert isinstance(with_slack, SlackWithEvents)
    assert isinstance(with_slack, SlackChannel)  # the interactions endpoint still answers clicks through it
    assert isinstance(with_slack.events, EventsWebhookChannel)
