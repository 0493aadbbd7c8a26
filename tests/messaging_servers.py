"""Real servers on loopback for the messages the platform sends: an SMTP server that keeps what it
receives (aiosmtpd), and an HTTP stand-in for an SMS gateway and for LINE's Messaging API that
records requests and can be told to fail, as providers do."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """What the SMTP server received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # addresses answered 550

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def smtp_server() -> Iterator[tuple[str, Mailbox]]:
    """Yield (smtp URL, mailbox) of a server on a free loopback port."""
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port: the controller checks it is up by connecting
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", mailbox
    finally:
        controller.stop()


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StandIn:
    """An HTTP provider: records every POST; is down (503) for the next ``failures`` requests whose
    body mentions ``failing_for`` (so other tests' messages do not use up the outage)."""

    requests: list[Recorded] = field(default_factory=list)
    failures: int = 0
    failing_for: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(Recorded(path, headers, body))
            if self.failures > 0 and self.failing_for in json.dumps(body, ensure_ascii=False):
                self.failures -= 1
                return 503, {"message": "temporarily unavailable"}
            return 200, {"id": f"msg-{len(self.requests)}", "sentMessages": [{"id": "1"}]}

    def posted(self, path_end: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(path_end)]


def http_stand_in() -> Iterator[tuple[str, StandIn]]:
    """Yield (base URL, stand-in) of an HTTP server on a free loopback port."""
    stand_in = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
            status, answer = stand_in.answer(self.path, dict(self.headers), body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", stand_in
    finally:
        server.shutdown()
        server.server_close()
