"""The outbox: every message becomes deliveries (one per channel and address), sent by the worker.

A ``notify`` effect (and a lost-link request, and a new application's receipt) writes a
:class:`~engine.store.models.Notification`; :func:`enqueue` turns it into
:class:`~engine.store.models.Delivery` rows in the same transaction, each with its text
already written in the recipient's words (:data:`Compose`, supplied by the installation).
:func:`deliver_due` sends what is due through the :class:`~engine.messaging.ChannelRegistry`;
a provider that fails is tried again with the channel's back-off, and a message is never
dropped: it ends ``sent``, ``failed`` (refused for good, or out of tries), ``stopped`` (the
applicant asked us to stop that channel) or ``unavailable`` (the channel is not set up).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Collection, Container
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine.definitions import ServiceDefinition
from engine.definitions.model import Text
from engine.messaging import (
    AddressRefused,
    ChannelNotConfigured,
    ChannelRegistry,
    DeliveryFailed,
    Outgoing,
)
from engine.services import secrets, throttle, tracking
from engine.store.bounds import could_be_key
from engine.store.models import (
    Delivery,
    EffectJob,
    LineLink,
    Notification,
    RoleGrant,
    Submission,
    Tenant,
    TrackingToken,
    User,
)
from engine.store.queries import flat

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
PAGE = "page"  # the tracking page (the catalog's "inbox")
APPLICANT_CHANNELS = ("sms", "email", "line", PAGE)
EXTERNAL = frozenset({"sms", "email", "line"})


class DeliveryNotFound(Exception):
    """No message of this municipality has that key."""


@dataclass(frozen=True)
class Composition:
    """Everything a message template may say; the installation writes it per channel."""

    purpose: str  # status | tracking_link | received | officer
    channel: str
    tenant: Tenant
    reference: str | None
    service_title: Text | None
    status_title: Text | None
    next_step: Text | None  # what the applicant is told on the tracking page in this state
    message: Text
    link: str  # the tracking link (applicant) or the desk page (officer); may be empty
    stop_url: str  # empty for officers


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str = ""


Compose = Callable[[Composition], Composed]


@dataclass(frozen=True)
class Links:
    """The installation's public addresses, for links in messages."""

    tracking: Callable[[Tenant, str, str], str]  # (tenant, reference, token) -> tracking link
    stop: Callable[[Tenant, str], str]  # (tenant, delivery key) -> stop link
    desk: Callable[[Tenant, str], str]  # (tenant, reference) -> the officers' page of it
    inbox: Callable[[Tenant], str]  # the officers' inbox


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def now_utc() -> datetime:
    return datetime.now(UTC)


def _text(value: Any) -> Text:
    value = value if isinstance(value, dict) else {}
    return Text(th=str(value.get("th", "")), en=str(value.get("en", "") or value.get("th", "")))


def _mask(channel: str, address: str) -> str:
    if channel in ("sms", "email"):
        return tracking.mask(channel, address)
    return "LINE" if channel == "line" else ""


def _delivery(
    tenant_id: int, channel: str, address: str, composed: Composed, *, key: str, moment: datetime, **more: Any
) -> Delivery:
    """One message for one address, queued now (``more``: its notification, submission, officer, status)."""
    return Delivery(
        tenant_id=tenant_id,
        channel=channel,
        address=address,
        masked=_mask(channel, address),
        subject=composed.subject[:300],
        text=composed.text,
        html=composed.html,
        next_attempt_at=moment,
        key=key,
        **more,
    )


def announced(definition: ServiceDefinition, data: Any, available: Container[str]) -> list[tuple[str, str]]:
    """(channel, masked address) the applicant's receipt goes to, for the confirmation page to say."""
    return [
        (channel, _mask(channel, address))
        for channel, _pointer, address in tracking.applicant_channels(definition, data)
        if channel in available
    ]


