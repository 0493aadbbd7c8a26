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


@dataclass(frozen=True)
class DemoAccount:
    username: str
    roles: tuple[str, ...]
    title_th: str


def demo_accounts(catalog: Catalog, slug: str = "maehia") -> list[DemoAccount]:
    """One officer per role of the catalog, named ``<tenant>.<role>``."""
    return [
        DemoAccount(f"{slug}.{role}", (role,), spec.title.th)
        for role, spec in sorted(catalog.roles.items())
        if role not in NOT_FOR_OFFICERS and not spec.system
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
                tenant, account.username, DEMO_PASSWORD, account.title_th, account.roles
            )
    return accounts_made
