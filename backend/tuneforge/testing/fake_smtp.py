"""A mail server on loopback that speaks SMTP (RFC 5321) and AUTH PLAIN/LOGIN (RFC 4954) the way a strict
relay does, for the tests of `tuneforge.mail`: it checks the client's credentials and the commands' order,
and keeps every accepted message (and every refusal) for the test to read.

    with FakeSmtp(username="tf", password="s3cret") as smtp:
        settings.smtp_url = smtp.url        # smtp://tf:s3cret@127.0.0.1:<port>
        ...
        smtp.messages[0]["To"], smtp.messages[0].get_content()
"""

from __future__ import annotations

import base64
import socketserver
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import quote


class FakeSmtp:
    def __init__(self, *, username: str | None = None, password: str | None = None, refuse: set[str] | None = None) -> None:
        self.username = username
        self.password = password
        self.refuse = {address.lower() for address in (refuse or set())}  # recipients answered 550
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TOs) of each accepted message
        self.refusals: list[str] = []
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                fake._session(self.rfile, self.wfile)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        credentials = f"{quote(self.username, safe='')}:{quote(self.password or '', safe='')}@" if self.username else ""
        return f"smtp://{credentials}127.0.0.1:{self.port}"

    def __enter__(self) -> FakeSmtp:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- one SMTP session ---------------------------------------------------------------------

    def _session(self, rfile, wfile) -> None:  # noqa: ANN001 — socketserver's file objects
        def reply(line: str) -> None:
            wfile.write(line.encode() + b"\r\n")
            wfile.flush()

        def refuse(line: str) -> None:
            self.refusals.append(line)
            reply(line)

        reply("220 fake-smtp ESMTP ready")
        greeted, authenticated = False, self.username is None
        sender: str | None = None
        recipients: list[str] = []
        while raw := rfile.readline():
            line = raw.decode(errors="replace").rstrip("\r\n")
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                greeted = True
                reply("250-fake-smtp greets you")
                reply("250 AUTH PLAIN LOGIN" if self.username else "250 8BITMIME")
            elif verb == "AUTH":
                mechanism, _, initial = argument.partition(" ")
                if mechanism.upper() == "PLAIN":
                    if not initial:
                        reply("334 ")
                        initial = rfile.readline().decode().strip()
                    _, user, password = base64.b64decode(initial).decode().split("\0")
                elif mechanism.upper() == "LOGIN":
                    reply("334 " + base64.b64encode(b"Username:").decode())
                    user = base64.b64decode(rfile.readline().strip()).decode()
                    reply("334 " + base64.b64encode(b"Password:").decode())
                    password = base64.b64decode(rfile.readline().strip()).decode()
                else:
                    refuse(f"504 5.5.4 {mechanism} is not offered")
                    continue
                if (user, password) == (self.username, self.password):
                    authenticated = True
                    reply("235 2.7.0 Authentication successful")
                else:
                    refuse("535 5.7.8 Authentication credentials invalid")
            elif verb == "MAIL":
                if not greeted:
                    refuse("503 5.5.1 Say EHLO first")
                elif not authenticated:
                    refuse("530 5.7.0 Authentication required")
                else:
                    sender, recipients = argument.partition(":")[2].strip().strip("<>").split(">")[0], []
                    reply("250 2.1.0 OK")
            elif verb == "RCPT":
                address = argument.partition(":")[2].strip().strip("<>").split(">")[0]
                if sender is None:
                    refuse("503 5.5.1 Need MAIL first")
                elif address.lower() in self.refuse:
                    refuse(f"550 5.1.1 <{address}>: no such mailbox")
                else:
                    recipients.append(address)
                    reply("250 2.1.5 OK")
            elif verb == "DATA":
                if not recipients:
                    refuse("503 5.5.1 Need RCPT first")
                    continue
                reply("354 End data with <CR><LF>.<CR><LF>")
                body = bytearray()
                while (chunk := rfile.readline()) not in (b".\r\n", b".\n", b""):
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                self.messages.append(message_from_bytes(bytes(body), policy=policy.default))  # type: ignore[arg-type]
                self.envelopes.append((sender or "", recipients))
                sender, recipients = None, []
                reply("250 2.0.0 queued")
            elif verb == "RSET":
                sender, recipients = None, []
                reply("250 2.0.0 OK")
            elif verb == "NOOP":
                reply("250 2.0.0 OK")
            elif verb == "QUIT":
                reply("221 2.0.0 Bye")
                return
            else:
                refuse(f"502 5.5.2 {verb} not implemented")
