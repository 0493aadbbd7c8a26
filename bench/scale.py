"""How the platform behaves at national size: every local administration, years of applications.

The run seeds a throw-away database in bulk (PostgreSQL's COPY, or SQLite's multi-row inserts;
never the ORM one row at a time): ``tenants`` administrations, ``submissions`` applications
spread over them, over the Buddhist-Era years 2562-2569 and over each service's states (most of
them closed, as an office's history is), one big city with ``open`` applications waiting for its
clerks and 50,000 households with garbage-fee accounts, and one small town with about a hundred
open applications. Audit trails are not seeded: nothing measured here reads them.

It then measures, each as p50/p95 of repeated calls in the same run:

- the officers' inbox, first page with its counts per filter, as the desk serves it (the whole
  page through the web application, signed in as a clerk): in the big city and in the small town;
- the same inbox through the service call alone;
- the municipality dashboard of the big city;
- a tracking lookup by reference and tracking code;
- a new application stored while 8 clients submit at once;
- a billing run of the big city's 50,000 accounts (once: bills per second).

The result's ``value`` is the small town's inbox p95 divided by the big city's, against a
``baseline`` of 1: how an office's page slows as its open work grows from a hundred items to
``open`` (1.0 is flat; the aim is at least 0.5).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.billing import LOCAL_RATES, garbage_accounts
from bench.submit import database, examples
from bench.timing import result

DEFAULTS = {"postgres": (7850, 2_000_000, 20_000), "sqlite": (800, 200_000, 20_000)}
BIG, SMALL = "bigcity", "smalltown"
ROLE = "clerk"
SMALL_OPEN = 100
HOUSEHOLDS = 50_000
YEARS = range(2562, 2570)  # Buddhist Era
CHUNK = 20_000
CONCURRENT_CLIENTS = 8
PAGE_ROUNDS, PAGE_CALLS = 10, 10  # 100 inbox pages per office: a p95 that one stray pause does not make
NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # a fixed moment: deadlines fall the same way every run
PERIOD = "2569-12"
COPY_COLUMNS = (
    "tenant_id",
    "reference",
    "service_id",
    "service_version",
    "data",
    "state",
    "version",
    "votes",
    "contact_hashes",
    "tracking_token_hash",
    "submitted_at",
    "state_entered_at",
    "due_at",
    "state_due_at",
    "closed",
    "sla_verdict",
    "stopped_channels",
    "updated_at",
)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) of ``samples`` in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(call: Callable[[], object], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


class Shape:
    """Which services and states the seeded applications take, read from the catalog."""

    def __init__(self, catalog: Any):
        from engine.services import desk

        self.latest = {d.id: d for d in catalog}
        self.waiting = desk.states_waiting_for(self.latest.values(), {ROLE})
        self.open_states = {
            d.id: [n for n, s in d.workflow.states.items() if not s.final] for d in self.latest.values()
        }
        self.final_states = {
            d.id: [(n, s.outcome) for n, s in d.workflow.states.items() if s.final]
            for d in self.latest.values()
        }
        self.services = sorted(self.latest)


def _rows(
    shape: Shape, tenants: list[tuple[int, str]], count: int, *, open_share: float, waiting: bool, seed: int
) -> Iterator[tuple[Any, ...]]:
    """``count`` application rows for ``tenants`` (id, reference prefix), numbered per tenant and year.

    ``waiting`` puts every open one in a state the clerk works on; otherwise open ones take any
    open state. Closed ones carry the verdict the dashboard counts.
    """
    rng = random.Random(seed)
    numbers: dict[tuple[int, int], int] = {}
    empty = "[]"
    for n in range(count):
        tenant_id, prefix = tenants[n % len(tenants)]
        service = rng.choice(shape.services)
        definition = shape.latest[service]
        is_open = rng.random() < open_share
        year = 2569 if is_open else rng.choice(YEARS)
        numbers[(tenant_id, year)] = number = numbers.get((tenant_id, year), 0) + 1
        submitted = NOW - timedelta(
            days=rng.randrange(1, 60) if is_open else 365 * (2569 - year) + rng.randrange(1, 300)
        )
        if is_open:
            if waiting:
                service = rng.choice(sorted(shape.waiting))
                definition = shape.latest[service]
                state = rng.choice(shape.waiting[service])
            else:
                state = rng.choice(shape.open_states[service])
            due = submitted + timedelta(days=rng.choice((15, 30, 45, 60)))
            verdict = None
        else:
            state, outcome = rng.choice(shape.final_states[service])
            due = None
            verdict = "withdrawn" if outcome == "withdrawn" else ("late" if rng.random() < 0.1 else "in_time")
        yield (
            tenant_id,
            f"{prefix}-{year}-{number:06d}",
            service,
            definition.version,
            json.dumps({"applicant": {"first_name": "สมชาย", "last_name": f"ทดสอบ{n}"}}, ensure_ascii=False),
            state,
            1,
            empty,
            empty,
            "0" * 64,
            submitted,
            submitted,
            due,
            due,
            not is_open,
            verdict,
            empty,
            submitted,
        )


async def copy_rows(table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> int:
    """Write ``rows`` into ``table`` in chunks: COPY on PostgreSQL, multi-row inserts on SQLite."""
    from tortoise import connections

    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    written = 0
    while True:
        chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
        if not chunk:
            return written
        if postgres:
            async with connection.acquire_connection() as raw:
                await raw.copy_records_to_table(table, records=chunk, columns=list(columns))
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            values = [[v.isoformat() if isinstance(v, datetime) else v for v in row] for row in chunk]
            await connection.execute_many(sql, values)
        written += len(chunk)


async def seed(
    catalog: Any,
    tenants: int,
    submissions: int,
    open_items: int,
    households: int,
    echo: Callable[[str], None],
) -> dict[str, Any]:
    """Every administration, their applications, and the big city's accounts; returns what the
    measurements need (the two offices and a tracking code)."""
    from tortoise import connections

    from engine.services import accounts, secrets
    from engine.services import tenants as tenant_service
    from engine.store.models import FeeAccount, Submission, Tenant
    from thongthin.demo import DEMO_PASSWORD

    shape = Shape(catalog)
    start = time.perf_counter()
    offices = {}
    for slug, name, prefix in ((BIG, "เทศบาลนครตัวอย่าง", "BC"), (SMALL, "เทศบาลตำบลตัวอย่าง", "ST")):
        tenant = await tenant_service.ensure_tenant(
            slug, name_th=name, name_en=slug, kind="municipality", province="เชียงใหม่", reference_prefix=prefix
        )
        for definition in catalog:
            local = {"fees": LOCAL_RATES} if definition.id == "garbage-fee" else None
            await tenant_service.enable_service(tenant, definition, local)
        await accounts.create_user(tenant, f"{slug}.{ROLE}", DEMO_PASSWORD, f"เจ้าหน้าที่ {slug}", [ROLE])
        offices[slug] = tenant
    others = [
        Tenant(
            slug=f"lao{n:05d}",
            name_th=f"องค์การบริหารส่วนตำบลที่ {n}",
            name_en=f"Subdistrict {n}",
            kind="subdistrict",
            province="ขอนแก่น",
            reference_prefix=f"T{n:05d}"[:6],
        )
        for n in range(max(0, tenants - 2))
    ]
    await Tenant.bulk_create(others, batch_size=2000)
    rest = [
        (t.id, t.reference_prefix)
        for t in await Tenant.filter(slug__startswith="lao").only("id", "reference_prefix")
    ]
    big, small = offices[BIG], offices[SMALL]
    history = max(0, submissions - open_items - SMALL_OPEN * 11)
    big_share = history // 20  # a big city's share of the nation's history
    written = await copy_rows(
        "submission",
        COPY_COLUMNS,
        _rows(shape, [(big.id, "BC")], open_items, open_share=1.0, waiting=True, seed=1),
    )
    # References are unique per tenant: the big city's and the small town's history take prefixes of their own.
    written += await copy_rows(
        "submission",
        COPY_COLUMNS,
        _rows(shape, [(big.id, "BH")], big_share, open_share=0.02, waiting=False, seed=2),
    )
    written += await copy_rows(
        "submission",
        COPY_COLUMNS,
        _rows(shape, [(small.id, "ST")], SMALL_OPEN, open_share=1.0, waiting=True, seed=3),
    )
    written += await copy_rows(
        "submission",
        COPY_COLUMNS,
        _rows(shape, [(small.id, "SH")], SMALL_OPEN * 10, open_share=0.0, waiting=False, seed=4),
    )
    if rest:
        written += await copy_rows(
            "submission",
            COPY_COLUMNS,
            _rows(shape, rest, history - big_share, open_share=0.03, waiting=False, seed=5),
        )
    # The next application of the year takes the number after the seeded ones.
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    mark = "$1" if postgres else "?"
    for tenant in (big, small):
        await connection.execute_query(
            f"INSERT INTO reference_counter (tenant_id, year, last_number) VALUES ({mark}, 2569, 999999)",
            [tenant.id],
        )
    if postgres:
        # As autovacuum leaves a table at rest: statistics current, the visibility map set.
        await connection.execute_script("VACUUM ANALYZE")
    echo(
        f"seeded {len(rest) + 2:,} administrations and {written:,} applications in {time.perf_counter() - start:.1f}s"
    )

    start = time.perf_counter()
    await FeeAccount.bulk_create(
        garbage_accounts(big, catalog.get("garbage-fee"), households), batch_size=2000
    )
    echo(f"seeded {households:,} garbage-fee accounts in {time.perf_counter() - start:.1f}s")

    tracked = await Submission.filter(tenant_id=big.id, closed=False).order_by("id").first()
    assert tracked is not None
    code = secrets.new_tracking_code()
    await Submission.filter(id=tracked.id).update(
        tracking_token_hash=secrets.digest(code, scope=tracked.reference)
    )
    return {"big": big, "small": small, "tracked": (tracked.reference, code)}


def run(
    seconds: float = 0.0,
    echo: Callable[[str], None] = print,
    backend: str = "sqlite",
    tenants: int | None = None,
    submissions: int | None = None,
    open_items: int | None = None,
    accounts: int = HOUSEHOLDS,
) -> dict[str, Any]:
    """Seed a national-size database, measure, and return the result line.

    ``seconds`` is unused (each measurement repeats a fixed number of times). Raises
    :class:`bench.submit.BenchError` when PostgreSQL does not answer and :class:`ValueError`
    for an unknown ``backend``.
    """
    from engine.services import billing_runs, dashboard, desk, tracking
    from engine.services import submissions as submission_service
    from thongthin.app import create_app
    from thongthin.demo import DEMO_PASSWORD
    from thongthin.platform import Platform
    from thongthin.settings import Settings

    if backend not in DEFAULTS:
        raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
    default_tenants, default_submissions, default_open = DEFAULTS[backend]
    tenants = tenants or default_tenants
    submissions = submissions or default_submissions
    open_items = open_items or default_open
    began = time.perf_counter()
    figures: dict[str, Any] = {
        "tenants": tenants,
        "submissions": submissions,
        "open": open_items,
        "accounts": accounts,
    }
    with tempfile.TemporaryDirectory(prefix="thongthin-bench-") as tmp, database(backend, Path(tmp)) as url:
        settings = Settings.from_env(
            {"DATABASE_URL": url, "SECRET_KEY": "bench-" + "0" * 40}, data_dir=Path(tmp)
        )
        platform = Platform.create(settings)
        try:
            platform.upgrade()
            catalog = list(platform.catalog)
            seeded = platform.db(seed(platform.catalog, tenants, submissions, open_items, accounts, echo))
            big, small = seeded["big"], seeded["small"]
            app = create_app(settings, platform_=platform)

            def signed_in(slug: str) -> Any:
                client = app.test_client()
                login = f"/{slug}/admin/login"
                token = re.search(
                    r'name="csrf_token" value="([^"]+)"', client.get(login).get_data(as_text=True)
                )
                form = {
                    "csrf_token": token.group(1) if token else "",
                    "username": f"{slug}.{ROLE}",
                    "password": DEMO_PASSWORD,
                }
                answer = client.post(login, data=form)
                if answer.status_code != 302:
                    raise RuntimeError(f"the {slug} clerk could not sign in ({answer.status_code})")
                return client

            def page(client: Any, slug: str, expected: int) -> Callable[[], None]:
                def load() -> None:
                    answer = client.get(f"/{slug}/admin/")
                    html = answer.get_data(as_text=True)
                    if answer.status_code != 200 or (
                        f"{expected:,}" not in html and str(expected) not in html
                    ):
                        raise RuntimeError(f"the {slug} inbox did not show its {expected} waiting items")

                return load

            clients = {slug: signed_in(slug) for slug in (BIG, SMALL)}
            waiting = {
                BIG: platform.db(desk.inbox(big, catalog, {ROLE}, limit=1)).waiting,
                SMALL: platform.db(desk.inbox(small, catalog, {ROLE}, limit=1)).waiting,
            }
            figures["waiting_big_city"], figures["waiting_small_town"] = waiting[BIG], waiting[SMALL]
            echo(
                f"waiting for the clerk: {waiting[BIG]:,} in the big city, {waiting[SMALL]:,} in the small town"
            )
            for slug in (BIG, SMALL):  # warm up both before either is timed
                timed(page(clients[slug], slug, waiting[slug]), 3)
            samples: dict[str, list[float]] = {BIG: [], SMALL: []}
            for _ in range(PAGE_ROUNDS):  # alternating rounds: drift hits both alike
                for slug in (BIG, SMALL):
                    samples[slug] += timed(page(clients[slug], slug, waiting[slug]), PAGE_CALLS)
            for slug, key in ((BIG, "inbox"), (SMALL, "inbox_small_town")):
                figures[f"{key}_p50_ms"], figures[f"{key}_p95_ms"] = percentiles(samples[slug])

            def service_inbox(tenant: Any) -> Callable[[], object]:
                return lambda: platform.db(desk.inbox(tenant, catalog, {ROLE}))

            for tenant, key in ((big, "inbox_service"), (small, "inbox_service_small_town")):
                figures[f"{key}_p50_ms"], figures[f"{key}_p95_ms"] = percentiles(
                    timed(service_inbox(tenant), 30)
                )
            figures["dashboard_p50_ms"], figures["dashboard_p95_ms"] = percentiles(
                timed(lambda: platform.db(dashboard.dashboard(big, catalog)), 20)
            )
            reference, code = seeded["tracked"]
            addresses = iter(range(1_000_000))

            def track() -> None:
                found = platform.db(
                    tracking.find_by_token(big, reference, code, address=f"10.0.{next(addresses) % 250}.1")
                )
                if found.reference != reference:
                    raise RuntimeError("the tracking lookup found another application")

            figures["tracking_p50_ms"], figures["tracking_p95_ms"] = percentiles(timed(track, 50))

            petition = platform.catalog.get("general-petition")
            answers = examples("general-petition")

            async def submit_concurrently(rounds: int) -> list[float]:
                latencies: list[float] = []

                async def client(number: int) -> None:
                    for n in range(rounds):
                        start = time.perf_counter()
                        await submission_service.submit(big, petition, answers[(number + n) % len(answers)])
                        latencies.append(time.perf_counter() - start)

                await asyncio.gather(*(client(n) for n in range(CONCURRENT_CLIENTS)))
                return latencies

            latencies = platform.db(submit_concurrently(10))
            figures["submit_8_clients_p50_ms"], figures["submit_8_clients_p95_ms"] = percentiles(latencies)

            start = time.perf_counter()
            billed = platform.db(billing_runs.run_billing(big, PERIOD, catalog=platform.catalog))
            billing_seconds = time.perf_counter() - start
            if billed.created != accounts:
                raise RuntimeError(f"the billing run created {billed.created} bills, not {accounts}")
            figures["billing_run_s"] = round(billing_seconds, 2)
            figures["billing_bills_per_s"] = round(accounts / billing_seconds)
        finally:
            platform.runtime.close()
    figures = {k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}
    for key, value in figures.items():
        echo(f"{key:32} {value}")
    echo(f"whole benchmark {time.perf_counter() - began:.0f}s")
    small_p95, big_p95 = figures["inbox_small_town_p95_ms"], figures["inbox_p95_ms"]
    return result(
        "scale",
        small_p95 / big_p95,
        1.0,
        "small town inbox p95 / big city inbox p95",
        backend=backend,
        **figures,
    )
