"""Reports on recurring fees: collected against billed per period and rate class, and arrears.

Also the console's read-only views of fees: billing runs, and a payment with the bills it paid.

A city has 50,000 accounts, so every figure is an aggregate query (``SUM``/``COUNT`` grouped
in the database), never a loop over bills; every query is scoped by ``tenant_id``. Only
account bills count here (one-off fees on submissions have no period or rate class), and
cancelled bills are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.expressions import F
from tortoise.functions import Count, Min, Sum

from engine.services import payments
from engine.services.errors import NotFound
from engine.store.models import Bill, BillingRun, FeeAccount, Payment, PaymentAllocation, Tenant

CENT = Decimal("0.01")
OWING = ("unpaid", "partial")
REPORT_PERIODS = 12  # the report's reach: a year of monthly bills
ARREARS_SHOWN = 100  # the accounts owing most; the totals still count every account


def _money(value: Any) -> Decimal:
    """An aggregate's value in baht (SQLite may hand back a float, an empty group None)."""
    return Decimal(str(value or 0)).quantize(CENT)


@dataclass(frozen=True, kw_only=True)
class PeriodTotal:
    """One period: how many bills, how many paid, what was billed and what came in for them."""

    period: str
    bills: int
    paid_bills: int
    billed: Decimal
    collected: Decimal

    @property
    def rate(self) -> float | None:
        """Collected as a share (0..1) of billed; None when nothing was billed."""
        return float(self.collected / self.billed) if self.billed else None


@dataclass(frozen=True, kw_only=True)
class ClassPeriod(PeriodTotal):
    """One period and rate class of one fee service."""

    service_id: str
    rate_class: str


@dataclass(frozen=True)
class CollectionReport:
    """Rows per (period, service, rate class), newest period first, and a total per period."""

    rows: list[ClassPeriod]
    periods: list[PeriodTotal]

    @property
    def billed(self) -> Decimal:
        return sum((p.billed for p in self.periods), Decimal("0.00"))

    @property
    def collected(self) -> Decimal:
        return sum((p.collected for p in self.periods), Decimal("0.00"))


async def latest_periods(tenant: Tenant, count: int) -> list[str]:
    """The last ``count`` periods the tenant billed accounts for, newest first."""
    periods = (
        await Bill.filter(tenant=tenant, account_id__isnull=False)
        .exclude(period="")
        .distinct()
        .order_by("-period")
        .limit(count)
        .values_list("period", flat=True)
    )
    return [str(p) for p in periods]


async def collected_vs_billed(tenant: Tenant, periods: int = 12) -> CollectionReport:
    """Billed (the bills' amounts) and collected (the payments allocated to those bills) of the last ``periods`` periods.

    Grouped by period, fee service and rate class; an overpayment left on a bill counts as
    collected until an officer refunds it.
    """
    chosen = await latest_periods(tenant, periods)
    if not chosen:
        return CollectionReport([], [])
    key = ("period", "account__service_id", "account__rate_class")
    bills = Bill.filter(tenant=tenant, period__in=chosen, account_id__isnull=False).exclude(
        status="cancelled"
    )
    billed = (
        await bills.annotate(billed=Sum("amount"), bills=Count("id"))
        .group_by(*key)
        .values(*key, "billed", "bills")
    )
    paid = (
        await Bill.filter(tenant=tenant, period__in=chosen, account_id__isnull=False, status="paid")
        .annotate(paid=Count("id"))
        .group_by(*key)
        .values(*key, "paid")
    )
    allocation_key = tuple(f"bill__{k}" for k in key)
    collected = (
        await PaymentAllocation.filter(tenant=tenant, bill__period__in=chosen, bill__account_id__isnull=False)
        .exclude(bill__status="cancelled")
        .annotate(collected=Sum("amount"))
        .group_by(*allocation_key)
        .values(*allocation_key, "collected")
    )
    paid_of = {tuple(r[k] for k in key): int(r["paid"]) for r in paid}
    collected_of = {tuple(r[k] for k in allocation_key): _money(r["collected"]) for r in collected}
    rows = [
        ClassPeriod(
            period=r["period"],
            service_id=r["account__service_id"],
            rate_class=r["account__rate_class"],
            bills=int(r["bills"]),
            paid_bills=paid_of.get(tuple(r[k] for k in key), 0),
            billed=_money(r["billed"]),
            collected=collected_of.get(tuple(r[k] for k in key), Decimal("0.00")),
        )
        for r in billed
    ]
    rows.sort(key=lambda r: (r.period, r.service_id, r.rate_class))
    rows.sort(key=lambda r: r.period, reverse=True)
    totals = []
    for period in chosen:
        of_period = [r for r in rows if r.period == period]
        totals.append(
            PeriodTotal(
                period=period,
                bills=sum(r.bills for r in of_period),
                paid_bills=sum(r.paid_bills for r in of_period),
                billed=sum((r.billed for r in of_period), Decimal("0.00")),
                collected=sum((r.collected for r in of_period), Decimal("0.00")),
            )
        )
    return CollectionReport(rows, totals)


