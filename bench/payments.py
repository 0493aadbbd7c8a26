"""Payments recorded and matched one by one (as notifications arrive), against raw inserts of the same rows.

The platform side is :func:`engine.services.payments.record_payment` for one payment of
each billed account, in its own transaction as a bank's notification would be: look the
transaction ID up, insert the payment, find the bill by ref1/ref2, lock it, allocate, mark
it paid and queue its e-receipt. The baseline inserts the same payment rows (another
transaction ID each, so they do not conflict) into the same ``payment`` table with one bare
INSERT per transaction, and nothing else. The ratio shows what matching costs next to
recording alone. Accounts and bills are created first (not measured) by the billing
benchmark's seed and a billing run. On PostgreSQL a throw-away database is made and dropped.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.billing import PERIOD, seed
from bench.submit import database
from bench.timing import result

PAYMENT_COLUMNS = ("tenant_id", "transaction_id", "source", "ref1", "ref2", "amount", "paid_at", "payer",
                   "status", "problem", "received", "note", "created_at")  # fmt: skip


async def bills_to_pay(tenant: Any) -> list[tuple[str, str, Decimal]]:
    from engine.store.models import Bill

    rows = (
        await Bill.filter(tenant=tenant, period=PERIOD).order_by("id").values_list("ref1", "ref2", "amount")
    )
    return [(ref1, ref2, Decimal(str(amount))) for ref1, ref2, amount in rows]


async def record_all(tenant: Any, bills: list[tuple[str, str, Decimal]]) -> float:
    from engine.services.payments import Reported, record_payment

    paid_at = datetime.now(UTC)
    start = time.perf_counter()
    for n, (ref1, ref2, amount) in enumerate(bills):
        await record_payment(
            tenant,
            Reported(transaction_id=f"BENCH{n:08d}", ref1=ref1, ref2=ref2, amount=amount, paid_at=paid_at),
        )
    return time.perf_counter() - start


async def raw_inserts(tenant: Any, bills: list[tuple[str, str, Decimal]]) -> float:
    from tortoise.transactions import in_transaction

    paid_at = datetime.now(UTC)
    start = time.perf_counter()
    for n, (ref1, ref2, amount) in enumerate(bills):
        async with in_transaction() as connection:
            postgres = connection.capabilities.dialect == "postgres"
            marks = ", ".join(f"${i + 1}" if postgres else "?" for i in range(len(PAYMENT_COLUMNS)))
            values: list[Any] = [tenant.id, f"RAW{n:08d}", "notify", ref1, ref2, amount, paid_at, "",
                                 "applied", "", "{}", "", paid_at]  # fmt: skip
            if not postgres:  # aiosqlite: decimals as text and times in ISO form, as the ORM writes them
                values[5], values[6], values[12] = str(amount), paid_at.isoformat(), paid_at.isoformat()
            await connection.execute_query(
                f"INSERT INTO payment ({', '.join(PAYMENT_COLUMNS)}) VALUES ({marks})", values
            )
    return time.perf_counter() - start


def run(
    seconds: float = 0.0,
    echo: Callable[[str], None] = print,
    backend: str = "sqlite",
    accounts: int = 5_000,
) -> dict[str, Any]:
    """Pay ``accounts`` bills one notification at a time, time it next to raw inserts, return the result line.

    ``seconds`` is unused (both sides go once over all bills). Raises
    :class:`bench.submit.BenchError` when PostgreSQL does not answer, :class:`RuntimeError`
    when a bill was not paid exactly once, and :class:`ValueError` for an unknown ``backend``.
    """
    from engine.definitions import load_catalog
    from engine.services.billing_runs import run_billing
    from engine.store.models import Bill, EffectJob
    from engine.store.runtime import OrmRuntime

    if backend not in ("sqlite", "postgres"):
        raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
    began = time.perf_counter()
    catalog = load_catalog()
    with tempfile.TemporaryDirectory(prefix="thongthin-bench-") as tmp, database(backend, Path(tmp)) as url:
        runtime = OrmRuntime(url)
        try:
            runtime.upgrade()
            tenant = runtime.run(seed(catalog, accounts))
            runtime.run(run_billing(tenant, PERIOD, catalog=catalog))
            bills = runtime.run(bills_to_pay(tenant))
            echo(f"{backend}: {len(bills):,} bills to pay, one notification each")
            platform_seconds = runtime.run(record_all(tenant, bills))
            paid = runtime.run(Bill.filter(tenant=tenant, period=PERIOD, status="paid").count())
            receipts = runtime.run(EffectJob.filter(tenant=tenant, type="issue_receipt").count())
            if paid != len(bills) or receipts != len(bills):
                raise RuntimeError(
                    f"expected {len(bills)} bills paid with a receipt each: {paid} paid, {receipts}"
                )
            baseline_seconds = runtime.run(raw_inserts(tenant, bills))
        finally:
            runtime.close()
    total = time.perf_counter() - began
    value, baseline = len(bills) / platform_seconds, len(bills) / baseline_seconds
    echo(f"record + match + settle + queue receipt: {platform_seconds:.2f}s, {value:,.0f} payments/s")
    echo(
        f"raw INSERT of the same rows, one per transaction: {baseline_seconds:.2f}s, {baseline:,.0f} payments/s"
    )
    echo(f"ratio {value / baseline:.3f}; whole benchmark {total:.1f}s")
    return result(
        "payments",
        value,
        baseline,
        "payments/s",
        accounts=len(bills),
        backend=backend,
        seconds=round(platform_seconds, 2),
        baseline_seconds=round(baseline_seconds, 2),
        total_seconds=round(total, 1),
    )
