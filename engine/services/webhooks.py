"""Signed webhooks: other systems told of a municipality's events, from the durable effects queue.

A municipality admin subscribes a URL to some event types (:data:`EVENTS`) of some services (none:
all of them). When such a moment happens, :func:`announce` writes one ``webhook`` job per matching
subscription in the same transaction as the change it reports, so the event is sent after the
commit, by the worker, and retried with backoff while the receiver is down.

Each delivery is a POST of JSON ``{"id", "type", "created_at", "tenant", "data"}`` with headers

- ``Webhook-Id``: the event id (the same on every retry: receivers drop repeats by it),
- ``Webhook-Timestamp``: unix seconds when this attempt was sent,
- ``Webhook-Signature``: ``v1=`` + hex HMAC-SHA256, keyed with the subscription's secret, of
  ``f"{id}.{timestamp}.{body}"``; for :data:`ROTATION_OVERLAP` after :func:`rotate_secret`, two
  such values separated by one space, the new secret's first (``v1=<new> v1=<old>``), so a
  receiver switches to the new secret when it likes without losing an event.

A receiver checks the signature and refuses timestamps older than :data:`TOLERANCE` (replays);
:func:`verify_signature` does both, with any of the signatures given. A 2xx answer is a
delivery; anything else, a refused connection, a redirect (never followed) or no answer within
:data:`TIMEOUT` (:data:`DEADLINE` in all) is tried again later. Every attempt is logged.

Only public addresses are sent to (no server-side request forgery): a URL must be https and its
host must not resolve to a loopback, private, link-local, multicast, reserved or unspecified
address, checked when subscribing and again on each attempt, where the host is resolved once and
the connection made to the very address checked (a name that changes its answer between the
check and the connection gains nothing). ``THONGTHIN_WEBHOOKS_ALLOW_PRIVATE=1`` lifts both rules,
for an installation whose receivers are inside its own network.

A paused subscription (``active`` false) is sent nothing: events raised while it is paused are
not queued for it, and those queued before are dropped unsent; resuming does not replay them.

Events carry references and states, never the applicant's personal data: a receiver that needs
more reads it through the API with its own credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from engine.services import sealing, secrets, tenants
from engine.services.errors import NotFound, ServiceError
from engine.store.models import EffectJob, Tenant, WebhookDelivery, WebhookSubscription

EVENTS = (
    "submission.created",
    "submission.transitioned",
    "document.issued",
    "payment.recorded",
    "bill.overdue",
)
OVERDUE = "bill.overdue"  # a recurring bill still unpaid when the next period's billing run completes
TEST_EVENT = "webhook.test"
JOB = "webhook"
SEAL_PURPOSE = "webhook-secret"
TIMEOUT = 5.0  # seconds each step (connecting, sending, each read) of an attempt may take
DEADLINE = 15.0  # seconds a whole attempt may take, however slowly the receiver trickles its answer
MAX_ANSWER_BYTES = 64 * 1024  # of a receiver's answer body read (only its status counts)
TOLERANCE = timedelta(minutes=5)  # how old a timestamp a receiver accepts
MAX_URL = 2000
MAX_SUBSCRIPTIONS = 50  # per municipality
DELIVERIES_SHOWN = 100
USER_AGENT = "Thongthin-Webhooks/1"
ROTATION_OVERLAP = timedelta(hours=24)  # how long the previous secret still signs after a rotation
ALLOW_PRIVATE_SETTING = "THONGTHIN_WEBHOOKS_ALLOW_PRIVATE"
LOG_DAYS_SETTING = "THONGTHIN_WEBHOOKS_LOG_DAYS"
LOG_DAYS = 30  # how long delivery attempts stay in the log
MAX_LOG_DAYS = 3650


def allow_private(environ: Mapping[str, str]) -> bool:
    """Whether ``THONGTHIN_WEBHOOKS_ALLOW_PRIVATE`` lets subscriptions use http:// and private addresses."""
    return environ.get(ALLOW_PRIVATE_SETTING, "").strip().lower() in ("1", "true", "yes", "on")


