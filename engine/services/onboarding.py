"""Onboarding local administrations: the national operator adds tenants one at a time or from the
national register's CSV file, and each new administrator chooses a password through a one-time link.

A tenant is made with a unique reference prefix (the ``MH`` of ``MH-2569-000123``). Its first
administrator gets an account no password opens and a set-up link that is good once, for
:data:`SETUP_LIFETIME`; only the link's SHA-256 digest is stored, so the database never holds
anything that opens the account.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from engine.services import accounts, operators, secrets, tenants
from engine.services.errors import ServiceError
from engine.services.roles import ADMIN_ROLE
from engine.store.bounds import could_be_key
from engine.store.models import EnabledService, SetupToken, Tenant, User
from engine.store.queries import flat

SETUP_LIFETIME = timedelta(days=7)
# Digests of set-up links are kept apart from every other token's digest.
_SETUP_SCOPE = "setup"

# The kinds of local administration (ประเภท อปท.) and the model's coarser ``kind``.
KINDS: dict[str, str] = {
    "เทศบาลนคร": "municipality",
    "เทศบาลเมือง": "municipality",
    "เทศบาลตำบล": "municipality",
    "อบต.": "subdistrict",
    "อบจ.": "provincial",
}
# Other ways registers and people write the same kinds.
_KIND_ALIASES: dict[str, str] = {
    "ทน.": "เทศบาลนคร",
    "ทม.": "เทศบาลเมือง",
    "ทต.": "เทศบาลตำบล",
    "องค์การบริหารส่วนตำบล": "อบต.",
    "องค์การบริหารส่วนจังหวัด": "อบจ.",
}

# Lower-case letters, digits and hyphens, 2–40 characters, starting and ending with a letter or digit.
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])")
# The first path segments the platform serves itself: a tenant there could never be reached.
RESERVED_SLUGS = frozenset({"admin", "api", "portal", "static", "verify"})
_CODE = re.compile(r"[0-9A-Za-z]{1,20}")
_POSTCODE = re.compile(r"[1-9][0-9]{4}")
# Usernames as the console accepts them (admin/console_views.py).
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,79}")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_PROVINCE_PREFIXES = ("จังหวัด", "จ.")
# Tracking pages and the desk's search read a reference's prefix as letters only ([A-Z]{1,6}),
# so prefixes are letters: the slug's first few, then more letters while the prefix is taken.
PREFIX_LENGTH = 6
_PREFIX_BASE = 4

MAX_REGISTER_ROWS = 10_000
MAX_REGISTER_BYTES = 16 * 1024 * 1024
# The national register's columns, in English or Thai, and the fields they fill.
REGISTER_COLUMNS: dict[str, str] = {
    "code": "code",
    "รหัส": "code",
    "kind": "kind",
    "ประเภท": "kind",
    "name": "name_th",
    "ชื่อ": "name_th",
    "province": "province",
    "จังหวัด": "province",
    "district": "district",
    "อำเภอ": "district",
    "address": "address_th",
    "ที่อยู่": "address_th",
    "postcode": "postcode",
    "รหัสไปรษณีย์": "postcode",
    "slug": "slug",
    "name_en": "name_en",
}
_REQUIRED_COLUMNS = ("code", "kind", "name_th", "province")
# The limits of the columns (engine/store/models.py Tenant), checked before anything is stored.
_MAX_LENGTHS = {"name_th": 200, "name_en": 200, "province": 100, "district": 100, "address_th": 1000}


class OnboardingError(ServiceError):
    code = "onboarding_error"
    message_th = ""

    def text(self, language: str) -> str:
        """The refusal in ``language``: Thai when there is a Thai sentence for it."""
        return self.message_th if language == "th" and self.message_th else str(self)


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field of a tenant (``line`` is the register's line, 0 outside a file)."""

    field: str
    message: str
    line: int = 0
    message_th: str = ""  # the same, as a whole Thai sentence for the studio's pages

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def text(self, language: str) -> str:
        """The problem in ``language``: a Thai sentence, or the field's name with the English message."""
        return self.message_th if language == "th" and self.message_th else str(self)


