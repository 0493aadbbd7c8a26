"""The applicant's way back to an application: the tracking token, and a fresh link for a lost one.

Only a random tracking token opens an application for acting on it or downloading its
documents: the token given when it was submitted, or a fresh link sent to the applicant
(:class:`~engine.store.models.TrackingToken`, until it expires). Phone numbers and national
IDs are known to family, neighbours, landlords and shops, so they are never a secret: with a
reference they show where the application stands (status only) and send a fresh tracking
link to the applicant's own phone and e-mail on file, where only the applicant reads it.

Every lookup is counted before anything is compared, per reference (a secret guessed from
everywhere) and per client address (many references guessed from one place); see
:mod:`engine.services.throttle`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from engine import jsonpointer
from engine.definitions import ServiceDefinition
from engine.definitions.model import Text
from engine.services import secrets, throttle
from engine.services.errors import SubmissionNotFound
from engine.store.models import EffectJob, Submission, Tenant, TrackingToken
from engine.thaidate import ascii_digits, format_date
from engine.workflow.sla import BANGKOK

# A link sent to the applicant works this long; the token of the confirmation page does not expire.
LINK_LIFETIME = timedelta(days=30)
# Tokens are 32 characters, contacts at most 13 digits: anything much longer is no secret of ours.
MAX_TOKEN_LENGTH = 128
MAX_CONTACT_LENGTH = 64
REFERENCE_SHAPE = re.compile(r"[A-Za-z0-9-]{1,32}")  # e.g. MH-2569-000123, at most Submission.reference

DefinitionOf = Callable[[str, str], ServiceDefinition]
# (reference, token) -> the link the applicant opens; the caller knows its own URLs.
LinkFor = Callable[[str, str], str]
Channel = Literal["sms", "email"]
# The widgets whose answers reach the applicant, by channel; the first such field of a form is the
# applicant's own (the forms ask for the applicant before a land owner, a designer or a proxy).
# The data role that holds the applicant's address on each channel of their own.
CHANNEL_ROLES: dict[Channel, str] = {"sms": "phone", "email": "email"}


@dataclass(frozen=True)
class SentTo:
    """Where a link went, masked for the screen: ``08x-xxx-5678``, ``s***@example.com``."""

    channel: Channel
    masked: str


@dataclass(frozen=True)
class StatusOnly:
    """What anyone with a reference and the applicant's phone number or ID may see: no data, no documents."""

    reference: str
    service_id: str
    service_version: str
    service_title: Text
    state: str
    status_title: Text
    applicant_message: Text
    final: bool
    submitted_at: datetime


@dataclass(frozen=True)
class LinkRequest:
    """The answer to a lost-link lookup.

    ``outcome`` is ``sent`` (a fresh link is queued for ``sent_to``), ``sent_recently`` (the
    submission had its share of links lately: nothing new is sent until ``resend_after``), or
    ``no_contact`` (no phone number or e-mail on file to send a link to).
    """

    status: StatusOnly
    outcome: Literal["sent", "sent_recently", "no_contact"]
    sent_to: tuple[SentTo, ...] = ()
    resend_after: datetime | None = None

    @property
    def link_sent(self) -> bool:
        return self.outcome == "sent"


def now_utc() -> datetime:
    return datetime.now(UTC)


def _keys(tenant: Tenant, reference: str, address: str) -> list[tuple[throttle.Limit, str]]:
    return [(throttle.TRACKING, _reference_key(tenant, reference)), (throttle.TRACKING_ADDRESS, address)]


def _reference_key(tenant: Tenant, reference: str) -> str:
    return f"{tenant.id}:{reference}"


async def _submission(tenant: Tenant, reference: str) -> Submission | None:
    # Whatever is typed or sent, only the shape of a reference reaches the database.
    if not REFERENCE_SHAPE.fullmatch(reference):
        return None
    return await Submission.get_or_none(tenant=tenant, reference=reference)