@dataclass(frozen=True)
class ArrearsRow:
    """An account that owes: how much, on how many bills, since which period."""

    account_id: int
    number: str
    holder: str
    service_id: str
    rate_class: str
    bills: int
    outstanding: Decimal
    oldest_period: str


@dataclass(frozen=True)
class Arrears:
    """The accounts owing most (``rows``) and the totals over every account in arrears."""

    rows: list[ArrearsRow]
    accounts: int
    bills: int
    outstanding: Decimal


async def arrears(tenant: Tenant, limit: int = 100) -> Arrears:
    """Accounts with unpaid or partly paid bills, the largest total outstanding first (ties by number)."""
    owing = Bill.filter(tenant=tenant, status__in=OWING, account_id__isnull=False)
    top = (
        await owing.annotate(
            owed=Sum(F("amount") - F("paid_amount")), bills=Count("id"), oldest=Min("period")
        )
        .group_by("account_id")
        .order_by("-owed", "account_id")
        .limit(limit)
        .values("account_id", "owed", "bills", "oldest")
    )
    totals = (
        await Bill.filter(tenant=tenant, status__in=OWING, account_id__isnull=False)
        .annotate(
            owed=Sum(F("amount") - F("paid_amount")),
            bills=Count("id"),
            accounts=Count("account_id", distinct=True),
        )
        .values("owed", "bills", "accounts")
    )
    accounts = {
        a["id"]: a
        for a in await FeeAccount.filter(tenant=tenant, id__in=[r["account_id"] for r in top]).values(
            "id", "number", "holder", "service_id", "rate_class"
        )
    }
    rows = [
        ArrearsRow(
            account_id=r["account_id"],
            number=accounts[r["account_id"]]["number"],
            holder=accounts[r["account_id"]]["holder"],
            service_id=accounts[r["account_id"]]["service_id"],
            rate_class=accounts[r["account_id"]]["rate_class"],
            bills=int(r["bills"]),
            outstanding=_money(r["owed"]),
            oldest_period=r["oldest"],
        )
        for r in top
        if r["account_id"] in accounts
    ]
    total = totals[0] if totals else {}
    return Arrears(
        rows, int(total.get("accounts") or 0), int(total.get("bills") or 0), _money(total.get("owed"))
    )


@dataclass(frozen=True)
class BillingReport:
    """The console's fee report: collected against billed, and the arrears."""

    collection: CollectionReport
    arrears: Arrears


async def billing_report(tenant: Tenant) -> BillingReport:
    """The last :data:`REPORT_PERIODS` periods' collection and the :data:`ARREARS_SHOWN` largest arrears."""
    return BillingReport(
        await collected_vs_billed(tenant, REPORT_PERIODS), await arrears(tenant, ARREARS_SHOWN)
    )


# ---------------------------------------------------------------------------------------------
# What the console lists


class BillingRunNotFound(NotFound):
    code = "billing_run_not_found"


async def billing_runs(tenant: Tenant, limit: int = 36, *, before: str | None = None) -> list[BillingRun]:
    """The tenant's billing runs, latest period first; with ``before``, only the periods earlier than it."""
    runs = BillingRun.filter(tenant=tenant)
    if before is not None:
        runs = runs.filter(period__lt=before)
    return await runs.order_by("-period").limit(limit)


async def billing_run(tenant: Tenant, period: str) -> BillingRun:
    """The tenant's run of ``period``; raises :class:`BillingRunNotFound` (also for another tenant's)."""
    found = await BillingRun.get_or_none(tenant=tenant, period=period)
    if found is None:
        raise BillingRunNotFound(f"no billing run for {period!r}")
    return found


@dataclass(frozen=True)
class Allocation:
    """A share of a payment that went to one bill."""

    bill: Bill
    amount: Decimal


@dataclass(frozen=True)
class PaymentDetail:
    """A payment with the account it was matched to and the bills it paid."""

    payment: Payment
    account: FeeAccount | None
    allocations: list[Allocation]

    @property
    def allocated(self) -> Decimal:
        return sum((a.amount for a in self.allocations), Decimal("0.00"))


async def payment_detail(tenant: Tenant, payment_id: int) -> PaymentDetail:
    """One payment of ``tenant`` and where its money went; raises :class:`PaymentNotFound` for any other."""
    payment = await payments.get_payment(tenant, payment_id)
    account_id = payment.account_id
    account = await FeeAccount.get_or_none(tenant=tenant, id=account_id) if account_id else None
    allocations = (
        await PaymentAllocation.filter(tenant=tenant, payment=payment).order_by("id").prefetch_related("bill")
    )
    return PaymentDetail(payment, account, [Allocation(a.bill, _money(a.amount)) for a in allocations])
