"""A municipality's LINE Official Account: its webhook, linking applications, answers from the catalog.

The console stores the account's channel secret and access token sealed with the platform
key (:mod:`engine.services.sealing`). LINE calls the webhook with events signed by the
channel secret (``X-Line-Signature``: base64 HMAC-SHA256 of the raw body); the webhook
checks the signature and queues the events as one job, so it answers LINE at once, and the
worker (:class:`EventHandler`) does the work and replies:

- ``ผูก MH-2569-000123 K7Q2XPRT`` (the link code of the confirmation and tracking pages)
  links the LINE user to that application; from then on its messages are pushed to LINE.
  The code is a MAC of the application, so nobody links one without having seen its page,
  and no national ID ever travels over chat.
- ``ติดตาม`` lists the linked applications' statuses (``ติดตาม <reference>`` just one).
- Anything else is a question: the catalog's own text answers it (:mod:`catalog_search`),
  or the office's phone number when nothing fits.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.definitions import Catalog, ServiceDefinition
from engine.durations import Duration
from engine.messaging import ChannelRegistry, MessagingError
from engine.messaging.channels import LinePushChannel, post_json
from engine.services import sealing, throttle
from engine.services.catalog_search import CatalogIndex
from engine.services.errors import ServiceError
from engine.store.models import EffectJob, EnabledService, LineLink, Submission, Tenant
from engine.store.queries import flat

log = logging.getLogger(__name__)
EVENTS_JOB = "line_events"
SEALING_PURPOSE = "line"
SETTINGS_KEY = "line"
SIGNATURE_HEADER = "X-Line-Signature"
MAX_EVENTS = 100
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed on phones
CODE_LENGTH = 8
REFERENCE = re.compile(r"[A-Za-z]{1,6}-\d{4}-\d{1,6}")
LINK_TRIES = throttle.Limit("line_link", 10, throttle.TRACKING.window)


class LineError(Exception):
    """Base of the LINE Official Account errors."""


class NotConnected(LineError):
    """The municipality has not connected a LINE Official Account."""


class BadSignature(LineError):
    """The webhook's body is not signed with the municipality's channel secret."""


LINE_BASIC_ID = re.compile(r"@[a-z0-9._-]{1,20}")
PHONE = re.compile(r"[0-9][0-9 -]{7,15}[0-9]")
MAX_CREDENTIAL = 500


@dataclass(frozen=True)
class SettingProblem:
    """What is wrong with one field of the connection details, in both languages."""

    field: str  # secret, token, basic_id or phone
    message: str
    message_th: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "message_th": self.message_th}


SETTING_PROBLEMS = {
    "secret": SettingProblem("secret", "Enter the channel secret", "กรุณากรอก Channel secret"),
    "token": SettingProblem("token", "Enter the channel access token", "กรุณากรอก Channel access token"),
    "basic_id": SettingProblem(
        "basic_id",
        "Enter the account's LINE ID starting with @, for example @maehia",
        "กรุณากรอก LINE ID ของบัญชีให้ขึ้นต้นด้วย @ เช่น @maehia",
    ),
    "phone": SettingProblem(
        "phone",
        "Enter the phone number in digits, for example 053-123-456",
        "กรุณากรอกหมายเลขโทรศัพท์เป็นตัวเลข เช่น 053-123-456",
    ),
}


class LineSettingsInvalid(ServiceError):
    """The connection details were not stored: ``problems`` names each wrong field (nothing changed)."""

    http_status = 422
    code = "invalid_line_settings"

    def __init__(self, problems: list[SettingProblem]):
        self.problems = problems
        self.message_th = problems[0].message_th
        super().__init__(problems[0].message)


def setting_problems(*, secret: str, token: str, basic_id: str, phone: str) -> list[SettingProblem]:
    """What is wrong with these connection details (the values already stripped); empty when nothing."""
    wrong = []
    if not secret or len(secret) > MAX_CREDENTIAL:
        wrong.append("secret")
    if not token or len(token) > MAX_CREDENTIAL:
        wrong.append("token")
    if not LINE_BASIC_ID.fullmatch(basic_id):
        wrong.append("basic_id")
    if phone and not PHONE.fullmatch(phone):
        wrong.append("phone")
    return [SETTING_PROBLEMS[name] for name in wrong]


async def configure(
    tenant: Tenant, platform_key: str, *, secret: str, token: str, basic_id: str, phone: str
) -> None:
    """Connect the Official Account (replacing any earlier one) and set the office's phone number.

    Raises :class:`LineSettingsInvalid` naming every wrong field; then nothing is stored.
    """
    problems = setting_problems(secret=secret, token=token, basic_id=basic_id, phone=phone)
    if problems:
        raise LineSettingsInvalid(problems)
    await connect(tenant, platform_key, channel_secret=secret, access_token=token, basic_id=basic_id)
    await set_office_phone(tenant, phone)


@dataclass(frozen=True)
class LineAccount:
    channel_secret: str
    access_token: str
    basic_id: str  # e.g. @maehia: for the "add friend" link and QR

    @property
    def add_friend_url(self) -> str:
        return f"https://line.me/R/ti/p/{self.basic_id}" if self.basic_id else ""


def account_of(tenant: Tenant, platform_key: str) -> LineAccount | None:
    """The tenant's LINE account, unsealed; None when not connected (or sealed under another key)."""
    stored = (tenant.settings or {}).get(SETTINGS_KEY)
    if not isinstance(stored, dict):
        return None
    try:
        return LineAccount(
            channel_secret=sealing.unseal(platform_key, SEALING_PURPOSE, stored["secret"]),
            access_token=sealing.unseal(platform_key, SEALING_PURPOSE, stored["token"]),
            basic_id=str(stored.get("basic_id", "")),
        )
    except (KeyError, sealing.SealBroken):
        log.warning("the LINE account of tenant %s cannot be unsealed with this platform key", tenant.id)
        return None


