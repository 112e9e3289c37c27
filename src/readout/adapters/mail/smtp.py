"""Send iMIP invitations through an SMTP relay (the ``InviteSender`` port).

Fail closed: with ``starttls`` set, a relay that does not offer STARTTLS (or whose certificate does not
verify) gets neither the credentials nor the message. With ``starttls`` off the operator chose a plaintext
relay (a local MTA, say) and credentials, if any, go in the clear. A relay that does not offer AUTH when
credentials are configured is refused too, rather than sending unauthenticated.

Every failure is an ``InviteNotSent`` naming the relay and what went wrong, never the password; when the
relay accepted some recipients and refused others it is ``InvitePartlySent`` with the refused addresses.
Resending is safe either way: the same UID and SEQUENCE only update the event in calendars that have it.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from readout.adapters.mail.imip import build_message, recipients
from readout.config import SmtpSettings
from readout.domain.invite import Invitation
from readout.errors import ReadoutError

__all__ = ["InviteNotSent", "InvitePartlySent", "SmtpInviteSender", "deliver"]

_MAX_REPLY = 120  # characters of a relay's reply kept in an error message


@dataclass
class InviteNotSent(ReadoutError):
    """The relay (``host:port``) did not take the invitation; ``detail`` says why."""

    relay: str
    detail: str

    def __str__(self) -> str:
        return f"invitation not sent via {self.relay}: {self.detail}"


@dataclass
class InvitePartlySent(InviteNotSent):
    """The relay took the invitation for some attendees and refused ``refused``."""

    refused: tuple[str, ...] = ()


class SmtpRelay:
    """What every sender through the relay shares: its settings, the clock for ``Date:``, the TLS context
    that verifies it (default: the system's CAs), and its name in messages."""

    def __init__(
        self,
        settings: SmtpSettings,
        clock: Callable[[], datetime],
        *,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._tls_context = tls_context

    @property
    def relay(self) -> str:
        """``host:port`` of the relay, for messages."""
        return f"{self._settings.host}:{self._settings.port}"


def failure_detail(settings: SmtpSettings, error: OSError) -> str:
    """What went wrong in an SMTP session (``deliver``), in words, never with the password."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        user = settings.credentials.username if settings.credentials else ""
        detail = f"authentication as {user!r} failed ({error.smtp_code})"
    elif isinstance(error, smtplib.SMTPServerDisconnected):  # smtplib rewraps a read timeout
        timed_out = isinstance(error.__context__, TimeoutError)
        detail = (
            f"no answer within {settings.timeout:g} s" if timed_out else "the relay closed the connection"
        )
    elif isinstance(error, smtplib.SMTPResponseException):
        detail = f"relay answered {error.smtp_code} {_reply(error.smtp_error)}"
    elif isinstance(error, smtplib.SMTPException):
        detail = str(error) or type(error).__name__
    elif isinstance(error, ssl.SSLError):
        detail = f"TLS failed ({error.reason or type(error).__name__})"
    elif isinstance(error, TimeoutError):
        detail = f"no answer within {settings.timeout:g} s"
    else:
        detail = f"cannot connect ({error.strerror or type(error).__name__})"
    credentials = settings.credentials  # belt and braces: a relay echoing the password back
    if credentials is not None and credentials.password:
        detail = detail.replace(credentials.password, "***")
    return detail


def is_final_answer(error: OSError) -> bool:
    """The relay answered the message itself with a 5xx: sending it again would be refused again (a failed
    sign-in is not: the credentials may be fixed)."""
    return (
        isinstance(error, smtplib.SMTPResponseException)
        and not isinstance(error, smtplib.SMTPAuthenticationError)
        and error.smtp_code >= 500
    )


def _reply(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REPLY else text[: _MAX_REPLY - 3] + "..."


class SmtpInviteSender(SmtpRelay):
    """``InviteSender`` over SMTP. ``tls_context`` verifies the relay (default: the system's CAs)."""

    def send(self, invitation: Invitation) -> None:
        """Send ``invitation`` to every attendee; InviteNotSent (or InvitePartlySent) on failure."""
        message = build_message(invitation, self._settings.sender, self._clock())
        to = recipients(invitation)
        if not to:
            raise InviteNotSent(self.relay, "the invitation has no attendees")
        try:
            refused = deliver(self._settings, self._tls_context, message.as_bytes(), to)
        except smtplib.SMTPRecipientsRefused as exc:
            raise self._refused(tuple(exc.recipients), partly=False) from None
        except OSError as exc:  # smtplib's errors, TLS, timeouts, the connection
            raise InviteNotSent(self.relay, failure_detail(self._settings, exc)) from None
        if refused:
            raise self._refused(tuple(refused), partly=True)

    def _refused(self, addresses: tuple[str, ...], *, partly: bool) -> InviteNotSent:
        listed = ", ".join(addresses)
        if partly:
            return InvitePartlySent(self.relay, f"refused some attendees: {listed}", addresses)
        return InviteNotSent(self.relay, f"refused every attendee: {listed}")


def deliver(
    settings: SmtpSettings, tls_context: ssl.SSLContext | None, message: bytes, to: list[str]
) -> dict[str, tuple[int, bytes]]:
    """One SMTP session: EHLO, STARTTLS (required when configured), AUTH, MAIL, RCPT, DATA; the recipients
    the relay refused (invitations and notifications both go out this way)."""
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        smtp.ehlo()
        if settings.starttls:
            if not smtp.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError(
                    "relay does not offer STARTTLS; nothing sent (credentials included)"
                )
            smtp.starttls(context=tls_context or ssl.create_default_context())
            smtp.ehlo()
        if settings.credentials is not None:
            if not smtp.has_extn("auth"):
                raise smtplib.SMTPNotSupportedError("relay does not offer AUTH; nothing sent")
            smtp.login(settings.credentials.username, settings.credentials.password)
        return smtp.sendmail(settings.sender, to, message)
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        smtp.close()
