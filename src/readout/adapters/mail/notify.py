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
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from readout.adapters.mail.smtp import SmtpRelay, deliver, failure_detail, is_final_answer
from readout.errors import Conflict, SourceUnavailable

__all__ = ["SmtpNotifier", "build_notification"]


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


class SmtpNotifier(SmtpRelay):
    """``Notifier`` over SMTP. ``tls_context`` verifies the relay (default: the system's CAs)."""

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
        except OSError as exc:  # smtplib's errors, TLS, timeouts, the connection
            detail = failure_detail(self._settings, exc)
            if is_final_answer(exc):
                raise Conflict(f"notification not sent via {self.relay}: {detail}") from None
            raise SourceUnavailable(
                f"the mail relay {self.relay}", f"notification not sent: {detail}"
            ) from None
        if refused:
            raise Conflict(
                f"notification sent via {self.relay} to some recipients only; refused: {', '.join(refused)} "
                "(not sent again, so nobody gets it twice)"
            )