async def _token_opens(submission: Submission, token: str, moment: datetime) -> bool:
    if secrets.matches(token, submission.tracking_token_hash, scope=submission.reference):
        return True
    return await TrackingToken.filter(
        Q(expires_at=None) | Q(expires_at__gt=moment),
        tenant_id=submission.tenant_id,
        submission_id=submission.id,
        token_hash=secrets.digest(token, scope=submission.reference),
    ).exists()


async def find_by_token(
    tenant: Tenant, reference: str, token: str, *, address: str, now: datetime | None = None
) -> Submission:
    """The submission ``token`` opens: the one of its confirmation, or an unexpired link sent later.

    The try is counted first, per reference and per ``address`` (the caller's client
    address); the right token clears the reference's count and gives the address its try
    back. Raises :class:`SubmissionNotFound` for a wrong reference and a wrong token alike,
    and :class:`~engine.services.throttle.TooManyAttempts` (nothing compared) past a limit.
    """
    moment = now or now_utc()
    await throttle.take_all(_keys(tenant, reference, address), now=moment)
    token = secrets.normalise_code(token)
    submission = await _submission(tenant, reference)
    if (
        submission is None
        or not token
        or len(token) > MAX_TOKEN_LENGTH
        or not await _token_opens(submission, token, moment)
    ):
        raise SubmissionNotFound(reference)
    await throttle.forget(throttle.TRACKING, _reference_key(tenant, reference))
    await throttle.give_back(throttle.TRACKING_ADDRESS, address)
    return submission


def normalise_contact(text: str) -> str:
    """A phone number or national ID as stored: ASCII digits, no spaces, dashes or dots, ``+66`` as ``0``."""
    cleaned = "".join(c for c in ascii_digits(text) if c not in " \t-.()")
    if cleaned.startswith("+66"):
        cleaned = "0" + cleaned[3:]
    return cleaned


def looks_like_contact(text: str) -> bool:
    """Whether what someone typed is a phone number or a national ID rather than a tracking code."""
    cleaned = normalise_contact(text)
    return cleaned.isdigit() and 9 <= len(cleaned) <= 13


def mask_phone(phone: str) -> str:
    """``0812345678`` -> ``08x-xxx-5678``, ``021234567`` -> ``02-xxx-4567``: enough to recognise, not to call."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) == 10:
        return f"{digits[:2]}x-xxx-{digits[-4:]}"
    if len(digits) == 9:
        return f"{digits[:2]}-xxx-{digits[-4:]}"
    return digits[:2] + "x" * max(len(digits) - 6, 1) + digits[-4:]


def mask_email(email: str) -> str:
    """``somsri@example.com`` -> ``s***@example.com``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def applicant_channels(definition: ServiceDefinition, data: Any) -> list[tuple[Channel, str, str]]:
    """``(channel, pointer, address)`` of the applicant's own phone number and e-mail in ``data``."""
    found: list[tuple[Channel, str, str]] = []
    for channel, role in CHANNEL_ROLES.items():
        for pointer in getattr(definition.service.data_roles, role):
            value = jsonpointer.resolve(data, pointer, None)
            if isinstance(value, str) and value.strip():
                found.append((channel, pointer, value.strip()))
                break
    return found


def mask(channel: str, address: str) -> str:
    """An address as shown on screens and in logs: ``08x-xxx-5678``, ``s***@example.com``."""
    return mask_phone(address) if channel == "sms" else mask_email(address)


def _masked(channel: Channel, address: str) -> SentTo:
    return SentTo(channel, mask(channel, address))


def status_only(definition: ServiceDefinition, submission: Submission) -> StatusOnly:
    state = definition.workflow.states[submission.state]
    return StatusOnly(
        reference=submission.reference,
        service_id=submission.service_id,
        service_version=submission.service_version,
        service_title=definition.service.title,
        state=submission.state,
        status_title=state.title,
        applicant_message=state.applicant_message,
        final=state.final,
        submitted_at=submission.submitted_at,
    )


