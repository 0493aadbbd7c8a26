"""Letters: register what arrives, draft what leaves, endorse, sign, open, close.

Every entry point (officer pages, API, CLI) calls these. Each call is one transaction: the
register row, the letter, its new PDF revision and the audit entry are stored whole or not
at all (a PDF written to the blob store by a call that then failed is an orphan under a key
nobody refers to, never a half-registered letter).

PDF work goes through :class:`engine.saraban.ports.PdfTools` on a worker thread; every stamp
and signature is an incremental revision of the file before it.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from engine.blobs.sniff import sniff_content_type
from engine.saraban.errors import (
    FieldProblem,
    InvalidLetter,
    LetterFileRefused,
    LetterNotFound,
    NotAllowed,
    SecrecyRefused,
    StaleLetter,
)
from engine.saraban.numbering import calendar_year, printed, running_text
from engine.saraban.ports import DraftLetter, PdfTools, Place, Stamp
from engine.saraban.settings import SarabanSettings, settings_of
from engine.saraban.vocabulary import ACTIONS, CLASSIFIED, KINDS, RETENTION_CLASSES, SECRECIES, URGENCIES
from engine.services.saraban import audit, search
from engine.services.saraban.numbers import Row, take
from engine.services.saraban.organisation import Actor
from engine.store.bounds import could_be_key
from engine.store.models import (
    Letter,
    LetterAccess,
    OrgUnit,
    RegisterEntry,
    RoleGrant,
    RoutingStep,
    Tenant,
    UnitMember,
    User,
)
from engine.store.queries import flat
from engine.thaidate import buddhist_year, format_date
from engine.workflow.sla import BANGKOK

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TEXT = 2000
MAX_PARAGRAPHS = 60
MAX_LIST = 20
TOP_SECRET_RULE_TH = (
    "หนังสือชั้นลับที่สุดส่งหรือเก็บในระบบสารบรรณอิเล็กทรอนิกส์ไม่ได้ "
    "ตามระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ (ฉบับที่ 4) พ.ศ. 2564 "
    "และระเบียบว่าด้วยการรักษาความลับของทางราชการ พ.ศ. 2544 "
    "โปรดลงทะเบียนเป็นหนังสือกระดาษโดยไม่แนบไฟล์"
)
TOP_SECRET_RULE_EN = (
    "a top-secret letter may not be sent or kept electronically (Saraban Regulation No. 4 of 2021 and "
    "the 2001 regulation on official secrets): register it as a paper letter, without a file"
)


# --- what callers send ---

# Work done inside the transaction that registers a letter: (connection, letter, register row).
Within = Callable[[Any, Letter, RegisterEntry], Awaitable[None]]


@dataclass(frozen=True)
class Incoming:
    """A letter that arrived, as the clerk reads it off the letter."""

    letter_number: str
    letter_date: date | None
    sender: str
    recipient: str
    subject: str
    urgency: str = "normal"
    secrecy: str = "normal"
    due_at: datetime | None = None
    remark: str = ""
    access: tuple[int, ...] = ()  # the named officers who may open a classified letter


@dataclass(frozen=True)
class Outgoing:
    """A letter to draft here."""

    kind: str
    subject: str
    recipient: str
    unit: str  # the owner unit's code (ส่วนราชการเจ้าของเรื่อง)
    body: tuple[str, ...] = ()
    salutation: str = ""
    references: tuple[str, ...] = ()
    enclosures: tuple[str, ...] = ()
    urgency: str = "normal"
    due_at: datetime | None = None
    secrecy: str = "normal"
    circular: bool = False
    signer_name: str = ""
    signer_position: str = ""
    access: tuple[int, ...] = ()
    addressees: tuple[str, ...] = ()  # letter codes of agencies in the directory it is to be sent to


@dataclass(frozen=True)
class Files:
    """Where letters' PDFs are kept and how they are made; ``secret_key`` unseals the tenant's own
    signing keys."""

    tools: PdfTools
    blobs: Any
    secret_key: str = ""

    async def own_keys(self, tenant: Tenant, role: str) -> list[Any]:
        """The signing keys the tenant's administrator set (read before a transaction opens)."""
        if not role:
            return []
        from engine.services import signing_keys

        return await signing_keys.for_signing(tenant, self.secret_key)


# --- checks ---


def _text(problems: list[FieldProblem], name: str, value: str, limit: int, *, required: bool, th: str) -> str:
    value = (value or "").strip()
    if required and not value:
        problems.append(FieldProblem(name, f"{name} is required", f"กรุณาระบุ{th}"))
    elif len(value) > limit:
        problems.append(
            FieldProblem(name, f"{name} is longer than {limit} characters", f"{th}ยาวเกิน {limit} ตัวอักษร")
        )
    return value


def _code(problems: list[FieldProblem], name: str, value: str, allowed: dict[str, Any], th: str) -> None:
    if value not in allowed:
        problems.append(FieldProblem(name, f"{name} must be one of {', '.join(allowed)}", f"{th}ไม่ถูกต้อง"))


def _lines(
    problems: list[FieldProblem], name: str, values: Sequence[str], th: str, limit: int = MAX_LIST
) -> tuple[str, ...]:
    kept = tuple(v.strip() for v in values if v and v.strip())
    if len(kept) > limit:
        problems.append(FieldProblem(name, f"at most {limit} items", f"{th}ได้ไม่เกิน {limit} รายการ"))
    for item in kept:
        if len(item) > MAX_TEXT:
            problems.append(
                FieldProblem(
                    name,
                    f"an item is longer than {MAX_TEXT} characters",
                    f"{th}แต่ละรายการยาวเกิน {MAX_TEXT} ตัวอักษร",
                )
            )
            break
    return kept