# The Thai names of a tenant's fields, as the problems name them.
FIELD_NAMES_TH = {
    "slug": "ชื่อย่อในที่อยู่เว็บ",
    "kind": "ประเภทหน่วยงาน",
    "name_th": "ชื่อหน่วยงาน",
    "name_en": "ชื่อหน่วยงานภาษาอังกฤษ",
    "province": "จังหวัด",
    "district": "อำเภอ",
    "address_th": "ที่อยู่",
    "code": "รหัสหน่วยงานตามทะเบียน",
    "postcode": "รหัสไปรษณีย์",
}
USERNAME_RULE = (
    "use 3–80 lower-case English letters, digits, dots, hyphens and underscores",
    "ชื่อผู้ใช้ของผู้ดูแลระบบต้องมี 3 ถึง 80 ตัวอักษร ใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย . - หรือ _",
)


class InvalidTenant(OnboardingError):
    """The tenant's details do not validate; nothing was stored."""

    code = "invalid_tenant"
    http_status = 422

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class TenantExists(OnboardingError):
    code = "tenant_exists"
    http_status = 409

    def __init__(self, slug: str):
        self.slug = slug
        self.message_th = f"มีหน่วยงานที่ใช้ชื่อย่อ {slug} อยู่แล้ว"
        super().__init__(f"a tenant {slug!r} already exists")


class TenantCodeExists(OnboardingError):
    code = "tenant_code_exists"
    http_status = 409

    def __init__(self, code: str, slug: str):
        self.register_code = code
        self.slug = slug
        self.message_th = f"รหัสหน่วยงานตามทะเบียน {code} เป็นของหน่วยงาน {slug} อยู่แล้ว"
        super().__init__(f"the register code {code!r} already belongs to tenant {slug!r}")


class AdminExists(OnboardingError):
    """The account exists and is not waiting for its set-up link: a link would take it over."""

    code = "admin_exists"
    http_status = 409

    def __init__(self, slug: str, username: str):
        self.slug = slug
        self.username = username
        self.message_th = f"หน่วยงาน {slug} มีบัญชี {username} ที่ตั้งรหัสผ่านแล้ว จึงสร้างลิงก์ตั้งรหัสผ่านให้บัญชีนี้ไม่ได้"
        super().__init__(f"{slug!r} already has an account {username!r} with a password of its own")


class RegisterInvalid(OnboardingError):
    """Rows of a register file do not validate; nothing was stored. ``problems`` are in line order."""

    code = "invalid_register"
    http_status = 422

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: p.line)
        self.message_th = f"ทะเบียนมีข้อผิดพลาด {len(problems)} รายการ ระบบจึงยังไม่ได้นำเข้าข้อมูลใด"
        super().__init__(f"{len(problems)} problem(s) in the register; nothing was imported")


class RegisterTooLarge(OnboardingError):
    code = "register_too_large"
    http_status = 413

    def __init__(self, what: str):
        self.message_th = (
            f"ไฟล์ทะเบียนมีได้ไม่เกิน {MAX_REGISTER_ROWS:,} แถว และไม่เกิน {MAX_REGISTER_BYTES // (1024 * 1024)} MB "
            "กรุณาแบ่งไฟล์แล้วนำเข้าทีละไฟล์"
        )
        super().__init__(
            f"a register file holds at most {MAX_REGISTER_ROWS:,} rows "
            f"and {MAX_REGISTER_BYTES // (1024 * 1024)} MB; this one has {what}; split it"
        )


class RegisterConflict(OnboardingError):
    """Tenants were added by someone else while the file was imported; nothing was stored."""

    code = "register_conflict"
    http_status = 409

    def __init__(self) -> None:
        self.message_th = "มีการเพิ่มหน่วยงานระหว่างนำเข้า ระบบจึงยังไม่ได้นำเข้าข้อมูลใด กรุณานำเข้าอีกครั้ง"
        super().__init__("tenants were added meanwhile; nothing was imported, run the import again")


class SetupTokenInvalid(OnboardingError):
    """A set-up link that cannot be used (see the subclasses for why)."""

    code = "setup_token_invalid"


class SetupTokenUnknown(SetupTokenInvalid):
    code = "setup_token_unknown"

    def __init__(self) -> None:
        super().__init__("no such set-up link")


class SetupTokenExpired(SetupTokenInvalid):
    code = "setup_token_expired"

    def __init__(self) -> None:
        super().__init__("the set-up link has expired")