def log_days(environ: Mapping[str, str]) -> int:
    """``THONGTHIN_WEBHOOKS_LOG_DAYS`` (default :data:`LOG_DAYS`); raises ``ValueError`` when it is
    not a whole number of days from 1 to :data:`MAX_LOG_DAYS`."""
    value = environ.get(LOG_DAYS_SETTING, "").strip()
    if not value:
        return LOG_DAYS
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_LOG_DAYS:
        raise ValueError(f"{LOG_DAYS_SETTING} must be a whole number of days from 1 to {MAX_LOG_DAYS}")
    return int(value)


class WebhookError(ServiceError):
    """Base class of refusals about webhooks; ``field`` names the input at fault."""

    code = "invalid_webhook"
    field = ""
    message_th = "ข้อมูลการสมัครรับแจ้งเหตุการณ์ไม่ถูกต้อง"

    def __init__(self, message: str, *, field: str = "", message_th: str = ""):
        super().__init__(message)
        self.field = field or self.field
        self.message_th = message_th or self.message_th


class InvalidWebhookUrl(WebhookError):
    code = "invalid_webhook_url"
    field = "url"


class NonPublicWebhookUrl(InvalidWebhookUrl):
    """The URL's host is, or resolves to, an address inside a network rather than on the internet."""

    code = "webhook_url_not_public"


class WebhookPaused(WebhookError):
    http_status = 409
    code = "webhook_paused"
    message_th = "การสมัครนี้หยุดรับแจ้งเหตุการณ์ไว้ กรุณาเปิดรับแจ้งอีกครั้งก่อนส่งเหตุการณ์ทดสอบ"


class UnknownEvent(WebhookError):
    code = "unknown_event"
    field = "events"


class UnknownServiceFilter(WebhookError):
    code = "unknown_service"
    field = "services"


class TooManyWebhooks(WebhookError):
    code = "too_many_webhooks"


class WebhookNotFound(NotFound):
    code = "webhook_not_found"

    def __init__(self, webhook_id: Any):
        super().__init__(f"no webhook subscription {webhook_id!r} here")


class BadSignature(WebhookError):
    """What :func:`verify_signature` raises: the delivery is not from us, or is a replay."""

    http_status = 401
    code = "bad_signature"


class DeliveryFailed(Exception):
    """The receiver did not take the event; the queue tries again (logged in one line)."""

    expected = True


class SecretUnreadable(Exception):
    """The platform's secret key changed since the subscription's secret was sealed: rotate the secret."""

    retryable = False

    def __init__(self, subscription_id: int):
        super().__init__(
            f"webhook subscription {subscription_id}'s secret cannot be unsealed with this platform key: "
            "rotate its secret"
        )


# ---------------------------------------------------------------------------------------------
# Subscriptions


@dataclass(frozen=True)
class Created:
    """A new subscription and its signing secret, which is shown this once."""

    subscription: WebhookSubscription
    secret: str