def check_incoming(incoming: Incoming) -> Incoming:
    """The incoming letter with its text trimmed; raises InvalidLetter naming every wrong field."""
    problems: list[FieldProblem] = []
    number = _text(problems, "letter_number", incoming.letter_number, 80, required=False, th="เลขที่หนังสือ")
    sender = _text(problems, "sender", incoming.sender, 300, required=True, th="ผู้ส่ง (จาก)")
    recipient = _text(problems, "recipient", incoming.recipient, 1000, required=True, th="ผู้รับ (ถึง)")
    subject = _text(problems, "subject", incoming.subject, 500, required=True, th="เรื่อง")
    remark = _text(problems, "remark", incoming.remark, 500, required=False, th="หมายเหตุ")
    _code(problems, "urgency", incoming.urgency, URGENCIES, "ชั้นความเร็ว")
    _code(problems, "secrecy", incoming.secrecy, SECRECIES, "ชั้นความลับ")
    if problems:
        raise InvalidLetter.of(problems)
    return Incoming(
        number, incoming.letter_date, sender, recipient, subject, incoming.urgency, incoming.secrecy,
        incoming.due_at, remark, incoming.access,
    )  # fmt: skip


def check_outgoing(outgoing: Outgoing) -> Outgoing:
    """The drafted letter with its text trimmed; raises InvalidLetter naming every wrong field."""
    problems: list[FieldProblem] = []
    _code(problems, "kind", outgoing.kind, KINDS, "ชนิดของหนังสือ")
    subject = _text(problems, "subject", outgoing.subject, 500, required=True, th="เรื่อง")
    recipient = _text(
        problems,
        "recipient",
        outgoing.recipient,
        1000,
        required=outgoing.kind in ("external", "internal", "stamped"),
        th="ผู้รับ (เรียน)",
    )
    salutation = _text(problems, "salutation", outgoing.salutation, 300, required=False, th="คำขึ้นต้น")
    body = _lines(problems, "body", outgoing.body, "เนื้อความ", MAX_PARAGRAPHS)
    if not body:
        problems.append(FieldProblem("body", "body is required", "กรุณาระบุเนื้อความ"))
    references = _lines(problems, "references", outgoing.references, "อ้างถึง")
    enclosures = _lines(problems, "enclosures", outgoing.enclosures, "สิ่งที่ส่งมาด้วย")
    signer_name = _text(problems, "signer_name", outgoing.signer_name, 200, required=False, th="ชื่อผู้ลงนาม")
    signer_position = _text(
        problems, "signer_position", outgoing.signer_position, 200, required=False, th="ตำแหน่งผู้ลงนาม"
    )
    _code(problems, "urgency", outgoing.urgency, URGENCIES, "ชั้นความเร็ว")
    _code(problems, "secrecy", outgoing.secrecy, SECRECIES, "ชั้นความลับ")
    if problems:
        raise InvalidLetter.of(problems)
    if outgoing.secrecy == "top_secret":
        raise SecrecyRefused(TOP_SECRET_RULE_EN, th=TOP_SECRET_RULE_TH, field="secrecy")
    return Outgoing(
        outgoing.kind, subject, recipient, outgoing.unit, body, salutation, references, enclosures,
        outgoing.urgency, outgoing.due_at, outgoing.secrecy, outgoing.circular, signer_name,
        signer_position, outgoing.access, tuple(code.strip() for code in outgoing.addressees if code.strip()),
    )  # fmt: skip


# --- reading ---


def _changed(now_version: int | None = None) -> StaleLetter:
    """Someone acted on the letter since this officer saw it (``now_version``), or at the same moment."""
    if now_version is None:
        return StaleLetter(
            "the letter changed meanwhile", th="มีผู้ดำเนินการกับหนังสือนี้ไปพร้อมกัน โปรดเปิดหน้าใหม่แล้วลองอีกครั้ง"
        )
    return StaleLetter(
        f"the letter changed (now version {now_version})",
        th="มีผู้ดำเนินการกับหนังสือนี้ไปแล้ว โปรดเปิดหน้าใหม่แล้วลองอีกครั้ง",
    )


def _public_id() -> str:
    return "L" + secrets.token_hex(8)


async def _letter(tenant: Tenant, public_id: str, connection: Any = None) -> Letter:
    if not could_be_key(public_id, Letter, "public_id"):
        raise LetterNotFound(str(public_id)[:40])
    query = Letter.filter(tenant_id=tenant.id, public_id=public_id)
    found = await (query.using_db(connection) if connection is not None else query).first()
    if found is None:
        raise LetterNotFound(public_id)
    return found


async def may_open(actor: Actor, letter: Letter) -> bool:
    """Classified letters: the named access list only. Others: the registry, the owner unit, whoever holds
    it now, and everyone it was routed to."""
    listed = await LetterAccess.exists(letter_id=letter.id, user_id=actor.user.id)
    if letter.secrecy in CLASSIFIED:
        return listed
    if listed or actor.is_clerk or actor.holds(letter.holder_kind, letter.holder):
        return True
    if letter.owner_unit_id is not None:
        return await UnitMember.exists(unit_id=letter.owner_unit_id, user_id=actor.user.id)
    return False


async def visible(tenant: Tenant, actor: Actor, public_id: str) -> Letter:
    """The letter, if this officer may open it; else LetterNotFound (the two are not told apart)."""
    letter = await _letter(tenant, public_id)
    if not await may_open(actor, letter):
        raise LetterNotFound(public_id)
    return letter


