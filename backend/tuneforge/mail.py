"""Optional mail over SMTP, for invitation links (issue #12: "no mail server assumed: the inviter copies the
link; SMTP is an optional setting that sends it").

`TUNEFORGE_SMTP_URL` is `smtp://user:password@host:587` (STARTTLS whenever the server offers it) or
`smtps://user:password@host:465` (TLS from the first byte). A failure never loses anything: the caller
still has the link to show, and gets a message that names the server but never the password."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from tuneforge.config import Settings

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool  # smtps: TLS from the start
    username: str | None
    password: str | None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def server_of(settings: Settings) -> SmtpServer | None:
    if settings.smtp_url is None:
        return None
    url = urlsplit(settings.smtp_url.get_secret_value())
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise ValueError("TUNEFORGE_SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465.")
    tls = url.scheme == "smtps"
    return SmtpServer(
        host=url.hostname, port=url.port or (465 if tls else 25), tls=tls,
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
    )


def _send(server: SmtpServer, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    client: smtplib.SMTP = (
        smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_S, context=context)
        if server.tls else smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_S)
    )
    with client:
        client.ehlo()
        if not server.tls and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if server.username:
            client.login(server.username, server.password or "")
        client.send_message(message)


async def send(settings: Settings, *, to: str, subject: str, body: str) -> str | None:
    """Sends one plain-text mail. Returns None when the server took it, else why not (safe to show)."""
    server = server_of(settings)
    if server is None:
        return "No mail server is set up (TUNEFORGE_SMTP_URL)."
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        await asyncio.to_thread(_send, server, message)
    except smtplib.SMTPAuthenticationError:
        return f"The mail server {server.where} refused TuneForge's user name or password (TUNEFORGE_SMTP_URL)."
    except smtplib.SMTPRecipientsRefused:
        return f"The mail server {server.where} refused the address {to}."
    except (smtplib.SMTPException, OSError) as exc:
        return f"The mail server {server.where} could not be reached or refused the mail ({type(exc).__name__})."
    return None