def check_url(url: Any, *, allow_private: bool = False) -> str:
    """``url`` when it is an absolute https URL without credentials (http too when ``allow_private``);
    raises :class:`InvalidWebhookUrl`. Where the host leads is :func:`check_destination`'s part."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhookUrl("url is required", message_th="กรุณาระบุ URL ที่รับแจ้งเหตุการณ์")
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidWebhookUrl(f"url is at most {MAX_URL} characters", message_th="URL ยาวเกินไป")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise InvalidWebhookUrl("url is not a valid URL", message_th="URL ไม่ถูกต้อง") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidWebhookUrl("url must start with https://", message_th="URL ต้องขึ้นต้นด้วย https://")
    if parts.scheme == "http" and not allow_private:
        raise InvalidWebhookUrl(
            "url must start with https://: events are sent only over an encrypted connection",
            message_th="URL ต้องขึ้นต้นด้วย https:// เพราะระบบส่งเหตุการณ์ผ่านช่องทางที่เข้ารหัสเท่านั้น",
        )
    if not parts.hostname:
        raise InvalidWebhookUrl("url names no host", message_th="URL ไม่มีชื่อเครื่อง")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookUrl(
            "url must not carry a user name or password; the signature proves where events come from",
            message_th="URL ต้องไม่มีชื่อผู้ใช้หรือรหัสผ่าน ลายมือชื่อของข้อความยืนยันที่มาอยู่แล้ว",
        )
    if parts.fragment or any(c.isspace() for c in url):
        raise InvalidWebhookUrl("url is not a valid URL", message_th="URL ไม่ถูกต้อง")
    return url


# NAT64's well-known prefix: the last 32 bits are the IPv4 address really reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(address: str) -> bool:
    """Whether ``address`` (IPv4 or IPv6) is on the internet: not loopback, private, link-local,
    multicast, reserved or unspecified, also when it is an IPv4 address inside an IPv6 one."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1, 2002:7f00:1:: and 64:ff9b::7f00:1 all reach 127.0.0.1.
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return is_public(str(inner))
        if ip.is_site_local:
            return False
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in the order the system's resolver gives them; raises
    ``OSError`` when it resolves to none. An address literal is itself. (Tests replace this.)"""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return resolve(host, port)


def _port_of(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def check_destination(url: str) -> None:
    """Raises :class:`NonPublicWebhookUrl` when the host of ``url`` (checked by :func:`check_url`)
    is or resolves to an address that is not public. A name that does not resolve now is let be:
    each delivery resolves it again and refuses it then if it leads inside a network."""
    host, port = _port_of(url)
    try:
        addresses = _addresses(host, port)
    except OSError:
        return
    inside = [a for a in addresses if not is_public(a)]
    if inside:
        raise NonPublicWebhookUrl(
            f"url leads to {inside[0]}, an address inside a network (loopback, private, link-local, "
            "multicast, reserved or unspecified); events are sent only to addresses on the internet",
            message_th=(
                f"URL นี้ชี้ไปยังที่อยู่ {inside[0]} ซึ่งเป็นที่อยู่ภายในเครือข่าย "
                "ระบบส่งเหตุการณ์ไปยังที่อยู่บนอินเทอร์เน็ตเท่านั้น เพื่อป้องกันการใช้ระบบเข้าถึงเครื่องภายใน "
                "กรุณาระบุ URL ของระบบปลายทางที่เข้าถึงได้จากอินเทอร์เน็ต"
            ),
        )


def check_events(events: Any) -> list[str]:
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise UnknownEvent(
            f"events must be a non-empty list of: {', '.join(EVENTS)}",
            message_th="กรุณาเลือกเหตุการณ์อย่างน้อยหนึ่งรายการ",
        )
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise UnknownEvent(
            f"unknown event(s) {', '.join(unknown)}; known: {', '.join(EVENTS)}",
            message_th="มีเหตุการณ์ที่ระบบไม่รู้จัก",
        )
    return [e for e in EVENTS if e in events]


def check_services(services: Any, known: Collection[str]) -> list[str]:
    if services is None:
        return []
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise UnknownServiceFilter("services must be a list of service ids (empty: every service)")
    unknown = sorted(set(services) - set(known))
    if unknown:
        raise UnknownServiceFilter(
            f"unknown service(s) {', '.join(unknown)}", message_th="มีบริการที่หน่วยงานไม่ได้เปิดให้บริการ"
        )
    return sorted(set(services))


async def subscribe(
    tenant: Tenant,
    url: Any,
    events: Any,
    services: Any,
    *,
    platform_key: str,
    allow_private: bool = False,
    now: datetime | None = None,
) -> Created:
    """A new active subscription with a new random signing secret (returned once, kept sealed);
    ``services`` are some the municipality offers (empty or None: all of them). Unless
    ``allow_private`` (:func:`allow_private` of the settings), the URL must be https and lead to
    a public address.

    Raises :class:`InvalidWebhookUrl` (:class:`NonPublicWebhookUrl` among them),
    :class:`UnknownEvent`, :class:`UnknownServiceFilter` or :class:`TooManyWebhooks`.
    """
    checked_url = check_url(url, allow_private=allow_private)
    checked_events = check_events(events)
    offered = {e.service_id for e in await tenants.enabled_services(tenant)}
    checked_services = check_services(services, offered)
    if await WebhookSubscription.filter(tenant=tenant).count() >= MAX_SUBSCRIPTIONS:
        raise TooManyWebhooks(f"a municipality has at most {MAX_SUBSCRIPTIONS} webhook subscriptions")
    if not allow_private:
        await asyncio.to_thread(check_destination, checked_url)  # a name lookup: off the event loop
    secret = _new_secret()
    subscription = await WebhookSubscription.create(
        tenant=tenant,
        url=checked_url,
        events=checked_events,
        services=checked_services,
        secret_sealed=_seal_keys(platform_key, SigningKeys(secret)),
        active=True,
        created_at=now or datetime.now(UTC),
    )
    return Created(subscription, secret)


async def list_for(tenant: Tenant) -> list[WebhookSubscription]:
    return await WebhookSubscription.filter(tenant=tenant).order_by("id")


async def get(tenant: Tenant, webhook_id: Any) -> WebhookSubscription:
    """A subscription of ``tenant``; another municipality's is :class:`WebhookNotFound` too."""
    if isinstance(webhook_id, str) and webhook_id.isascii() and webhook_id.isdigit() and len(webhook_id) < 10:
        webhook_id = int(webhook_id)
    if not isinstance(webhook_id, int) or isinstance(webhook_id, bool) or not 0 < webhook_id < 2**31:
        raise WebhookNotFound(webhook_id)
    found = await WebhookSubscription.filter(tenant=tenant, id=webhook_id).first()
    if found is None:
        raise WebhookNotFound(webhook_id)
    return found


