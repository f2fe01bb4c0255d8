"""SMTP transport: settings from the environment, a connection, one message per row.

Nothing here writes to the database; `services.deliver_pending` decides what to
send and records what happened. Addresses never reach a log line or `last_error`.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from inspect_app.dbtypes import utcnow

SECURITY_MODES = ("none", "starttls", "ssl")
SMTP_TIMEOUT_SECONDS = 20
ERROR_TEXT_MAX = 500

# Refusals of one message; the connection stays usable for the next one. Any other
# OSError (smtplib's exceptions are OSErrors) means the connection is gone.
MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str
    password: str
    mail_from: str
    max_attempts: int
    # Development only: "send" into .eml files in this folder instead of SMTP
    # (DEV_MAILBOX_DIR; refused in production, see config.validate_config).
    mailbox_dir: str = ""

    @classmethod
    def from_config(cls, config: Mapping) -> SmtpSettings:
        security = (config.get("SMTP_SECURITY") or "starttls").strip().lower()
        if security not in SECURITY_MODES:
            raise ValueError(f"SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}")
        return cls(
            host=(config.get("SMTP_HOST") or "").strip(),
            port=int(config.get("SMTP_PORT") or 587),
            security=security,
            username=config.get("SMTP_USERNAME") or "",
            password=config.get("SMTP_PASSWORD") or "",
            mail_from=config.get("MAIL_FROM") or "inspect@localhost",
            max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS") or 48),
            mailbox_dir=(config.get("DEV_MAILBOX_DIR") or "").strip(),
        )

    @property
    def configured(self) -> bool:
        return bool(self.host or self.mailbox_dir)


@dataclass(frozen=True)
class Outgoing:
    """A claimed outbox row, detached from the database while it is being sent."""

    id: int
    key: str
    recipient: str
    subject: str
    text: str
    html: str
    request_id: str | None = None  # of the request or scheduler pass that queued it


def message_id(key: str, mail_from: str) -> str:
    """The same Message-ID for every attempt of one outbox key, so that a resend
    after a crash between "accepted by SMTP" and "marked sent" is recognisable."""
    domain = mail_from.rpartition("@")[2].strip("> ") or "localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def build_message(item: Outgoing, settings: SmtpSettings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = item.recipient
    message["Subject"] = item.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id(item.key, settings.mail_from)
    message["Auto-Submitted"] = "auto-generated"
    if item.request_id:
        message["X-Request-ID"] = item.request_id
    message.set_content(item.text)
    message.add_alternative(item.html, subtype="html")
    return message


class FolderMailbox:
    """The development mailbox: each message becomes an .eml file (written to a
    temporary name, then renamed), readable in the app under /dev/mailbox."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def send_message(self, message: EmailMessage) -> None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        digest = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:12]
        target = self.folder / f"{stamp}-{digest}.eml"
        temporary = target.with_suffix(".tmp")
        temporary.write_bytes(bytes(message))
        os.replace(temporary, target)


@contextmanager
def smtp_connection(settings: SmtpSettings) -> Iterator[smtplib.SMTP | FolderMailbox]:
    """An open (and, as configured, encrypted and logged-in) SMTP session — or, in
    development without SMTP_HOST, the folder mailbox."""
    if settings.mailbox_dir and not settings.host:
        yield FolderMailbox(settings.mailbox_dir)
        return
    context = ssl.create_default_context()
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password)
        yield smtp
    finally:
        try:
            smtp.quit()
        except OSError:
            smtp.close()


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def describe_error(exc: BaseException, address: str) -> str:
    """A short error text for admins, with the recipient's address taken out."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # str() of this exception is a dict keyed by the addresses.
        text = "recipient refused: " + "; ".join(
            f"{code} {_decode(reply)}" for code, reply in exc.recipients.values()
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{type(exc).__name__}: {exc.smtp_code} {_decode(exc.smtp_error)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    if address:
        text = re.sub(re.escape(address), "<recipient>", text, flags=re.IGNORECASE)
    return text[:ERROR_TEXT_MAX]
