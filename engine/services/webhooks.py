"""Signed webhooks: other systems told of a municipality's events, from the durable effects queue.

A municipality admin subscribes a URL to some event types (:data:`EVENTS`) of some services (none:
all of them). When such a moment happens, :func:`announce` writes one ``webhook`` job per matching
subscription in the same transaction as the change it reports, so the event is sent after the
commit, by the worker, and retried with backoff while the receiver is down.

Each delivery is a POST of JSON ``{"id", "type", "created_at", "tenant", "data"}`` with headers

- ``Webhook-Id``: the event id (the same on every retry: receivers drop repeats by it),
- ``Webhook-Timestamp``: unix seconds when this attempt was sent,
- ``Webhook-Signature``: ``v1=`` + hex HMAC-SHA256, keyed with the subscription's secret, of
  ``f"{id}.{timestamp}.{body}"``.

A receiver checks the signature and refuses timestamps older than :data:`TOLERANCE` (replays);
:func:`verify_signature` does both. A 2xx answer is a delivery; anything else, a refused
connection or no answer within :data:`TIMEOUT` is tried again later. Every attempt is logged.

Events carry references and states, never the applicant's personal data: a receiver that needs
more reads it through the API with its own credentials.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from engine.services import sealing, secrets, tenants
from engine.services.errors import NotFound, ServiceError
from engine.store.models import EffectJob, Tenant, WebhookDelivery, WebhookSubscription

EVENTS = (
    "submission.created",
    "submission.transitioned",
    "document.issued",
    "payment.recorded",
)
TEST_EVENT = "webhook.test"
JOB = "webhook"
SEAL_PURPOSE = "webhook-secret"
TIMEOUT = 5.0  # seconds a receiver has to answer
TOLERANCE = timedelta(minutes=5)  # how old a timestamp a receiver accepts
MAX_URL = 2000
MAX_SUBSCRIPTIONS = 50  # per municipality
DELIVERIES_SHOWN = 100
USER_AGENT = "Thongthin-Webhooks/1"


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
    """The platform's secret key changed since the subscription was made: it must be made again."""

    retryable = False

    def __init__(self, subscription_id: int):
        super().__init__(
            f"webhook subscription {subscription_id}'s secret cannot be unsealed with this platform key"
        )


# ---------------------------------------------------------------------------------------------
# Subscriptions


@dataclass(frozen=True)
class Created:
    """A new subscription and its signing secret, which is shown this once."""

    subscription: WebhookSubscription
    secret: str


def check_url(url: Any) -> str:
    """``url`` when it is an absolute http(s) URL without credentials; raises :class:`InvalidWebhookUrl`."""
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
        raise InvalidWebhookUrl(
            "url must start with https:// or http://", message_th="URL ต้องขึ้นต้นด้วย https:// หรือ http://"
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
    now: datetime | None = None,
) -> Created:
    """A new active subscription with a new random signing secret (returned once, kept sealed);
    ``services`` are some the municipality offers (empty or None: all of them).

    Raises :class:`InvalidWebhookUrl`, :class:`UnknownEvent`, :class:`UnknownServiceFilter` or
    :class:`TooManyWebhooks`.
    """
    checked_url = check_url(url)
    checked_events = check_events(events)
    offered = {e.service_id for e in await tenants.enabled_services(tenant)}
    checked_services = check_services(services, offered)
    if await WebhookSubscription.filter(tenant=tenant).count() >= MAX_SUBSCRIPTIONS:
        raise TooManyWebhooks(f"a municipality has at most {MAX_SUBSCRIPTIONS} webhook subscriptions")
    secret = "whsec_" + secrets.new_token(32)
    subscription = await WebhookSubscription.create(
        tenant=tenant,
        url=checked_url,
        events=checked_events,
        services=checked_services,
        secret_sealed=sealing.seal(platform_key, SEAL_PURPOSE, secret),
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


async def deliveries(
    tenant: Tenant, webhook_id: Any, *, limit: int = DELIVERIES_SHOWN
) -> list[WebhookDelivery]:
    """The latest attempts to deliver to a subscription, newest first."""
    subscription = await get(tenant, webhook_id)
    return await WebhookDelivery.filter(subscription=subscription).order_by("-at", "-id").limit(limit)


async def send_test(tenant: Tenant, webhook_id: Any, *, now: datetime | None = None) -> str:
    """Queue a ``webhook.test`` event for one subscription (whatever its filters); returns its id."""
    subscription = await get(tenant, webhook_id)
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
    expected = sign(secret, event_id, int(stamp), body)
    # A receiver rotating secrets may be sent several signatures, space-separated.
    if not any(hmac.compare_digest(expected, candidate) for candidate in given.split()):
        raise BadSignature("the signature does not match the body")


def body_of(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str


def _post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return Answer(response.status, "")
    except urllib.error.HTTPError as error:
        return Answer(error.code, "")
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Answer(None, f"{type(reason).__name__}: {reason}"[:500])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (not 2xx: tried again), never followed with the signed body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Deliverer:
    """The ``webhook`` runner: one signed POST per attempt, each logged."""

    platform: Any

    async def __call__(self, job: EffectJob, submission: Any) -> None:
        subscription = await WebhookSubscription.filter(id=job.params.get("subscription")).first()
        if subscription is None or subscription.tenant_id != job.tenant_id:
            return  # the subscription was removed: nothing to send any more
        event = job.params["event"]
        try:
            secret = sealing.unseal(
                self.platform.settings.secret_key, SEAL_PURPOSE, subscription.secret_sealed
            )
        except sealing.SealBroken:
            raise SecretUnreadable(subscription.id) from None
        body = body_of(event)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Webhook-Id": event["id"],
            "Webhook-Timestamp": str(timestamp),
            "Webhook-Signature": sign(secret, event["id"], timestamp, body),
        }
        started = time.monotonic()
        answer = await asyncio.to_thread(_post, subscription.url, body, headers)
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