async def connect(
    tenant: Tenant, platform_key: str, *, channel_secret: str, access_token: str, basic_id: str
) -> None:
    """Store the account sealed (replacing any earlier one)."""
    settings = dict(tenant.settings or {})
    settings[SETTINGS_KEY] = {
        "secret": sealing.seal(platform_key, SEALING_PURPOSE, channel_secret.strip()),
        "token": sealing.seal(platform_key, SEALING_PURPOSE, access_token.strip()),
        "basic_id": basic_id.strip(),
    }
    tenant.settings = settings
    await Tenant.filter(id=tenant.id).update(settings=settings)


async def disconnect(tenant: Tenant) -> None:
    settings = {k: v for k, v in (tenant.settings or {}).items() if k != SETTINGS_KEY}
    tenant.settings = settings
    await Tenant.filter(id=tenant.id).update(settings=settings)


async def set_office_phone(tenant: Tenant, phone: str) -> None:
    """The phone number the Official Account offers when it cannot answer ("" for none)."""
    settings = {**(tenant.settings or {}), "phone": phone.strip()}
    tenant.settings = settings
    await Tenant.filter(id=tenant.id).update(settings=settings)


def webhook_url(public_url: str, tenant: Tenant) -> str:
    """The address to paste as the Webhook URL of the Messaging API channel in the LINE Developers Console."""
    return f"{public_url.rstrip('/')}/api/v1/tenants/{tenant.slug}/line/webhook"


def signature_of(channel_secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()).decode()


async def receive(tenant: Tenant, platform_key: str, body: bytes, signature: str | None, events: Any) -> int:
    """Check the webhook's signature and queue its events; returns how many were queued.

    Raises :class:`NotConnected` and :class:`BadSignature` (nothing queued).
    """
    account = account_of(tenant, platform_key)
    if account is None:
        raise NotConnected(tenant.slug)
    if not signature or not hmac.compare_digest(signature_of(account.channel_secret, body), signature):
        raise BadSignature(tenant.slug)
    kept = [e for e in events if isinstance(e, dict)][:MAX_EVENTS] if isinstance(events, list) else []
    if kept:
        await EffectJob.create(
            tenant=tenant, type=EVENTS_JOB, params={"events": kept}, run_after=datetime.now(UTC)
        )
    return len(kept)


def link_code(platform_key: str, submission: Submission) -> str:
    """The short code that links a LINE user to ``submission`` (stable, shown only to its applicant)."""
    mac = hmac.new(
        platform_key.encode(),
        f"line-link:{submission.tenant_id}:{submission.reference}".encode(),
        hashlib.sha256,
    ).digest()
    number = int.from_bytes(mac[:8], "big")
    code = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, len(CODE_ALPHABET))
        code.append(CODE_ALPHABET[digit])
    return "".join(code)


