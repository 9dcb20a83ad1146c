"""Sending e-mail through the clinic's SMTP server (settings from the environment).

``FILIFORM_SMTP_HOST`` (unset: no e-mail is sent, messages wait in the outbox),
``FILIFORM_SMTP_PORT`` (587), ``FILIFORM_SMTP_SECURITY`` (``starttls`` default, ``tls`` for
implicit TLS, ``none`` only for a server on this machine), ``FILIFORM_SMTP_USER`` and
``FILIFORM_SMTP_PASSWORD`` (credentials: never stored in the database), ``FILIFORM_SMTP_FROM``
(the sender address) and ``FILIFORM_SMTP_CA_FILE`` (a private CA, else the system's).
Certificates are always verified: a clinic's mail must not go to an impostor.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from filiform.errors import ValidationFailed

SECURITY = ("starttls", "tls", "none")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class MailError(Exception):
    """A message could not be handed to the SMTP server (the text goes to the outbox)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    sender: str
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    timeout: float = 20.0


def smtp_settings(env: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """The SMTP settings, None when no server is configured, ValidationFailed when they are wrong."""
    values = os.environ if env is None else env
    host = values.get("FILIFORM_SMTP_HOST", "").strip()
    if not host:
        return None
    problems = []
    security = values.get("FILIFORM_SMTP_SECURITY", "starttls").strip().lower()
    if security not in SECURITY:
        problems.append(f"FILIFORM_SMTP_SECURITY must be one of {', '.join(SECURITY)}")
    elif security == "none" and host not in LOOPBACK:
        problems.append("FILIFORM_SMTP_SECURITY=none is only allowed for a server on this machine")
    raw_port = values.get("FILIFORM_SMTP_PORT", "465" if security == "tls" else "587").strip()
    port = int(raw_port) if raw_port.isdigit() and 0 < int(raw_port) < 65536 else 0
    if not port:
        problems.append("FILIFORM_SMTP_PORT must be a port number")
    sender = values.get("FILIFORM_SMTP_FROM", "").strip()
    if "@" not in sender:
        problems.append("FILIFORM_SMTP_FROM must be the sender's e-mail address")
    user, password = values.get("FILIFORM_SMTP_USER") or None, values.get("FILIFORM_SMTP_PASSWORD") or None
    if bool(user) != bool(password):
        problems.append("give both FILIFORM_SMTP_USER and FILIFORM_SMTP_PASSWORD, or neither")
    if user and security == "none":
        problems.append("credentials are never sent without TLS")
    if problems:
        raise ValidationFailed("invalid SMTP settings", details=problems)
    ca_file = values.get("FILIFORM_SMTP_CA_FILE") or None
    return SmtpSettings(host, port, security, sender, user, password, ca_file)


class SmtpMailer:
    """Hands one message at a time to the configured server."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def send(self, to: str, subject: str, body: str) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.sender, to, subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=s.sender.rsplit("@", 1)[-1])
        message.set_content(body)
        try:
            if s.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with client:
                if s.security == "starttls":
                    client.starttls(context=self._context())
                if s.username and s.password:
                    client.login(s.username, s.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{type(exc).__name__}: {str(exc)[:200]}") from None
