"""The channels a message can take, and the registry the outbox sends through.

Every ``send`` is blocking network I/O (the outbox runs it in a thread) and raises
:class:`~engine.messaging.errors.DeliveryFailed` (try again later) or
:class:`~engine.messaging.errors.AddressRefused` (never again); whatever it returns is the
provider's own id of the message, kept in the delivery log.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from engine.messaging.errors import AddressRefused, ChannelNotConfigured, DeliveryFailed

TIMEOUT_SECONDS = 15
LINE_API = "https://api.line.me"
LINE_TEXT_LIMIT = 5000


@dataclass(frozen=True)
class RetryPolicy:
    """How often a channel tries a message that failed, and how long it waits in between."""

    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)
    longest_delay: timedelta = timedelta(hours=2)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failure: doubling from ``first_delay``, capped."""
        return min(self.first_delay * 2 ** max(attempts - 1, 0), self.longest_delay)


@dataclass(frozen=True)
class Outgoing:
    """One message for one address on one channel, as the outbox hands it over."""

    key: str  # unique per delivery: the provider's idempotency key where it has one
    address: str  # e-mail address, phone number, or LINE user ID
    subject: str
    text: str
    html: str = ""
    stop_url: str = ""
    # A municipality's own credential for the channel (its LINE Official Account's access token).
    credential: str = ""


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def retry(self) -> RetryPolicy: ...

    config_schema: ClassVar[dict[str, Any]]

    def send(self, message: Outgoing) -> str: ...


def _env_schema(**properties: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": "string", "description": text} for name, text in properties.items()},
    }


@dataclass(frozen=True)
class SmtpChannel:
    """E-mail over SMTP: ``smtp://user:pass@host:587?starttls=1`` or ``smtps://…:465``."""

    host: str
    port: int
    mail_from: str
    username: str = ""
    password: str = ""
    starttls: bool = False
    implicit_tls: bool = False
    name: str = "email"
    retry: RetryPolicy = RetryPolicy(max_attempts=10, first_delay=timedelta(minutes=1))
    config_schema: ClassVar[dict[str, Any]] = _env_schema(
        THONGTHIN_SMTP_URL="smtp://user:password@host:587?starttls=1, or smtps://host:465",
        THONGTHIN_MAIL_FROM="The sender, e.g. เทศบาลตัวอย่าง <saraban@example.go.th>",
    )

    @classmethod
    def from_url(cls, url: str, mail_from: str) -> SmtpChannel:
        """Raises :class:`ChannelNotConfigured` for a URL that is not ``smtp://`` or ``smtps://``."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ChannelNotConfigured(
                f"THONGTHIN_SMTP_URL must be smtp://host:port or smtps://host:port, not {url!r}"
            )
        query = parse_qs(parts.query)
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            mail_from=mail_from,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            implicit_tls=implicit,
        )

    def _message(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.mail_from
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(idstring=message.key.replace("-", ""))
        if message.stop_url:
            mail["List-Unsubscribe"] = f"<{message.stop_url}>"
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        return mail

    def connect(self, timeout: float = TIMEOUT_SECONDS) -> smtplib.SMTP:
        """An open session with the server, TLS and login done (use it as a context manager).

        Raises what smtplib raises (``SMTPException``, ``OSError``); each caller judges those.
        """
        context = ssl.create_default_context()
        server: smtplib.SMTP
        if self.implicit_tls:
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=context)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=timeout)
        try:
            if self.starttls:
                server.starttls(context=context)
            if self.username:
                server.login(self.username, self.password)
        except BaseException:
            server.close()
            raise
        return server

    def send(self, message: Outgoing) -> str:
        mail = self._message(message)
        try:
            with self.connect() as server:
                server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as refused:
            raise AddressRefused(f"the mail server refused the address: {refused.recipients}") from None
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600 and error.smtp_code not in (530, 535):
                raise AddressRefused(f"the mail server refused the message: {error.smtp_code}") from None
            raise DeliveryFailed(f"the mail server answered {error.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"the mail server could not be reached: {type(error).__name__}") from None
        return str(mail["Message-ID"])


def post_json(url: str, body: dict[str, Any], headers: Mapping[str, str]) -> tuple[int, Any]:
    """POST ``body``; (status, parsed JSON or None). Raises DeliveryFailed when nobody answers."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status, raw = response.status, response.read(65536)
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read(65536)
    except (TimeoutError, urllib.error.URLError, OSError) as error:
        raise DeliveryFailed(f"the provider could not be reached: {type(error).__name__}") from None
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


