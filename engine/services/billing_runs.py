"""Billing runs: one bill per active fee account and period, with its Thai QR payload.

The bill table is unique per (tenant, account, period) and every batch is inserted with
``ON CONFLICT DO NOTHING``, so a run repeated, interrupted and restarted, or racing another run
of the same period never bills an account twice. Amounts come from
:func:`engine.payments.fees.compute_fees` with the municipality's current local rates, computed
once per distinct set of inputs: a city has 50,000 accounts but a handful of rate classes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine.definitions import Catalog
from engine.definitions.model import ServiceSpec
from engine.payments import promptpay
from engine.payments.fees import FeeError, compute_fees
from engine.payments.promptpay import bill_payment, tlv
from engine.services import idempotency
from engine.services.billing import (
    InvalidPeriod,
    biller_id,
    current_period,
    inputs_document,
    parse_period,
    period_title,
    reference_code,
)
from engine.store.models import (
    Bill,
    BillingRun,
    EffectJob,
    EnabledService,
    FeeAccount,
    Submission,
    Tenant,
    WebhookSubscription,
)

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]

# ---------------------------------------------------------------------------------------------
# Billing runs

BILL_COLUMNS = (
    "tenant_id",
    "account_id",
    "period",
    "fee_ids",
    "amount",
    "ref1",
    "ref2",
    "qr_payload",
    "status",
    "paid_amount",
    "created_at",
)
ACCOUNT_COLUMNS = (
    "id",
    "number",
    "service_id",
    "service_version",
    "fee_id",
    "fee_period",
    "parameters",
    "first_period",
)


def insert_sql(postgres: bool, rows: int, *, ignore_conflicts: bool) -> str:
    """One multi-row INSERT of ``rows`` bills (the same statement on both databases, bar placeholders)."""
    width = len(BILL_COLUMNS)
    if postgres:
        groups = ("(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(rows))
    else:
        groups = ("(" + ", ".join("?" * width) + ")" for _ in range(rows))
    sql = f"INSERT INTO bill ({', '.join(BILL_COLUMNS)}) VALUES {', '.join(groups)}"
    if ignore_conflicts:
        sql += " ON CONFLICT (tenant_id, account_id, period) DO NOTHING"
    return sql


def bill_values(postgres: bool, rows: list[tuple[Any, ...]]) -> list[Any]:
    """The flat parameter list of :func:`insert_sql`, typed as each driver stores the ORM's fields.

    aiosqlite gets decimals as text and times in ISO form (what Tortoise writes there);
    asyncpg takes ``Decimal`` and aware ``datetime`` as they are.
    """
    flat: list[Any] = []
    if postgres:
        for row in rows:
            flat.extend(row)
        return flat
    for row in rows:  # amount (4), paid_amount (9) and created_at (10), as BILL_COLUMNS orders them
        flat.extend(row[:4])
        flat.append(str(row[4]))
        flat.extend(row[5:9])
        flat.append(str(row[9]))
        flat.append(row[10].isoformat())
    return flat


# SQLite allows 32,766 parameters per statement, PostgreSQL 32,767: chunk multi-row INSERTs below that.
MAX_PARAMETERS = 32_000


async def insert_bills(
    connection: Any, rows: list[tuple[Any, ...]], *, ignore_conflicts: bool = True
) -> None:
    """Insert bill rows (in :data:`BILL_COLUMNS` order) with multi-row INSERTs on ``connection``."""
    postgres = connection.capabilities.dialect == "postgres"
    per_statement = MAX_PARAMETERS // len(BILL_COLUMNS)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        sql = insert_sql(postgres, len(chunk), ignore_conflicts=ignore_conflicts)
        await connection.execute_query(sql, bill_values(postgres, chunk))


class BillPayloads:
    """Bill-payment payloads of one biller, period and amount, for many accounts (ref1) at once.

    Builds exactly what :func:`engine.payments.promptpay.bill_payment` builds, but computes
    the CRC of the part before reference 1 once per template: a run makes a payload per
    bill, and this halves its cost. The first payload of each template is checked against
    ``bill_payment`` itself, so the two cannot drift apart unnoticed.
    """

    def __init__(self, biller: str, ref2: str, amount: Decimal):
        self.biller, self.ref2, self.amount = biller, ref2, amount
        self.checked = False
        # Everything but reference 1 and the CRC, from a real payload (validates biller, ref2 and amount).
        sample = bill_payment(biller_id=biller, ref1="0", ref2=ref2, amount=amount)
        fields = promptpay.parse(sample)
        info = fields["30"]
        assert isinstance(info, dict)
        self.head = "000201010212"
        self.info_head = tlv("00", info["00"]) + tlv("01", info["01"])
        self.info_tail = tlv("03", ref2)
        self.tail = sample[sample.index("5303") : -8]  # up to "6304" and the CRC
        self.head_crc: dict[int, tuple[str, int]] = {}

    def payload(self, ref1: str) -> str:
        """Raises :class:`~engine.payments.promptpay.InvalidReference` for a malformed ``ref1``."""
        if not self.checked:
            self.checked = True
            expected = bill_payment(biller_id=self.biller, ref1=ref1, ref2=self.ref2, amount=self.amount)
            if self.payload(ref1) != expected:
                raise AssertionError(f"bill payload template differs from bill_payment: {expected}")
        size = len(ref1)
        if size not in self.head_crc:
            if not 1 <= size <= 20:
                raise promptpay.InvalidReference(f"reference 1 must be 1-20 characters, not {ref1!r}")
            info_size = len(self.info_head) + 4 + size + len(self.info_tail)
            head = f"{self.head}30{info_size:02d}{self.info_head}02{size:02d}"
            self.head_crc[size] = (head, _crc_continue(0xFFFF, head))
        head, state = self.head_crc[size]
        rest = ref1 + self.info_tail + self.tail + "6304"
        return f"{head}{rest}{_crc_continue(state, rest):04X}"


def _crc_continue(state: int, text: str) -> int:
    """CRC-16/CCITT-FALSE continued from ``state`` over ``text`` (ASCII)."""
    table = _CRC_TABLE
    for byte in text.encode("ascii"):
        state = ((state << 8) & 0xFFFF) ^ table[(state >> 8) ^ byte]
    return state


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def _due(account: dict[str, Any], period: str, month: int) -> bool:
    """Whether the account is billed in ``period``: monthly from its first period, yearly on its anniversary."""
    if account["first_period"] and account["first_period"] > period:
        return False
    if account["fee_period"] == "yearly":
        return not account["first_period"] or int(account["first_period"][-2:]) == month
    return account["fee_period"] == "monthly"


@dataclass
class _Amounts:
    """Each account's amount, computed once per (service, fee, inputs)."""

    tenant_id: int
    catalog: Catalog
    cache: dict[tuple[str, str, str, Any], Decimal | None]
    rates: dict[str, dict[str, Any]]

    def amount(self, account: dict[str, Any]) -> Decimal | None:
        parameters = account["parameters"]
        if isinstance(parameters, str):  # SQLite hands JSON columns back as text through values()
            parameters = json.loads(parameters)
        inputs = parameters.get("inputs", {})
        try:  # inputs are scalars as a rule: a tuple key is much cheaper than JSON text
            frozen: Any = tuple(sorted(inputs.items()))
            hash(frozen)
        except TypeError:
            frozen = json.dumps(parameters, sort_keys=True)
        # The account keeps the version it was opened under: its fee rules bill it to the end.
        key = (account["service_id"], account["service_version"], account["fee_id"], frozen)
        if key not in self.cache:
            self.cache[key] = self._compute(
                account["service_id"], account["service_version"], account["fee_id"], parameters
            )
        return self.cache[key]

    def _compute(
        self, service_id: str, version: str, fee_id: str, parameters: dict[str, Any]
    ) -> Decimal | None:
        try:
            service: ServiceSpec = self.catalog.get(service_id, version).service
            lines = compute_fees(
                service,
                inputs_document(parameters.get("inputs", {})),
                local_rates=self.rates.get(service_id, {}),
                only=[fee_id],
            )
        except (FeeError, KeyError, LookupError) as error:
            log.warning("no amount for %s/%s %s: %s", service_id, fee_id, parameters, error)
            return None
        amount = sum((line.amount for line in lines), Decimal("0.00"))
        return amount if amount > 0 else None