class SetupTokenUsed(SetupTokenInvalid):
    code = "setup_token_used"

    def __init__(self) -> None:
        super().__init__("the set-up link was already used")


@dataclass(frozen=True)
class CreatedTenant:
    """A new tenant and, when an administrator was named, their one-time set-up token (shown once)."""

    tenant: Tenant
    admin: User | None = None
    setup_token: str | None = None
    setup_expires_at: datetime | None = None


@dataclass(frozen=True)
class Invitation:
    """An administrator's one-time set-up token (shown once) and when it stops working."""

    tenant: Tenant
    user: User
    setup_token: str
    expires_at: datetime


@dataclass(frozen=True)
class ImportResult:
    """Slugs of the tenants created, register codes of the rows skipped as already there, and
    columns of the file that fill nothing."""

    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


# --- checking ----------------------------------------------------------------------------------


def thai_kind(text: str) -> str | None:
    """The kind ``text`` names (``อบต``, ``องค์การบริหารส่วนตำบล`` -> ``อบต.``), None when none.

    Spaces do not count, and ``ํา`` typed as two characters is the same as ``ำ``.
    """
    compact = "".join(text.split()).replace("\u0e4d\u0e32", "\u0e33")
    for candidate in (compact, compact + "."):
        if candidate in KINDS:
            return candidate
        if candidate in _KIND_ALIASES:
            return _KIND_ALIASES[candidate]
    return None


def slug_problem(slug: str) -> tuple[str, str] | None:
    """Why ``slug`` cannot name a tenant (in English and in Thai), None when it can."""
    if not _SLUG.fullmatch(slug):
        return (
            "use 2–40 lower-case English letters, digits and hyphens, not starting or ending with a hyphen",
            "ชื่อย่อในที่อยู่เว็บต้องมี 2 ถึง 40 ตัวอักษร ใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข "
            "และเครื่องหมาย - ซึ่งต้องไม่อยู่ต้นหรือท้าย",
        )
    if slug in RESERVED_SLUGS:
        return f"{slug!r} is a path of the platform itself", f"ชื่อย่อ {slug} เป็นที่อยู่ที่ระบบใช้เอง กรุณาใช้ชื่ออื่น"
    return None


def _clean(value: Any) -> str:
    return " ".join(str(value or "").split())


def _check(values: Mapping[str, Any], *, line: int = 0) -> tuple[dict[str, str], list[Problem]]:
    """The tenant's fields cleaned (whitespace squeezed, Thai digits as ASCII), and what is wrong."""
    problems: list[Problem] = []
    cleaned = {name: _clean(values.get(name)) for name in (*_MAX_LENGTHS, "slug", "kind", "code", "postcode")}

    def problem(name: str, message: str, th: str) -> None:
        problems.append(Problem(name, message, line, th))

    for name, value in cleaned.items():
        # PostgreSQL stores no NUL, and no register holds control characters on purpose.
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            problem(name, "holds control characters", f"{FIELD_NAMES_TH[name]}มีอักขระควบคุมที่ใช้ไม่ได้")
    if why := slug_problem(cleaned["slug"]):
        problem("slug", *why)
    kind = thai_kind(cleaned["kind"])
    if not cleaned["kind"]:
        problem("kind", "is empty", "กรุณาระบุประเภทหน่วยงาน")
    elif kind is None:
        problem(
            "kind",
            f"{cleaned['kind']!r} is not one of " + ", ".join(KINDS),
            f"ประเภท {cleaned['kind']} ไม่ใช่ประเภทที่รู้จัก ประเภทที่ใช้ได้คือ " + " ".join(KINDS),
        )
    cleaned["kind"] = kind or ""
    province = cleaned["province"]
    for prefix in _PROVINCE_PREFIXES:
        province = province.removeprefix(prefix).strip()
    cleaned["province"] = province
    for name in ("name_th", "province"):
        if not cleaned[name]:
            problem(name, "is empty", f"กรุณาระบุ{FIELD_NAMES_TH[name]}")
    for name, limit in _MAX_LENGTHS.items():
        if len(cleaned[name]) > limit:
            problem(
                name, f"is longer than {limit} characters", f"{FIELD_NAMES_TH[name]}ยาวเกิน {limit} ตัวอักษร"
            )
    for name, pattern, shape, shape_th in (
        ("code", _CODE, "up to 20 letters and digits", "ตัวอักษรหรือตัวเลขไม่เกิน 20 ตัว"),
        ("postcode", _POSTCODE, "five digits", "ตัวเลข 5 หลัก"),
    ):
        cleaned[name] = cleaned[name].translate(_THAI_DIGITS)
        if cleaned[name] and not pattern.fullmatch(cleaned[name]):
            problem(
                name,
                f"{cleaned[name]!r} is not {shape}",
                f"{FIELD_NAMES_TH[name]} {cleaned[name]} ไม่ถูกต้อง ต้องเป็น{shape_th}",
            )
    return cleaned, problems


