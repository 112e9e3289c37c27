"""iMIP invitations (RFC 6047) sent through a real SMTP server (aiosmtpd on 127.0.0.1, see tests/support).

The invitation is built from the Globex example the way the workflow builds it: the packet of a slot with
the required roles and the interpreter Ana. Every assertion reads what the server received, parsed back
with ``email`` and ``icalendar``, so it checks what an attendee's mail client would see.
"""

from __future__ import annotations

import email
import email.policy
import socket
import time
import traceback
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar, Event

from readout.adapters.casefile.loader import load_case
from readout.adapters.mail.imip import UninvitableAttendee, build_calendar
from readout.adapters.mail.smtp import InviteNotSent, InvitePartlySent, SmtpInviteSender
from readout.config import Credentials, SmtpSettings
from readout.domain.case_document import LoadedCase
from readout.domain.intervals import Interval
from readout.domain.invite import Invitation, build_packet, invitation_uid
from tests.support.smtp_server import HOST, SmtpServer, TlsFiles, self_signed_certificate, smtp_server

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "globex-sso-outage"
NOW = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
# Tuesday 17 November 2026, 10:00-11:00 in Chicago and Mexico City (CST, UTC-6), 21:30 in Kolkata.
SLOT = Interval(datetime(2026, 11, 17, 16, 0, tzinfo=UTC), datetime(2026, 11, 17, 17, 0, tzinfo=UTC))
SENDER = "readout@provider.example"
PASSWORD = "correct-horse-7431"
REQUIRED = {
    "dana.ortiz@provider.example": "Dana Ortiz",
    "ravi.kumar@provider.example": "Ravi Kumar",
    "mei.chen@provider.example": "Mei Chen",
    "luis.garza@globex.example": "Luis Garza",
    "ana.ruiz@interp.example": "Ana Ruiz",  # the interpreter
}

# The test server offers AUTH in the clear on purpose (a relay the operator runs without STARTTLS).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture(scope="module")
def loaded() -> LoadedCase:
    return load_case(EXAMPLE / "case.yaml")


def invitation(loaded: LoadedCase, method: str = "REQUEST", sequence: int = 0) -> Invitation:
    case = loaded.case
    packet = build_packet(case, SLOT, "ana")
    uid = invitation_uid(case.escalation_id)
    return Invitation(packet, method, uid, sequence, "Dana Ortiz", "dana.ortiz@provider.example")


def sender(
    port: int,
    *,
    starttls: bool = False,
    credentials: Credentials | None = None,
    timeout: float = 5.0,
    tls: TlsFiles | None = None,
) -> SmtpInviteSender:
    settings = SmtpSettings(HOST, port, starttls, SENDER, credentials, timeout)
    return SmtpInviteSender(settings, lambda: NOW, tls_context=tls.client_context() if tls else None)


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def calendar_part(message: EmailMessage) -> EmailMessage:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert isinstance(part, EmailMessage)
    return part


def the_event(message: EmailMessage) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(calendar_part(message).get_content())
    (event,) = calendar.events
    return calendar, event


def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server() as running:
        yield running


# --- what arrives ------------------------------------------------------------------------------------------


