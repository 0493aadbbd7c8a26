"""Keeping and destroying letters (การเก็บรักษาและการทำลายหนังสือ, ระเบียบฯ ข้อ 57, 66 ff.).

The yearly round, in the regulation's order:

1. :func:`survey`: within ``survey_days`` (60) of 1 January, the letters whose retention ended in
   the year before are listed on a บัญชีหนังสือขอทำลาย (แบบที่ 25), one list per year. The worker
   does it by itself (:func:`survey_due`); a letter on legal hold (:func:`set_hold`), kept
   permanently, destroyed already or on another open list is never listed;
2. :func:`appoint`: the committee, a chair and at least two members (ฉบับที่ 3 พ.ศ. 2560);
3. :func:`approve`: each member signs the list (PAdES, in their box); a member may keep letters;
4. :func:`send_to_archives` and :func:`archives_reply`: the list goes to the National Archives
   (กองจดหมายเหตุแห่งชาติ), which may object to letters (they are then kept permanently);
5. :func:`destroy`: after the reply, or ``archives_wait_days`` after sending without one, the
   listed letters' files are deleted; their rows stay, marked ทำลายแล้ว.

:func:`handover_list` gives the บัญชีส่งมอบหนังสือครบ 20 ปี (แบบที่ 21) of the letters kept permanently.

Each call is one transaction with its audit entries. A PDF written to the blob store by a call
that then failed is an orphan under a key nobody refers to.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from engine.saraban.errors import (
    InvalidLetter,
    LetterNotFound,
    NotAllowed,
    RetentionRefused,
    SarabanError,
    StaleLetter,
)
from engine.saraban.numbering import calendar_year, printed
from engine.saraban.ports import CommitteeSeat, Place, Stamp
from engine.saraban.settings import SarabanSettings, settings_of
from engine.saraban.vocabulary import CLASSIFIED, SECRECIES
from engine.services.saraban import audit, letters
from engine.services.saraban.numbers import supersede
from engine.services.saraban.organisation import ADMIN, SIGNING_ROLES, Actor
from engine.store.models import DestructionList, Letter, RegisterEntry, RoleGrant, Tenant, User
from engine.thaidate import format_date
from engine.workflow.sla import BANGKOK

log = logging.getLogger(__name__)

# The floor of ฉบับที่ 3 พ.ศ. 2560: a chair and at least two members. A tenant may ask for more.
REGULATION_MIN_MEMBERS = 2
MAX_COMMITTEE = 15  # seats the list's page has room for
HANDOVER_AGE_YEARS = 20  # แบบที่ 21: letters over 20 years old go to the National Archives
SYSTEM_LABEL = "ระบบ (สำรวจหนังสือครบกำหนดประจำปี)"
CHAIR_TH = "ประธานกรรมการ"
MEMBER_TH = "กรรมการ"
BLANK_NAME = "." * 40  # a seat not yet appointed
OPEN_STATUSES = ("draft", "approved", "archives")


class DestructionListNotFound(SarabanError):
    """No such list here."""

    http_status = 404
    code = "destruction_list_not_found"

    def __init__(self, list_id: int):
        super().__init__(f"no destruction list {list_id}", th="ไม่พบบัญชีหนังสือขอทำลายนี้")


@dataclass(frozen=True)
class HandoverList:
    """บัญชีส่งมอบหนังสือครบ 20 ปี (แบบที่ 21) of one year: the letters on it and its PDF."""

    year: int
    letters: list[Letter]
    pdf: bytes


# --- settings and small helpers ---


def archives_wait_days(tenant: Tenant) -> int:
    """``saraban.archives_wait_days`` of the tenant (default 60); raises InvalidLetter for a wrong value."""
    return int(settings_of(tenant.settings).archives_wait_days)


def min_members(settings: SarabanSettings) -> int:
    """Members needed besides the chair: the tenant's setting, never fewer than the regulation's two."""
    return max(REGULATION_MIN_MEMBERS, int(settings.min_committee_members))


def reference_of(year: int) -> str:
    """The list's reference, which the destroyed letters carry (``destruction_ref``)."""
    return f"บัญชีหนังสือขอทำลาย ประจำปี พ.ศ. {year}"


def year_end(year: int) -> date:
    """31 December of Buddhist-Era ``year``."""
    return date(year - 543, 12, 31)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _label(actor: Actor | None) -> tuple[int | None, str]:
    return (actor.user.id, actor.label) if actor else (None, SYSTEM_LABEL)


def _clerk_only(actor: Actor | None, en: str, th: str) -> None:
    if actor is not None and not actor.is_clerk:
        raise NotAllowed(en, th=th)