def _prefix_candidates(slug: str) -> Iterator[str]:
    """Reference prefixes for ``slug``, best first: its first letters, then with letters added.

    Endless in practice: a base of one letter still has 26^5 longer prefixes.
    """
    letters = "".join(c for c in slug.upper() if c in string.ascii_uppercase) or "T"
    base = letters[:_PREFIX_BASE]
    for cut in range(len(base), 0, -1):
        stem = base[:cut]
        yield stem
        for extra in range(1, PREFIX_LENGTH - cut + 1):
            for tail in itertools.product(string.ascii_uppercase, repeat=extra):
                yield stem + "".join(tail)


def _free_prefix(slug: str, taken: set[str]) -> str:
    """The first prefix for ``slug`` not in ``taken`` (upper-case), added to ``taken``."""
    prefix = next(p for p in _prefix_candidates(slug) if p not in taken)
    taken.add(prefix)
    return prefix


async def _taken_prefixes() -> set[str]:
    return {p.upper() for p in await flat(Tenant.all(), "reference_prefix")}


# --- creating ----------------------------------------------------------------------------------


async def create_tenant(
    slug: str,
    *,
    name_th: str,
    kind: str,
    province: str,
    name_en: str = "",
    district: str = "",
    address_th: str = "",
    postcode: str = "",
    code: str = "",
    admin_username: str | None = None,
) -> CreatedTenant:
    """A new tenant ``slug`` of the Thai ``kind`` (see :data:`KINDS`), with a unique reference prefix.

    With ``admin_username``, also its administrator (role ``admin``), whose account no password
    opens until the returned one-time set-up token is used (:func:`use_setup_token`).
    Raises :class:`InvalidTenant` (every problem of the details at once), :class:`TenantExists`
    and :class:`TenantCodeExists`; nothing is stored then.
    """
    cleaned, problems = _check(
        {
            "slug": slug,
            "name_th": name_th,
            "name_en": name_en,
            "kind": kind,
            "province": province,
            "district": district,
            "address_th": address_th,
            "postcode": postcode,
            "code": code,
        }
    )
    if admin_username is not None and not _USERNAME.fullmatch(admin_username):
        problems.append(Problem("admin", USERNAME_RULE[0], message_th=USERNAME_RULE[1]))
    if problems:
        raise InvalidTenant(problems)
    if await Tenant.exists(slug=cleaned["slug"]):
        raise TenantExists(cleaned["slug"])
    if cleaned["code"]:
        holder = await Tenant.get_or_none(code=cleaned["code"])
        if holder is not None:
            raise TenantCodeExists(cleaned["code"], holder.slug)
    try:
        async with in_transaction():
            tenant = await Tenant.create(
                reference_prefix=_free_prefix(cleaned["slug"], await _taken_prefixes()),
                **_tenant_fields(cleaned),
            )
            if admin_username is None:
                return CreatedTenant(tenant)
            user = await _new_admin(tenant, admin_username)
            token, expires_at = await _issue_setup_token(user)
    except IntegrityError:
        # Someone created the same slug between the check and the insert.
        raise TenantExists(cleaned["slug"]) from None
    return CreatedTenant(tenant, user, token, expires_at)


def _tenant_fields(cleaned: Mapping[str, str]) -> dict[str, Any]:
    return {
        "slug": cleaned["slug"],
        "code": cleaned["code"],
        "name_th": cleaned["name_th"],
        "name_en": cleaned["name_en"],
        "kind": KINDS[cleaned["kind"]],
        "kind_th": cleaned["kind"],
        "province": cleaned["province"],
        "district": cleaned["district"],
        "address_th": cleaned["address_th"],
        "postcode": cleaned["postcode"],
    }