async def remove(tenant: Tenant, webhook_id: Any) -> None:
    """Delete a subscription and its log; events queued for it are dropped unsent."""
    subscription = await get(tenant, webhook_id)
    await subscription.delete()


async def set_active(tenant: Tenant, webhook_id: Any, active: bool) -> WebhookSubscription:
    """Pause (``active`` false) or resume a subscription; doing what is already so changes nothing.

    While paused, events are not queued for it and those already queued are dropped unsent;
    resuming sends the events raised from then on, never those of the pause. Raises
    :class:`WebhookNotFound`.
    """
    subscription = await get(tenant, webhook_id)
    if subscription.active != active:
        subscription.active = active
        await subscription.save(update_fields=["active"])
    return subscription


async def purge_deliveries(*, keep: timedelta, now: datetime | None = None) -> int:
    """Delete delivery attempts older than ``keep`` (the worker's housekeeping); returns how many."""
    cutoff = (now or datetime.now(UTC)) - keep
    return int(await WebhookDelivery.filter(at__lt=cutoff).delete())


# ---------------------------------------------------------------------------------------------
# Signing secrets and their rotation


@dataclass(frozen=True)
class SigningKeys:
    """A subscription's secret and, for a while after a rotation, the one before it.

    Both are kept in the one sealed column (a JSON object when there is a previous secret, the
    bare secret otherwise), so a rotation needs no other storage.
    """

    current: str
    previous: str | None = None
    previous_until: datetime | None = None

    def signing(self, now: datetime) -> list[str]:
        """The secrets each delivery at ``now`` is signed with, the current one first."""
        if self.previous and self.previous_until is not None and now < self.previous_until:
            return [self.current, self.previous]
        return [self.current]


@dataclass(frozen=True)
class Rotated:
    """A subscription's new secret, shown this once, and until when the old one still signs."""

    subscription: WebhookSubscription
    secret: str
    previous_until: datetime | None


