"""A tenant's organisation for correspondence: units, their members, and who an officer is here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from engine.saraban.errors import InvalidLetter, NotAllowed, UnitNotFound
from engine.saraban.settings import SarabanSettings
from engine.services import accounts
from engine.services.roles import ADMIN_ROLE
from engine.store.models import OrgUnit, RoleGrant, Tenant, UnitMember, User
from engine.store.queries import flat

# The roles of the correspondence area (schemas/catalog/roles.json names them).
CLERK = "saraban_clerk"  # สารบรรณกลาง: registers, numbers, routes, keeps the books
ADMIN = ADMIN_ROLE
# The roles whose key signs an officer's steps, the most senior first.
SIGNING_ROLES = ("mayor", "chief_administrator", "department_head", CLERK)


@dataclass(frozen=True)
class Actor:
    """An officer acting in the correspondence area: their roles and the units they work in."""

    user: User
    roles: frozenset[str]
    units: frozenset[str]  # unit codes

    @property
    def is_clerk(self) -> bool:
        return CLERK in self.roles

    @property
    def label(self) -> str:
        return self.user.display_name

    def signing_role(self) -> str:
        """The role whose key signs this officer's steps; raises NotAllowed when they have none."""
        for role in SIGNING_ROLES:
            if role in self.roles:
                return role
        raise NotAllowed(
            f"{self.user.username} has no role that signs correspondence",
            th="ผู้ใช้นี้ไม่มีตำแหน่งที่ลงนามในหนังสือราชการได้ โปรดให้ผู้ดูแลระบบกำหนดตำแหน่ง",
        )

    def holds(self, holder_kind: str, holder: str) -> bool:
        """Is a letter held by (``holder_kind``, ``holder``) in this officer's hands?"""
        return (
            (holder_kind == "user" and holder == str(self.user.id))
            or (holder_kind == "unit" and holder in self.units)
            or (holder_kind == "role" and holder in self.roles)
        )


async def actor(tenant: Tenant, user: User) -> Actor:
    roles = frozenset(await accounts.roles_of(user))
    codes = await flat(UnitMember.filter(tenant_id=tenant.id, user_id=user.id), "unit__code")
    return Actor(user, roles, frozenset(str(c) for c in codes))


async def units(tenant: Tenant) -> list[OrgUnit]:
    return await OrgUnit.filter(tenant_id=tenant.id).order_by("id")


async def unit(tenant: Tenant, code: str) -> OrgUnit:
    found = await OrgUnit.get_or_none(tenant_id=tenant.id, code=code)
    if found is None:
        raise UnitNotFound(code)
    return found


async def put_unit(
    tenant: Tenant,
    code: str,
    name_th: str,
    *,
    name_en: str = "",
    letter_suffix: str = "",
    parent: str | None = None,
    phone: str = "",
) -> OrgUnit:
    """Create or change a unit; raises InvalidLetter for a bad code or name, UnitNotFound for the parent."""
    if (
        not code
        or len(code) > 40
        or not code.replace("_", "").replace("-", "").isalnum()
        or not code.isascii()
    ):
        raise InvalidLetter(
            "a unit code is 1–40 letters, digits, - or _",
            th="รหัสหน่วยงานต้องเป็นอักษรอังกฤษ ตัวเลข - หรือ _ ไม่เกิน 40 ตัว",
            field="code",
        )
    if not name_th.strip() or len(name_th) > 200:
        raise InvalidLetter("a unit needs a Thai name", th="กรุณาระบุชื่อหน่วยงานเป็นภาษาไทย", field="name_th")
    parent_unit = await unit(tenant, parent) if parent else None
    values = {
        "name_th": name_th.strip(),
        "name_en": name_en.strip()[:200],
        "letter_suffix": letter_suffix.strip()[:20],
        "parent_id": parent_unit.id if parent_unit else None,
        "phone": phone.strip()[:40],
    }
    found, _ = await OrgUnit.update_or_create(values, tenant_id=tenant.id, code=code)
    return found


async def add_member(tenant: Tenant, code: str, user_id: int, *, head: bool = False) -> None:
    found = await unit(tenant, code)
    user = await User.get_or_none(tenant_id=tenant.id, id=user_id)
    if user is None:
        raise InvalidLetter(f"no officer {user_id}", th="ไม่พบเจ้าหน้าที่ผู้นี้", field="user")
    async with in_transaction():
        await UnitMember.update_or_create(
            {"head": head}, tenant_id=tenant.id, unit_id=found.id, user_id=user.id
        )