def test_request_arrives_as_a_valid_imip_request(loaded: LoadedCase, server: SmtpServer) -> None:
    sender(server.port).send(invitation(loaded))

    (received,) = server.messages
    assert received.mail_from == SENDER
    assert sorted(received.rcpt_tos) == sorted(REQUIRED)
    message = parsed(received.content)
    assert message["Subject"] == "Invitation: Root-cause analysis readout, Globex Financial"
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["From"].addresses[0].display_name == "Dana Ortiz"
    assert {a.addr_spec for a in message["To"].addresses} == set(REQUIRED)
    assert message["Message-ID"]
    assert message["Date"].datetime == NOW

    part = calendar_part(message)  # RFC 6047 section 2.4
    assert part.get_param("method") == "REQUEST"
    assert str(part.get_param("charset")).lower() == "utf-8"
    calendar, event = the_event(message)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert calendar["METHOD"] == "REQUEST"
    assert event.start == SLOT.start
    assert event.end == SLOT.end
    assert isinstance(event.start, datetime)
    assert event.start.utcoffset() == timedelta(0)
    assert event.stamp == NOW
    assert event.uid == "readout-esc-48213@readout.invalid"
    assert event.sequence == 0
    assert event["STATUS"] == "CONFIRMED"
    assert event["SUMMARY"] == "Root-cause analysis readout, Globex Financial"
    assert event.organizer is not None
    assert event.organizer.email == "dana.ortiz@provider.example"
    assert event.organizer.params["CN"] == "Dana Ortiz"
    assert event.organizer.params["SENT-BY"] == f"mailto:{SENDER}"

    attendees = {a.email: a.params for a in event.attendees}
    assert attendees.keys() == REQUIRED.keys()
    for address, params in attendees.items():
        assert params["CN"] == REQUIRED[address]
        assert (params["ROLE"], params["PARTSTAT"], params["RSVP"], params["CUTYPE"]) == (
            "REQ-PARTICIPANT",
            "NEEDS-ACTION",
            "TRUE",
            "INDIVIDUAL",
        )


def test_each_attendee_reads_the_time_in_their_own_zone(loaded: LoadedCase, server: SmtpServer) -> None:
    sender(server.port).send(invitation(loaded))

    message = parsed(server.messages[0].content)
    plain = message.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    _, event = the_event(message)
    for shown in (text, str(event["DESCRIPTION"])):
        assert "ESC-48213" in shown
        assert "Fix owner: Ravi Kumar (Asia/Kolkata)" in shown
        assert "2026-11-17 21:30 IST to 2026-11-17 22:30 IST" in shown
        assert "Customer success director: Mei Chen (America/New_York)" in shown
        assert "2026-11-17 11:00 EST to 2026-11-17 12:00 EST" in shown
        assert "Interpreter: Ana Ruiz (America/Mexico_City)" in shown
    # Nothing but the reference and, per role, the name and the local times (the whole text, not a search).
    assert str(event["DESCRIPTION"]).splitlines() == [
        "Reference: ESC-48213",
        "",
        "Escalation manager: Dana Ortiz (America/Chicago)",
        "  2026-11-17 10:00 CST to 2026-11-17 11:00 CST",
        "Fix owner: Ravi Kumar (Asia/Kolkata)",
        "  2026-11-17 21:30 IST to 2026-11-17 22:30 IST",
        "Customer success director: Mei Chen (America/New_York)",
        "  2026-11-17 11:00 EST to 2026-11-17 12:00 EST",
        "Customer incident manager: Luis Garza (America/Mexico_City)",
        "  2026-11-17 10:00 CST to 2026-11-17 11:00 CST",
        "Interpreter: Ana Ruiz (America/Mexico_City)",
        "  2026-11-17 10:00 CST to 2026-11-17 11:00 CST",
    ]
    (attachment,) = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    assert attachment.get_content() == calendar_part(message).get_content().encode()


def test_cancellation_replaces_the_same_event(loaded: LoadedCase, server: SmtpServer) -> None:
    send = sender(server.port).send
    send(invitation(loaded, "REQUEST", sequence=0))
    send(invitation(loaded, "CANCEL", sequence=1))

    first, second = (parsed(r.content) for r in server.messages)
    assert second["Subject"] == "Cancelled: Root-cause analysis readout, Globex Financial"
    assert calendar_part(second).get_param("method") == "CANCEL"
    (_, request), (calendar, cancel) = the_event(first), the_event(second)
    assert calendar["METHOD"] == "CANCEL"
    assert cancel["STATUS"] == "CANCELLED"
    assert cancel.uid == request.uid
    assert cancel.sequence > request.sequence
    assert {a.email for a in cancel.attendees} == set(REQUIRED)
    assert {a.params["RSVP"] for a in cancel.attendees} == {"FALSE"}  # a CANCEL expects no reply
    assert sorted(server.messages[1].rcpt_tos) == sorted(REQUIRED)