def _new_secret() -> str:
    return "whsec_" + secrets.new_token(32)


def _seal_keys(platform_key: str, keys: SigningKeys) -> str:
    if keys.previous is None or keys.previous_until is None:
        return sealing.seal(platform_key, SEAL_PURPOSE, keys.current)
    both = {"current": keys.current, "previous": keys.previous, "until": keys.previous_until.isoformat()}
    return sealing.seal(platform_key, SEAL_PURPOSE, json.dumps(both))


def keys_of(subscription: WebhookSubscription, platform_key: str) -> SigningKeys:
    """The subscription's secrets; raises :class:`SecretUnreadable` when the platform key changed."""
    try:
        opened = sealing.unseal(platform_key, SEAL_PURPOSE, subscription.secret_sealed)
    except sealing.SealBroken:
        raise SecretUnreadable(subscription.id) from None
    if not opened.startswith("{"):
        return SigningKeys(opened)
    both = json.loads(opened)
    return SigningKeys(both["current"], both["previous"], datetime.fromisoformat(both["until"]))


def previous_secret_until(
    subscription: WebhookSubscription, platform_key: str, now: datetime | None = None
) -> datetime | None:
    """Until when deliveries are signed with the secret before the latest rotation too (None: not)."""
    try:
        keys = keys_of(subscription, platform_key)
    except SecretUnreadable:
        return None
    return keys.previous_until if len(keys.signing(now or datetime.now(UTC))) > 1 else None


async def rotate_secret(
    tenant: Tenant, webhook_id: Any, *, platform_key: str, now: datetime | None = None
) -> Rotated:
    """A new signing secret for a subscription (returned once, kept sealed). For
    :data:`ROTATION_OVERLAP` deliveries are signed with the new and the current secret both; a
    secret before that is dropped at once. Also the way out of :class:`SecretUnreadable`: a secret
    the platform key cannot open is simply replaced. Raises :class:`WebhookNotFound`.
    """
    moment = now or datetime.now(UTC)
    found = await get(tenant, webhook_id)
    async with in_transaction() as connection:
        # Locked, so two rotations at once do not both think theirs is the one that signs.
        subscription = (
            await WebhookSubscription.filter(id=found.id).select_for_update().using_db(connection).first()
        )
        if subscription is None:  # removed in the meantime
            raise WebhookNotFound(webhook_id)
        try:
            old: str | None = keys_of(subscription, platform_key).current
        except SecretUnreadable:
            old = None  # nothing this platform can sign with: the new secret alone
        new = _new_secret()
        until = moment + ROTATION_OVERLAP if old else None
        subscription.secret_sealed = _seal_keys(platform_key, SigningKeys(new, old, until))
        await subscription.save(update_fields=["secret_sealed"], using_db=connection)
    return Rotated(subscription, new, until)


async def deliveries(
    tenant: Tenant, webhook_id: Any, *, limit: int = DELIVERIES_SHOWN
) -> list[WebhookDelivery]:
    """The latest attempts to deliver to a subscription, newest first."""
    subscription = await get(tenant, webhook_id)
    return await WebhookDelivery.filter(subscription=subscription).order_by("-at", "-id").limit(limit)


async def send_test(tenant: Tenant, webhook_id: Any, *, now: datetime | None = None) -> str:
    """Queue a ``webhook.test`` event for one subscription (whatever its filters); returns its id.

    Raises :class:`WebhookNotFound`, or :class:`WebhookPaused` (nothing would be sent)."""
    subscription = await get(tenant, webhook_id)
    if not subscription.active:
        raise WebhookPaused(
            "this subscription is paused: resume it to send a test event",
        )
    moment = now or datetime.now(UTC)
    event = _event(tenant.slug, TEST_EVENT, {"message": "a test event from the console"}, moment)
    await EffectJob.create(
        tenant=tenant, type=JOB, params={"subscription": subscription.id, "event": event}, run_after=moment
    )
    return str(event["id"])