async def _new_admin(tenant: Tenant, username: str) -> User:
    """An administrator of ``tenant`` with a random password nobody is told.

    No password opens the account, and a login attempt on it costs the same argon2 check as on
    any other, so it does not stand out until the set-up link is used.
    """
    return await accounts.create_user(
        tenant, username, secrets.new_token(32), f"ผู้ดูแลระบบ {tenant.name_th}"[:200], [ADMIN_ROLE]
    )


async def _issue_setup_token(user: User, *, now: datetime | None = None) -> tuple[str, datetime]:
    token = secrets.new_token(32)
    expires_at = (now or datetime.now(UTC)) + SETUP_LIFETIME
    await SetupToken.create(
        tenant_id=user.tenant_id,
        user=user,
        token_hash=secrets.digest(token, scope=_SETUP_SCOPE),
        expires_at=expires_at,
    )
    return token, expires_at


async def invite_admin(slug: str, username: str) -> Invitation:
    """A one-time set-up link for administrator ``username`` of tenant ``slug``.

    Creates the account (role ``admin``, no usable password) when it does not exist; for an
    account still waiting for its first link (an expired or lost one), the earlier links stop
    working and a new one is made. Raises :class:`~engine.services.errors.TenantNotFound`,
    :class:`InvalidTenant` (a malformed username) and :class:`AdminExists` (the account was set
    up already or was made otherwise: a link would let whoever holds it take the account over).
    """
    tenant = await tenants.get_tenant(slug)
    if not _USERNAME.fullmatch(username):
        raise InvalidTenant([Problem("admin", USERNAME_RULE[0], message_th=USERNAME_RULE[1])])
    async with in_transaction():
        user = await User.get_or_none(tenant=tenant, username=username)
        if user is None:
            user = await _new_admin(tenant, username)
        else:
            links = await SetupToken.filter(tenant_id=tenant.id, user_id=user.id).values_list(
                "used_at", flat=True
            )
            if not links or any(used is not None for used in links):
                raise AdminExists(slug, username)
            await SetupToken.filter(tenant_id=tenant.id, user_id=user.id).delete()
        token, expires_at = await _issue_setup_token(user)
    return Invitation(tenant, user, token, expires_at)


# --- the national register ---------------------------------------------------------------------