@dataclass(frozen=True)
class LetterPage:
    """What the letter's page shows, read in one call."""

    letter: Letter
    steps: list[RoutingStep]
    entries: list[RegisterEntry]
    access: list[User]
    unit: OrgUnit | None
    may_route: bool
    may_sign: bool
    may_close: bool
    trail: list[Any] = field(default_factory=list)  # the audit entries, for the registry


async def page(tenant: Tenant, actor: Actor, public_id: str) -> LetterPage:
    """The letter's page; a classified letter's every opening is audited."""
    letter = await visible(tenant, actor, public_id)
    if letter.secrecy in CLASSIFIED:
        async with in_transaction() as connection:
            await audit.record(
                connection,
                tenant.id,
                "view",
                letter=letter.public_id,
                actor_id=actor.user.id,
                actor_label=actor.label,
            )
    steps = await RoutingStep.filter(letter_id=letter.id).order_by("seq")
    entries = await RegisterEntry.filter(letter_id=letter.id).order_by("id")
    listed = await User.filter(letter_access__letter_id=letter.id).order_by("id")
    unit = await OrgUnit.get_or_none(id=letter.owner_unit_id) if letter.owner_unit_id else None
    open_ = letter.status not in ("closed", "destroyed")
    holding = actor.holds(letter.holder_kind, letter.holder) or (
        not letter.holder_kind and (actor.is_clerk or letter.created_by_id == actor.user.id)
    )
    trail = await audit.of_letter(tenant.id, letter.public_id) if actor.is_clerk else []
    return LetterPage(
        letter,
        steps,
        entries,
        listed,
        unit,
        may_route=open_ and letter.status != "signed" and (holding or actor.is_clerk),
        may_sign=letter.direction == "out" and letter.status in ("draft", "in_progress") and holding,
        may_close=open_ and (holding or actor.is_clerk) and letter.status != "draft",
        trail=trail,
    )


async def pdf(
    tenant: Tenant, actor: Actor, public_id: str, files: Files, *, now: datetime | None = None
) -> tuple[Letter, bytes]:
    """The letter's PDF as it stands. A classified letter's copy carries the viewer's name and the
    time across every page, and every download is audited."""
    letter = await visible(tenant, actor, public_id)
    if not letter.blob_key:
        raise LetterNotFound(public_id)  # a paper letter, or destroyed: no file to give
    data = await asyncio.to_thread(files.blobs.get, letter.blob_key)
    if letter.secrecy in CLASSIFIED:
        moment = (now or datetime.now(UTC)).astimezone(BANGKOK)
        mark = f"{actor.label} {format_date(moment.date())} {moment:%H.%M} น."
        data = await asyncio.to_thread(files.tools.watermark, data, mark)
        async with in_transaction() as connection:
            await audit.record(
                connection,
                tenant.id,
                "download",
                letter=letter.public_id,
                actor_id=actor.user.id,
                actor_label=actor.label,
            )
    return letter, data


# --- registering what arrives ---


def _as_pdf(data: bytes, tools: PdfTools) -> bytes:
    if len(data) > MAX_FILE_BYTES:
        raise LetterFileRefused(
            f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
            th=f"ไฟล์ใหญ่เกิน {MAX_FILE_BYTES // (1024 * 1024)} เมกะไบต์",
            field="file",
        )
    kind = sniff_content_type(data)
    if kind == "application/pdf":
        return data
    if kind in ("image/jpeg", "image/png"):
        return tools.image_to_pdf(data)
    raise LetterFileRefused(
        "the letter must be a PDF, or a JPEG or PNG scan",
        th="ไฟล์หนังสือต้องเป็น PDF หรือภาพสแกน JPEG หรือ PNG",
        field="file",
    )


def _due(settings: SarabanSettings, urgency: str, due_at: datetime | None, now: datetime) -> datetime:
    return due_at if due_at is not None else now + settings.due_after(urgency)


async def _grant(
    connection: Any, tenant: Tenant, letter: Letter, user_ids: Sequence[int], reason: str
) -> None:
    known = set(
        await User.filter(tenant_id=tenant.id, id__in=list(user_ids))
        .using_db(connection)
        .values_list("id", flat=True)
    )
    missing = [u for u in user_ids if u not in known]
    if missing:
        raise InvalidLetter(
            f"no officer {missing[0]} here", th="ไม่พบเจ้าหน้าที่ที่ระบุในรายชื่อผู้มีสิทธิ์เปิดดู", field="access"
        )
    have = set(await flat(LetterAccess.filter(letter_id=letter.id).using_db(connection), "user_id"))
    await LetterAccess.bulk_create(
        [
            LetterAccess(tenant_id=tenant.id, letter_id=letter.id, user_id=u, reason=reason)
            for u in dict.fromkeys(known)
            if u not in have
        ],
        using_db=connection,
    )


