"""The demo municipality: เทศบาลเมืองแม่เหียะ with every catalog service and an officer per role."""

from __future__ import annotations

from dataclasses import dataclass

from engine.definitions import Catalog
from engine.services import accounts, tenants
from engine.store.models import User

DEMO_PASSWORD = "thongthin-demo"
DEMO_TENANT = {
    "slug": "maehia",
    "name_th": "เทศบาลเมืองแม่เหียะ",
    "name_en": "Mae Hia Town Municipality",
    "kind": "municipality",
    "province": "เชียงใหม่",
    "reference_prefix": "MH",
    "address_th": "เลขที่ 222 หมู่ 3 ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่ 50100",
}
# Roles the platform or the citizen take; nobody logs in with them.
NOT_FOR_OFFICERS = {"applicant", "system"}


# Demo officers get people's names: their names go under the signatures of issued documents.
DEMO_NAMES = (
    "นางสาวกมลวรรณ ศรีวงศ์", "นายธนากร ใจดี", "นางพรทิพย์ คำแสน", "นายวีระพงษ์ อินทร์แก้ว",
    "นางสาวสุภาพร ทองดี", "นายสมศักดิ์ บุญมา", "นางอรุณี แสนคำ", "นายประเสริฐ ศรีสุข",
    "นางสาวจิราพร กันทะ", "นายณัฐพล วงศ์ใหญ่", "นางสุดารัตน์ ปัญญา", "นายชัยวัฒน์ มณีวรรณ",
    "นางสาวปวีณา ยะอินทร์", "นายอนุชา คำปัน", "นางศิริพร ดวงดี", "นายเกียรติศักดิ์ ชัยมงคล",
    "นางสาวรัตนา ใจมา", "นายสุรเชษฐ์ พรหมมา",
)  # fmt: skip


@dataclass(frozen=True)
class DemoAccount:
    username: str
    roles: tuple[str, ...]
    title_th: str
    name_th: str


def demo_accounts(catalog: Catalog, slug: str = "maehia") -> list[DemoAccount]:
    """One officer per role of the catalog, named ``<tenant>.<role>``."""
    roles = [
        (r, spec)
        for r, spec in sorted(catalog.roles.items())
        if r not in NOT_FOR_OFFICERS and not spec.system
    ]
    return [
        DemoAccount(f"{slug}.{role}", (role,), spec.title.th, DEMO_NAMES[i % len(DEMO_NAMES)])
        for i, (role, spec) in enumerate(roles)
    ]


async def seed(catalog: Catalog, tenant_fields: dict[str, str] | None = None) -> list[DemoAccount]:
    """Create (idempotently) the demo municipality, enable every service and create its officers."""
    fields = dict(tenant_fields or DEMO_TENANT)
    slug = fields.pop("slug")
    tenant = await tenants.ensure_tenant(slug, **fields)
    for definition in catalog:
        await tenants.enable_service(tenant, definition)
    accounts_made = demo_accounts(catalog, slug)
    for account in accounts_made:
        if not await User.exists(username=account.username):
            await accounts.create_user(
                tenant,
                account.username,
                DEMO_PASSWORD,
                account.name_th,
                account.roles,
                position_th=account.title_th,
            )
    return accounts_made