def test_no_internal_detail_reaches_the_message(loaded: LoadedCase, server: SmtpServer) -> None:
    sender(server.port).send(invitation(loaded))

    raw = server.messages[0].content
    decoded = [p.get_content() for p in parsed(raw).walk() if not p.is_multipart()]
    everything = [raw.decode("utf-8", "replace"), *(d if isinstance(d, str) else d.decode() for d in decoded)]
    secrets = [loaded.case.summary, "IdP", "certificate rotation"]
    for ics in sorted((EXAMPLE / "calendars").glob("*.ics")):
        secrets += [str(e["SUMMARY"]) for e in Calendar.from_ical(ics.read_bytes()).events if "SUMMARY" in e]
    secrets += ["sam.patel@provider.example", "pablo.soto@interp.example"]  # optional, not approved
    assert len(secrets) > 10
    for text in everything:
        for secret in secrets:
            assert secret.lower() not in text.lower(), secret


# --- building --------------------------------------------------------------------------------------------


def test_attendee_without_email_is_refused_before_any_connection(loaded: LoadedCase) -> None:
    request = invitation(loaded)
    attendees = tuple(replace(a, email="") if a.role == "fix_owner" else a for a in request.packet.attendees)
    broken = replace(request, packet=replace(request.packet, attendees=attendees))

    with pytest.raises(UninvitableAttendee) as caught:
        sender(closed_port()).send(broken)  # a connection attempt would raise InviteNotSent instead
    assert caught.value.role == "fix_owner"
    assert "fix_owner (Ravi Kumar)" in str(caught.value)


def test_long_non_ascii_lines_are_folded_and_survive(loaded: LoadedCase, server: SmtpServer) -> None:
    request = invitation(loaded)
    purpose = "Revisión del análisis de causa raíz con Globex Financial — " * 3
    long = replace(request, packet=replace(request.packet, purpose=purpose), organizer_name="Dána Ortíz")

    ics = build_calendar(long, NOW)
    assert max(len(line) for line in ics.split(b"\r\n")) <= 75  # octets, RFC 5545 section 3.1
    sender(server.port).send(long)
    message = parsed(server.messages[0].content)
    _, event = the_event(message)
    assert event["SUMMARY"] == purpose
    assert event.organizer is not None
    assert event.organizer.params["CN"] == "Dána Ortíz"
    assert message["From"].addresses[0].display_name == "Dána Ortíz"
    assert server.messages[0].content.isascii()  # 7-bit clean for any relay


def test_dtstamp_is_utc_whatever_zone_the_clock_gives(loaded: LoadedCase) -> None:
    local_now = NOW.astimezone(timezone(timedelta(hours=-6)))
    event = Calendar.from_ical(build_calendar(invitation(loaded), local_now)).events[0]
    assert event.stamp == NOW
    assert event.stamp.utcoffset() == timedelta(0)


# --- authentication --------------------------------------------------------------------------------------


def test_relay_requiring_auth_gets_the_configured_credentials(loaded: LoadedCase) -> None:
    with smtp_server(credentials=("readout", PASSWORD)) as server:
        sender(server.port, credentials=Credentials("readout", PASSWORD)).send(invitation(loaded))

    assert server.auth_attempts == [("readout", PASSWORD)]
    (received,) = server.messages
    assert received.authenticated


def test_wrong_password_is_an_error_that_does_not_show_it(loaded: LoadedCase) -> None:
    wrong = "wrong-" + PASSWORD
    with smtp_server(credentials=("readout", PASSWORD)) as server, pytest.raises(InviteNotSent) as caught:
        sender(server.port, credentials=Credentials("readout", wrong)).send(invitation(loaded))

    assert server.messages == []
    assert "authentication as 'readout' failed (535)" in str(caught.value)
    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    assert wrong not in shown
    assert PASSWORD not in shown