async def members(tenant: Tenant, code: str) -> list[User]:
    found = await unit(tenant, code)
    return await User.filter(tenant_id=tenant.id, units__unit_id=found.id, active=True).order_by("id")


async def users_with_role(tenant: Tenant, role: str) -> list[int]:
    return list(await flat(RoleGrant.filter(tenant_id=tenant.id, role=role, user__active=True), "user_id"))


# The settings an administrator changes from the units page, the API and the CLI; the others
# (time limits per urgency, retention terms) keep their defaults unless set in the tenant's settings.
EDITABLE_SETTINGS = ("letter_code", "numbers_per_unit", "typed_name_signing", "reservation_hours", "ecms_url")
LETTER_CODE = re.compile(r"^[ก-ฮ]{1,3}\.?\s?[0-9๐-๙]{4,5}(\.[0-9๐-๙]{1,3})?$")


async def put_settings(tenant: Tenant, actor: Actor, changes: dict[str, Any]) -> SarabanSettings:
    """Change the municipality's correspondence settings (its administrator only), then bring its entry
    in the agency directory in step with the letter code.

    Raises NotAllowed, InvalidLetter (an unknown setting, a wrong value, a letter code that is not
    "ชม 52101" in form or that another municipality holds)."""
    from engine.saraban.errors import FieldProblem
    from engine.saraban.settings import settings_of
    from engine.services.saraban import agencies

    if ADMIN not in actor.roles:
        raise NotAllowed(
            "only the municipality's administrator changes these settings",
            th="การตั้งค่างานสารบรรณทำได้เฉพาะผู้ดูแลระบบของหน่วยงาน",
        )
    problems = [
        FieldProblem(name, f"{name} is not a setting here", f"ไม่มีการตั้งค่า {name}")
        for name in changes
        if name not in EDITABLE_SETTINGS
    ]
    code = changes.get("letter_code")
    if code is not None and (
        not isinstance(code, str) or (code.strip() and not LETTER_CODE.match(code.strip()))
    ):
        problems.append(
            FieldProblem(
                "letter_code",
                "a letter code is the province's letters and the agency's number, e.g. ชม 52101",
                "รหัสหนังสือต้องเป็นอักษรย่อจังหวัดตามด้วยเลขประจำส่วนราชการ เช่น ชม 52101",
            )
        )
    hours = changes.get("reservation_hours")
    if hours is not None and (
        isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 720
    ):
        problems.append(
            FieldProblem(
                "reservation_hours",
                "the reservation time is more than 0 and at most 720 hours",
                "กรุณาระบุระยะเวลาจองเลขเป็นจำนวนชั่วโมงมากกว่า 0 และไม่เกิน 720 ชั่วโมง",
            )
        )
    url = changes.get("ecms_url")
    if url is not None:
        if not isinstance(url, str) or len(url.strip()) > 500:
            problems.append(
                FieldProblem("ecms_url", "the e-CMS node's address is text of at most 500 characters",
                             "ที่อยู่ระบบ e-CMS ต้องเป็นข้อความยาวไม่เกิน 500 ตัวอักษร")
            )  # fmt: skip
        elif url.strip() and (found := agencies._url_problem("ecms_url", url.strip(), plain_http=True)):
            # As for an agency's e-CMS node in the directory: these nodes answer on plain http.
            problems.append(found)
    if problems:
        raise InvalidLetter.of(problems)
    saraban = {**(tenant.settings.get("saraban") or {}), **changes}
    if isinstance(url, str):
        saraban["ecms_url"] = url.strip()
    if isinstance(code, str):
        saraban["letter_code"] = " ".join(code.split())
    merged = {**tenant.settings, "saraban": saraban}
    settled = settings_of(merged)  # raises InvalidLetter for a value of the wrong type
    async with in_transaction():
        await Tenant.filter(id=tenant.id).update(settings=merged)
        tenant.settings = merged
        try:
            await agencies.ensure_for_tenant(tenant)
        except agencies.AgencyInvalid as refused:
            raise InvalidLetter(refused.message, th=refused.message_th, field="letter_code") from None
    return settled
