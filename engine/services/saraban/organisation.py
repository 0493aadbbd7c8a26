"""A tenant's organisation for correspondence: units, their members, and who an officer is here."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from engine.saraban.errors import InvalidLetter, NotAllowed, UnitNotFound
from engine.services import accounts
from engine.store.models import OrgUnit, RoleGrant, Tenant, UnitMember, User
from engine.store.queries import flat

# The roles of the correspondence area (schemas/catalog/roles.json names them).
CLERK = "saraban_clerk"  # สารบรรณกลาง: registers, numbers, routes, keeps the books
ADMIN = "admin"
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