def test_relay_requiring_auth_refuses_a_sender_without_credentials(loaded: LoadedCase) -> None:
    with smtp_server(credentials=("readout", PASSWORD)) as server, pytest.raises(InviteNotSent, match="530"):
        sender(server.port).send(invitation(loaded))
    assert server.messages == []


def test_credentials_are_not_sent_unauthenticated_when_relay_offers_no_auth(
    loaded: LoadedCase, server: SmtpServer
) -> None:
    with pytest.raises(InviteNotSent, match="does not offer AUTH"):
        sender(server.port, credentials=Credentials("readout", PASSWORD)).send(invitation(loaded))
    assert server.messages == []


# --- transport failures ----------------------------------------------------------------------------------


def test_connection_refused_fails_fast(loaded: LoadedCase) -> None:
    started = time.monotonic()
    with pytest.raises(InviteNotSent, match="cannot connect") as caught:
        sender(closed_port(), timeout=10).send(invitation(loaded))
    assert time.monotonic() - started < 2
    assert caught.value.relay.startswith(f"{HOST}:")


def test_silent_relay_times_out(loaded: LoadedCase) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind((HOST, 0))
        silent.listen()
        started = time.monotonic()
        with pytest.raises(InviteNotSent, match=r"no answer within 0.3 s"):
            sender(silent.getsockname()[1], timeout=0.3).send(invitation(loaded))
    assert time.monotonic() - started < 3


def test_refused_recipients_are_named(loaded: LoadedCase) -> None:
    luis = "luis.garza@globex.example"
    with smtp_server(refuse={luis}) as server, pytest.raises(InvitePartlySent) as caught:
        sender(server.port).send(invitation(loaded))

    assert caught.value.refused == ("luis.garza@globex.example",)
    (received,) = server.messages  # the others did get it; resending the same UID/SEQUENCE is harmless
    assert sorted(received.rcpt_tos) == sorted(set(REQUIRED) - {"luis.garza@globex.example"})


def test_every_recipient_refused_is_not_sent(loaded: LoadedCase) -> None:
    everyone = smtp_server(refuse=REQUIRED.keys())
    with everyone as server, pytest.raises(InviteNotSent, match="refused every attendee") as caught:
        sender(server.port).send(invitation(loaded))
    assert not isinstance(caught.value, InvitePartlySent)
    assert server.messages == []


# --- STARTTLS --------------------------------------------------------------------------------------------


def test_starttls_required_but_not_offered_sends_nothing(loaded: LoadedCase) -> None:
    with smtp_server(credentials=("readout", PASSWORD)) as server:  # AUTH offered in the clear, no STARTTLS
        relay = sender(server.port, starttls=True, credentials=Credentials("readout", PASSWORD))
        with pytest.raises(InviteNotSent, match="does not offer STARTTLS") as caught:
            relay.send(invitation(loaded))

    assert server.auth_attempts == []
    assert server.messages == []
    assert PASSWORD not in str(caught.value)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    files = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    if files is None:
        pytest.skip("the openssl command is not installed; STARTTLS success paths cannot be tested")
    return files


def test_starttls_then_auth_then_message(loaded: LoadedCase, certificate: TlsFiles) -> None:
    with smtp_server(credentials=("readout", PASSWORD), tls=certificate) as server:
        credentials = Credentials("readout", PASSWORD)
        sender(server.port, starttls=True, credentials=credentials, tls=certificate).send(invitation(loaded))

    (received,) = server.messages
    assert received.tls
    assert received.authenticated
    assert server.auth_attempts == [("readout", PASSWORD)]


def test_untrusted_certificate_gets_neither_credentials_nor_message(
    loaded: LoadedCase, certificate: TlsFiles
) -> None:
    with smtp_server(credentials=("readout", PASSWORD), tls=certificate) as server:
        credentials = Credentials("readout", PASSWORD)
        with pytest.raises(InviteNotSent, match="TLS failed"):
            sender(server.port, starttls=True, credentials=credentials).send(invitation(loaded))  # system CAs

    assert server.auth_attempts == []
    assert server.messages == []
