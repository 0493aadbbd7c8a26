"""The demo municipality: เทศบาลเมืองแม่เหียะ with every catalog service and an officer per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from engine.definitions import Catalog
from engine.services import accounts, billing, billing_runs, payments, tenants
from engine.services.roles import NOT_FOR_OFFICERS
from engine.store.models import Bill, FeeAccount, Tenant, User
from thongthin import demo_exchange

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
    if "map_centre" not in (tenant.settings or {}):
        # Maps open on the town (the market and the municipal office, sub-district Mae Hia).
        tenant.settings = {
            **(tenant.settings or {}),
            "map_centre": [18.7468, 98.9661],
            "phone": "053-123-456",
        }
        await Tenant.filter(id=tenant.id).update(settings=tenant.settings)
    for definition in catalog:
        await tenants.enable_service(tenant, definition)
    await seed_fees(tenant, catalog)
    accounts_made = demo_accounts(catalog, slug)
    for account in accounts_made:
        if not await User.exists(tenant=tenant, username=account.username):
            await accounts.create_user(
                tenant,
                account.username,
                DEMO_PASSWORD,
                account.name_th,
                account.roles,
                position_th=account.title_th,
            )
    await seed_operator()
    await demo_exchange.seed_town(catalog)  # the neighbour the demo's letters go to and come from
    return accounts_made


OPERATOR_USERNAME = "operator.analyst"


async def seed_operator() -> None:
    """The national operator's analyst, who authors the catalog in the studio (``/studio/``)."""
    from engine.services import operators

    tenant = await operators.operator_tenant()
    if not await User.exists(tenant=tenant, username=OPERATOR_USERNAME):
        await accounts.create_user(
            tenant,
            OPERATOR_USERNAME,
            DEMO_PASSWORD,
            "นางสาวกมลวรรณ ศรีสวัสดิ์",
            (operators.OPERATOR_ROLE,),
            position_th="นักวิเคราะห์ระบบ",
        )


# Households and shops carried over from the municipality's paper register (as a data migration
# would bring them): the fee pages, billing runs and reports have something to show at once.
DEMO_FEE_ACCOUNTS = (
    ("นางบัวคำ ใจดี", "household", "12 หมู่ 3"),
    ("นายสมบัติ แก้วมา", "household", "45/1 หมู่ 3"),
    ("นางจันทร์เพ็ญ ทองคำ", "household", "7 หมู่ 5"),
    ("ร้านข้าวซอยป้าแดง", "restaurant", "101 หมู่ 3"),
    ("ร้านชำลุงเสาร์", "shop", "88 หมู่ 4"),
    ("นายประยูร คำดี", "household", "19 หมู่ 6"),
    ("แผงผักนางศรีนวล", "market_stall", "ตลาดสดแม่เหียะ แผง 14"),
    ("นางสาวพิมพ์ชนก บุญเรือง", "household", "230/5 หมู่ 7"),
)
DEMO_AREA = "ต.แม่เหียะ อ.เมืองเชียงใหม่ จ.เชียงใหม่ 50100"


async def seed_fees(tenant: Tenant, catalog: Catalog) -> str:
    """Garbage-fee accounts, last and this month's bills, a few paid; returns the notification secret.

    Idempotent: accounts are made once; billing runs and payments are keyed so repeats change nothing.
    """
    secret = payments.tenant_secret(tenant) or await payments.rotate_secret(tenant)
    definition = catalog.get("garbage-fee")
    fee = definition.service.fee("garbage_monthly")
    if fee is None or await FeeAccount.exists(tenant=tenant, service_id=definition.id):
        return secret
    this_month = billing.current_period()
    year, month = billing.parse_period(this_month)
    last_month = f"{year - (month == 1):04d}-{12 if month == 1 else month - 1:02d}"
    for index, (holder, rate_class, address) in enumerate(DEMO_FEE_ACCOUNTS, start=1):
        await FeeAccount.create(
            tenant=tenant,
            number=f"GB-{index:06d}",
            service_id=definition.id,
            service_version=definition.version,
            fee_id=fee.id,
            fee_period=fee.period,
            rate_class=rate_class,
            parameters={"inputs": {fee.field: rate_class}},
            holder=holder,
            address=f"{address} {DEMO_AREA}",
            first_period=last_month,
        )
    await billing_runs.run_billing(tenant, last_month, catalog=catalog)
    await billing_runs.run_billing(tenant, this_month, catalog=catalog)
    # Most households paid last month's bill by QR; two have not paid yet.
    paid_bills = (
        await Bill.filter(tenant=tenant, period=last_month).order_by("id").limit(len(DEMO_FEE_ACCOUNTS) - 2)
    )
    for bill in paid_bills:
        await payments.record_payment(
            tenant,
            payments.Reported(
                transaction_id=f"DEMO-{bill.ref1}-{bill.ref2}",
                ref1=bill.ref1,
                ref2=bill.ref2,
                amount=Decimal(str(bill.amount)),
                paid_at=datetime.now(UTC),
            ),
        )
    return secret
