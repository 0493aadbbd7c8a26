"""A billing run for N fee accounts, against a raw bulk insert of the same bill rows.

The platform side is :func:`engine.services.billing_runs.run_billing` as ``thongthin billing run``
calls it: it pages through the tenant's active accounts, skips those already billed for the
period, computes each amount with ``compute_fees`` and the municipality's local rates (once
per rate class), builds each bill's Thai QR payload, and inserts the bills batch by batch
with ``ON CONFLICT DO NOTHING``, one transaction per batch, then records the run.

The baseline inserts the very rows the run created (read back, moved to another period so
they do not conflict) into the same ``bill`` table of the same database, with the same
multi-row INSERT, the same batch size and one transaction per batch, and nothing else: no
reading of accounts, no amounts, no QR payloads, no conflict handling. The ratio shows what
the run's own work costs next to the bare writes. The accounts are created directly in
bulk first (not measured), as a data migration from an older system would. On PostgreSQL
a throw-away database is created and dropped around the run.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.submit import database
from bench.timing import result

TENANT = "maehia"
PERIOD = "2569-01"
BASELINE_PERIOD = "2569-02"
BATCH = 2000
# The municipality's ordinance: the mix of rate classes a Thai town's garbage accounts have.
RATE_MIX = (("household", 85), ("shop", 8), ("restaurant", 3), ("market_stall", 2), ("office", 2))
LOCAL_RATES = {
    "garbage_monthly": {
        "rates": {"household": 30, "shop": 60, "restaurant": 200, "market_stall": 80, "office": 60}
    }
}


async def seed(catalog: Any, accounts: int) -> Any:
    """The demo municipality with garbage collection enabled and ``accounts`` active accounts."""
    from engine.services import tenants
    from engine.store.models import FeeAccount
    from thongthin.demo import DEMO_TENANT

    fields = dict(DEMO_TENANT)
    tenant = await tenants.ensure_tenant(fields.pop("slug"), **fields)
    definition = catalog.get("garbage-fee")
    await tenants.enable_service(tenant, definition, {"fees": LOCAL_RATES})
    await FeeAccount.bulk_create(garbage_accounts(tenant, definition, accounts), batch_size=BATCH)
    return tenant


def garbage_accounts(tenant: Any, definition: Any, count: int) -> list[Any]:
    """``count`` active garbage-fee accounts of ``tenant``, in the mix of rate classes of :data:`RATE_MIX`."""
    from engine.store.models import FeeAccount

    classes = [name for name, share in RATE_MIX for _ in range(share)]
    return [
        FeeAccount(
            tenant=tenant,
            number=f"GB-{n + 1:06d}",
            service_id=definition.id,
            service_version=definition.version,
            fee_id="garbage_monthly",
            rate_class=classes[n % len(classes)],
            parameters={"inputs": {"/premises/rate_class": classes[n % len(classes)]}},
            holder=f"ผู้ใช้บริการ {n + 1}",
            phone="0812345678",
            address=f"{n % 300 + 1}/{n % 17 + 1} หมู่ {n % 12 + 1} ต.แม่เหียะ อ.เมืองเชียงใหม่ จ.เชียงใหม่ 50100",
            first_period="2568-10",
        )
        for n in range(count)
    ]


async def raw_insert(tenant: Any) -> tuple[int, float]:
    """The run's bills inserted again for another period by bare multi-row INSERTs; (rows, seconds)."""
    from tortoise.transactions import in_transaction

    from engine.services.billing_runs import BILL_COLUMNS, insert_bills
    from engine.store.models import Bill

    rows = await Bill.filter(tenant=tenant, period=PERIOD).order_by("id").values_list(*BILL_COLUMNS)
    moved = [(*row[:2], BASELINE_PERIOD, *row[3:]) for row in rows]
    start = time.perf_counter()
    for offset in range(0, len(moved), BATCH):
        async with in_transaction() as connection:
            await insert_bills(connection, moved[offset : offset + BATCH], ignore_conflicts=False)
    return len(moved), time.perf_counter() - start


def run(
    seconds: float = 0.0,
    echo: Callable[[str], None] = print,
    backend: str = "sqlite",
    accounts: int = 50_000,
) -> dict[str, Any]:
    """Bill ``accounts`` accounts once, time it next to the raw insert, and return the result line.

    ``seconds`` is unused (both sides run once over all accounts). Raises
    :class:`bench.submit.BenchError` when PostgreSQL does not answer, :class:`RuntimeError`
    when the run did not bill every account exactly once, and :class:`ValueError` for an
    unknown ``backend``.
    """
    from engine.definitions import load_catalog
    from engine.services.billing_runs import run_billing
    from engine.store.models import Bill
    from engine.store.runtime import OrmRuntime

    if backend not in ("sqlite", "postgres"):
        raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
    began = time.perf_counter()
    catalog = load_catalog()
    with tempfile.TemporaryDirectory(prefix="thongthin-bench-") as tmp, database(backend, Path(tmp)) as url:
        runtime = OrmRuntime(url)
        try:
            runtime.upgrade()
            start = time.perf_counter()
            tenant = runtime.run(seed(catalog, accounts))
            setup = time.perf_counter() - start
            echo(
                f"{backend}: {accounts:,} garbage accounts created in bulk in {setup:.1f}s; batches of {BATCH}"
            )

            start = time.perf_counter()
            billed = runtime.run(run_billing(tenant, PERIOD, batch=BATCH, catalog=catalog))
            platform_seconds = time.perf_counter() - start
            start = time.perf_counter()
            again = runtime.run(run_billing(tenant, PERIOD, batch=BATCH, catalog=catalog))
            rerun_seconds = time.perf_counter() - start
            stored = runtime.run(Bill.filter(tenant=tenant, period=PERIOD).count())
            if (billed.created, again.created, stored) != (accounts, 0, accounts):
                raise RuntimeError(
                    f"expected {accounts} bills once: created {billed.created}, then {again.created}; "
                    f"{stored} stored"
                )
            baseline_rows, baseline_seconds = runtime.run(raw_insert(tenant))
        finally:
            runtime.close()
    total = time.perf_counter() - began
    value, baseline = accounts / platform_seconds, baseline_rows / baseline_seconds
    echo(
        f"billing run (amounts, QR payloads, idempotent insert): {platform_seconds:.2f}s, {value:,.0f} bills/s"
    )
    echo(
        f"raw multi-row INSERT of the same rows:                {baseline_seconds:.2f}s, {baseline:,.0f} bills/s"
    )
    echo(f"ratio {value / baseline:.3f}; the same run repeated created nothing in {rerun_seconds:.2f}s")
    echo(f"whole benchmark {total:.1f}s (total billed {billed.total} baht)")
    return result(
        "billing",
        value,
        baseline,
        "bills/s",
        accounts=accounts,
        backend=backend,
        batch=BATCH,
        seconds=round(platform_seconds, 2),
        baseline_seconds=round(baseline_seconds, 2),
        rerun_seconds=round(rerun_seconds, 2),
        setup_seconds=round(setup, 2),
        total_seconds=round(total, 1),
    )