async def _store(files: letters.Files, tenant: Tenant, year: int, data: bytes) -> str:
    # A fresh key per revision: two workers surveying at once never overwrite each other's file.
    key = f"tenant/{tenant.id}/saraban/destruction/{year}-{secrets.token_hex(6)}.pdf"
    await asyncio.to_thread(files.blobs.put, key, data, "application/pdf")
    return key


async def get_list(tenant: Tenant, list_id: int) -> DestructionList:
    """The tenant's list ``list_id``; raises DestructionListNotFound."""
    found = await DestructionList.get_or_none(tenant_id=tenant.id, id=list_id)
    if found is None:
        raise DestructionListNotFound(list_id)
    return found


async def lists(tenant: Tenant) -> list[DestructionList]:
    """The tenant's destruction lists, the newest year first."""
    return await DestructionList.filter(tenant_id=tenant.id).order_by("-year")


def may_read(actor: Actor, found: DestructionList) -> bool:
    """The registry and administrators read every list; a committee member reads the lists they sit on."""
    return (
        actor.is_clerk
        or ADMIN in actor.roles
        or any(int(member["user"]) == actor.user.id for member in found.committee or [])
    )


async def readable_lists(tenant: Tenant, actor: Actor) -> list[DestructionList]:
    """The lists this officer may read (see :func:`may_read`), the newest year first."""
    return [found for found in await lists(tenant) if may_read(actor, found)]


async def readable_list(tenant: Tenant, actor: Actor, list_id: int) -> DestructionList:
    """The list, if this officer may read it; raises DestructionListNotFound otherwise (the two are
    not told apart)."""
    found = await get_list(tenant, list_id)
    if not may_read(actor, found):
        raise DestructionListNotFound(list_id)
    return found


async def awaiting(tenant: Tenant, actor: Actor) -> list[DestructionList]:
    """The lists waiting for this officer's signature as a member of their committee."""
    return [
        found
        for found in await lists(tenant)
        if found.status == "draft"
        and any(
            int(seat["user"]) == actor.user.id and not seat.get("approved_at")
            for seat in found.committee or []
        )
    ]


def _stale() -> StaleLetter:
    return StaleLetter("the list changed meanwhile", th="มีผู้ดำเนินการกับบัญชีนี้ไปพร้อมกัน โปรดเปิดหน้าใหม่แล้วลองอีกครั้ง")


# --- legal hold ---


async def set_hold(
    tenant: Tenant, actor: Actor, public_id: str, hold: bool, reason: str, *, now: datetime | None = None
) -> Letter:
    """Put a letter on legal hold, or release it: a held letter is never listed nor destroyed.

    Raises NotAllowed (not the registry), InvalidLetter (no reason given), LetterNotFound,
    RetentionRefused (the letter is destroyed already)."""
    _clerk_only(actor, "only the registry holds letters", "การระงับการทำลายหนังสือทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise InvalidLetter(
            "give the reason (at most 500 characters)",
            th="กรุณาระบุเหตุผล (ไม่เกิน 500 ตัวอักษร)",
            field="reason",
        )
    # The registry holds any letter, classified ones too, without opening it.
    letter = await Letter.get_or_none(tenant_id=tenant.id, public_id=public_id)
    if letter is None:
        raise LetterNotFound(public_id)
    if letter.status == "destroyed":
        raise RetentionRefused("the letter is destroyed already", th="หนังสือนี้ถูกทำลายไปแล้ว")
    moment = now or datetime.now(UTC)
    async with in_transaction() as connection:
        await Letter.filter(id=letter.id).using_db(connection).update(legal_hold=hold)
        await audit.record(
            connection, tenant.id, "legal_hold", letter=public_id, actor_id=actor.user.id,
            actor_label=actor.label, detail={"hold": hold, "reason": reason}, at=moment,
        )  # fmt: skip
    letter.legal_hold = hold
    return letter


# --- the yearly survey ---


async def _on_open_lists(tenant: Tenant) -> set[str]:
    listed: set[str] = set()
    for items in await DestructionList.filter(tenant_id=tenant.id, status__in=OPEN_STATUSES).values_list(
        "items", flat=True
    ):
        listed.update(str(item["letter"]) for item in items or [])
    return listed


def _register_ref(entry: RegisterEntry | None) -> str:
    if entry is None:
        return ""
    if entry.book in ("receive", "secret_receive"):
        return f"รับ {entry.number_text}/{entry.year}"
    return f"ส่ง {entry.number_text}"