# ---------------------------------------------------------------------------------------------
# Announcing


def _event(slug: str, event_type: str, data: Mapping[str, Any], moment: datetime) -> dict[str, Any]:
    return {
        "id": "evt_" + secrets.new_token(16),
        "type": event_type,
        "created_at": moment.isoformat(),
        "tenant": slug,
        "data": dict(data),
    }


def wants(subscription: WebhookSubscription, event_type: str, service_id: str | None) -> bool:
    """Whether ``subscription`` asked for this event; events of no service reach only unfiltered ones."""
    if not subscription.active or event_type not in subscription.events:
        return False
    chosen = subscription.services or []
    return not chosen or service_id in chosen


async def announce(
    tenant: Tenant | int,
    event_type: str,
    service_id: str | None,
    data: Mapping[str, Any],
    *,
    connection: Any = None,
    now: datetime | None = None,
) -> int:
    """Queue ``event_type`` for every subscription of ``tenant`` that wants it, in ``connection``'s
    transaction (one query when the municipality subscribed to nothing); returns how many."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.id
    found = await WebhookSubscription.filter(tenant_id=tenant_id, active=True).using_db(connection)
    chosen = [s for s in found if wants(s, event_type, service_id)]
    if not chosen:
        return 0
    slug = (
        tenant.slug
        if isinstance(tenant, Tenant)
        else (await Tenant.get(id=tenant_id, using_db=connection)).slug
    )
    moment = now or datetime.now(UTC)
    event = _event(slug, event_type, data, moment)
    for subscription in chosen:
        await EffectJob.create(
            tenant_id=tenant_id,
            type=JOB,
            params={"subscription": subscription.id, "event": event},
            run_after=moment,
            using_db=connection,
        )
    return len(chosen)


def overdue_data(bill: Mapping[str, Any]) -> dict[str, Any]:
    """The ``bill.overdue`` payload of a bill row (with ``account__number``, ``account__service_id``):
    references and amounts as decimal strings, never the payer's name, phone, address or ID."""
    amount = Decimal(str(bill["amount"])).quantize(Decimal("0.01"))
    paid = Decimal(str(bill["paid_amount"])).quantize(Decimal("0.01"))
    return {
        "bill": bill["id"],
        "account": bill["account__number"],
        "service": bill["account__service_id"],
        "period": bill["period"],
        "amount": str(amount),
        "paid_amount": str(paid),
        "outstanding": str(amount - paid),
        "ref1": bill["ref1"],
        "ref2": bill["ref2"],
    }


# ---------------------------------------------------------------------------------------------
# Signing and delivering


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The ``Webhook-Signature`` value: ``v1=`` + hex HMAC-SHA256 of ``{id}.{timestamp}.{body}``."""
    message = f"{event_id}.{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str, headers: Mapping[str, str], body: bytes, now: datetime | None = None
) -> None:
    """What a receiver does: raises :class:`BadSignature` unless the headers sign ``body`` with
    ``secret`` and the timestamp is at most :data:`TOLERANCE` away from ``now``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    event_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    given = lowered.get("webhook-signature", "")
    if not event_id or not stamp.isascii() or not stamp.isdigit() or not given:
        raise BadSignature("Webhook-Id, Webhook-Timestamp and Webhook-Signature are required")
    moment = (now or datetime.now(UTC)).timestamp()
    if abs(moment - int(stamp)) > TOLERANCE.total_seconds():
        raise BadSignature("the timestamp is outside the five-minute window (a replay?)")
    expected = sign(secret, event_id, int(stamp), body).encode()
    # A receiver rotating secrets may be sent several signatures, space-separated. Compared as
    # bytes: compare_digest refuses text that is not ASCII, and a sender controls this header.
    if not any(hmac.compare_digest(expected, candidate.encode()) for candidate in given.split()):
        raise BadSignature("the signature does not match the body")


