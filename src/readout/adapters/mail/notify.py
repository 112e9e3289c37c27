"""Send plain-text e-mail notifications through the SMTP relay invitations use (the ``Notifier`` port).

The same relay rules as ``adapters/mail/smtp.py``: with ``starttls`` set, a relay that does not offer
STARTTLS (or whose certificate does not verify) gets neither the credentials nor the message; a relay that
does not offer AUTH when credentials are configured is refused rather than used unauthenticated.

Failures are told apart for the effect runner: a passing one (the relay cannot be reached, is slow, closes
the connection, answers 4xx, TLS or authentication fails) is ``SourceUnavailable`` and retried with backoff;
a refusal (every recipient refused, a 5xx answer to the message, or some recipients refused after the relay
took it for the others) is ``Conflict``: final, never sent again (nobody gets it twice). Messages name the
relay and what went wrong, never the password.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from readout.adapters.mail.smtp import deliver
from readout.config import SmtpSettings
from readout.errors import Conflict, SourceUnavailable

__all__ = ["SmtpNotifier", "build_notification"]

_MAX_REPLY = 120  # characters of a relay's reply kept in an error message


def build_notification(
    sender: str, to: Sequence[str], subject: str, body: str, message_id: str, now: datetime
) -> EmailMessage:
    """The message as sent: plain text (UTF-8), marked as sent automatically (RFC 3834) so that
    out-of-office replies are not sent back to Readout."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, subtype="plain", charset="utf-8")
    return message


class SmtpNotifier:
    """``Notifier`` over SMTP. ``tls_context`` verifies the relay (default: the system's CAs)."""

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

    def send(self, to: Sequence[str], subject: str, body: str, message_id: str) -> None:
        """Send one message to every address in ``to``."""
        addresses = [a for a in dict.fromkeys(a.strip() for a in to) if a]
        if not addresses:
            raise Conflict(f"notification not sent via {self.relay}: it has no recipient")
        message = build_notification(
            self._settings.sender, addresses, subject, body, message_id, self._clock()
        )
        try:
            refused = deliver(self._settings, self._tls_context, message.as_bytes(), addresses)
        except smtplib.SMTPRecipientsRefused as exc:
            everyone = ", ".join(exc.recipients)
            raise Conflict(
                f"notification not sent via {self.relay}: refused every recipient: {everyone}"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise self._passing(f"authentication as {self._user()!r} failed ({exc.smtp_code})") from None
        except smtplib.SMTPServerDisconnected as exc:
            if isinstance(exc.__context__, TimeoutError):  # smtplib rewraps a read timeout
                raise self._passing(f"no answer within {self._settings.timeout:g} s") from None
            raise self._passing("the relay closed the connection") from None
        except smtplib.SMTPResponseException as exc:
            answer = f"relay answered {exc.smtp_code} {self._reply(exc.smtp_error)}"
            if exc.smtp_code >= 500:
                raise Conflict(f"notification not sent via {self.relay}: {self._scrub(answer)}") from None
            raise self._passing(answer) from None
        except smtplib.SMTPException as exc:
            raise self._passing(str(exc) or type(exc).__name__) from None
        except ssl.SSLError as exc:
            raise self._passing(f"TLS failed ({exc.reason or type(exc).__name__})") from None
        except TimeoutError:
            raise self._passing(f"no answer within {self._settings.timeout:g} s") from None
        except OSError as exc:
            raise self._passing(f"cannot connect ({exc.strerror or type(exc).__name__})") from None
        if refused:
            raise Conflict(
                f"notification sent via {self.relay} to some recipients only; refused: {', '.join(refused)} "
                "(not sent again, so nobody gets it twice)"
            )

    def _passing(self, detail: str) -> SourceUnavailable:
        return SourceUnavailable(
            f"the mail relay {self.relay}", f"notification not sent: {self._scrub(detail)}"
        )

    def _reply(self, raw: bytes | str) -> str:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        text = " ".join(text.split())
        return text if len(text) <= _MAX_REPLY else text[: _MAX_REPLY - 3] + "..."

    def _user(self) -> str:
        return self._settings.credentials.username if self._settings.credentials else ""

    def _scrub(self, text: str) -> str:
        """A relay echoing the password back must not put it in our message."""
        credentials = self._settings.credentials
        if credentials is not None and credentials.password:
            text = text.replace(credentials.password, "***")
        return text