async def receive(
    tenant: Tenant,
    actor: Actor,
    incoming: Incoming,
    data: bytes | None,
    files: Files,
    *,
    now: datetime | None = None,
    within: Within | None = None,
) -> Letter:
    """Register a letter that arrived (ลงรับ): a receive number, the register row (แบบที่ 12), and
    the receive stamp on its PDF as an incremental revision. A top-secret letter is registered
    as paper only (no file). ``within`` runs inside the same transaction, after the row is written
    (a letter from another agency is marked registered and its answer queued with it).
    Raises NotAllowed, InvalidLetter, SecrecyRefused, LetterFileRefused, and what ``within`` raises."""
    if not actor.is_clerk:
        raise NotAllowed("only the registry registers letters", th="การลงรับหนังสือทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    incoming = check_incoming(incoming)
    if incoming.secrecy == "top_secret" and data:
        raise SecrecyRefused(TOP_SECRET_RULE_EN, th=TOP_SECRET_RULE_TH, field="file")
    if incoming.secrecy != "top_secret" and not data:
        raise InvalidLetter("attach the letter", th="กรุณาแนบไฟล์หนังสือ (PDF หรือภาพสแกน)", field="file")
    moment = now or datetime.now(UTC)
    settings = settings_of(tenant.settings)
    original = await asyncio.to_thread(_as_pdf, data, files.tools) if data else b""
    # The text of a text PDF goes into the search index (a scan has none).
    content = await asyncio.to_thread(search.pdf_text, original) if original else ""
    classified = incoming.secrecy in CLASSIFIED
    public_id = _public_id()
    async with in_transaction() as connection:
        letter = await Letter.create(
            public_id=public_id,
            tenant_id=tenant.id,
            direction="in",
            kind="external",
            status="received",
            subject=incoming.subject,
            sender=incoming.sender,
            recipient=incoming.recipient,
            letter_number=incoming.letter_number,
            letter_date=incoming.letter_date,
            urgency=incoming.urgency,
            due_at=incoming.due_at,
            secrecy=incoming.secrecy,
            holder_kind="role",
            holder="saraban_clerk",
            created_by_id=actor.user.id,
            search_text=search.text_of(
                incoming.subject, incoming.sender, incoming.recipient, incoming.letter_number
            ),
            using_db=connection,
        )
        entry = await take(
            connection,
            tenant,
            "secret_receive" if classified else "receive",
            unit="",
            at=moment,
            row=Row(
                incoming.letter_number,
                incoming.letter_date,
                incoming.sender,
                incoming.recipient,
                incoming.subject,
                remark=incoming.remark or ("หนังสือกระดาษ" if not original else ""),
            ),
            by=actor,
            letter_id=letter.id,
        )
        if classified:
            await _grant(connection, tenant, letter, [actor.user.id, *incoming.access], "named")
        if original:
            stamped = await asyncio.to_thread(
                files.tools.stamp_receive,
                original,
                agency_name=tenant.name_th,
                number=printed(entry.number_text, thai_numerals=settings.thai_numerals),
                received_at=moment,
                thai_numerals=settings.thai_numerals,
            )
            key = await _store(files, tenant, letter, stamped, 1)
            letter.blob_key, letter.size, letter.sha256 = key, len(stamped), _sha(stamped)
            letter.original_sha256 = _sha(original)
            letter.layout = {"original_size": len(original)}
            await letter.save(
                using_db=connection, update_fields=["blob_key", "size", "sha256", "original_sha256", "layout"]
            )
        await search.index_letter(connection, letter, pdf_text=content)
        if within is not None:
            await within(connection, letter, entry)
        await audit.record(
            connection, tenant.id, "receive", letter=public_id, actor_id=actor.user.id, actor_label=actor.label,
            detail={"book": entry.book, "number": entry.number, "year": entry.year, "original_sha256": letter.original_sha256, "sha256": letter.sha256},
            at=moment,
        )  # fmt: skip
    return letter


# --- drafting what leaves ---


def letter_code(settings: SarabanSettings, unit: OrgUnit | None) -> str:
    """The ที่ line's code: the agency's, with the unit's suffix when the unit has one."""
    return settings.letter_code + (unit.letter_suffix if unit else "")


async def draft(
    tenant: Tenant, actor: Actor, outgoing: Outgoing, files: Files, *, now: datetime | None = None
) -> Letter:
    """Draft a letter from the template of its kind; its number and date are left blank until it is signed.

    Raises InvalidLetter (an addressee unknown or unreachable in the directory among them),
    SecrecyRefused (ลับที่สุด), UnitNotFound."""
    outgoing = check_outgoing(outgoing)
    addressees: list[str] = []
    if outgoing.addressees:
        from engine.services.saraban.exchange import check_addressees

        addressees = await check_addressees(outgoing.addressees[:MAX_LIST])
    unit = await OrgUnit.get_or_none(tenant_id=tenant.id, code=outgoing.unit)
    if unit is None:
        raise InvalidLetter(f"no unit {outgoing.unit!r}", th="กรุณาเลือกส่วนราชการเจ้าของเรื่อง", field="unit")
    if not actor.is_clerk and outgoing.unit not in actor.units:
        raise NotAllowed("draft for your own unit", th="ร่างหนังสือได้เฉพาะในนามหน่วยงานที่ท่านสังกัด")
    moment = now or datetime.now(UTC)
    settings = settings_of(tenant.settings)
    rendered = await asyncio.to_thread(
        files.tools.render_draft,
        DraftLetter(
            kind=outgoing.kind,
            agency_name=tenant.name_th,
            agency_address=tenant.address_th,
            unit_name=unit.name_th,
            letter_code=letter_code(settings, unit),
            circular=outgoing.circular,
            subject=outgoing.subject,
            salutation=outgoing.salutation
            or ("เรียน" if outgoing.kind in ("external", "internal", "stamped") else ""),
            recipient=outgoing.recipient,
            references=outgoing.references,
            enclosures=outgoing.enclosures,
            body=outgoing.body,
            signer_name=outgoing.signer_name,
            signer_position=outgoing.signer_position,
            contact=" ".join(
                part for part in (unit.name_th, f"โทร. {unit.phone}" if unit.phone else "") if part
            ),
            urgency=outgoing.urgency,
            due_at=outgoing.due_at,
            secrecy=outgoing.secrecy,
            thai_numerals=settings.thai_numerals,
        ),
    )
    public_id = _public_id()
    async with in_transaction() as connection:
        letter = await Letter.create(
            public_id=public_id,
            tenant_id=tenant.id,
            direction="out",
            kind=outgoing.kind,
            circular=outgoing.circular,
            status="draft",
            subject=outgoing.subject,
            salutation=outgoing.salutation,
            sender=unit.name_th,
            recipient=outgoing.recipient,
            urgency=outgoing.urgency,
            due_at=outgoing.due_at,
            secrecy=outgoing.secrecy,
            body=list(outgoing.body),
            references=list(outgoing.references),
            enclosures=list(outgoing.enclosures),
            owner_unit_id=unit.id,
            signer_name=outgoing.signer_name,
            signer_position=outgoing.signer_position,
            addressees=addressees,
            created_by_id=actor.user.id,
            layout={
                "number": rendered.number.as_json() if rendered.number else None,
                "date": rendered.date.as_json(),
                "signature": rendered.signature.as_json(),
                "original_size": len(rendered.pdf),
            },
            search_text=search.text_of(outgoing.subject, unit.name_th, outgoing.recipient, *outgoing.body),
            using_db=connection,
        )
        key = await _store(files, tenant, letter, rendered.pdf, 1)
        letter.blob_key, letter.size, letter.sha256 = key, len(rendered.pdf), _sha(rendered.pdf)
        letter.original_sha256 = letter.sha256
        await letter.save(
            using_db=connection, update_fields=["blob_key", "size", "sha256", "original_sha256"]
        )
        await _grant(connection, tenant, letter, [actor.user.id, *outgoing.access], "author")
        await search.index_letter(connection, letter)
        await audit.record(
            connection,
            tenant.id,
            "draft",
            letter=public_id,
            actor_id=actor.user.id,
            actor_label=actor.label,
            detail={"kind": outgoing.kind, "sha256": letter.sha256},
            at=moment,
        )
    return letter


# --- endorsing ---


@dataclass(frozen=True)
class Target:
    kind: str  # unit | user | role | "" (nobody: the endorsement only records)
    value: str
    label: str
    users: tuple[int, ...]


async def target_of(tenant: Tenant, kind: str, value: str) -> Target:
    """Whom a step sends the letter to; raises InvalidLetter when there is no such unit, officer or role."""
    if kind == "":
        return Target("", "", "", ())
    if kind == "unit":
        unit = await OrgUnit.get_or_none(tenant_id=tenant.id, code=value, active=True)
        if unit is not None:
            users = await flat(UnitMember.filter(unit_id=unit.id, user__active=True), "user_id")
            return Target("unit", unit.code, unit.name_th, tuple(int(u) for u in users))
    elif kind == "user":
        user = await User.get_or_none(
            tenant_id=tenant.id, id=int(value) if value.isdigit() else -1, active=True
        )
        if user is not None:
            label = f"{user.display_name} ({user.position_th})" if user.position_th else user.display_name
            return Target("user", str(user.id), label, (user.id,))
    elif kind == "role":
        users = await flat(RoleGrant.filter(tenant_id=tenant.id, role=value, user__active=True), "user_id")
        if users:
            return Target("role", value, _role_title(value), tuple(int(u) for u in users))
    raise InvalidLetter(
        f"nobody to send to as {kind} {value!r}", th="ไม่พบผู้รับที่ระบุ (หน่วยงาน เจ้าหน้าที่ หรือตำแหน่ง)", field="target"
    )


ROLE_TITLES_TH = {
    "saraban_clerk": "เจ้าหน้าที่สารบรรณกลาง",
    "chief_administrator": "ปลัด",
    "mayor": "นายก",
    "department_head": "ผู้อำนวยการกอง",
}


def _role_title(role: str) -> str:
    return ROLE_TITLES_TH.get(role, role)


def endorsement_lines(action: str, target: Target, text: str) -> tuple[str, ...]:
    """What the step writes on the letter, the way an officer writes it in the margin."""
    lines: list[str] = []
    if action == "assign":
        lines.append(f"มอบ {target.label} ดำเนินการ" if target.label else "มอบดำเนินการ")
    elif action in ("present", "for_information", "for_consideration"):
        if target.label:
            lines.append(f"เรียน {target.label}")
        if action != "present":
            lines.append(ACTIONS[action].th)
    else:
        lines.append(ACTIONS[action].th)
    if text:
        lines.append(text)
    return tuple(lines)


async def route(
    tenant: Tenant,
    actor: Actor,
    public_id: str,
    files: Files,
    *,
    version: int,
    action: str,
    text: str = "",
    target_kind: str = "",
    target: str = "",
    typed_name: bool = False,
    now: datetime | None = None,
) -> RoutingStep:
    """One endorsement step (เกษียน / สั่งการ): stamped on the letter and signed by this officer as its own
    incremental revision, then the letter goes to the target.

    ``version`` is the letter's version the officer saw: if it changed meanwhile, StaleLetter (409), and
    nothing is added. Raises NotAllowed, InvalidLetter, LetterNotFound, and the signing side's errors."""
    problems: list[FieldProblem] = []
    _code(problems, "action", action, ACTIONS, "การปฏิบัติ")
    text = _text(
        problems, "text", text, 1000, required=action == "assign" and not target_kind, th="ข้อความเกษียน"
    )
    if problems:
        raise InvalidLetter.of(problems)
    settings = settings_of(tenant.settings)
    if typed_name and not settings.typed_name_signing:
        raise NotAllowed(
            "typed-name signing is off here", th="หน่วยงานนี้ไม่ได้เปิดใช้การลงชื่อโดยการพิมพ์ชื่อ", field="typed_name"
        )
    letter = await visible(tenant, actor, public_id)
    if letter.status in ("closed", "destroyed", "signed", "sent"):
        raise StaleLetter("the letter is no longer in progress", th="หนังสือนี้ดำเนินการเสร็จแล้ว เพิ่มการเกษียนไม่ได้")
    if not (
        actor.is_clerk
        or actor.holds(letter.holder_kind, letter.holder)
        or (not letter.holder_kind and letter.created_by_id == actor.user.id)
        or (letter.direction == "out" and letter.status == "draft" and letter.created_by_id == actor.user.id)
    ):
        raise NotAllowed("the letter is not in your hands", th="หนังสือนี้ไม่ได้อยู่ที่ท่าน จึงเกษียนไม่ได้")
    if letter.version != version:
        raise _changed(letter.version)
    goes_to = await target_of(tenant, target_kind, target)
    if letter.secrecy in CLASSIFIED and goes_to.kind not in ("user", ""):
        raise InvalidLetter(
            "a classified letter goes to named officers only",
            th="หนังสือลับส่งได้เฉพาะเจ้าหน้าที่ที่ระบุชื่อเท่านั้น",
            field="target",
        )
    moment = now or datetime.now(UTC)
    role = "" if typed_name else actor.signing_role()
    stamp = Stamp(
        endorsement_lines(action, goes_to, text), actor.user.display_name, actor.user.position_th, moment
    )
    current = await asyncio.to_thread(files.blobs.get, letter.blob_key)
    seq = await RoutingStep.filter(letter_id=letter.id).count() + 1
    layout = dict(letter.layout or {})
    keys = await files.own_keys(tenant, role)
    new_pdf, method = await asyncio.to_thread(
        _endorse, files.tools, tenant, letter, layout, current, stamp, role, seq, settings, keys
    )
    async with in_transaction() as connection:
        changed = (
            await Letter.filter(id=letter.id, version=version)
            .using_db(connection)
            .update(
                version=version + 1,
                status="in_progress" if letter.status == "received" else letter.status,
                holder_kind=goes_to.kind or letter.holder_kind,
                holder=goes_to.value if goes_to.kind else letter.holder,
                layout=layout,
            )
        )
        if not changed:
            raise _changed()
        key = await _store(files, tenant, letter, new_pdf, version + 1)
        await (
            Letter.filter(id=letter.id)
            .using_db(connection)
            .update(blob_key=key, size=len(new_pdf), sha256=_sha(new_pdf))
        )
        step = await RoutingStep.create(
            tenant_id=tenant.id,
            letter_id=letter.id,
            seq=seq,
            action=action,
            text=text,
            actor_id=actor.user.id,
            actor_name=actor.user.display_name,
            actor_position=actor.user.position_th,
            target_kind=goes_to.kind,
            target=goes_to.value,
            target_label=goes_to.label,
            due_at=_due(settings, letter.urgency, letter.due_at, moment) if goes_to.kind else None,
            signing_method=method,
            field_name=f"Step{seq}",
            sha256=_sha(new_pdf),
            at=moment,
            using_db=connection,
        )
        if goes_to.users:
            await _grant(connection, tenant, letter, goes_to.users, "routed")
        await audit.record(
            connection, tenant.id, "route", letter=letter.public_id, actor_id=actor.user.id, actor_label=actor.label,
            detail={"seq": seq, "action": action, "target": f"{goes_to.kind}:{goes_to.value}", "method": method, "sha256": step.sha256},
            at=moment,
        )  # fmt: skip
    return step


def _endorse(
    tools: PdfTools,
    tenant: Tenant,
    letter: Letter,
    layout: dict[str, Any],
    pdf: bytes,
    stamp: Stamp,
    role: str,
    seq: int,
    settings: SarabanSettings,
    keys: list[Any],
) -> tuple[bytes, str]:
    """Blocking: append an endorsement sheet when the slots are used up, then stamp and sign the next slot."""
    slots = [Place.from_json(s) for s in layout.get("slots", [])]
    used = int(layout.get("used_slots", 0))
    if used >= len(slots):
        number = letter.letter_number or "-"
        pdf, fresh = tools.add_routing_sheet(
            pdf,
            agency_name=tenant.name_th,
            subject=letter.subject,
            number_text=number,
            thai_numerals=settings.thai_numerals,
        )
        slots, used = fresh, 0
        layout["slots"] = [s.as_json() for s in fresh]
    place = slots[used]
    layout["used_slots"] = used + 1
    if not role:
        return tools.typed_name(pdf, place=place, stamp=stamp), "typed_name"
    signed, _level = tools.sign(
        pdf,
        tenant=tenant.slug,
        role=role,
        place=place,
        stamp=stamp,
        field_name=f"Step{seq}",
        own_keys=keys,
        level=settings.pades_level,
    )
    return signed, "pades"


# --- signing what leaves ---


def book_of(letter: Letter) -> str:
    if letter.secrecy in CLASSIFIED:
        return "secret_send"
    if letter.kind in ("order", "regulation", "bylaw"):
        return "order"
    if letter.kind in ("announcement", "statement", "news"):
        return "announcement"
    return "circular" if letter.circular else "send"


async def sign(
    tenant: Tenant,
    actor: Actor,
    public_id: str,
    files: Files,
    *,
    version: int,
    typed_name: bool = False,
    now: datetime | None = None,
) -> Letter:
    """Sign a drafted letter: the send number is taken now, printed with the date into the letter's
    blanks, and only then the final signature goes on, so it covers both. Writes the send register
    row (แบบที่ 14). Raises NotAllowed, StaleLetter, and the signing side's errors."""
    settings = settings_of(tenant.settings)
    if typed_name and not settings.typed_name_signing:
        raise NotAllowed(
            "typed-name signing is off here", th="หน่วยงานนี้ไม่ได้เปิดใช้การลงชื่อโดยการพิมพ์ชื่อ", field="typed_name"
        )
    letter = await visible(tenant, actor, public_id)
    if letter.direction != "out" or letter.status not in ("draft", "in_progress"):
        raise StaleLetter(
            "only a letter drafted here and not yet signed can be signed",
            th="ลงนามได้เฉพาะหนังสือที่ร่างในหน่วยงานและยังไม่ได้ลงนาม",
        )
    holding = actor.holds(letter.holder_kind, letter.holder) or (
        not letter.holder_kind and letter.created_by_id == actor.user.id
    )
    if not holding:
        raise NotAllowed("the letter is not in your hands", th="หนังสือนี้ไม่ได้อยู่ที่ท่าน จึงลงนามไม่ได้")
    if letter.version != version:
        raise _changed(letter.version)
    role = "" if typed_name else actor.signing_role()
    if letter.addressees:
        # An addressee that left the directory is found now, before a number is taken.
        from engine.services.saraban.exchange import check_addressees

        await check_addressees(letter.addressees)
    moment = now or datetime.now(UTC)
    today = moment.astimezone(BANGKOK).date()
    unit = await OrgUnit.get_or_none(id=letter.owner_unit_id) if letter.owner_unit_id else None
    current = await asyncio.to_thread(files.blobs.get, letter.blob_key)
    keys = await files.own_keys(tenant, role)
    book = book_of(letter)
    async with in_transaction() as connection:
        changed = (
            await Letter.filter(id=letter.id, version=version)
            .using_db(connection)
            .update(version=version + 1)
        )
        if not changed:
            raise _changed()
        entry = await take(
            connection, tenant, book, unit=unit.code if (unit and settings.numbers_per_unit) else "", at=moment,
            row=Row("", today, letter.sender, letter.recipient, letter.subject), by=actor, letter_id=letter.id,
            circular=letter.circular, letter_code=letter_code(settings, unit),
        )  # fmt: skip
        # The blank after "ที่ <code>/" takes the running part only.
        running = running_text(book, entry.number, entry.year, circular=letter.circular)
        number = printed(running, thai_numerals=settings.thai_numerals)
        signer_name = letter.signer_name or actor.user.display_name
        position = letter.signer_position or actor.user.position_th
        stamp = Stamp((), signer_name, position, moment)
        signed = await asyncio.to_thread(
            _sign_final, files.tools, tenant, letter, current, number, today, stamp, role, settings, keys
        )
        key = await _store(files, tenant, letter, signed, version + 1)
        await Letter.filter(id=letter.id).using_db(connection).update(
            status="signed", letter_number=entry.number_text, letter_date=today, signed_by_id=actor.user.id,
            signing_method="typed_name" if typed_name else "pades", signed_at=moment, blob_key=key,
            size=len(signed), sha256=_sha(signed), holder_kind="role", holder="saraban_clerk",
            signer_name=signer_name, signer_position=position,
        )  # fmt: skip
        letter.letter_number = entry.number_text
        await search.index_letter(connection, letter)
        await audit.record(
            connection, tenant.id, "sign", letter=letter.public_id, actor_id=actor.user.id, actor_label=actor.label,
            detail={"book": book, "number": entry.number, "year": entry.year, "method": "typed_name" if typed_name else "pades", "sha256": _sha(signed)},
            at=moment,
        )  # fmt: skip
    return await _letter(tenant, public_id)


def _sign_final(
    tools: PdfTools,
    tenant: Tenant,
    letter: Letter,
    pdf: bytes,
    number: str,
    day: date,
    stamp: Stamp,
    role: str,
    settings: SarabanSettings,
    keys: list[Any],
) -> bytes:
    layout = letter.layout or {}
    with_number = (
        tools.stamp_text(pdf, Place.from_json(layout["number"]), [number]) if layout.get("number") else pdf
    )
    dated = tools.stamp_text(
        with_number, Place.from_json(layout["date"]), [format_date(day, thai_numerals=settings.thai_numerals)]
    )
    place = Place.from_json(layout["signature"])
    if not role:
        return tools.typed_name(dated, place=place, stamp=stamp)
    signed, _level = tools.sign(
        dated,
        tenant=tenant.slug,
        role=role,
        place=place,
        stamp=stamp,
        field_name="Signature",
        own_keys=keys,
        level=settings.pades_level,
    )
    return signed


# --- closing and access ---


async def close(
    tenant: Tenant,
    actor: Actor,
    public_id: str,
    *,
    version: int,
    retention_class: str = "standard",
    files: Files | None = None,
    now: datetime | None = None,
) -> Letter:
    """The work on the letter is done (ปฏิบัติเสร็จแล้ว): it is kept for its retention class's term.

    With ``files``, the retention mark (ตรากำหนดเก็บหนังสือ, ข้อ 55.1: "เก็บถึง พ.ศ. …" or "ห้ามทำลาย")
    goes on page 1 as a new revision. Raises InvalidLetter, StaleLetter, NotAllowed, LetterNotFound."""
    if retention_class not in RETENTION_CLASSES:
        raise InvalidLetter(
            f"no retention class {retention_class!r}", th="อายุการเก็บหนังสือไม่ถูกต้อง", field="retention_class"
        )
    letter = await visible(tenant, actor, public_id)
    if letter.status in ("closed", "destroyed", "draft"):
        raise StaleLetter("the letter cannot be closed now", th="หนังสือนี้ยังปิดเรื่องไม่ได้ หรือปิดเรื่องไปแล้ว")
    if not (actor.is_clerk or actor.holds(letter.holder_kind, letter.holder)):
        raise NotAllowed("the letter is not in your hands", th="หนังสือนี้ไม่ได้อยู่ที่ท่าน จึงปิดเรื่องไม่ได้")
    moment = now or datetime.now(UTC)
    years = settings_of(tenant.settings).retention_years.get(retention_class, 10)
    done = moment.astimezone(BANGKOK).date()
    # Counted from the end of the calendar year the letter was done in (the survey is yearly).
    until = date(done.year + years, 12, 31) if years else None
    marked = b""
    if files is not None and letter.blob_key:
        mark = f"เก็บถึง พ.ศ. {buddhist_year(until)}" if until else "ห้ามทำลาย"
        current = await asyncio.to_thread(files.blobs.get, letter.blob_key)
        marked = await asyncio.to_thread(files.tools.stamp_retention, current, mark)
    async with in_transaction() as connection:
        changed = (
            await Letter.filter(id=letter.id, version=version)
            .using_db(connection)
            .update(
                version=version + 1,
                status="closed",
                retention_class=retention_class,
                retain_until=until,
                holder_kind="",
                holder="",
            )
        )
        if not changed:
            raise StaleLetter(
                "the letter changed meanwhile", th="มีผู้ดำเนินการกับหนังสือนี้ไปแล้ว โปรดเปิดหน้าใหม่แล้วลองอีกครั้ง"
            )
        if files is not None and marked:
            key = await _store(files, tenant, letter, marked, version + 1)
            await (
                Letter.filter(id=letter.id)
                .using_db(connection)
                .update(blob_key=key, size=len(marked), sha256=_sha(marked))
            )
        await audit.record(
            connection,
            tenant.id,
            "close",
            letter=public_id,
            actor_id=actor.user.id,
            actor_label=actor.label,
            detail={"retention_class": retention_class, "retain_until": until.isoformat() if until else None},
            at=moment,
        )
    return await _letter(tenant, public_id)


async def grant_access(tenant: Tenant, actor: Actor, public_id: str, user_id: int) -> None:
    """Name one more officer who may open a classified letter (the registry only)."""
    if not actor.is_clerk:
        raise NotAllowed(
            "only the registry names who may open a letter",
            th="การกำหนดผู้มีสิทธิ์เปิดดูหนังสือลับทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง",
        )
    letter = await visible(tenant, actor, public_id)
    async with in_transaction() as connection:
        await _grant(connection, tenant, letter, [user_id], "named")
        await audit.record(
            connection,
            tenant.id,
            "grant",
            letter=public_id,
            actor_id=actor.user.id,
            actor_label=actor.label,
            detail={"user": user_id},
        )


# --- lists ---


@dataclass(frozen=True)
class InboxItem:
    letter: Letter
    due_at: datetime | None
    since: datetime | None


async def inbox(tenant: Tenant, actor: Actor) -> list[InboxItem]:
    """The letters in this officer's hands (theirs, their units', their roles'), most urgent due first."""
    from tortoise.expressions import Q

    held = Q(holder_kind="user", holder=str(actor.user.id))
    if actor.units:
        held |= Q(holder_kind="unit", holder__in=sorted(actor.units))
    if actor.roles:
        held |= Q(holder_kind="role", holder__in=sorted(actor.roles))
    letters = await Letter.filter(
        held, tenant_id=tenant.id, status__in=["received", "in_progress", "draft", "signed"]
    ).limit(500)
    steps: dict[int, RoutingStep] = {}
    for step in await RoutingStep.filter(letter_id__in=[x.id for x in letters]).order_by("seq"):
        steps[step.letter_id] = step
    items = []
    for letter in letters:
        if letter.secrecy in CLASSIFIED and not await may_open(actor, letter):
            continue
        if letter.status == "draft" and letter.holder_kind == "" and letter.created_by_id != actor.user.id:
            continue
        last = steps.get(letter.id)
        due = last.due_at if last and last.due_at else letter.due_at
        items.append(InboxItem(letter, due, last.at if last else letter.created_at))
    far = datetime.max.replace(tzinfo=UTC)
    items.sort(key=lambda i: (i.due_at or far, i.letter.created_at))
    return items


async def drafts_of(tenant: Tenant, actor: Actor) -> list[Letter]:
    return (
        await Letter.filter(tenant_id=tenant.id, created_by_id=actor.user.id, status="draft")
        .order_by("-created_at")
        .limit(200)
    )


# --- storage ---


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def _store(files: Files, tenant: Tenant, letter: Letter, data: bytes, revision: int) -> str:
    key = f"tenant/{tenant.id}/saraban/{letter.public_id}/r{revision}.pdf"
    await asyncio.to_thread(files.blobs.put, key, data, "application/pdf")
    return key


def year_of(moment: datetime) -> int:
    return calendar_year(moment)