def body_of(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str


class _Pinned(http.client.HTTPConnection):
    """A plain connection to ``address``, whatever the host's name resolves to by now."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT)
        self.address = address
        self.aborted = False

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)

    def abort(self) -> None:
        """End the attempt from another thread (the :data:`DEADLINE` passed)."""
        self.aborted = True
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to end
                sock.shutdown(socket.SHUT_RDWR)


class _PinnedTLS(_Pinned):
    """TLS to ``address``; the certificate must still be the host name's (and SNI names it)."""

    default_port = 443  # so the Host header names no port when the URL named none

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, address)
        self.context = ssl.create_default_context()

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        try:
            self.sock = self.context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def _post(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool) -> Answer:
    """POST ``body`` once: the host resolved once, refused unless public (or ``allow_private``), and
    connected to at that same address; no redirect followed, at most :data:`DEADLINE` seconds."""
    parts = urlsplit(url)
    host, port = _port_of(url)
    if parts.scheme != "https" and not allow_private:
        return Answer(None, "refused: the url is not https (THONGTHIN_WEBHOOKS_ALLOW_PRIVATE is off)")
    try:
        addresses = _addresses(host, port)
    except OSError as error:
        return Answer(None, f"the host name {host} did not resolve: {error}"[:500])
    if not allow_private:
        inside = [a for a in addresses if not is_public(a)]
        if inside:
            return Answer(None, f"refused: {host} resolves to {inside[0]}, an address inside a network"[:500])
    connection = (_PinnedTLS if parts.scheme == "https" else _Pinned)(host, port, addresses[0])
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = threading.Timer(DEADLINE, connection.abort)
    deadline.start()
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_ANSWER_BYTES)  # only the status counts; never more than this is read
        status: int | None = response.status
        error_text = ""
    except (OSError, http.client.HTTPException, ValueError) as error:
        status, error_text = None, f"{type(error).__name__}: {error}"[:500]
    finally:
        deadline.cancel()
        connection.close()
    if connection.aborted:  # cut off mid-answer: what was read may look complete, and is not
        return Answer(None, f"no complete answer within {DEADLINE:g} seconds")
    return Answer(status, error_text)


@dataclass
class Deliverer:
    """The ``webhook`` runner: one signed POST per attempt, each logged."""

    platform: Any

    async def __call__(self, job: EffectJob, submission: Any) -> None:
        subscription = await WebhookSubscription.filter(id=job.params.get("subscription")).first()
        if subscription is None or subscription.tenant_id != job.tenant_id:
            return  # the subscription was removed: nothing to send any more
        if not subscription.active:
            return  # paused: events are dropped, not kept for a resume
        event = job.params["event"]
        keys = keys_of(subscription, self.platform.settings.secret_key)
        body = body_of(event)
        timestamp = int(time.time())
        signing = keys.signing(datetime.fromtimestamp(timestamp, UTC))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Webhook-Id": event["id"],
            "Webhook-Timestamp": str(timestamp),
            # During a rotation's overlap, the new secret's signature first, then the old one's.
            "Webhook-Signature": " ".join(sign(k, event["id"], timestamp, body) for k in signing),
        }
        started = time.monotonic()
        answer = await asyncio.to_thread(
            _post,
            subscription.url,
            body,
            headers,
            allow_private=allow_private(self.platform.settings.environ),
        )
        delivered = answer.status is not None and 200 <= answer.status < 300
        await WebhookDelivery.create(
            subscription=subscription,
            tenant_id=subscription.tenant_id,
            event_id=event["id"],
            type=event["type"],
            attempt=job.attempts,
            at=datetime.now(UTC),
            status_code=answer.status,
            error=answer.error,
            duration_ms=int((time.monotonic() - started) * 1000),
            delivered=delivered,
        )
        if not delivered:
            raise DeliveryFailed(
                f"{subscription.url} answered {answer.status}"
                if answer.status
                else answer.error or "no answer"
            )