def link_command(platform_key: str, submission: Submission) -> str:
    """What the applicant sends to the Official Account (the QR pre-fills it)."""
    return f"ผูก {submission.reference} {link_code(platform_key, submission)}"


def message_url(account: LineAccount, text: str) -> str:
    """A link that opens the chat with the Official Account with ``text`` typed in."""
    from urllib.parse import quote

    return f"https://line.me/R/oaMessage/{quote(account.basic_id)}/?{quote(text)}"


def _days(duration: str) -> int:
    return max(round(Duration.parse(duration).approximate().total_seconds() / 86400), 1)


def describe_service(definition: ServiceDefinition, service_url: str) -> str:
    """A service in a chat message: what it is, what to bring, how long it takes, where to apply."""
    service = definition.service
    lines = [service.title.th, service.summary.th]
    needed = [a.title.th for a in service.form_attachments() if a.required]
    if needed:
        lines.append("เอกสารที่ต้องใช้: " + " ".join(f"({n}) {title}" for n, title in enumerate(needed, 1)))
    if service.fees:
        lines.append("ค่าธรรมเนียม: " + ", ".join(fee.title.th for fee in service.fees) + " (อัตราดูได้ที่ลิงก์)")
    unit = "วันทำการ" if service.sla.days == "working" else "วัน"
    basis = "ตามที่กฎหมายกำหนด" if service.sla.maximum_is_law else "ตามมาตรฐานการให้บริการ"
    lines.append(f"ระยะเวลาดำเนินการ{basis}: ไม่เกิน {_days(service.sla.legal_maximum)} {unit}")
    lines.append(f"ยื่นคำขอออนไลน์ได้ที่ {service_url}")
    return "\n".join(lines)


