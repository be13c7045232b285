"""E-mail channel over SMTP (smtplib), optionally with STARTTLS and a login."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from server.store.models import Contact

from .channels import ChannelError
from .messages import Message


class EmailChannel:
    name = "email"

    def __init__(
        self,
        host: str | None,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self._username, self._password, self._starttls, self._timeout = username, password, starttls, timeout

    def serves(self, contact: Contact) -> bool:
        return bool(contact.email) and bool(self.host)

    def send(self, contact: Contact, message: Message, payload: dict[str, Any]) -> None:
        self.mail(str(contact.email), message, {"X-Aedmon-Delivery": str(payload["delivery"])})

    def mail(self, to: str, message: Message, headers: dict[str, str] | None = None) -> None:
        """Send one message to one address; ChannelError when the server does not take it."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = message.subject
        for name, value in (headers or {}).items():
            mail[name] = value
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(str(self.host), self.port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls()
                if self._username:
                    smtp.login(self._username, self._password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(f"SMTP failed: {exc.__class__.__name__}") from exc