async def _applicant_addresses(
    definition: ServiceDefinition, submission: Submission, wanted: Collection[str], connection: Any
) -> list[tuple[str, str]]:
    """(channel, address) of the applicant for each wanted channel that has one."""
    found: list[tuple[str, str]] = [
        (channel, address)
        for channel, _pointer, address in tracking.applicant_channels(definition, submission.data)
        if channel in wanted
    ]
    if "line" in wanted:
        links = await LineLink.filter(submission_id=submission.id).using_db(connection)
        found.extend(("line", link.line_user_id) for link in links)
    if PAGE in wanted:
        found.append((PAGE, ""))
    return found


async def _officer_addresses(tenant_id: int, role: str, connection: Any) -> list[tuple[User, str]]:
    user_ids = (
        await RoleGrant.filter(tenant_id=tenant_id, role=role)
        .using_db(connection)
        .values_list("user_id", flat=True)
    )
    officers = await User.filter(id__in=list(user_ids), active=True).exclude(email="").using_db(connection)
    return [(officer, officer.email) for officer in officers]


async def enqueue(
    job: EffectJob,
    submission: Submission | None,
    definition: ServiceDefinition | None,
    *,
    compose: Compose,
    links: Links,
    now: datetime | None = None,
) -> Notification:
    """The job's message in the outbox, with a delivery per channel and address; once per job.

    The applicant is written to on the channels the effect names (all by default) where the
    application has an address (phone, e-mail, a linked LINE user) and the tracking page;
    a role's officers by e-mail where they gave one (their desk shows the work anyway).
    Messages to the applicant carry a fresh tracking link, except a lost-link message, which
    is that link.
    """
    moment = now or now_utc()
    params = job.params or {}
    recipient = str(params.get("to", "applicant"))
    message = _text(params.get("message"))
    purpose = str(params.get("purpose", "status"))
    async with in_transaction() as connection:
        notification, created = await Notification.get_or_create(
            job=job,
            defaults={
                "tenant_id": job.tenant_id,
                "submission": submission,
                "recipient": recipient,
                "channels": list(params.get("channels", APPLICANT_CHANNELS)),
                "message_th": message.th,
                "message_en": message.en,
            },
            using_db=connection,
        )
        if not created or submission is None or definition is None:
            return notification
        tenant = await Tenant.filter(id=job.tenant_id).using_db(connection).get()
        state = definition.workflow.states.get(submission.state)
        base: dict[str, Any] = {
            "tenant": tenant,
            "reference": submission.reference,
            "service_title": definition.service.title,
            "status_title": state.title if state else None,
            "next_step": state.applicant_message if state else None,
            "message": message,
        }
        rows: list[Delivery] = []
        if recipient == "applicant":
            wanted = {PAGE if c == "inbox" else c for c in params.get("channels", APPLICANT_CHANNELS)}
            if purpose != "tracking_link":  # a lost-link message belongs on the phone, not the page
                wanted.add(PAGE)
            else:
                wanted.discard(PAGE)
            addresses = await _applicant_addresses(definition, submission, wanted, connection)
            link = ""
            if purpose != "tracking_link" and any(channel in EXTERNAL for channel, _ in addresses):
                token = secrets.new_token()
                await TrackingToken.create(
                    tenant_id=tenant.id,
                    submission=submission,
                    token_hash=secrets.digest(token, scope=submission.reference),
                    purpose="message",
                    created_at=moment,
                    expires_at=moment + tracking.LINK_LIFETIME,
                    using_db=connection,
                )
                link = links.tracking(tenant, submission.reference, token)
            stopped = set(submission.stopped_channels or [])
            for channel, address in addresses:
                key = str(uuid.uuid4())
                composed = compose(
                    Composition(
                        purpose=purpose,
                        channel=channel,
                        link="" if channel == PAGE else link,
                        stop_url="" if channel == PAGE else links.stop(tenant, key),
                        **base,
                    )
                )
                status = "stopped" if channel in stopped else "sent" if channel == PAGE else "queued"
                rows.append(
                    _delivery(
                        tenant.id,
                        channel,
                        address,
                        composed,
                        key=key,
                        moment=moment,
                        notification=notification,
                        submission=submission,
                        status=status,
                        sent_at=moment if status == "sent" else None,
                    )
                )
        else:
            for officer, address in await _officer_addresses(tenant.id, recipient, connection):
                composed = compose(
                    Composition(
                        purpose="officer",
                        channel="email",
                        link=links.desk(tenant, submission.reference),
                        stop_url="",
                        **base,
                    )
                )
                rows.append(
                    _delivery(
                        tenant.id,
                        "email",
                        address,
                        composed,
                        key=str(uuid.uuid4()),
                        moment=moment,
                        notification=notification,
                        submission=submission,
                        user=officer,
                    )
                )
        for row in rows:
            await row.save(using_db=connection)
    return notification