def link_message(tenant: Tenant, reference: str, link: str, expires_at: datetime) -> dict[str, str]:
    """The message that carries a fresh link, in Thai and English."""
    until = expires_at.astimezone(BANGKOK).date()
    # The link ends its sentence without a full stop after it, so no reader takes the stop into the link.
    return {
        "th": (
            f"{tenant.name_th}: ลิงก์สำหรับติดตามคำขอเลขที่ {reference} ของท่าน "
            f"ใช้ได้ถึงวันที่ {format_date(until, 'th')} คือ {link} "
            "หากท่านไม่ได้ขอลิงก์นี้ ไม่ต้องดำเนินการใด ๆ และโปรดอย่าส่งต่อลิงก์นี้ให้ผู้อื่น"
        ),
        "en": (
            f"{tenant.name_en}: the tracking link of your application {reference}, which works until "
            f"{format_date(until, 'en')}, is {link} "
            "If you did not ask for it, you need not do anything; please do not pass the link on."
        ),
    }


async def request_link(
    tenant: Tenant,
    reference: str,
    contact: str,
    *,
    address: str,
    definition_of: DefinitionOf,
    link_for: LinkFor,
    now: datetime | None = None,
) -> LinkRequest:
    """For an applicant who lost the link: the status, and a fresh link sent to their own phone and e-mail.

    ``contact`` is a phone number or national ID the applicant gave; it proves nothing by
    itself, so the answer holds the status only, and the link goes to the phone number and
    e-mail on file (the channel is the proof), queued as a ``notify`` effect job with a new
    :class:`TrackingToken` that expires after :data:`LINK_LIFETIME`. At most
    :data:`~engine.services.throttle.TRACKING_RESEND` links per submission are sent in a
    window; beyond that the answer says so and nothing is sent.

    The try is counted first, per reference and per ``address``, and a right contact gives
    nothing back (a known phone number must not buy more guesses of the token). Raises
    :class:`SubmissionNotFound` for a wrong reference and a wrong contact alike, and
    :class:`~engine.services.throttle.TooManyAttempts` (nothing compared) past a limit.
    """
    moment = now or now_utc()
    await throttle.take_all(_keys(tenant, reference, address), now=moment)
    submission = await _submission(tenant, reference)
    given = normalise_contact(contact)
    if (
        submission is None
        or not given
        or len(given) > MAX_CONTACT_LENGTH
        or not any(secrets.matches(given, h, scope=reference) for h in submission.contact_hashes or [])
    ):
        raise SubmissionNotFound(reference)
    definition = definition_of(submission.service_id, submission.service_version)
    status = status_only(definition, submission)
    channels = applicant_channels(definition, submission.data)
    if not channels:
        return LinkRequest(status, "no_contact")
    sent_to = tuple(_masked(channel, value) for channel, _pointer, value in channels)
    try:
        await throttle.take(throttle.TRACKING_RESEND, f"{tenant.id}:{submission.id}", now=moment)
    except throttle.TooManyAttempts as refused:
        return LinkRequest(status, "sent_recently", sent_to, moment + refused.retry_after)
    token = secrets.new_token()
    expires_at = moment + LINK_LIFETIME
    async with in_transaction() as connection:
        await TrackingToken.create(
            tenant=tenant,
            submission=submission,
            token_hash=secrets.digest(token, scope=reference),
            purpose="resent",
            created_at=moment,
            expires_at=expires_at,
            using_db=connection,
        )
        await EffectJob.create(
            tenant=tenant,
            submission=submission,
            type="notify",
            params={
                "to": "applicant",
                "channels": [channel for channel, _pointer, _value in channels],
                "message": link_message(tenant, reference, link_for(reference, token), expires_at),
                "purpose": "tracking_link",
                # Where in the submission's data each channel's address is: exactly the ones shown
                # masked to whoever asked, and no copy of the personal data in the queue.
                "address_at": {channel: pointer for channel, pointer, _value in channels},
            },
            run_after=moment,
            using_db=connection,
        )
    return LinkRequest(status, "sent", sent_to)


async def purge_expired_links(*, now: datetime | None = None) -> int:
    """Delete sent links that no longer work (the worker's housekeeping); returns how many."""
    return await TrackingToken.filter(expires_at__lt=now or now_utc()).delete()
