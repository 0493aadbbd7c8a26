"""What operators watch, read from the database when they ask: the effects queue, billing runs,
and whether the schema is the one this code ships.

Framework-free: the web layer turns these into metrics and readiness answers.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise import connections
from tortoise.functions import Count, Min, Sum

from engine.store import migrations as shipped_migrations
from engine.store.models import BillingRun, EffectJob

# Jobs still in the queue's hands; "done" rows are history and are not counted.
QUEUED = ("pending", "running", "failed")
MIGRATIONS_TABLE = "tortoise_migrations"
MIGRATIONS_APP = "models"  # the app label of engine.store.config.tortoise_config


@dataclass(frozen=True)
class QueueLine:
    """Jobs of one effect type in one status, and how old the oldest of them is (seconds)."""

    type: str
    status: str
    jobs: int
    oldest_age: float


async def effect_queue(now: datetime | None = None) -> list[QueueLine]:
    """The effects queue by type and status (pending, running, failed): how many, and the oldest's age."""
    moment = now or datetime.now(UTC)
    rows = (
        await EffectJob.filter(status__in=QUEUED)
        .annotate(jobs=Count("id"), oldest=Min("created_at"))
        .group_by("type", "status")
        .values("type", "status", "jobs", "oldest")
    )
    lines = []
    for row in rows:
        oldest = row["oldest"]
        if isinstance(oldest, str):  # SQLite answers an aggregate of a datetime as text
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        age = max(0.0, (moment - oldest).total_seconds()) if oldest is not None else 0.0
        lines.append(QueueLine(row["type"], row["status"], int(row["jobs"]), age))
    return sorted(lines, key=lambda line: (line.type, line.status))


@dataclass(frozen=True)
class BillingProgress:
    """Billing runs under way across tenants: how many, and accounts looked at of those to look at."""

    running: int
    done: int
    of: int


async def billing_progress() -> BillingProgress:
    rows = (
        await BillingRun.filter(status="running")
        .annotate(runs=Count("id"), done_sum=Sum("done"), of_sum=Sum("of"))
        .group_by("status")
        .values("runs", "done_sum", "of_sum")
    )
    if not rows:
        return BillingProgress(0, 0, 0)
    row = rows[0]
    return BillingProgress(int(row["runs"] or 0), int(row["done_sum"] or 0), int(row["of_sum"] or 0))


def shipped_migration_names() -> list[str]:
    """The migrations this code ships (``engine/store/migrations``), as the migration table names them."""
    return sorted(
        name
        for _, name, is_package in pkgutil.iter_modules(shipped_migrations.__path__)
        if not is_package and name[0] not in "_~"
    )


async def database_answers() -> None:
    """Raises what the driver raises when the database does not answer a query."""
    await connections.get("default").execute_query("SELECT 1")


async def pending_migrations(shipped: list[str] | None = None) -> list[str]:
    """The shipped migrations the database has not applied (``thongthin db upgrade`` applies them)."""
    try:
        _, rows = await connections.get("default").execute_query(
            f'SELECT "name" FROM "{MIGRATIONS_TABLE}" WHERE "app" = \'{MIGRATIONS_APP}\''
        )
    except Exception:  # no migration table: nothing was ever applied
        rows = []
    applied = {row["name"] for row in rows}
    return [
        name
        for name in (shipped if shipped is not None else shipped_migration_names())
        if name not in applied
    ]