async def expired(tenant: Tenant, year: int) -> list[Letter]:
    """The letters whose retention ends by 31 December of Buddhist-Era ``year``: closed, not kept
    permanently, not on hold, not on an open list, in order of their retention's end."""
    found = (
        await Letter.filter(
            tenant_id=tenant.id,
            status="closed",
            legal_hold=False,
            retain_until__isnull=False,
            retain_until__lte=year_end(year),
        )
        .exclude(retention_class="permanent")
        .order_by("retain_until", "id")
    )
    listed = await _on_open_lists(tenant)
    return [letter for letter in found if letter.public_id not in listed]


def _subject(letter: Letter) -> str:
    # A classified letter's subject stays off a list that the committee and the Archives read.
    if letter.secrecy in CLASSIFIED:
        return f"หนังสือชั้น{SECRECIES[letter.secrecy].th} (ไม่แสดงชื่อเรื่อง)"
    return letter.subject


async def _items(letters_found: list[Letter]) -> list[dict[str, Any]]:
    entries: dict[int, RegisterEntry] = {}
    ids = [letter.id for letter in letters_found]
    for entry in await RegisterEntry.filter(letter_id__in=ids).order_by("-revision", "id"):
        entries.setdefault(entry.letter_id or 0, entry)
    return [
        {
            "letter": letter.public_id,
            "number": letter.letter_number,
            "date": letter.letter_date.isoformat() if letter.letter_date else None,
            "subject": _subject(letter),
            "retention_class": letter.retention_class,
            "retain_until": letter.retain_until.isoformat() if letter.retain_until else None,
            "register": _register_ref(entries.get(letter.id)),
            "keep": False,
            "kept_by": [],
            "objected": False,
            "outcome": "",
        }
        for letter in letters_found
    ]


def _rows(items: Sequence[Mapping[str, Any]], thai: bool) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for item in items:
        day = date.fromisoformat(item["date"]) if item.get("date") else None
        until = date.fromisoformat(item["retain_until"]) if item.get("retain_until") else None
        rows.append(
            (
                printed(item.get("number") or "-", thai_numerals=thai),
                format_date(day, short=True, thai_numerals=thai) if day else "-",
                str(item.get("subject", "")),
                printed(str(item.get("register", "")), thai_numerals=thai),
                "",
                f"ครบกำหนดเก็บ {format_date(until, short=True, thai_numerals=thai)}" if until else "",
            )
        )
    return rows


def _seats(committee: Sequence[Mapping[str, Any]], settings: SarabanSettings) -> list[CommitteeSeat]:
    if committee:
        return [
            CommitteeSeat(str(m["name"]), str(m["position"]), CHAIR_TH if m["chair"] else MEMBER_TH)
            for m in committee
        ]
    # Before the appointment: blank seats for a chair and the members the rules ask for.
    return [CommitteeSeat(BLANK_NAME, "", CHAIR_TH)] + [
        CommitteeSeat(BLANK_NAME, "", MEMBER_TH)
    ] * min_members(settings)


async def _render(
    files: letters.Files,
    tenant: Tenant,
    year: int,
    items: Sequence[Mapping[str, Any]],
    committee: Sequence[Mapping[str, Any]],
) -> tuple[bytes, tuple[Place, ...]]:
    settings = settings_of(tenant.settings)
    rendered = await asyncio.to_thread(
        files.tools.render_destruction_list,
        agency_name=tenant.name_th,
        year=year,
        reference="",  # the heading already names the list and its year
        rows=_rows(items, settings.thai_numerals),
        committee=_seats(committee, settings),
        thai_numerals=settings.thai_numerals,
    )
    return rendered.pdf, rendered.signature_boxes


async def survey(
    tenant: Tenant, actor: Actor | None, year: int, files: letters.Files, *, now: datetime | None = None
) -> DestructionList | None:
    """The บัญชีหนังสือขอทำลาย (แบบที่ 25) of Buddhist-Era ``year``: its expired letters (see
    :func:`expired`), rendered with blank committee seats and stored, status ``draft``.

    Idempotent: the year's list, when there is one, is returned as it is; None when no letter
    expired. ``actor`` None is the worker. Raises NotAllowed (not the registry), RetentionRefused
    (the year is not over yet)."""
    _clerk_only(
        actor, "only the registry surveys letters", "การสำรวจหนังสือครบกำหนดทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง"
    )
    moment = now or datetime.now(UTC)
    if year >= calendar_year(moment):
        raise RetentionRefused(
            f"the year {year} is not over yet",
            th=f"ยังสำรวจหนังสือครบกำหนดของปี พ.ศ. {year} ไม่ได้ เพราะยังไม่สิ้นปี",
            field="year",
        )
    existing = await DestructionList.get_or_none(tenant_id=tenant.id, year=year)
    if existing is not None:
        return existing
    found = await expired(tenant, year)
    if not found:
        return None
    items = await _items(found)
    pdf, _ = await _render(files, tenant, year, items, [])
    key = await _store(files, tenant, year, pdf)
    actor_id, label = _label(actor)
    try:
        async with in_transaction() as connection:
            made = await DestructionList.create(
                tenant_id=tenant.id, year=year, reference=reference_of(year), status="draft", items=items,
                committee=[], blob_key=key, sha256=_sha(pdf), using_db=connection,
            )  # fmt: skip
            await audit.record(
                connection, tenant.id, "destruction_survey", actor_id=actor_id, actor_label=label,
                detail={"list": made.id, "year": year, "letters": [i["letter"] for i in items], "sha256": made.sha256},
                at=moment,
            )  # fmt: skip
    except IntegrityError:
        # Another worker or the registry made the year's list meanwhile: that one stands.
        return await DestructionList.get(tenant_id=tenant.id, year=year)
    return made


