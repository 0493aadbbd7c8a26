"""The platform-wide agency directory (สมุดรายชื่อหน่วยงาน): who letters can travel to, and their keys.

Every municipality reads it; only the national operator (the ``national`` tenant, role
``operator``, see :mod:`engine.services.operators`) changes it, and every changing call takes
the :class:`Editor` to check that. A Thongthin tenant is an agency too: :func:`ensure_for_tenant`
keeps its entry in step with the tenant's letter code and names. The exchange calls
:func:`resolve_recipient` before it numbers anything, and :func:`keys_for` to check a signature.

Letter codes are kept with Arabic digits and one space (``"ชม 52101"``); Thai digits and extra
spaces are accepted on the way in and found the same.
"""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from engine.saraban.errors import FieldProblem, InvalidLetter, NotAllowed, SarabanError
from engine.services import accounts
from engine.services.operators import OPERATOR_ROLE, OPERATOR_TENANT
from engine.store.bounds import max_length
from engine.store.models import Agency, AgencyKey, Dispatch, ExchangeMessage, Tenant, User

KINDS = ("tenant", "external", "ecms", "email")
# What an operator may add by hand: a tenant's entry comes from the tenant itself.
ADDABLE_KINDS = ("external", "ecms", "email")
MAX_IMPORT_ROWS = 10_000
MAX_REPORTED_PROBLEMS = 100
MAX_LIMIT = 500
MAX_IMPORT_BYTES = 4 * 1024 * 1024  # 10,000 rows of a few hundred bytes each
MAX_PEM_BYTES = 64 * 1024