# "Send me the link" of a saved form: a few per draft a day, and per client address an hour
# (nobody gets to flood strangers' phones from the form).
RESUME_LINKS = throttle.Limit("resume_link", 3, timedelta(days=1))
RESUME_LINKS_ADDRESS = throttle.Limit("resume_link_address", 10, timedelta(hours=1))
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,63}")


class ContactNotUsable(ValueError):
    """Neither a Thai mobile number nor an e-mail address (or no such channel is set up here)."""

    def __init__(self, reason: str):
        self.reason = reason  # not_a_contact | channel_unavailable
        super().__init__(reason)


def contact_channel(text: str) -> tuple[str, str]:
    """``081-234-5678`` -> ``("sms", "0812345678")``; an e-mail address -> ``("email", …)``.

    Raises :class:`ContactNotUsable` for anything else (a landline cannot take an SMS).
    """
    cleaned = text.strip()
    digits = tracking.normalise_contact(cleaned)
    if digits.isdigit() and len(digits) == 10 and digits[:2] in ("06", "08", "09"):
        return "sms", digits
    if len(cleaned) <= 254 and _EMAIL.fullmatch(cleaned):
        return "email", cleaned
    raise ContactNotUsable("not_a_contact")


async def send_resume_link(
    tenant: Tenant,
    draft_id: int,
    contact: str,
    *,
    subject: str,
    text_for: Callable[[str], str],
    available: Collection[str],
    address: str,
    now: datetime | None = None,
) -> tuple[str, str]:
    """Queue the resume link of a saved form to the citizen's own phone or e-mail; (channel, masked).

    ``text_for(channel)`` writes the message. Raises :class:`ContactNotUsable` and
    :class:`~engine.services.throttle.TooManyAttempts` (counted before anything is queued).
    """
    channel, destination = contact_channel(contact)
    if channel not in available:
        raise ContactNotUsable("channel_unavailable")
    moment = now or now_utc()
    await throttle.take(RESUME_LINKS_ADDRESS, address, now=moment)
    await throttle.take(RESUME_LINKS, f"{tenant.id}:{draft_id}", now=moment)
    composed = Composed(subject, text_for(channel))
    await _delivery(tenant.id, channel, destination, composed, key=str(uuid.uuid4()), moment=moment).save()
    return channel, _mask(channel, destination)


DIGEST_CHOICES = ("email", "off")


async def set_officer_contact(user: User, *, email: str, digest: str) -> None:
    """Where an officer is told of work; raises ValueError for a digest choice that does not exist."""
    if digest not in DIGEST_CHOICES:
        raise ValueError(f"digest must be one of {DIGEST_CHOICES}, not {digest!r}")
    await User.filter(id=user.id).update(email=email.strip(), digest=digest)
    user.email, user.digest = email.strip(), digest


DIGEST_HOUR = 7  # Bangkok time: the digest is in the inbox when the office opens


@dataclass(frozen=True)
class Digest:
    """An officer's morning summary: the work of their roles that is overdue or due soon."""

    tenant: Tenant
    officer: User
    overdue: int
    soon: int
    items: list[Any]  # engine.services.desk.InboxItem, most urgent first
    inbox_url: str
    desk_url: Callable[[str], str]  # reference -> the officers' page of it
    service_title: Callable[[str], str]