async def run_billing(
    tenant: Tenant,
    period: str,
    *,
    progress: Progress | None = None,
    batch: int = 2000,
    catalog: Catalog | None = None,
) -> BillingRun:
    """Create ``period``'s bills for every active account of ``tenant``; returns the run's record.

    Idempotent: accounts already billed for the period are skipped, and the insert ignores a
    bill that a concurrent run created meanwhile. Each batch commits on its own, so an
    interrupted run keeps its finished batches and a restart completes the rest.
    ``progress(done, total)`` is called after each batch (an exception it raises stops the
    run). Accounts whose amount cannot be computed or is zero are counted as skipped.
    Raises :class:`InvalidPeriod`.
    """

    year, month = parse_period(period)
    ref2 = f"{year:04d}{month:02d}"
    started = datetime.now(UTC)
    run, first = await _start_run(tenant, period, started)
    try:
        run = await _bill_accounts(tenant, period, run, month, ref2, progress, batch, catalog, first)
    except BaseException as error:  # interrupted: say so in the console, keep what was billed
        await BillingRun.filter(id=run.id).update(
            status="interrupted", error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    from engine.services.payments import rematch_held

    await rematch_held(tenant)  # payments that arrived before their bills
    return run


async def _start_run(tenant: Tenant, period: str, started: datetime) -> tuple[BillingRun, bool]:
    """The period's run record, (re)started, and whether it never completed before (its completion
    is then the period's first, which announces the previous period's overdue bills); a run of the
    same period started concurrently shares it."""
    try:
        run, _ = await BillingRun.get_or_create(
            tenant=tenant, period=period, defaults={"started_at": started}
        )
    except IntegrityError:
        run = await BillingRun.get(tenant=tenant, period=period)
    first = run.status != "completed"
    run.status, run.started_at, run.finished_at, run.error, run.done = "running", started, None, "", 0
    await run.save(update_fields=["status", "started_at", "finished_at", "error", "done"])
    return run, first


async def _bill_accounts(
    tenant: Tenant,
    period: str,
    run: BillingRun,
    month: int,
    ref2: str,
    progress: Progress | None,
    batch: int,
    catalog: Catalog | None,
    first: bool,
) -> BillingRun:
    from engine.definitions import load_catalog

    enabled = await EnabledService.filter(tenant=tenant)
    amounts = _Amounts(
        tenant.id,
        catalog if catalog is not None else load_catalog(),
        {},
        {e.service_id: dict(e.parameters.get("fees", {})) for e in enabled},
    )
    biller = biller_id(tenant)
    accounts_query = FeeAccount.filter(tenant=tenant, active=True)
    total = await accounts_query.count()
    await BillingRun.filter(id=run.id).update(of=total)
    before = await Bill.filter(tenant=tenant, period=period, account_id__isnull=False).count()
    done = skipped = due = 0
    payloads: dict[Decimal, BillPayloads] = {}
    last_id = 0
    while True:
        accounts = (
            await FeeAccount.filter(tenant=tenant, active=True, id__gt=last_id)
            .order_by("id")
            .limit(batch)
            .values(*ACCOUNT_COLUMNS)
        )
        if not accounts:
            break
        last_id = accounts[-1]["id"]
        billable = [a for a in accounts if _due(a, period, month)]
        due += len(billable)
        # The batch's id range, not an IN list of 2,000 ids: PostgreSQL plans a range on the
        # (tenant, account, period) index, a long IN list it may check row by row.
        billed = set(
            await Bill.filter(
                tenant=tenant,
                account_id__gte=accounts[0]["id"],
                account_id__lte=last_id,
                period=period,
            ).values_list("account_id", flat=True)
        )
        now = datetime.now(UTC)
        rows = []
        for account in billable:
            if account["id"] in billed:
                continue
            amount = amounts.amount(account)
            if amount is None:
                skipped += 1
                continue
            ref1 = reference_code(account["number"])
            if amount not in payloads:
                payloads[amount] = BillPayloads(biller, ref2, amount)
            payload = payloads[amount].payload(ref1)
            rows.append(
                (
                    tenant.id,
                    account["id"],
                    period,
                    account["fee_id"],
                    amount,
                    ref1,
                    ref2,
                    payload,
                    "unpaid",
                    Decimal("0.00"),
                    now,
                )
            )
        done += len(accounts)
        async with in_transaction() as connection:  # the batch and its progress in one commit
            if rows:
                await insert_bills(connection, rows)
            await BillingRun.filter(id=run.id).using_db(connection).update(done=done)
        if progress is not None:
            progress(done, total)
    after = await Bill.filter(tenant=tenant, period=period, account_id__isnull=False).count()
    run.accounts, run.created, run.existing = due, after - before, before
    run.skipped = skipped
    billed_total = await Bill.filter(tenant=tenant, period=period, account_id__isnull=False).values_list(
        "amount", flat=True
    )
    run.total = sum((Decimal(str(v)) for v in billed_total), Decimal("0.00"))
    run.finished_at, run.done, run.of = datetime.now(UTC), done, total
    async with in_transaction() as connection:  # completed and announced in one commit
        # The "completed" transition, taken once: a run that completed before (a repeat) or that
        # a concurrent run of the period completed meanwhile finds the status already set.
        turned = await (
            BillingRun.filter(id=run.id)
            .exclude(status="completed")
            .using_db(connection)
            .update(status="completed")
        )
        run.status = "completed"
        await run.save(using_db=connection)
        if first and turned:
            await announce_overdue(connection, tenant, previous_period(period))
    return run


OVERDUE_CHUNK = 500  # bills read and announced at a time: a city may have 10,000 unpaid
OVERDUE_STATUSES = ("unpaid", "partial")


async def announce_overdue(
    connection: Any, tenant: Tenant, period: str, *, chunk: int = OVERDUE_CHUNK
) -> int:
    """Queue one ``bill.overdue`` webhook event per recurring bill of ``period`` still unpaid or
    partly paid, in ``connection``'s transaction; returns how many events were queued.

    Called when the next period's run first completes: that is the moment a bill becomes overdue
    (bills carry no due date). The bills are read in chunks of ``chunk`` by id, never all at once;
    a municipality that subscribed to no ``bill.overdue`` costs one query. The payload carries
    references and amounts, never the payer's personal data. Raises nothing of its own.
    """
    from engine.services import webhooks

    subscriptions = await WebhookSubscription.filter(tenant_id=tenant.id, active=True).using_db(connection)
    if not any(webhooks.OVERDUE in s.events for s in subscriptions):
        return 0
    queued = 0
    last_id = 0
    while True:
        bills = (
            await Bill.filter(
                tenant_id=tenant.id,
                period=period,
                account_id__isnull=False,
                status__in=OVERDUE_STATUSES,
                id__gt=last_id,
            )
            .using_db(connection)
            .order_by("id")
            .limit(chunk)
            .values(
                "id",
                "period",
                "amount",
                "paid_amount",
                "ref1",
                "ref2",
                "account__number",
                "account__service_id",
            )
        )
        if not bills:
            return queued
        last_id = bills[-1]["id"]
        for bill in bills:
            queued += await webhooks.announce(
                tenant,
                webhooks.OVERDUE,
                bill["account__service_id"],
                webhooks.overdue_data(bill),
                connection=connection,
            )


def previous_period(period: str) -> str:
    """``2570-01`` -> ``2569-12``; raises :class:`InvalidPeriod`."""
    year, month = parse_period(period)
    return f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"


def next_period(period: str) -> str:
    """``2569-12`` -> ``2570-01``; raises :class:`InvalidPeriod`."""
    year, month = parse_period(period)
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def offered_periods() -> list[str]:
    """The periods the billing button offers: this month and the next."""
    current = current_period()
    return [current, next_period(current)]


def check_runnable(period: str) -> None:
    """Raises :class:`InvalidPeriod` unless ``period`` is one a billing run may be started for.

    Any period up to next month: an older one may be run again (an interrupted run), a later one
    would bill accounts for months that have not come.
    """
    parse_period(period)
    if period > offered_periods()[-1]:
        raise InvalidPeriod(period)


def run_figures(run: BillingRun) -> dict[str, Any]:
    """A run as the console's run page shows it: state, progress and counts (money as a decimal string)."""
    return {
        "period": run.period,
        "title": {"th": period_title(run.period, "th"), "en": period_title(run.period, "en")},
        "status": run.status,
        "working": run.status in ("queued", "running"),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "done": run.done,
        "of": run.of,
        "accounts": run.accounts,
        "created": run.created,
        "existing": run.existing,
        "skipped": run.skipped,
        "total": str(Decimal(str(run.total or 0)).quantize(Decimal("0.01"))),
        "error": run.error or None,
    }


async def _queue(connection: Any, tenant: Tenant, period: str) -> BillingRun:
    """Queue ``period``'s run in ``connection``'s transaction (one queued job per period)."""
    waiting = (
        await EffectJob.filter(tenant=tenant, type="billing_run", status__in=["pending", "running"])
        .using_db(connection)
        .all()
    )
    now = datetime.now(UTC)
    run, _ = await BillingRun.get_or_create(
        tenant=tenant,
        period=period,
        defaults={"started_at": now, "status": "queued"},
        using_db=connection,
    )
    if any(job.params.get("period") == period for job in waiting):
        return run
    if run.status != "running":
        run.status, run.error = "queued", ""
        await run.save(using_db=connection, update_fields=["status", "error"])
    await EffectJob.create(
        tenant=tenant, type="billing_run", params={"period": period}, run_after=now, using_db=connection
    )
    return run


async def queue_billing_run(tenant: Tenant, period: str) -> BillingRun:
    """Ask the worker to run ``period``'s billing; one queued run per period.

    Raises :class:`InvalidPeriod` (not a period); see :func:`start_billing_run` for the button's check.
    """
    parse_period(period)
    async with in_transaction() as connection:
        return await _queue(connection, tenant, period)


async def start_billing_run(
    tenant: Tenant, period: str, *, keyed: idempotency.Keyed | None = None
) -> idempotency.Answer:
    """The console's billing button: queue ``period``'s run; the answer is 202 with :func:`run_figures`.

    With ``keyed`` (an ``Idempotency-Key``), the first answer is stored in the same transaction
    and given again to a repeat. Raises :class:`InvalidPeriod` (not a period, or later than next
    month) and :class:`idempotency.KeyReused`.
    """
    if keyed is not None and (first := await idempotency.earlier(tenant.id, keyed)) is not None:
        return first
    check_runnable(period)
    try:
        async with in_transaction() as connection:
            body = run_figures(await _queue(connection, tenant, period))
            if keyed is not None:
                await idempotency.remember(connection, tenant.id, keyed, 202, body)
    except IntegrityError:
        # A copy sent at once stored its answer first: give that one.
        if keyed is not None and (first := await idempotency.earlier(tenant.id, keyed)) is not None:
            return first
        raise
    return idempotency.Answer(202, body)


@dataclass
class BillingRunner:
    """The ``billing_run`` runner: the console's billing button, carried out by the worker."""

    catalog: Catalog | None = None

    async def __call__(self, job: EffectJob, submission: Submission | None) -> None:
        tenant = await Tenant.get(id=job.tenant_id)
        await run_billing(tenant, job.params["period"], catalog=self.catalog)
