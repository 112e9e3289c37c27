"""Settings from the environment (config.py): the outbound allow-list, where calendar credentials may go, and a
secrets file that is bad in every way an operator or an attacker could make it (one line, never a traceback)."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from readout.config import ConfigError, Credentials, CredentialStore, OutboundPolicy, load_settings

PASSWORD = "s3cret-Pa55word"
ALICE = Credentials("alice", PASSWORD)


# --- READOUT_OUTBOUND_ALLOW -------------------------------------------------------------------------------


def test_without_an_allow_list_the_policy_is_strict() -> None:
    policy = load_settings({}).outbound
    assert policy == OutboundPolicy()
    assert not policy.lists_host("localhost", 80)
    assert not policy.lists_address(ipaddress.ip_address("127.0.0.1"), 80)


def test_the_allow_list_takes_hosts_ports_addresses_and_ranges() -> None:
    policy = load_settings(
        {
            "READOUT_OUTBOUND_ALLOW": " dav.internal, Feeds.Internal.:8080,127.0.0.1,[::1]:5232 ,10.0.0.0/8,fd00::/8,"
        }
    ).outbound
    hosts = [("dav.internal", 443), ("DAV.internal.", 80), ("feeds.internal", 8080), ("feeds.internal", 80)]
    assert [policy.lists_host(*host) for host in hosts] == [True, True, True, False]
    assert not policy.lists_host("other.internal", 443)
    addresses = [("127.0.0.1", 1), ("127.0.0.2", 1), ("::1", 5232), ("::1", 80), ("10.20.30.40", 80)]
    addresses += [("fd12::1", 443), ("192.168.0.1", 80)]
    listed = [policy.lists_address(ipaddress.ip_address(a), port) for a, port in addresses]
    assert listed == [True, False, True, False, True, True, False]


@pytest.mark.parametrize(
    "entry",
    [
        "http://dav.internal",
        "dav.internal:http",
        "host:0",
        "host:70000",
        "10.0.0.0/33",
        "[::1",
        "[::1]x",
        "a b",
        "*",
        "dav..internal",
        "::1:",
        "/8",
    ],
)
def test_a_bad_allow_list_entry_is_a_one_line_error(entry: str) -> None:
    with pytest.raises(
        ConfigError, match=r"^READOUT_OUTBOUND_ALLOW: .* is not a host, host:port, address or CIDR"
    ):
        load_settings({"READOUT_OUTBOUND_ALLOW": f"127.0.0.1,{entry}"})


# --- calendar credentials ---------------------------------------------------------------------------------


def test_a_url_prefix_covers_its_own_origin_only() -> None:
    store = CredentialStore({"https://dav.example.com/calendars/": ALICE})
    assert store.for_url("https://dav.example.com/calendars/alice/") == ALICE
    assert store.for_url("caldavs://DAV.example.com:443/calendars/alice/") == ALICE
    assert store.for_url("webcal://dav.example.com/calendars/alice.ics") == ALICE
    for elsewhere in (
        "https://dav.example.com.evil.test/calendars/",  # a prefix of the text, another host
        "https://dav.example.com:8443/calendars/",
        "http://dav.example.com/calendars/",  # plain http is another origin
        "caldav://dav.example.com/calendars/",
        "https://dav.example.com/other/",
        "https://evil.test/https://dav.example.com/calendars/",
    ):
        assert store.for_url(elsewhere) is None, elsewhere


def test_a_host_key_covers_that_host_only() -> None:
    store = CredentialStore({"dav.example.com": ALICE})
    assert store.for_url("https://dav.example.com:8443/cal/") == ALICE
    assert store.for_url("https://dav.example.com.evil.test/cal/") is None
    assert store.for_url("https://evil.test/dav.example.com/") is None


def test_issue_9_default_credentials_need_an_origin_and_go_only_there() -> None:
    with pytest.raises(ConfigError, match="READOUT_CALENDAR_USERNAME is set without READOUT_CALENDAR_ORIGIN"):
        load_settings({"READOUT_CALENDAR_USERNAME": "alice", "READOUT_CALENDAR_PASSWORD": PASSWORD})
    store = load_settings(
        {
            "READOUT_CALENDAR_USERNAME": "alice",
            "READOUT_CALENDAR_PASSWORD": PASSWORD,
            "READOUT_CALENDAR_ORIGIN": "https://dav.example.com",
        }
    ).calendars
    assert store.for_url("caldavs://dav.example.com/alice/work/") == ALICE
    assert store.for_url("https://dav.example.com:443/x") == ALICE
    assert store.for_url("http://127.0.0.1:5232/alice/work/") is None
    assert store.for_url("caldav://dav.example.com/alice/work/") is None  # not over plain http
    assert store.for_url("https://dav.example.com:8443/x") is None
    assert PASSWORD not in repr(store)


@pytest.mark.parametrize(
    "origin",
    [
        "dav.example.com",
        "https://dav.example.com/calendars/",
        "ftp://dav.example.com",
        "https://u:p@dav.example.com",
    ],
)
def test_a_calendar_origin_is_a_scheme_host_and_port(origin: str) -> None:
    environ = {"READOUT_CALENDAR_USERNAME": "alice", "READOUT_CALENDAR_ORIGIN": origin}
    with pytest.raises(
        ConfigError, match=r"^READOUT_CALENDAR_ORIGIN: expected a scheme, host and optional port"
    ) as caught:
        load_settings(environ)
    assert "u:p@" not in str(caught.value)


def test_an_origin_without_credentials_is_refused() -> None:
    with pytest.raises(ConfigError, match="READOUT_CALENDAR_ORIGIN is set without READOUT_CALENDAR_USERNAME"):
        load_settings({"READOUT_CALENDAR_ORIGIN": "https://dav.example.com"})


def test_a_secrets_file_key_must_be_a_host_or_a_url_prefix(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f'calendars:\n  "alice:{PASSWORD}@dav.example.com": {{username: a, password: b}}\n')
    with pytest.raises(ConfigError, match="every key must be a host name or a URL prefix") as caught:
        load_settings({"READOUT_SECRETS_FILE": str(secrets)})
    assert PASSWORD not in str(caught.value)
    secrets.write_text("calendars:\n  Dav.Example.com: {username: a, password: b}\n")
    assert load_settings({"READOUT_SECRETS_FILE": str(secrets)}).calendars.for_url(
        "https://dav.example.com/x"
    )


# --- the secrets file -------------------------------------------------------------------------------------


def test_issue_9_a_deeply_nested_secrets_file_is_one_line_not_a_recursion_error(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("calendars: " + "[" * 100_000 + "]" * 100_000 + "\n")
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        load_settings({"READOUT_SECRETS_FILE": str(secrets)})
    assert str(caught.value) == f"READOUT_SECRETS_FILE {secrets}: nested more than 8 levels deep"
    assert time.monotonic() - started < 5
    secrets.write_text("smtp: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n")
    with pytest.raises(ConfigError, match="nested more than 8 levels deep"):
        load_settings({"READOUT_SECRETS_FILE": str(secrets)})


def test_a_nested_secrets_file_fails_on_the_command_line_without_a_traceback(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("calendars: " + "[" * 100_000 + "]" * 100_000 + "\n")
    case = Path(__file__).resolve().parents[1] / "examples" / "globex-sso-outage" / "case.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "readout.entrypoints.cli", "plan", str(case), "--json"],
        env={**os.environ, "READOUT_SECRETS_FILE": str(secrets)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"readout: error: READOUT_SECRETS_FILE {secrets}: nested more than 8 levels deep"
    ]


def test_a_secrets_file_that_is_not_a_regular_file_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "secrets.fifo"
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"secrets.fifo: not a regular file$"):
        load_settings({"READOUT_SECRETS_FILE": str(fifo)})
    assert time.monotonic() - started < 2
    with pytest.raises(ConfigError, match=r": not a regular file$"):
        load_settings({"READOUT_SECRETS_FILE": str(tmp_path)})
    with pytest.raises(ConfigError, match=r"missing.yaml: cannot be read \(FileNotFoundError\)$"):
        load_settings({"READOUT_SECRETS_FILE": str(tmp_path / "missing.yaml")})


def test_a_huge_secrets_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    with secrets.open("wb") as out:
        out.truncate(2**30)  # a sparse gigabyte
    with pytest.raises(ConfigError, match=r"secrets.yaml: larger than 262144 bytes$"):
        load_settings({"READOUT_SECRETS_FILE": str(secrets)})


def test_a_valid_secrets_file_still_loads(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(
        "calendars:\n"
        "  dav.example.com: {username: readout, password: one}\n"
        '  "https://dav.example.com/calendars/ravi/": {username: ravi, password: two}\n'
        "smtp: {username: mailer, password: three}\n"
    )
    settings = load_settings({"READOUT_SECRETS_FILE": str(secrets), "READOUT_SMTP_HOST": "smtp.example.com"})
    assert settings.calendars.for_url("https://dav.example.com/calendars/ravi/work/") == Credentials(
        "ravi", "two"
    )
    assert settings.calendars.for_url("https://dav.example.com/calendars/dana/") == Credentials(
        "readout", "one"
    )
    assert settings.smtp is not None
    assert settings.smtp.credentials == Credentials("mailer", "three")


# --- READOUT_CALENDAR_ROOT ---------------------------------------------------------------------------------


def test_without_a_calendar_root_api_documents_name_no_local_file() -> None:
    assert load_settings({}).calendar_root is None
    assert load_settings({"READOUT_CALENDAR_ROOT": ""}).calendar_root is None


def test_the_calendar_root_is_made_absolute_with_its_links_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "calendars").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "calendars")
    monkeypatch.chdir(tmp_path)
    for given in ("calendars", str(tmp_path / "link"), "./link/"):
        assert (
            load_settings({"READOUT_CALENDAR_ROOT": given}).calendar_root
            == (tmp_path / "calendars").resolve()
        )


@pytest.mark.parametrize("name", ["missing", "file.ics", "nul\x00"])
def test_a_calendar_root_that_is_not_a_folder_stops_every_command(tmp_path: Path, name: str) -> None:
    (tmp_path / "file.ics").write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    given = str(tmp_path / name)
    with pytest.raises(ConfigError) as caught:
        load_settings({"READOUT_CALENDAR_ROOT": given})
    assert str(caught.value) == f"READOUT_CALENDAR_ROOT={given!r}: expected an existing folder"


# --- the leadership channel ------------------------------------------------------------------------------

_SLACK = {
    "READOUT_SLACK_BOT_TOKEN": "xoxb-test-token-1234",
    "READOUT_SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
    "READOUT_SLACK_CHANNEL": "C0LEADERS",
}


def test_the_leadership_channel_is_set_up_by_all_three_settings_or_none() -> None:
    assert load_settings({}).slack is None
    slack = load_settings(_SLACK | {"READOUT_SLACK_API_URL": "http://127.0.0.1:9999/api"}).slack
    assert slack is not None
    assert (slack.api_url, slack.channel) == ("http://127.0.0.1:9999/api/", "C0LEADERS")
    assert load_settings(_SLACK).slack.api_url == "https://slack.com/api/"  # type: ignore[union-attr]
    assert "xoxb" not in repr(slack)  # secrets never shown
    assert _SLACK["READOUT_SLACK_SIGNING_SECRET"] not in repr(slack)


@pytest.mark.parametrize("missing", sorted(_SLACK))
def test_a_half_set_up_channel_is_refused_naming_what_is_missing_and_no_secret(missing: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({k: v for k, v in _SLACK.items() if k != missing})
    assert missing in str(refused.value)
    assert "xoxb" not in str(refused.value)
    assert _SLACK["READOUT_SLACK_SIGNING_SECRET"] not in str(refused.value)


@pytest.mark.parametrize(
    "url", ["ftp://slack.example/api/", "https://user:pw@slack.example/api/", "nonsense"]
)
def test_a_slack_api_url_that_is_not_a_base_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="READOUT_SLACK_API_URL"):
        load_settings(_SLACK | {"READOUT_SLACK_API_URL": url})


@pytest.mark.parametrize("name", ["#support-leadership", "support-leadership", "c0lower", "C0"])
def test_the_channel_must_be_named_by_its_id(name: str) -> None:
    with pytest.raises(ConfigError, match="READOUT_SLACK_CHANNEL: expected the channel's id"):
        load_settings(_SLACK | {"READOUT_SLACK_CHANNEL": name})