def survey_window(tenant: Tenant, now: datetime) -> int | None:
    """The Buddhist-Era year to survey on ``now`` (Bangkok): the year before, from 1 January for
    ``survey_days`` days; None outside that window."""
    today = now.astimezone(BANGKOK).date()
    days = settings_of(tenant.settings).survey_days
    if (today - date(today.year, 1, 1)).days >= days:
        return None
    return calendar_year(now) - 1


async def survey_due(files: letters.Files, *, now: datetime | None = None) -> int:
    """The worker's chore: the previous year's survey of every tenant inside its window that has
    none yet. Returns how many lists it made; a tenant whose survey fails is logged and skipped."""
    moment = now or datetime.now(UTC)
    made = 0
    for tenant in await Tenant.all().order_by("id"):
        try:
            year = survey_window(tenant, moment)
            if year is None or await DestructionList.exists(tenant_id=tenant.id, year=year):
                continue
            if await survey(tenant, None, year, files, now=moment) is not None:
                made += 1
        except Exception:  # one tenant's broken settings or file must not stop the others
            log.exception("the yearly letter survey of tenant %s failed", tenant.slug)
    return made


# --- the committee ---


async def appoint(
    tenant: Tenant,
    actor: Actor,
    list_id: int,
    files: letters.Files,
    *,
    chair: int,
    members: Sequence[int],
    now: datetime | None = None,
) -> DestructionList:
    """Record the committee (คณะกรรมการทำลายหนังสือ) and re-render the list with their names.

    Raises NotAllowed (not the registry), DestructionListNotFound, RetentionRefused (fewer than a
    chair and ``min_committee_members`` other officers, or a member has already signed),
    InvalidLetter (an officer who is not an active officer here, or who has no role that signs)."""
    _clerk_only(
        actor,
        "only the registry records the committee",
        "การบันทึกคณะกรรมการทำลายหนังสือทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง",
    )
    found = await get_list(tenant, list_id)
    if found.status != "draft" or any(m.get("approved_at") for m in found.committee or []):
        raise RetentionRefused(
            "the committee has started signing; it cannot be changed",
            th="คณะกรรมการเริ่มลงนามในบัญชีแล้ว จึงเปลี่ยนคณะกรรมการไม่ได้",
        )
    settings = settings_of(tenant.settings)
    others = [m for m in dict.fromkeys(int(u) for u in members) if m != int(chair)]
    needed = min_members(settings)
    if len(others) < needed:
        raise RetentionRefused(
            f"the committee needs a chair and at least {needed} other members",
            th=f"คณะกรรมการทำลายหนังสือต้องประกอบด้วยประธานกรรมการและกรรมการอย่างน้อย {needed} คน "
            "ตามระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ (ฉบับที่ 3) พ.ศ. 2560",
            field="members",
        )
    if len(others) + 1 > MAX_COMMITTEE:
        raise InvalidLetter(
            f"at most {MAX_COMMITTEE} people on the committee",
            th=f"คณะกรรมการมีได้ไม่เกิน {MAX_COMMITTEE} คน",
            field="members",
        )
    ids = [int(chair), *others]
    people = {u.id: u for u in await User.filter(tenant_id=tenant.id, id__in=ids, active=True)}
    missing = [i for i in ids if i not in people]
    if missing:
        raise InvalidLetter(
            f"officer {missing[0]} is not an active officer here",
            th="ผู้ที่ได้รับแต่งตั้งต้องเป็นเจ้าหน้าที่ของหน่วยงานนี้ที่ยังปฏิบัติงานอยู่",
            field="members",
        )
    signing = set(
        await RoleGrant.filter(tenant_id=tenant.id, user_id__in=ids, role__in=SIGNING_ROLES).values_list(
            "user_id", flat=True
        )
    )
    unable = [people[i] for i in ids if i not in signing]
    if unable:
        raise InvalidLetter(
            f"{unable[0].username} has no role that signs",
            th=f"{unable[0].display_name} ไม่มีตำแหน่งที่ลงนามอิเล็กทรอนิกส์ได้ โปรดให้ผู้ดูแลระบบกำหนดตำแหน่งก่อน",
            field="members",
        )
    committee: list[dict[str, Any]] = [
        {"user": i, "name": people[i].display_name, "position": people[i].position_th, "chair": i == int(chair),
         "approved_at": None, "decisions": {}}
        for i in ids
    ]  # fmt: skip
    pdf, boxes = await _render(files, tenant, found.year, found.items, committee)
    for seat, box in zip(committee, boxes, strict=True):
        seat["place"] = box.as_json()
    key = await _store(files, tenant, found.year, pdf)
    moment = now or datetime.now(UTC)
    async with in_transaction() as connection:
        changed = (
            await DestructionList.filter(id=found.id, status="draft", sha256=found.sha256)
            .using_db(connection)
            .update(committee=committee, blob_key=key, sha256=_sha(pdf))
        )
        if not changed:
            raise _stale()
        await audit.record(
            connection, tenant.id, "destruction_committee", actor_id=actor.user.id, actor_label=actor.label,
            detail={"list": found.id, "chair": int(chair), "members": others, "sha256": _sha(pdf)}, at=moment,
        )  # fmt: skip
    return await get_list(tenant, list_id)