# The CSV columns, in English and in Thai (either header row is accepted, in any order).
COLUMNS = ("name_th", "name_en", "letter_code", "ministry_id", "department_id", "endpoint_url", "email")
THAI_COLUMNS = (
    "ชื่อหน่วยงาน",
    "ชื่อภาษาอังกฤษ",
    "รหัสหนังสือ",
    "รหัสกระทรวง",
    "รหัสกรม",
    "ที่อยู่ปลายทาง",
    "อีเมลสารบรรณ",
)
_HEADER = {**{c: c for c in COLUMNS}, **dict(zip(THAI_COLUMNS, COLUMNS, strict=True))}

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# One to four Thai consonants, one space, the unit's digits, optionally ".2"-style sub-units: "มท 0808.2".
_LETTER_CODE = re.compile(r"[\u0e01-\u0e2e]{1,4} [0-9]{2,6}(?:\.[0-9]{1,4})*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
EMAIL_RULE_TH = "อีเมลสารบรรณกลางต้องขึ้นต้นด้วย saraban ตามระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ (ฉบับที่ 4) พ.ศ. 2564"
EMAIL_RULE_EN = (
    "the central correspondence e-mail must start with 'saraban' (Regulation amendment No. 4, 2564)"
)


class AgencyInvalid(InvalidLetter):
    """Fields of a directory entry are missing or wrong (422, one problem per field, Thai and English)."""

    code = "agency_invalid"


class AgencyImportRefused(AgencyInvalid):
    """A CSV file of agencies with wrong rows: nothing was imported. ``lines`` reads ``FILE:LINE: problem``."""

    code = "agency_import_refused"

    def __init__(self, lines: list[str], problems: list[FieldProblem]):
        self.lines = tuple(lines)
        first = problems[0]
        super().__init__(
            "\n".join(lines),
            th="\n".join(lines),
            field=first.field,
            problems=tuple(problems),
        )


class AgencyNotFound(SarabanError):
    """No such agency in the directory, or one that no longer takes letters (the exchange's InvalidAddressee)."""

    http_status = 404
    code = "agency_not_found"

    def __init__(self, what: str, *, inactive: bool = False):
        self.what = what
        if inactive:
            super().__init__(
                f"agency {what!r} no longer takes letters",
                th=f"หน่วยงาน {what} ไม่รับหนังสือผ่านระบบแล้ว",
                field="agency",
            )
        else:
            super().__init__(
                f"no agency {what!r}", th=f"ไม่พบหน่วยงาน {what} ในสมุดรายชื่อหน่วยงาน", field="agency"
            )


class AgencyKeyNotFound(SarabanError):
    http_status = 404
    code = "agency_key_not_found"

    def __init__(self, fingerprint: str):
        super().__init__(
            f"no key {fingerprint!r} for this agency",
            th=f"ไม่พบใบรับรอง {fingerprint} ของหน่วยงานนี้",
            field="fingerprint",
        )


@dataclass(frozen=True)
class Editor:
    """Who asks to change the directory: their tenant's slug and roles."""

    label: str
    tenant_slug: str
    roles: frozenset[str]

    @property
    def may_change(self) -> bool:
        return self.tenant_slug == OPERATOR_TENANT and OPERATOR_ROLE in self.roles


# The platform's own command line: whoever runs it runs the platform, as the national operator does.
COMMAND_LINE = Editor("command line", OPERATOR_TENANT, frozenset({OPERATOR_ROLE}))


async def editor_for(user: User) -> Editor:
    """The directory's view of an officer or operator account."""
    tenant = await Tenant.get(id=user.tenant_id)
    return Editor(user.username, tenant.slug, frozenset(await accounts.roles_of(user)))


def require_operator(editor: Editor) -> None:
    """Raises :class:`NotAllowed` (403) unless ``editor`` is the national operator."""
    if not editor.may_change:
        raise NotAllowed(
            "only the national operator changes the agency directory; municipalities read it",
            th="เฉพาะผู้ดูแลระดับประเทศเท่านั้นที่แก้ไขสมุดรายชื่อหน่วยงานได้ องค์กรปกครองส่วนท้องถิ่นอ่านได้อย่างเดียว",
        )


# --- one entry's fields ---


def normal_code(text: str) -> str:
    """A letter code as stored: Thai digits as Arabic, runs of spaces as one (``"ชม  ๕๒๑๐๑"`` → ``"ชม 52101"``)."""
    collapsed = " ".join(text.translate(_THAI_DIGITS).split())
    # "ชม52101" → "ชม 52101": the space between the letters and the digits is the printed form.
    match = re.fullmatch(r"([\u0e01-\u0e2e]{1,4})\s*([0-9].*)", collapsed)
    return f"{match.group(1)} {match.group(2)}" if match else collapsed


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(name: str, url: str, *, plain_http: bool) -> FieldProblem | None:
    """What is wrong with an endpoint URL: https only (plain http to this machine, or ``plain_http``)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if parts is None or not host or parts.scheme not in ("https", "http") or parts.username or parts.password:
        return FieldProblem(
            name, "give an https:// address without a user name or password", "กรุณาระบุที่อยู่ที่ขึ้นต้นด้วย https://"
        )
    if parts.scheme == "http" and not plain_http and not _is_loopback(host):
        return FieldProblem(
            name,
            "letters travel over https only (plain http only to this machine)",
            "ต้องใช้ https:// เท่านั้น (http:// ใช้ได้เฉพาะกับเครื่องนี้)",
        )
    return None


def _check(values: dict[str, Any]) -> list[FieldProblem]:
    """Every problem of a complete entry's ``values`` (already stripped), in Thai and English."""
    problems: list[FieldProblem] = []
    kind = values["kind"]
    if kind not in KINDS:
        problems.append(FieldProblem("kind", f"kind is one of {', '.join(KINDS)}", "ประเภทหน่วยงานไม่ถูกต้อง"))
    if not values["name_th"]:
        problems.append(FieldProblem("name_th", "give the agency's Thai name", "กรุณาระบุชื่อหน่วยงานภาษาไทย"))
    elif len(values["name_th"]) > 200:
        problems.append(FieldProblem("name_th", "at most 200 characters", "ชื่อหน่วยงานยาวเกิน 200 ตัวอักษร"))
    if len(values["name_en"]) > 200:
        problems.append(FieldProblem("name_en", "at most 200 characters", "ชื่อภาษาอังกฤษยาวเกิน 200 ตัวอักษร"))
    code = values["letter_code"]
    if code is not None and (len(code) > 40 or not _LETTER_CODE.fullmatch(code)):
        problems.append(
            FieldProblem(
                "letter_code",
                "a letter code is the agency's Thai letters and its number, e.g. ชม 52101 or มท 0808.2",
                "รหัสหนังสือต้องเป็นอักษรย่อภาษาไทยตามด้วยเลขประจำหน่วยงาน เช่น ชม 52101 หรือ มท 0808.2",
            )
        )
    if values["ministry_id"] and not re.fullmatch(r"[0-9]{2}", values["ministry_id"]):
        problems.append(
            FieldProblem("ministry_id", "the ministry's ID is 2 digits", "รหัสกระทรวงต้องเป็นตัวเลข 2 หลัก")
        )
    if values["department_id"] and not re.fullmatch(r"[0-9]{5}", values["department_id"]):
        problems.append(
            FieldProblem("department_id", "the department's ID is 5 digits", "รหัสกรมต้องเป็นตัวเลข 5 หลัก")
        )
    for name, plain_http in (("endpoint_url", False), ("ecms_url", True)):
        # e-CMS nodes of the government network answer on plain http (SARABAN.md §2.1).
        if values[name]:
            if len(values[name]) > 500:
                problems.append(FieldProblem(name, "at most 500 characters", "ที่อยู่ยาวเกิน 500 ตัวอักษร"))
            elif found := _url_problem(name, values[name], plain_http=plain_http):
                problems.append(found)
    email = values["email"]
    if email:
        if len(email) > 254 or not _EMAIL.fullmatch(email):
            problems.append(FieldProblem("email", "not an e-mail address", "อีเมลไม่ถูกต้อง"))
        elif not email.lower().startswith("saraban"):
            problems.append(FieldProblem("email", EMAIL_RULE_EN, EMAIL_RULE_TH))
    needs = {"external": "endpoint_url", "ecms": "ecms_url", "email": "email"}.get(kind)
    if needs and not values[needs] and not any(p.field == needs for p in problems):
        what = {
            "endpoint_url": ("an external agency needs its endpoint_url", "กรุณาระบุที่อยู่ปลายทางของหน่วยงาน"),
            "ecms_url": ("an e-CMS agency needs its ecms_url", "กรุณาระบุที่อยู่ e-CMS ของหน่วยงาน"),
            "email": ("an e-mail agency needs its saraban@ address", "กรุณาระบุอีเมลสารบรรณกลางของหน่วยงาน"),
        }[needs]
        problems.append(FieldProblem(needs, *what))
    return problems


TEXT_FIELDS = ("name_th", "name_en", "ministry_id", "department_id", "endpoint_url", "ecms_url", "email")


def _cleaned(changes: dict[str, Any]) -> dict[str, Any]:
    """The given fields stripped; a letter code normalised (empty → None)."""
    out: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in changes and changes[name] is not None:
            out[name] = str(changes[name]).strip()
    if "letter_code" in changes:
        code = normal_code(str(changes["letter_code"] or ""))
        out["letter_code"] = code or None
    if "kind" in changes and changes["kind"] is not None:
        out["kind"] = str(changes["kind"]).strip()
    if "active" in changes and changes["active"] is not None:
        out["active"] = bool(changes["active"])
    return out


def _values_of(agency: Agency) -> dict[str, Any]:
    return {name: getattr(agency, name) for name in (*TEXT_FIELDS, "letter_code", "kind", "active")}


def _blank() -> dict[str, Any]:
    return {**dict.fromkeys(TEXT_FIELDS, ""), "letter_code": None, "kind": "external", "active": True}


async def _code_taken(code: str | None, agency_id: int | None) -> FieldProblem | None:
    """Another agency's hold on ``code``; None when free, or when ``code`` is no code at all
    (:func:`_check` says what is wrong with it)."""
    if code is None or len(code) > max_length(Agency, "letter_code"):
        return None
    holder = await Agency.get_or_none(letter_code=code)
    if holder is None or holder.id == agency_id:
        return None
    return FieldProblem(
        "letter_code",
        f"{code} is already {holder.name_en or holder.name_th}'s letter code",
        f"รหัสหนังสือ {code} เป็นของ {holder.name_th} แล้ว",
    )


# --- reading ---


async def find(code_or_id: str | int) -> Agency:
    """The agency with this id (a number) or letter code; raises :class:`AgencyNotFound`."""
    text = str(code_or_id).strip()
    found: Agency | None = None
    if text.isdigit() and len(text) <= 10:
        if int(text) <= 2_147_483_647:
            found = await Agency.get_or_none(id=int(text))
    else:
        code = normal_code(text)
        if code and len(code) <= 40:
            found = await Agency.get_or_none(letter_code=code)
    if found is None:
        raise AgencyNotFound(text[:60])
    return found


async def directory(query: str = "", *, active_only: bool = True, limit: int = 50) -> list[Agency]:
    """Agencies whose Thai or English name contains ``query`` or whose letter code starts with it,
    letter-code order; every agency when ``query`` is empty. ``limit`` is held to 1–500."""
    rows = Agency.all()
    if active_only:
        rows = rows.filter(active=True)
    text = " ".join(query.split())[:200]
    if text:
        wanted = Q(name_th__icontains=text) | Q(name_en__icontains=text)
        code = normal_code(text)
        if len(code) <= 40:
            wanted |= Q(letter_code__startswith=code)
        if re.fullmatch(r"[0-9]{5}", text):
            wanted |= Q(department_id=text)
        rows = rows.filter(wanted)
    return await rows.order_by("letter_code", "name_th", "id").limit(max(1, min(limit, MAX_LIMIT)))


async def resolve_recipient(code: str) -> Agency:
    """The active agency a letter to ``code`` (letter code or id) goes to.

    Raises :class:`AgencyNotFound` for an unknown agency or one that no longer takes letters.
    """
    found = await find(code)
    if not found.active:
        raise AgencyNotFound(found.letter_code or str(found.id), inactive=True)
    return found


# --- changing (the national operator only) ---


async def add(editor: Editor, **values: Any) -> Agency:
    """A new directory entry of kind external, ecms or email.

    ``values``: name_th, name_en, letter_code, ministry_id, department_id, endpoint_url, ecms_url,
    email, kind (by default: external with an endpoint, ecms with only an e-CMS node, email with
    only a mailbox), active. Raises :class:`NotAllowed` unless the national operator
    asks, :class:`AgencyInvalid` with a problem per wrong field.
    """
    require_operator(editor)
    unknown = set(values) - {*TEXT_FIELDS, "letter_code", "kind", "active"}
    if unknown:
        raise TypeError(f"unknown agency fields: {', '.join(sorted(unknown))}")
    fields_ = {**_blank(), **_cleaned(values)}
    if not values.get("kind"):
        # By how it is reached: its endpoint, else its e-CMS node, else its saraban@ mailbox.
        for kind, name in (("external", "endpoint_url"), ("ecms", "ecms_url"), ("email", "email")):
            if fields_[name]:
                fields_["kind"] = kind
                break
    problems = _check(fields_)
    if fields_["kind"] == "tenant":
        problems.append(
            FieldProblem(
                "kind",
                "a municipality's entry comes from its own settings, not by hand",
                "หน่วยงานที่ใช้ระบบนี้ถูกเพิ่มจากการตั้งค่าของหน่วยงานเอง ไม่ต้องเพิ่มเอง",
            )
        )
    if taken := await _code_taken(fields_["letter_code"], None):
        problems.append(taken)
    if problems:
        raise AgencyInvalid.of(problems)
    try:
        return await Agency.create(**fields_)
    except IntegrityError:  # the same code added at the same moment
        raise AgencyInvalid.of([await _code_taken(fields_["letter_code"], None) or _race()]) from None


def _race() -> FieldProblem:
    return FieldProblem("letter_code", "the letter code was just taken", "รหัสหนังสือนี้เพิ่งถูกใช้ไป")


async def update(editor: Editor, code_or_id: str | int, **changes: Any) -> Agency:
    """Change the given fields of an entry (the rest stay).

    Raises :class:`NotAllowed` unless the national operator asks, :class:`AgencyNotFound`,
    :class:`AgencyInvalid` with a problem per wrong field. A municipality's own kind, letter code and
    names follow its settings (:func:`ensure_for_tenant`) and are refused here.
    """
    require_operator(editor)
    agency = await find(code_or_id)
    cleaned = _cleaned(changes)
    problems: list[FieldProblem] = []
    if agency.kind == "tenant":
        for name in ("kind", "letter_code", "name_th", "name_en"):
            if name in cleaned and cleaned[name] != getattr(agency, name):
                problems.append(
                    FieldProblem(
                        name,
                        "a municipality's kind, letter code and names follow its own settings",
                        "ประเภท รหัสหนังสือ และชื่อของหน่วยงานที่ใช้ระบบนี้ เปลี่ยนได้จากการตั้งค่าของหน่วยงานเองเท่านั้น",
                    )
                )
    elif cleaned.get("kind") == "tenant":
        problems.append(
            FieldProblem("kind", "an entry cannot become a municipality's", "เปลี่ยนเป็นหน่วยงานที่ใช้ระบบนี้ไม่ได้")
        )
    merged = {**_values_of(agency), **cleaned}
    problems += _check(merged)
    if taken := await _code_taken(merged["letter_code"], agency.id):
        problems.append(taken)
    if problems:
        raise AgencyInvalid.of(_unique(problems))
    for name, value in cleaned.items():
        setattr(agency, name, value)
    try:
        await agency.save()
    except IntegrityError:
        raise AgencyInvalid.of([_race()]) from None
    return agency


def _unique(problems: list[FieldProblem]) -> list[FieldProblem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.field, p.message) not in seen:
            seen.add((p.field, p.message))
            out.append(p)
    return out


async def ensure_for_tenant(tenant: Tenant) -> Agency:
    """Create or bring up to date the tenant's own entry from its letter code and names.

    The letter code is ``tenant.settings["saraban"]["letter_code"]`` (none yet: the entry has no
    code); ``ministry_id``/``department_id`` there too when set. An external entry holding the same
    code (imported before the municipality joined) becomes the tenant's. Raises
    :class:`AgencyInvalid` for a malformed code or one another municipality holds.
    """
    saraban = (tenant.settings or {}).get("saraban") or {}
    values: dict[str, Any] = {
        "kind": "tenant",
        "name_th": tenant.name_th.strip()[:200],
        "name_en": tenant.name_en.strip()[:200],
        "letter_code": normal_code(str(saraban.get("letter_code") or "")) or None,
    }
    for name in ("ministry_id", "department_id"):
        if isinstance(saraban.get(name), str) and saraban[name].strip():
            values[name] = saraban[name].strip()
    async with in_transaction():
        mine = await Agency.get_or_none(tenant_id=tenant.id)
        holder = (
            await Agency.get_or_none(letter_code=values["letter_code"]) if values["letter_code"] else None
        )
        if holder is not None and holder.tenant_id not in (None, tenant.id):
            raise AgencyInvalid(
                f"{values['letter_code']} is another municipality's letter code",
                th=f"รหัสหนังสือ {values['letter_code']} เป็นของ {holder.name_th} แล้ว",
                field="letter_code",
            )
        if mine is None and holder is not None:
            mine = holder  # the imported entry becomes the tenant's, keeping its keys
        elif mine is not None and holder is not None and holder.id != mine.id:
            # An imported entry for the code the tenant now uses: its keys, the letters sent to it
            # and the messages exchanged with it move over (they were for this office), it goes.
            await AgencyKey.filter(agency_id=holder.id).update(agency_id=mine.id)
            await Dispatch.filter(agency_id=holder.id).update(agency_id=mine.id)
            await ExchangeMessage.filter(peer_id=holder.id).update(peer_id=mine.id)
            for name in ("ministry_id", "department_id", "endpoint_url", "ecms_url", "email"):
                if not getattr(mine, name) and getattr(holder, name):
                    setattr(mine, name, getattr(holder, name))
            await holder.delete()
        current = _values_of(mine) if mine is not None else _blank()
        merged = {**current, **values}
        problems = [p for p in _check(merged) if p.field in values]
        if problems:
            raise AgencyInvalid.of(problems)
        if mine is None:
            return await Agency.create(tenant_id=tenant.id, **merged)
        mine.tenant_id = tenant.id
        for name, value in values.items():
            setattr(mine, name, value)
        await mine.save()
        return mine


async def sync_tenants() -> list[Agency]:
    """:func:`ensure_for_tenant` for every tenant but the operator's own; raises what it raises."""
    return [await ensure_for_tenant(t) for t in await Tenant.exclude(slug=OPERATOR_TENANT).order_by("id")]


# --- importing a CSV file ---


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int
    unchanged: int


def _rows(text: str, filename: str) -> tuple[list[tuple[int, dict[str, str]]], list[str], list[FieldProblem]]:
    """The file's rows with their first line numbers, or the problems of its header."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    lines: list[str] = []
    problems: list[FieldProblem] = []

    def wrong(line: int, field: str, message: str, message_th: str) -> None:
        lines.append(f"{filename}:{line}: {field}: {message_th} ({message})")
        problems.append(FieldProblem(f"{line}:{field}", message, message_th))

    try:
        header = next(reader, None)
    except csv.Error as error:
        wrong(1, "header", f"not CSV: {error}", "ไฟล์ไม่ใช่ CSV")
        return [], lines, problems
    if header is None:
        wrong(1, "header", "the file is empty", "ไฟล์ว่างเปล่า")
        return [], lines, problems
    names = [_HEADER.get(h.strip().lower() if h.strip().isascii() else h.strip()) for h in header]
    for given, name in zip(header, names, strict=True):
        if name is None:
            wrong(1, "header", f"unknown column {given!r}", f"ไม่รู้จักคอลัมน์ {given}")
    for required in ("name_th", "letter_code"):
        if required not in names:
            wrong(1, "header", f"the column {required} is missing", f"ไม่มีคอลัมน์ {required}")
    if problems:
        return [], lines, problems
    rows: list[tuple[int, dict[str, str]]] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(rows) >= MAX_IMPORT_ROWS:
                    wrong(
                        start, "row", f"more than {MAX_IMPORT_ROWS} rows", f"ไฟล์มีเกิน {MAX_IMPORT_ROWS:,} แถว"
                    )
                    return [], lines, problems
                if len(record) != len(names):
                    wrong(
                        start,
                        "row",
                        f"{len(record)} cells where the header has {len(names)}",
                        f"แถวนี้มี {len(record)} ช่อง แต่หัวตารางมี {len(names)} ช่อง",
                    )
                else:
                    rows.append((start, {n: c for n, c in zip(names, record, strict=True) if n}))
            start = reader.line_num + 1
    except csv.Error as error:
        wrong(start, "row", f"not CSV: {error}", "แถวนี้อ่านเป็น CSV ไม่ได้")
    return rows, lines, problems


async def import_csv(editor: Editor, text: str, *, filename: str = "agencies.csv") -> Imported:
    """Add or update (by letter code) every row of a CSV file, or none.

    Columns: :data:`COLUMNS` or their Thai names :data:`THAI_COLUMNS`, any order, a header row
    first; at most :data:`MAX_IMPORT_ROWS` rows. A row with an endpoint is an external agency,
    otherwise an e-mail one. Importing the same file again changes nothing. Raises
    :class:`NotAllowed` unless the national operator asks, :class:`AgencyImportRefused` listing
    ``FILE:LINE: problem`` for every wrong row (nothing is imported then).
    """
    require_operator(editor)
    rows, lines, problems = _rows(text, filename)

    def wrong(line: int, problem: FieldProblem) -> None:
        if len(problems) < MAX_REPORTED_PROBLEMS:
            lines.append(f"{filename}:{line}: {problem.field}: {problem.message_th} ({problem.message})")
            problems.append(FieldProblem(f"{line}:{problem.field}", problem.message, problem.message_th))

    existing = {a.letter_code: a for a in await Agency.filter(letter_code__not_isnull=True)}
    seen: dict[str, int] = {}
    plan: list[tuple[Agency | None, dict[str, Any]]] = []
    for line, row in rows:
        cleaned = _cleaned({**row, "letter_code": row.get("letter_code", "")})
        code = cleaned["letter_code"]
        current = existing.get(code) if code else None
        # A row with an endpoint is an external agency, else an e-mail one; an e-CMS entry stays so.
        kind = "external" if cleaned.get("endpoint_url") else "email"
        if current is not None and current.kind in ("ecms", "tenant"):
            kind = current.kind
        base = _values_of(current) if current is not None else _blank()
        values = {**base, **cleaned, "kind": kind}
        row_problems = _check(values)
        if code is None:
            row_problems.append(
                FieldProblem("letter_code", "every row needs its letter code", "กรุณาระบุรหัสหนังสือทุกแถว")
            )
        elif code in seen:
            row_problems.append(
                FieldProblem(
                    "letter_code",
                    f"{code} is on line {seen[code]} already",
                    f"รหัสหนังสือ {code} ซ้ำกับบรรทัดที่ {seen[code]}",
                )
            )
        else:
            seen[code] = line
        if current is not None and current.kind == "tenant":
            row_problems.append(
                FieldProblem(
                    "letter_code",
                    f"{code} is a Thongthin municipality's; its entry follows its own settings",
                    f"รหัสหนังสือ {code} เป็นของหน่วยงานที่ใช้ระบบนี้ ข้อมูลเปลี่ยนได้จากการตั้งค่าของหน่วยงานเอง",
                )
            )
        for problem in _unique(row_problems):
            wrong(line, problem)
        plan.append((current, values))
    if problems:
        if len(problems) >= MAX_REPORTED_PROBLEMS:
            lines.append(f"{filename}: … (only the first {MAX_REPORTED_PROBLEMS} problems are shown)")
        raise AgencyImportRefused(lines, problems)
    created = updated = unchanged = 0
    async with in_transaction():
        for current, values in plan:
            if current is None:
                await Agency.create(**values)
                created += 1
                continue
            # A re-import never switches an entry off: "active" is not a column of the file.
            changes = {k: v for k, v in values.items() if getattr(current, k) != v}
            if not changes:
                unchanged += 1
                continue
            for k, v in changes.items():
                setattr(current, k, v)
            await current.save()
            updated += 1
    return Imported(created, updated, unchanged)


# --- keys ---


@dataclass(frozen=True)
class CertificateFacts:
    fingerprint: str
    subject: str
    not_before: datetime
    not_after: datetime


def certificate_facts(pem: str | bytes) -> CertificateFacts:
    """The SHA-256 fingerprint (of the DER), subject and validity of one PEM certificate.

    Raises :class:`AgencyInvalid` for anything else (a private key is refused outright).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    data = pem.encode("utf-8", "replace") if isinstance(pem, str) else pem
    if b"PRIVATE KEY" in data:
        raise AgencyInvalid(
            "that is a private key: give only the certificate, and keep the key secret",
            th="ข้อมูลนี้เป็นกุญแจส่วนตัว กรุณาส่งเฉพาะใบรับรอง และเก็บกุญแจส่วนตัวไว้เป็นความลับ",
            field="certificate",
        )
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise AgencyInvalid(
            "not a PEM certificate (-----BEGIN CERTIFICATE-----)",
            th="ข้อมูลนี้ไม่ใช่ใบรับรองแบบ PEM",
            field="certificate",
        ) from None
    return CertificateFacts(
        hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest(),
        certificate.subject.rfc4514_string()[:300],
        certificate.not_valid_before_utc,
        certificate.not_valid_after_utc,
    )


async def add_key(
    editor: Editor, agency: Agency, pem: str | bytes, *, now: datetime | None = None
) -> AgencyKey:
    """Register a certificate whose key signs ``agency``'s messages, beside the keys it has.

    The same certificate again is answered with its row. Raises :class:`NotAllowed` unless the
    national operator asks, :class:`AgencyInvalid` for input that is not a certificate, an expired
    one, or one registered for another agency.
    """
    require_operator(editor)
    facts = certificate_facts(pem)
    at = now or datetime.now(UTC)
    if facts.not_after <= at:
        raise AgencyInvalid(
            f"the certificate expired on {facts.not_after:%Y-%m-%d}",
            th=f"ใบรับรองนี้หมดอายุแล้วเมื่อ {facts.not_after:%Y-%m-%d}",
            field="certificate",
        )
    known = await AgencyKey.get_or_none(fingerprint=facts.fingerprint)
    if known is not None:
        if known.agency_id == agency.id and known.retired_at is None:
            return known
        raise AgencyInvalid(
            "this certificate is registered already (for another agency, or retired)",
            th="ใบรับรองนี้ลงทะเบียนไว้แล้ว (ของหน่วยงานอื่น หรือเลิกใช้แล้ว)",
            field="certificate",
        )
    text = pem.decode("ascii", "replace") if isinstance(pem, bytes) else pem
    try:
        return await AgencyKey.create(
            agency_id=agency.id,
            certificate_pem=text.strip() + "\n",
            fingerprint=facts.fingerprint,
            subject=facts.subject,
            not_before=facts.not_before,
            not_after=facts.not_after,
        )
    except IntegrityError:
        raise AgencyInvalid(
            "this certificate was just registered", th="ใบรับรองนี้เพิ่งถูกลงทะเบียน", field="certificate"
        ) from None


async def retire_key(
    editor: Editor, agency: Agency, fingerprint: str, *, now: datetime | None = None
) -> AgencyKey:
    """Stop trusting one of ``agency``'s keys from ``now`` (signatures made before stay checkable).

    Raises :class:`NotAllowed` unless the national operator asks, :class:`AgencyKeyNotFound`.
    """
    require_operator(editor)
    wanted = fingerprint.strip().lower().replace(":", "")
    key = await AgencyKey.get_or_none(agency_id=agency.id, fingerprint=wanted) if len(wanted) == 64 else None
    if key is None:
        raise AgencyKeyNotFound(fingerprint[:80])
    if key.retired_at is None:
        key.retired_at = now or datetime.now(UTC)
        await key.save(update_fields=["retired_at"])
    return key


async def keys_for(agency: Agency, at: datetime | None = None) -> list[AgencyKey]:
    """``agency``'s keys valid at ``at`` (default now) and not retired by then, the newest first."""
    when = at or datetime.now(UTC)
    return await AgencyKey.filter(
        Q(retired_at__isnull=True) | Q(retired_at__gt=when),
        agency_id=agency.id,
        not_before__lte=when,
        not_after__gt=when,
    ).order_by("-not_before", "-id")


async def keys_of(agency: Agency) -> list[AgencyKey]:
    """Every key ``agency`` ever had, retired ones included, the newest first."""
    return await AgencyKey.filter(agency_id=agency.id).order_by("-added_at", "-id")
