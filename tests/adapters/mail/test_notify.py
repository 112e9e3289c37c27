"""E-mail notifications sent through a real SMTP server (aiosmtpd on 127.0.0.1, see tests/support): what
arrives, parsed back with ``email``; and which failures are passing (retried) and which are final."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from readout.adapters.mail.notify import SmtpNotifier
from readout.config import Credentials, SmtpSettings
from readout.domain.effects import notification_message_id
from readout.errors import Conflict, SourceUnavailable
from tests.support.smtp_server import HOST, smtp_server

NOW = datetime(2026, 11, 13, 13, 0, tzinfo=UTC)
SENDER = "readout@provider.example"
PASSWORD = "correct-horse-7431"
TO = ["dmitri@provider.example", "paula@provider.example"]
SUBJECT = "[Readout] Hold expiring in 120 min: ESC-48213 (Globex Financial)"
BODY = "The hold on Tue 17 Nov 12:00-13:00 Mexico City (18:00-19:00 UTC) expires at Fri 13 Nov 09:00 México."
MESSAGE_ID = notification_message_id("notify:remind:hold:1")

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def notifier(port: int, *, credentials: Credentials | None = None, starttls: bool = False) -> SmtpNotifier:
    return SmtpNotifier(SmtpSettings(HOST, port, starttls, SENDER, credentials, 5.0), lambda: NOW)


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def test_a_plain_text_message_arrives_with_its_message_id() -> None:
    with smtp_server() as server:
        notifier(server.port).send(TO, SUBJECT, BODY, MESSAGE_ID)

    (received,) = server.messages
    assert received.mail_from == SENDER
    assert sorted(received.rcpt_tos) == TO
    message = parsed(received.content)
    assert message["Subject"] == SUBJECT
    assert message["Message-ID"] == MESSAGE_ID
    assert message["To"] == ", ".join(TO)
    assert message["Auto-Submitted"] == "auto-generated"  # no out-of-office replies back to Readout
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == BODY  # UTF-8 survives (México)


def test_the_same_intent_sent_twice_carries_the_same_message_id() -> None:
    with smtp_server() as server:
        notifier(server.port).send(TO, SUBJECT, BODY, MESSAGE_ID)
        notifier(server.port).send(TO, SUBJECT, BODY, MESSAGE_ID)
    ids = {parsed(r.content)["Message-ID"] for r in server.messages}
    assert ids == {MESSAGE_ID}


def test_credentials_are_used_and_a_wrong_password_is_passing_and_not_shown() -> None:
    with smtp_server(credentials=("readout", PASSWORD)) as server:
        notifier(server.port, credentials=Credentials("readout", PASSWORD)).send(
            TO, SUBJECT, BODY, MESSAGE_ID
        )
        with pytest.raises(SourceUnavailable, match="authentication as 'readout' failed") as caught:
            notifier(server.port, credentials=Credentials("readout", "wrong-" + PASSWORD)).send(
                TO, SUBJECT, BODY, MESSAGE_ID
            )
    assert len(server.messages) == 1
    assert server.messages[0].authenticated
    assert PASSWORD not in str(caught.value)


def test_a_relay_that_cannot_be_reached_is_a_passing_failure() -> None:
    with pytest.raises(SourceUnavailable, match="cannot connect") as caught:
        notifier(closed_port()).send(TO, SUBJECT, BODY, MESSAGE_ID)
    assert not isinstance(caught.value, Conflict)
    assert f"{HOST}:" in str(caught.value)


def test_starttls_required_but_not_offered_sends_nothing() -> None:
    with smtp_server() as server, pytest.raises(SourceUnavailable, match="does not offer STARTTLS"):
        notifier(server.port, starttls=True).send(TO, SUBJECT, BODY, MESSAGE_ID)
    assert server.messages == []


def test_every_recipient_refused_is_final() -> None:
    with smtp_server(refuse=TO) as server, pytest.raises(Conflict, match="refused every recipient"):
        notifier(server.port).send(TO, SUBJECT, BODY, MESSAGE_ID)
    assert server.messages == []


def test_some_recipients_refused_is_final_so_the_others_never_get_it_twice() -> None:
    with (
        smtp_server(refuse={TO[1]}) as server,
        pytest.raises(Conflict, match="to some recipients only") as caught,
    ):
        notifier(server.port).send(TO, SUBJECT, BODY, MESSAGE_ID)
    assert TO[1] in str(caught.value)
    (received,) = server.messages
    assert received.rcpt_tos == (TO[0],)


def test_no_recipient_is_refused_before_any_connection() -> None:
    with pytest.raises(Conflict, match="no recipient"):
        notifier(closed_port()).send(["", "  "], SUBJECT, BODY, MESSAGE_ID)