def _judge(status: int, body: Any, provider: str) -> None:
    """Raise for a refusal: 408, 429 and 5xx are passing trouble; other 4xx refuse for good."""
    if 200 <= status < 300:
        return
    detail = body.get("message") if isinstance(body, dict) else None
    text = f"{provider} answered {status}" + (f": {str(detail)[:200]}" if detail else "")
    if status in (408, 429) or status >= 500:
        raise DeliveryFailed(text)
    raise AddressRefused(text)


@dataclass(frozen=True)
class SmsGatewayChannel:
    """SMS through a generic JSON gateway (see the README for the contract a Thai provider's adapter meets).

    ``POST <url>`` with ``Authorization: Bearer <key>`` and ``Idempotency-Key``, body
    ``{"to": "0812345678", "text": "…", "sender": "…", "reference": "<delivery key>"}``;
    a 2xx answer ``{"id": "…"}`` means accepted.
    """

    url: str
    key: str
    sender: str = ""
    name: str = "sms"
    retry: RetryPolicy = RetryPolicy(max_attempts=8, first_delay=timedelta(seconds=30))
    config_schema: ClassVar[dict[str, Any]] = _env_schema(
        THONGTHIN_SMS_URL="The gateway's send address, e.g. https://sms.example.co.th/v1/messages",
        THONGTHIN_SMS_KEY="The gateway's API key (sent as a bearer token)",
        THONGTHIN_SMS_SENDER="The registered sender name, e.g. MAEHIA",
    )

    def send(self, message: Outgoing) -> str:
        body = {"to": message.address, "text": message.text, "sender": self.sender, "reference": message.key}
        status, answer = post_json(
            self.url, body, {"Authorization": f"Bearer {self.key}", "Idempotency-Key": message.key}
        )
        _judge(status, answer, "the SMS gateway")
        return str(answer.get("id", "")) if isinstance(answer, dict) else ""


@dataclass(frozen=True)
class LinePushChannel:
    """LINE Messaging API push messages from the municipality's own Official Account."""

    api_url: str = LINE_API
    name: str = "line"
    retry: RetryPolicy = RetryPolicy(max_attempts=8, first_delay=timedelta(seconds=30))
    config_schema: ClassVar[dict[str, Any]] = _env_schema(
        THONGTHIN_LINE_API_URL="LINE's API address (https://api.line.me); each municipality sets its "
        "channel secret and access token in the console",
    )

    def send(self, message: Outgoing) -> str:
        if not message.credential:
            raise ChannelNotConfigured("the municipality has not connected its LINE Official Account")
        body = {"to": message.address, "messages": [{"type": "text", "text": message.text[:LINE_TEXT_LIMIT]}]}
        headers = {"Authorization": f"Bearer {message.credential}", "X-Line-Retry-Key": message.key}
        status, answer = post_json(f"{self.api_url.rstrip('/')}/v2/bot/message/push", body, headers)
        if status == 409:  # the retry key was accepted before: this message went out already
            return message.key
        _judge(status, answer, "LINE")
        return message.key


@dataclass(frozen=True)
class TrackingPageChannel:
    """The tracking page itself: the message is there as soon as it is written."""

    name: str = "page"
    retry: RetryPolicy = RetryPolicy(max_attempts=1)
    config_schema: ClassVar[dict[str, Any]] = _env_schema()

    def send(self, message: Outgoing) -> str:
        return ""


@dataclass
class ChannelRegistry:
    """Channel name -> the channel this installation sends through."""

    channels: dict[str, Channel] = field(default_factory=dict)

    def register(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    def get(self, name: str) -> Channel:
        """Raises :class:`ChannelNotConfigured` for a channel this installation has not set up."""
        found = self.channels.get(name)
        if found is None:
            raise ChannelNotConfigured(f"no {name} channel is set up in this installation")
        return found

    def __contains__(self, name: object) -> bool:
        return name in self.channels


def registry_from_env(env: Mapping[str, str]) -> ChannelRegistry:
    """The channels the environment sets up; the tracking page and LINE are always there.

    Raises :class:`ChannelNotConfigured` for a setting that is given but unusable.
    """
    registry = ChannelRegistry()
    registry.register(TrackingPageChannel())
    registry.register(LinePushChannel(env.get("THONGTHIN_LINE_API_URL") or LINE_API))
    if env.get("THONGTHIN_SMTP_URL"):
        registry.register(
            SmtpChannel.from_url(
                env["THONGTHIN_SMTP_URL"], env.get("THONGTHIN_MAIL_FROM") or "no-reply@localhost"
            )
        )
    if env.get("THONGTHIN_SMS_URL"):
        registry.register(
            SmsGatewayChannel(
                env["THONGTHIN_SMS_URL"],
                env.get("THONGTHIN_SMS_KEY", ""),
                env.get("THONGTHIN_SMS_SENDER", ""),
            )
        )
    return registry