def read_register_csv(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of a register file with the line each starts on (the header is line 1).

    UTF-8 (with or without the byte-order mark spreadsheets write) or Windows-874, the Thai
    encoding Excel saves CSV in. Raises :class:`RegisterTooLarge` and :class:`RegisterInvalid`
    (not text, not CSV, or no row below the header).
    """
    if len(data) > MAX_REGISTER_BYTES:
        raise RegisterTooLarge(f"{len(data):,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp874")
        except UnicodeDecodeError:
            raise RegisterInvalid(
                [
                    Problem(
                        "file",
                        "is neither UTF-8 nor Windows-874 text",
                        1,
                        "ไฟล์ไม่ใช่ข้อความแบบ UTF-8 หรือ Windows-874 กรุณาบันทึกไฟล์เป็น CSV แบบ UTF-8",
                    )
                ]
            ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    start = 2
    try:
        for row in reader:
            if len(rows) >= MAX_REGISTER_ROWS:
                raise RegisterTooLarge(f"more than {MAX_REGISTER_ROWS:,} rows")
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        raise RegisterInvalid(
            [Problem("file", f"is not CSV: {error}", reader.line_num, f"ไฟล์ไม่ใช่ CSV ที่ถูกต้อง: {error}")]
        ) from None
    if not rows:
        raise RegisterInvalid(
            [
                Problem(
                    "file",
                    "holds no municipality: give a header row, then one row per municipality",
                    1,
                    "ไม่พบรายชื่อหน่วยงานในไฟล์ กรุณาใส่แถวหัวตารางและรายชื่อหน่วยงานแถวละหนึ่งแห่ง",
                )
            ]
        )
    return rows


def _columns(row: Mapping[Any, Any]) -> tuple[dict[str, str], list[str]]:
    """Register columns of ``row`` by field name, and the names of columns that fill nothing."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    for key in row:
        if key is None:  # cells beyond the header's last column (csv.DictReader's restkey)
            continue
        name = REGISTER_COLUMNS.get(str(key).strip().lstrip("\ufeff").lower())
        if name is None:
            ignored.append(str(key))
        else:
            found[name] = key
    return found, ignored


async def import_tenants(
    rows: Iterable[Mapping[Any, Any] | tuple[int, Mapping[Any, Any]]], *, first_line: int = 2
) -> ImportResult:
    """Create the tenants of the national register's rows, all of them or none.

    Each row maps the register's columns (:data:`REGISTER_COLUMNS`: code, kind, name, province,
    district, address, postcode, in English or Thai; slug optional, ``t`` + the code when not
    given) to values; a row may come as ``(line, row)`` when its line in the file is known
    (:func:`read_register_csv`), else rows are counted from ``first_line``. Rows whose code a
    tenant already has are skipped, so importing the same file again changes nothing.
    Raises :class:`RegisterInvalid` with every problem of every row, :class:`RegisterTooLarge`
    beyond :data:`MAX_REGISTER_ROWS` rows, and :class:`RegisterConflict` when tenants were
    added meanwhile; nothing is stored then.
    """
    existing = {slug: code for slug, code in await Tenant.all().values_list("slug", "code")}
    codes_held = {code: slug for slug, code in existing.items() if code}
    problems: list[Problem] = []
    ignored: dict[str, None] = {}
    new: list[dict[str, str]] = []
    skipped: list[str] = []
    seen_codes: dict[str, int] = {}
    seen_slugs: dict[str, int] = {}
    for index, item in enumerate(rows):
        if index >= MAX_REGISTER_ROWS:
            raise RegisterTooLarge(f"more than {MAX_REGISTER_ROWS:,} rows")
        line, row = item if isinstance(item, tuple) else (first_line + index, item)
        columns, unknown = _columns(row)
        ignored.update(dict.fromkeys(unknown))
        if index == 0 and (missing := [c for c in _REQUIRED_COLUMNS if c not in columns]):
            names = ", ".join(" or ".join(k for k, v in REGISTER_COLUMNS.items() if v == c) for c in missing)
            raise RegisterInvalid(
                [
                    Problem(
                        "header",
                        f"missing column(s): {names}",
                        max(line - 1, 1),
                        f"แถวหัวตารางไม่มีคอลัมน์ {names}",
                    )
                ]
            )
        values = {name: row.get(key) for name, key in columns.items()}
        if not any(_clean(v) for v in values.values()):
            continue  # an empty line of a spreadsheet
        if row.get(None):
            problems.append(
                Problem(
                    "row",
                    "has more cells than the header has columns",
                    line,
                    "แถวนี้มีข้อมูลมากกว่าจำนวนคอลัมน์ในแถวหัวตาราง",
                )
            )
        code = _clean(values.get("code")).translate(_THAI_DIGITS)
        if not code:
            problems.append(Problem("code", "is empty", line, "กรุณาระบุรหัสหน่วยงานตามทะเบียน"))
        values["slug"] = _clean(values.get("slug")) or f"t{code.lower()}"
        cleaned, found = _check(values, line=line)
        # Named by the file's own headers (ชื่อ, not name_th): that is what the operator corrects.
        problems.extend(
            Problem(str(columns.get(p.field, p.field)), p.message, p.line, p.message_th) for p in found
        )
        if not code:
            continue
        if code in seen_codes:
            problems.append(
                Problem(
                    "code",
                    f"{code!r} is also on line {seen_codes[code]}",
                    line,
                    f"รหัส {code} ซ้ำกับบรรทัดที่ {seen_codes[code]}",
                )
            )
            continue
        seen_codes[code] = line
        if code in codes_held:
            skipped.append(code)
            continue
        slug = cleaned["slug"]
        if slug in seen_slugs:
            problems.append(
                Problem(
                    "slug",
                    f"{slug!r} is also on line {seen_slugs[slug]}",
                    line,
                    f"ชื่อย่อ {slug} ซ้ำกับบรรทัดที่ {seen_slugs[slug]}",
                )
            )
        elif slug in existing:
            problems.append(
                Problem(
                    "slug",
                    f"{slug!r} belongs to a tenant with another code",
                    line,
                    f"ชื่อย่อ {slug} เป็นของหน่วยงานที่มีรหัสอื่น",
                )
            )
        seen_slugs[slug] = line
        new.append(cleaned)
    if problems:
        raise RegisterInvalid(problems)
    try:
        async with in_transaction() as connection:
            taken = await _taken_prefixes()
            made = [Tenant(reference_prefix=_free_prefix(c["slug"], taken), **_tenant_fields(c)) for c in new]
            await Tenant.bulk_create(made, batch_size=500, using_db=connection)
    except IntegrityError:
        raise RegisterConflict() from None
    return ImportResult([t.slug for t in made], skipped, list(ignored))


# --- listing -----------------------------------------------------------------------------------


async def list_tenants() -> list[dict[str, Any]]:
    """Every tenant, by slug: register code, names, kinds, province, enabled services, created."""
    counts = dict(
        await EnabledService.filter(enabled=True)
        .annotate(n=Count("id"))
        .group_by("tenant_id")
        .values_list("tenant_id", "n")
    )
    return [
        {
            "slug": t.slug,
            "code": t.code,
            "name_th": t.name_th,
            "kind": t.kind,
            "kind_th": t.kind_th,
            "province": t.province,
            "reference_prefix": t.reference_prefix,
            "services": counts.get(t.id, 0),
            "created": t.created_at.isoformat(timespec="seconds"),
        }
        for t in await Tenant.all().order_by("slug")
    ]


async def list_municipalities() -> list[dict[str, Any]]:
    """The rows of :func:`list_tenants` that are municipalities (the national operators' own left out)."""
    return [row for row in await list_tenants() if row["slug"] != operators.OPERATOR_TENANT]


def chosen_municipalities(every: list[dict[str, Any]], slugs: list[str], *, all_of_them: bool) -> list[str]:
    """The slugs of ``every`` a form or a request chose: all of them, or those named (at most 10,000)."""
    known = [row["slug"] for row in every]
    if all_of_them:
        return known
    named = set(slugs[:10_000])
    return [slug for slug in known if slug in named]


# --- set-up links ------------------------------------------------------------------------------


async def _live_token(token: str, tenant: Tenant | None, now: datetime) -> SetupToken:
    found = None
    # Tokens we issue are 43 printable ASCII characters: the digest column's bound fits them.
    if could_be_key(token, SetupToken, "token_hash"):
        found = await SetupToken.get_or_none(token_hash=secrets.digest(token, scope=_SETUP_SCOPE))
    if found is None or (tenant is not None and found.tenant_id != tenant.id):
        raise SetupTokenUnknown()
    if found.used_at is not None:
        raise SetupTokenUsed()
    if found.expires_at <= now:
        raise SetupTokenExpired()
    return found


async def setup_token_user(token: str, *, tenant: Tenant | None = None, now: datetime | None = None) -> User:
    """The account a set-up token is for, without using the token.

    ``tenant`` limits it to that tenant's links. Raises :class:`SetupTokenUnknown`,
    :class:`SetupTokenExpired` and :class:`SetupTokenUsed`.
    """
    found = await _live_token(token, tenant, now or datetime.now(UTC))
    return await User.get(id=found.user_id)


async def use_setup_token(
    token: str,
    password: str,
    *,
    tenant: Tenant | None = None,
    address: str = "",
    now: datetime | None = None,
) -> User:
    """Set the password of the account ``token`` is for, and burn the token.

    ``tenant`` limits it to that tenant's links. Raises :class:`SetupTokenUnknown`,
    :class:`SetupTokenExpired`, :class:`SetupTokenUsed` and
    :class:`~engine.services.errors.WeakPassword` (the token stays good then).
    """
    moment = now or datetime.now(UTC)
    found = await _live_token(token, tenant, moment)
    user = await User.get(id=found.user_id)
    owner = tenant or await Tenant.get(id=user.tenant_id)
    accounts.check_new_password(password, user, tenant_slug=owner.slug)
    async with in_transaction():
        # A conditional UPDATE: of two uses at once, one finds the token unused.
        burned = await SetupToken.filter(id=found.id, used_at__isnull=True, expires_at__gt=moment).update(
            used_at=moment
        )
        if burned != 1:
            raise SetupTokenUsed()
        await accounts.set_password(user, password, actor=None, address=address)
    return user