@dataclass
class EventHandler:
    """The worker's side of the webhook: linking, statuses and answers, replied to LINE."""

    platform_key: str
    catalog: Catalog
    channels: ChannelRegistry
    links: Any  # engine.services.messages.Links (and a service page link)
    portal_url: Any = None  # (tenant, service id) -> the service's page

    _index: CatalogIndex | None = None

    def index(self) -> CatalogIndex:
        """Built at the first question, not when the worker starts (segmenting the catalog takes a second)."""
        if self._index is None:
            self._index = CatalogIndex(list(self.catalog))
        return self._index

    async def __call__(self, job: EffectJob, submission: Submission | None) -> None:
        tenant = await Tenant.get(id=job.tenant_id)
        account = account_of(tenant, self.platform_key)
        if account is None:
            return  # disconnected since: nobody to answer as
        for event in (job.params or {}).get("events", []):
            user = ((event.get("source") or {}).get("userId")) or ""
            token = event.get("replyToken") or ""
            if not user or not token:
                continue
            if event.get("type") == "follow":
                text = self.greeting(tenant)
            elif event.get("type") == "message" and (event.get("message") or {}).get("type") == "text":
                text = await self.answer(tenant, user, str(event["message"].get("text", ""))[:1000])
            else:
                continue
            await self.reply(account, token, text)

    async def reply(self, account: LineAccount, reply_token: str, text: str) -> None:
        channel = self.channels.channels.get("line")
        api = channel.api_url if isinstance(channel, LinePushChannel) else "https://api.line.me"
        body = {"replyToken": reply_token, "messages": [{"type": "text", "text": text[:5000]}]}
        headers = {"Authorization": f"Bearer {account.access_token}"}
        try:
            status, _answer = await asyncio.to_thread(
                post_json, f"{api.rstrip('/')}/v2/bot/message/reply", body, headers
            )
        except MessagingError:
            log.warning("LINE did not take a reply")
            return
        if status >= 300:
            log.warning("LINE refused a reply: %s", status)

    def greeting(self, tenant: Tenant) -> str:
        return (
            f"ขอบคุณที่เพิ่ม{tenant.name_th}เป็นเพื่อน ท่านสอบถามเรื่องบริการได้ที่นี่ เช่น "
            '"ต่อใบอนุญาตร้านอาหารต้องใช้เอกสารอะไร" หากยื่นคำขอแล้ว ส่งรหัสผูกบัญชีที่อยู่ในหน้าติดตามคำขอ '
            'แล้วท่านจะได้รับแจ้งความคืบหน้าทาง LINE ส่งคำว่า "ติดตาม" เพื่อดูสถานะคำขอที่ผูกไว้'
        )

    async def answer(self, tenant: Tenant, user: str, text: str) -> str:
        words = text.strip().split()
        if words and words[0] in ("ผูก", "link") and len(words) == 3:
            return await self.link(tenant, user, words[1].upper(), words[2].upper())
        if len(words) == 2 and REFERENCE.fullmatch(words[0]) and len(words[1]) == CODE_LENGTH:
            return await self.link(tenant, user, words[0].upper(), words[1].upper())
        if words and words[0] in ("ติดตาม", "สถานะ", "status"):
            return await self.statuses(tenant, user, words[1].upper() if len(words) > 1 else None)
        return await self.from_catalog(tenant, text)

    async def link(self, tenant: Tenant, user: str, reference: str, code: str) -> str:
        try:
            await throttle.take(LINK_TRIES, f"{tenant.id}:{user}")
        except throttle.TooManyAttempts as refused:
            return f"ท่านลองหลายครั้งเกินไป กรุณารอ {refused.minutes} นาทีแล้วลองใหม่"
        submission = (
            await Submission.get_or_none(tenant=tenant, reference=reference)
            if REFERENCE.fullmatch(reference)
            else None
        )
        if submission is None or not hmac.compare_digest(link_code(self.platform_key, submission), code):
            return "รหัสผูกบัญชีไม่ถูกต้อง กรุณาคัดลอกข้อความจากหน้าติดตามคำขอ หรือสแกน QR ในหน้านั้นอีกครั้ง"
        await LineLink.get_or_create(
            tenant=tenant, submission=submission, line_user_id=user, defaults={"linked_at": datetime.now(UTC)}
        )
        if "line" in (submission.stopped_channels or []):
            await Submission.filter(id=submission.id).update(
                stopped_channels=[c for c in submission.stopped_channels if c != "line"]
            )
        state = self._state_title(submission)
        return (
            f"ผูกบัญชี LINE ของท่านกับคำขอเลขที่ {submission.reference} แล้ว "
            f"สถานะปัจจุบันคือ {state} เมื่อสถานะเปลี่ยน ท่านจะได้รับแจ้งทาง LINE นี้"
        )

    def _state_title(self, submission: Submission) -> str:
        try:
            definition = self.catalog.get(submission.service_id, submission.service_version)
            return definition.workflow.states[submission.state].title.th
        except (KeyError, LookupError):
            return submission.state

    async def statuses(self, tenant: Tenant, user: str, reference: str | None) -> str:
        links = await LineLink.filter(tenant=tenant, line_user_id=user).prefetch_related("submission")
        found = [
            link.submission for link in links if reference is None or link.submission.reference == reference
        ]
        if not found:
            return "ยังไม่มีคำขอที่ผูกกับบัญชี LINE นี้ กรุณาส่งรหัสผูกบัญชีที่อยู่ในหน้าติดตามคำขอของท่านก่อน"
        lines = [f"คำขอเลขที่ {s.reference}: {self._state_title(s)}" for s in found[:10]]
        return "\n".join(lines)

    async def from_catalog(self, tenant: Tenant, question: str) -> str:
        enabled = set(await flat(EnabledService.filter(tenant=tenant, enabled=True), "service_id"))
        matches = self.index().answer(question, among=enabled)
        phone = str((tenant.settings or {}).get("phone", "")).strip()
        office = f" หรือโทร {phone}" if phone else ""
        if not matches:
            return (
                "ขออภัย ระบบยังไม่พบบริการที่ตรงกับคำถามของท่าน "
                f"กรุณาพิมพ์คำถามใหม่ด้วยคำอื่น หรือติดต่อ{tenant.name_th}ในวันและเวลาราชการ{office}"
            )
        url = self.portal_url or (lambda t, service_id: "")
        if len(matches) == 1:
            return describe_service(matches[0].definition, url(tenant, matches[0].definition.id))
        options = "\n".join(
            f"- {m.definition.service.title.th}: {url(tenant, m.definition.id)}" for m in matches
        )
        return f"บริการที่อาจตรงกับคำถามของท่าน\n{options}"