ComposeDigest = Callable[[Digest], Composed]


async def queue_digests(
    definitions: Collection[ServiceDefinition],
    *,
    compose_digest: ComposeDigest,
    links: Links,
    now: datetime | None = None,
    listed: int = 20,
    looked_at: set[str] | None = None,
) -> int:
    """Queue today's digest for every officer who wants one and has urgent work; returns how many.

    Runs from the worker's housekeeping: before :data:`DIGEST_HOUR` it does nothing, after it
    each officer gets at most one digest a day (the delivery key names officer and day, so
    several workers cannot send two). ``looked_at`` is the caller's memory of the officers
    already looked at today (those with nothing urgent are not looked at again every run).
    """
    looked_at = looked_at if looked_at is not None else set()
    from engine.services import desk
    from engine.workflow.sla import BANGKOK

    moment = now or now_utc()
    local = moment.astimezone(BANGKOK)
    if local.hour < DIGEST_HOUR:
        return 0
    titles = {d.id: d.service.title.th for d in definitions}
    day = f"{local:%Y%m%d}"
    looked_at.difference_update({k for k in looked_at if not k.endswith(f"-{day}")})  # yesterday's
    # Today's digests already queued (by any worker), in one query rather than one per officer.
    queued_today = set(
        await Delivery.filter(key__startswith="digest-", key__endswith=f"-{day}").values_list(
            "key", flat=True
        )
    )
    queued = 0
    for officer in (
        await User.filter(active=True, digest="email").exclude(email="").prefetch_related("tenant")
    ):
        key = f"digest-{officer.id}-{day}"
        if key in queued_today or key in looked_at:
            continue
        looked_at.add(key)
        roles = await flat(RoleGrant.filter(user_id=officer.id), "role")
        work = await desk.inbox(officer.tenant, definitions, list(roles), now=moment, limit=listed)
        overdue, soon = work.by_sla.get(desk.Sla.OVERDUE, 0), work.by_sla.get(desk.Sla.SOON, 0)
        if not overdue and not soon:
            continue
        tenant = officer.tenant
        composed = compose_digest(
            Digest(
                tenant=tenant,
                officer=officer,
                overdue=overdue,
                soon=soon,
                items=[i for i in work.items if i.sla in (desk.Sla.OVERDUE, desk.Sla.SOON)],
                inbox_url=links.inbox(tenant),
                desk_url=functools.partial(links.desk, tenant),
                service_title=lambda service_id: titles.get(service_id, service_id),
            )
        )
        try:
            await _delivery(
                tenant.id, "email", officer.email, composed, key=key, moment=moment, user=officer
            ).save()
        except IntegrityError:
            continue  # another worker queued it first
        queued += 1
    return queued


CredentialFor = Callable[[int, str], Awaitable[str]]