def _decision_lines(keep: Sequence[int]) -> tuple[str, ...]:
    # The seat's box is small: an approval of the whole list needs no words beyond the signature.
    return ("ให้เก็บไว้ ลำดับที่ " + ", ".join(str(n) for n in keep),) if keep else ()


async def approve(
    tenant: Tenant,
    actor: Actor,
    list_id: int,
    files: letters.Files,
    *,
    decisions: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> DestructionList:
    """A committee member approves the list: a PAdES signature in their box, showing which letters
    (by ลำดับที่) they keep. Letters any member keeps are not destroyed. When the chair and every
    member have signed, the list is ``approved``.

    ``decisions`` maps a listed letter's public ID to ``keep`` or ``destroy`` (the default).
    Raises DestructionListNotFound, NotAllowed (not on the committee, or no role that signs),
    RetentionRefused (no committee yet, the list is past approval, or this member signed already),
    InvalidLetter (a decision for a letter not on the list), StaleLetter, and the signing side's
    errors."""
    found = await get_list(tenant, list_id)
    committee = [dict(m) for m in found.committee or []]
    if found.status != "draft" or not committee:
        raise RetentionRefused(
            "the list is not waiting for the committee",
            th="บัญชีนี้ยังไม่มีคณะกรรมการ หรือผ่านการพิจารณาของคณะกรรมการแล้ว",
        )
    seat = next((m for m in committee if int(m["user"]) == actor.user.id), None)
    if seat is None:
        raise NotAllowed("only the committee approves the list", th="ท่านไม่ได้เป็นกรรมการทำลายหนังสือของบัญชีนี้")
    if seat.get("approved_at"):
        raise RetentionRefused("you have approved this list already", th="ท่านลงนามในบัญชีนี้แล้ว")
    items = [dict(i) for i in found.items or []]
    order = {str(item["letter"]): index for index, item in enumerate(items, start=1)}
    chosen = dict(decisions or {})
    wrong = [p for p, d in chosen.items() if p not in order or d not in ("keep", "destroy")]
    if wrong:
        raise InvalidLetter(
            f"{wrong[0]!r}: a decision is keep or destroy, for a letter on the list",
            th="การพิจารณาต้องเป็น เก็บไว้ หรือ ทำลาย และเป็นหนังสือที่อยู่ในบัญชีนี้เท่านั้น",
            field="decisions",
        )
    keep = sorted(order[p] for p, d in chosen.items() if d == "keep")
    role = actor.signing_role()
    moment = now or datetime.now(UTC)
    keys = await files.own_keys(tenant, role)
    current = await asyncio.to_thread(files.blobs.get, found.blob_key)
    field_name = f"Committee{committee.index(seat) + 1}"
    stamp = Stamp(
        _decision_lines(keep),
        actor.user.display_name,
        CHAIR_TH if seat["chair"] else MEMBER_TH,  # the full position is printed under the box
        moment,
    )
    signed, level = await asyncio.to_thread(
        lambda: files.tools.sign(
            current, tenant=tenant.slug, role=role, place=Place.from_json(seat["place"]), stamp=stamp,
            field_name=field_name, own_keys=keys, level=settings_of(tenant.settings).pades_level,
        )
    )  # fmt: skip
    seat["approved_at"] = moment.astimezone(UTC).isoformat()
    seat["decisions"] = chosen
    for item in items:
        if chosen.get(str(item["letter"])) == "keep":
            item["keep"] = True
            item["kept_by"] = sorted({*item.get("kept_by", []), actor.user.id})
    done = all(m.get("approved_at") for m in committee)
    key = await _store(files, tenant, found.year, signed)
    async with in_transaction() as connection:
        changed = (
            await DestructionList.filter(id=found.id, status="draft", sha256=found.sha256)
            .using_db(connection)
            .update(
                committee=committee, items=items, blob_key=key, sha256=_sha(signed),
                status="approved" if done else "draft",
            )
        )  # fmt: skip
        if not changed:
            raise _stale()
        await audit.record(
            connection, tenant.id, "destruction_approval", actor_id=actor.user.id, actor_label=actor.label,
            detail={"list": found.id, "chair": bool(seat["chair"]), "keep": sorted(p for p, d in chosen.items() if d == "keep"),
                    "level": level, "sha256": _sha(signed), "approved": done},
            at=moment,
        )  # fmt: skip
    return await get_list(tenant, list_id)


# --- the National Archives ---


async def send_to_archives(
    tenant: Tenant, actor: Actor, list_id: int, *, now: datetime | None = None
) -> DestructionList:
    """Record that the approved list went to the National Archives (กองจดหมายเหตุแห่งชาติ).

    Raises NotAllowed (not the registry), DestructionListNotFound, RetentionRefused (not approved
    yet, or sent already)."""
    _clerk_only(
        actor, "only the registry sends the list", "การส่งบัญชีให้กองจดหมายเหตุแห่งชาติทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง"
    )
    found = await get_list(tenant, list_id)
    if found.status != "approved":
        raise RetentionRefused(
            "only a list the whole committee approved goes to the National Archives",
            th="ส่งบัญชีให้กองจดหมายเหตุแห่งชาติได้เมื่อคณะกรรมการลงนามครบแล้วและยังไม่ได้ส่งเท่านั้น",
        )
    moment = now or datetime.now(UTC)
    async with in_transaction() as connection:
        changed = (
            await DestructionList.filter(id=found.id, status="approved")
            .using_db(connection)
            .update(status="archives", archives_sent_at=moment)
        )
        if not changed:
            raise _stale()
        await audit.record(
            connection, tenant.id, "archives_sent", actor_id=actor.user.id, actor_label=actor.label,
            detail={"list": found.id, "sha256": found.sha256}, at=moment,
        )  # fmt: skip
    return await get_list(tenant, list_id)


async def archives_reply(
    tenant: Tenant,
    actor: Actor,
    list_id: int,
    text: str,
    *,
    objected: Sequence[str] = (),
    now: datetime | None = None,
) -> DestructionList:
    """Record the National Archives' reply; the letters it objects to are not destroyed and are kept
    permanently from then on.

    Raises NotAllowed (not the registry), DestructionListNotFound, RetentionRefused (the list is not
    with the Archives), InvalidLetter (no text, or an objection to a letter not on the list)."""
    _clerk_only(
        actor,
        "only the registry records the reply",
        "การบันทึกคำตอบของกองจดหมายเหตุแห่งชาติทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง",
    )
    text = (text or "").strip()
    if not text or len(text) > letters.MAX_TEXT:
        raise InvalidLetter(
            "give the reply's content",
            th=f"กรุณาระบุสาระของหนังสือตอบจากกองจดหมายเหตุแห่งชาติ (ไม่เกิน {letters.MAX_TEXT} ตัวอักษร)",
            field="text",
        )
    found = await get_list(tenant, list_id)
    if found.status != "archives":
        raise RetentionRefused(
            "the list has not been sent to the National Archives, or is done",
            th="บัญชีนี้ยังไม่ได้ส่งให้กองจดหมายเหตุแห่งชาติ หรือดำเนินการเสร็จแล้ว",
        )
    items = [dict(i) for i in found.items or []]
    listed = {str(i["letter"]) for i in items}
    wrong = [p for p in objected if p not in listed]
    if wrong:
        raise InvalidLetter(
            f"{wrong[0]!r} is not on the list",
            th="หนังสือที่กองจดหมายเหตุแห่งชาติขอให้เก็บไว้ต้องอยู่ในบัญชีนี้",
            field="objected",
        )
    for item in items:
        if str(item["letter"]) in objected:
            item["objected"] = True
    moment = now or datetime.now(UTC)
    async with in_transaction() as connection:
        changed = (
            await DestructionList.filter(id=found.id, status="archives")
            .using_db(connection)
            .update(archives_reply=text, items=items)
        )
        if not changed:
            raise _stale()
        await audit.record(
            connection, tenant.id, "archives_reply", actor_id=actor.user.id, actor_label=actor.label,
            detail={"list": found.id, "text": text, "objected": sorted(set(objected))}, at=moment,
        )  # fmt: skip
    return await get_list(tenant, list_id)


# --- destruction ---


def blob_keys(tenant: Tenant, letter: Letter) -> list[str]:
    """Every revision of the letter's PDF that the letter services may have stored."""
    keys = [f"tenant/{tenant.id}/saraban/{letter.public_id}/r{n}.pdf" for n in range(1, letter.version + 2)]
    if letter.blob_key and letter.blob_key not in keys:
        keys.append(letter.blob_key)
    return keys


def _kept_until(settings: SarabanSettings, letter: Letter, today: date) -> date | None:
    years = settings.retention_years.get(letter.retention_class, 10)
    return date(today.year + years, 12, 31) if years else None


async def destroy(
    tenant: Tenant, actor: Actor, list_id: int, files: letters.Files, *, now: datetime | None = None
) -> DestructionList:
    """Destroy the listed letters: their files are deleted from the blob store; the letters and their
    register rows stay, marked ทำลายแล้ว with the list's reference (a new revision of each row).

    Letters the committee kept are kept another term of their class; those the Archives objected
    to are kept permanently; a letter put on hold since the survey is left alone. Raises NotAllowed
    (not the registry), DestructionListNotFound, RetentionRefused (the committee has not approved,
    the list was not sent to the National Archives, or its answer is still awaited), StaleLetter."""
    _clerk_only(actor, "only the registry destroys letters", "การทำลายหนังสือทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    found = await get_list(tenant, list_id)
    moment = now or datetime.now(UTC)
    if found.status in ("draft", "approved"):
        raise RetentionRefused(
            "the committee's approval and the National Archives come first",
            th="ยังทำลายหนังสือไม่ได้ ต้องให้คณะกรรมการทำลายหนังสือลงนามครบ และส่งบัญชีให้กองจดหมายเหตุแห่งชาติพิจารณาก่อน",
        )
    if found.status != "archives":
        raise RetentionRefused("the list is destroyed already", th="หนังสือตามบัญชีนี้ถูกทำลายไปแล้ว")
    wait = archives_wait_days(tenant)
    sent = found.archives_sent_at or moment
    if not found.archives_reply and moment < sent + timedelta(days=wait):
        until = (sent + timedelta(days=wait)).astimezone(BANGKOK).date()
        raise RetentionRefused(
            f"the National Archives has until {until.isoformat()} to answer",
            th=f"ยังทำลายหนังสือไม่ได้ ต้องรอคำตอบจากกองจดหมายเหตุแห่งชาติ หรือรอจนถึงวันที่ {format_date(until)}",
        )
    settings = settings_of(tenant.settings)
    today = moment.astimezone(BANGKOK).date()
    items = [dict(i) for i in found.items or []]
    by_id = {
        x.public_id: x
        for x in await Letter.filter(tenant_id=tenant.id, public_id__in=[str(i["letter"]) for i in items])
    }
    async with in_transaction() as connection:
        changed = (
            await DestructionList.filter(id=found.id, status="archives")
            .using_db(connection)
            .update(status="destroyed", destroyed_at=moment)
        )
        if not changed:
            raise _stale()
        doomed: list[Letter] = []
        events: list[tuple[str, str, dict[str, Any]]] = []
        for item in items:
            letter = by_id.get(str(item["letter"]))
            if letter is None or letter.status == "destroyed":
                item["outcome"] = "gone"
                continue
            fresh = await Letter.filter(id=letter.id).using_db(connection).first()
            if fresh is None:
                item["outcome"] = "gone"
                continue
            letter = fresh
            if letter.legal_hold:
                item["outcome"] = "held"
            elif item.get("objected"):
                item["outcome"] = "objected"
                await (
                    Letter.filter(id=letter.id)
                    .using_db(connection)
                    .update(retention_class="permanent", retain_until=None, version=F("version") + 1)
                )
                events.append(("retention_extended", letter.public_id, {"list": found.id, "permanent": True}))
            elif item.get("keep"):
                item["outcome"] = "kept"
                kept_until = _kept_until(settings, letter, today)
                await (
                    Letter.filter(id=letter.id)
                    .using_db(connection)
                    .update(retain_until=kept_until, version=F("version") + 1)
                )
                events.append(
                    ("retention_extended", letter.public_id, {"list": found.id, "retain_until": kept_until.isoformat() if kept_until else None})
                )  # fmt: skip
            else:
                item["outcome"] = "destroyed"
                doomed.append(letter)
        await _mark_destroyed(connection, tenant, doomed, found.reference, moment)
        await DestructionList.filter(id=found.id).using_db(connection).update(items=items)
        # The files go last, inside the transaction: a failure leaves every letter as it was, and a
        # second call deletes what is left (deleting a missing key is not an error).
        for letter in doomed:
            for key in blob_keys(tenant, letter):
                await asyncio.to_thread(files.blobs.delete, key)
            events.append(
                (
                    "destroyed",
                    letter.public_id,
                    {"list": found.id, "reference": found.reference, "sha256": letter.sha256},
                )
            )
        for event, public_id, detail in events:
            await audit.record(
                connection, tenant.id, event, letter=public_id, actor_id=actor.user.id, actor_label=actor.label,
                detail=detail, at=moment,
            )  # fmt: skip
        await audit.record(
            connection, tenant.id, "destruction_done", actor_id=actor.user.id, actor_label=actor.label,
            detail={"list": found.id, "reference": found.reference, "destroyed": [x.public_id for x in doomed],
                    "kept": [i["letter"] for i in items if i["outcome"] != "destroyed"]},
            at=moment,
        )  # fmt: skip
    return await get_list(tenant, list_id)


async def _mark_destroyed(
    connection: Any, tenant: Tenant, doomed: Sequence[Letter], reference: str, moment: datetime
) -> None:
    if not doomed:
        return
    for letter in doomed:
        await Letter.filter(id=letter.id).using_db(connection).update(
            status="destroyed", destroyed_at=moment, destruction_ref=reference, blob_key="",
            size=0, holder_kind="", holder="", version=F("version") + 1,
        )  # fmt: skip
    newest: dict[tuple[str, str, int, int], RegisterEntry] = {}
    rows = (
        await RegisterEntry.filter(tenant_id=tenant.id, letter_id__in=[x.id for x in doomed])
        .using_db(connection)
        .order_by("revision")
    )
    for entry in rows:
        newest[(entry.book, entry.unit, entry.year, entry.number)] = entry
    note = f"ทำลายแล้ว ตาม{reference}"
    for entry in newest.values():
        remark = f"{entry.remark} {note}".strip() if entry.remark else note
        await supersede(connection, entry, remark=remark[:500])


# --- the 20-year handover ---


async def handover_list(
    tenant: Tenant, actor: Actor, year: int, files: letters.Files, *, now: datetime | None = None
) -> HandoverList:
    """บัญชีส่งมอบหนังสือครบ 20 ปี (แบบที่ 21) for Buddhist-Era ``year``: the letters kept permanently
    (which include those the National Archives asked to keep) dated in ``year`` − 20 or before.

    Raises NotAllowed (not the registry)."""
    _clerk_only(
        actor,
        "only the registry makes the handover list",
        "การจัดทำบัญชีส่งมอบหนังสือครบ 20 ปีทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง",
    )
    cutoff = year_end(year - HANDOVER_AGE_YEARS)
    old_enough = Q(letter_date__lte=cutoff) | Q(
        letter_date__isnull=True, created_at__lt=datetime(cutoff.year + 1, 1, 1, tzinfo=BANGKOK)
    )
    found = (
        await Letter.filter(old_enough, tenant_id=tenant.id, retention_class="permanent")
        .exclude(status="destroyed")
        .order_by("letter_date", "id")
    )
    items = await _items(found)
    thai = settings_of(tenant.settings).thai_numerals
    rows = [
        (
            printed(str(item["register"]), thai_numerals=thai),
            printed(item["number"] or "-", thai_numerals=thai),
            format_date(date.fromisoformat(item["date"]), short=True, thai_numerals=thai)
            if item["date"]
            else "-",
            str(item["subject"]),
            "",
        )
        for item in items
    ]
    pdf = await asyncio.to_thread(
        files.tools.render_handover_list, agency_name=tenant.name_th, year=year, rows=rows, thai_numerals=thai
    )
    async with in_transaction() as connection:
        await audit.record(
            connection, tenant.id, "handover_list", actor_id=actor.user.id, actor_label=actor.label,
            detail={"year": year, "letters": [x.public_id for x in found], "sha256": _sha(pdf)},
            at=now or datetime.now(UTC),
        )  # fmt: skip
    return HandoverList(year, found, pdf)