async def _claim(limit: int, now: datetime) -> list[Delivery]:
    candidates = (
        await Delivery.filter(status__in=["queued", "sending"], next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .limit(limit)
    )
    claimed = []
    for delivery in candidates:
        won = await Delivery.filter(
            id=delivery.id, status=delivery.status, attempts=delivery.attempts
        ).update(status="sending", attempts=delivery.attempts + 1, next_attempt_at=now + LEASE)
        if won:
            delivery.attempts += 1
            claimed.append(delivery)
    return claimed


async def deliver_due(
    registry: ChannelRegistry,
    *,
    credential_for: CredentialFor,
    limit: int = 100,
    now: datetime | None = None,
) -> DeliveryReport:
    """Send the deliveries that are due; each ends sent, is queued again, or fails for good."""
    moment = now or now_utc()
    sent = retried = failed = 0
    for delivery in await _claim(limit, moment):
        outcome: dict[str, Any]
        try:
            channel = registry.get(delivery.channel)
            credential = await credential_for(delivery.tenant_id, delivery.channel)
            provider_id = await asyncio.to_thread(
                channel.send,
                Outgoing(
                    key=delivery.key,
                    address=delivery.address,
                    subject=delivery.subject,
                    text=delivery.text,
                    html=delivery.html,
                    stop_url="",
                    credential=credential,
                ),
            )
            outcome = {
                "status": "sent",
                "sent_at": moment,
                "provider_id": provider_id[:200],
                "last_error": "",
            }
            sent += 1
        except ChannelNotConfigured as error:
            outcome = {"status": "unavailable", "last_error": str(error)[:500]}
            failed += 1
        except AddressRefused as error:
            outcome = {"status": "failed", "last_error": str(error)[:500]}
            failed += 1
        except Exception as error:  # DeliveryFailed, or a fault of ours: try again later
            if not isinstance(error, DeliveryFailed):
                log.exception("delivery %s on %s failed", delivery.id, delivery.channel)
            policy = registry.get(delivery.channel).retry if delivery.channel in registry else None
            out_of_tries = policy is None or delivery.attempts >= policy.max_attempts
            outcome = {
                "status": "failed" if out_of_tries else "queued",
                "next_attempt_at": moment + (policy.delay(delivery.attempts) if policy else LEASE),
                "last_error": f"{error}"[:500] or type(error).__name__,
            }
            failed += out_of_tries
            retried += not out_of_tries
        await Delivery.filter(id=delivery.id, status="sending").update(**outcome)
        if outcome["status"] == "sent" and delivery.notification_id:
            await Notification.filter(id=delivery.notification_id, sent_at=None).update(sent_at=moment)
    return DeliveryReport(sent, retried, failed)


async def deliveries_of(submission: Submission) -> list[Delivery]:
    """The delivery log of one application, oldest first (officers read it on the desk)."""
    return await Delivery.filter(tenant_id=submission.tenant_id, submission_id=submission.id).order_by(
        "created_at", "id"
    )


async def find(tenant: Tenant, key: str) -> Delivery:
    """The delivery whose stop link carries ``key``; raises :class:`DeliveryNotFound`."""
    found = None
    if could_be_key(key, Delivery, "key"):
        found = await Delivery.get_or_none(tenant=tenant, key=key, submission_id__isnull=False)
    if found is None:
        raise DeliveryNotFound(key)
    return found


async def reference_of(delivery: Delivery) -> str:
    """The reference of the application a delivery was about (the stop page names it)."""
    return (await Submission.get(id=delivery.submission_id)).reference


async def stop(tenant: Tenant, key: str) -> Delivery:
    """Stop messages on the channel of the delivery ``key`` for its application; raises DeliveryNotFound.

    Queued messages on that channel for the application are stopped too.
    """
    delivery = await find(tenant, key)
    if delivery.submission_id is None:  # find() takes none without an application
        raise DeliveryNotFound(key)
    await stop_channel(delivery.submission_id, delivery.channel)
    return delivery


async def stop_channel(submission_id: int, channel: str) -> list[str]:
    """Stop messages on ``channel`` for an application, its queued ones too; the channels now stopped."""
    async with in_transaction() as connection:
        submission = await Submission.filter(id=submission_id).using_db(connection).select_for_update().get()
        stopped = sorted(set(submission.stopped_channels or []) | {channel})
        await Submission.filter(id=submission.id).using_db(connection).update(stopped_channels=stopped)
        await (
            Delivery.filter(submission_id=submission.id, channel=channel, status="queued")
            .using_db(connection)
            .update(status="stopped")
        )
    return stopped


async def resume(submission: Submission, channel: str) -> None:
    """Send messages on ``channel`` again (the applicant changed their mind on the tracking page)."""
    stopped = [c for c in submission.stopped_channels or [] if c != channel]
    await Submission.filter(id=submission.id).update(stopped_channels=stopped)
    submission.stopped_channels = stopped
