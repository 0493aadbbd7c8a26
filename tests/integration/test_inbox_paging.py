"""The officers' inbox counts and pages in SQL: every page and every count equals what reading all
the waiting work and sorting it by hand gives, on SQLite and PostgreSQL alike (which sort NULLs at
opposite ends)."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.services import desk, tenants
from engine.store.models import Submission

CLERK = "clerk"


def _waiting_states(platform: Any) -> dict[str, list[str]]:
    return desk.states_waiting_for(list(platform.catalog), {CLERK})


@pytest.fixture
def office(platform: Any) -> tuple[Any, list[dict[str, Any]], datetime]:
    """A town with 120 applications in random services, states and deadlines (some waiting for the
    clerk, some for others, some closed), many sharing a deadline to exercise the tie-breaks."""
    rng = random.Random(20261204)
    now = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    waiting = _waiting_states(platform)
    services = sorted({d.id for d in platform.catalog})
    deadlines = [None, now - timedelta(days=3), now - timedelta(minutes=1), now, now + timedelta(hours=5)]
    deadlines += [now + desk.DUE_SOON, now + desk.DUE_SOON + timedelta(seconds=1), now + timedelta(days=9)]

    async def seed() -> tuple[Any, list[dict[str, Any]]]:
        slug = f"p{uuid.uuid4().hex[:8]}"
        tenant = await tenants.ensure_tenant(
            slug,
            name_th=f"เทศบาลตำบลทดสอบ {slug}",
            name_en=slug,
            kind="municipality",
            province="ลำพูน",
            reference_prefix="PG",
        )
        rows = []
        for number in range(120):
            service = rng.choice(services)
            states = waiting.get(service) or ["submitted"]
            state = rng.choice([*states, "elsewhere"])
            rows.append(
                {
                    "reference": f"PG-2569-{number:06d}",
                    "service_id": service,
                    "state": state,
                    "closed": rng.random() < 0.1,
                    "due_at": rng.choice(deadlines),
                    "submitted_at": now - timedelta(days=rng.randrange(5)),
                }
            )
        await Submission.bulk_create(
            [
                Submission(
                    tenant=tenant,
                    service_version="1.0.0",
                    data={},
                    tracking_token_hash="0" * 64,
                    state_entered_at=row["submitted_at"],
                    **row,
                )
                for row in rows
            ]
        )
        return tenant, rows

    tenant, rows = platform.db(seed())
    return tenant, rows, now


def _by_hand(
    rows: list[dict[str, Any]], waiting: dict[str, list[str]], now: datetime
) -> list[dict[str, Any]]:
    mine = [
        r | {"sla": desk.sla_of(r["due_at"], now)}
        for r in rows
        if r["state"] in waiting.get(r["service_id"], ())
    ]
    mine = [r for r in mine if not r["closed"]]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(
        mine, key=lambda r: (r["due_at"] is None, r["due_at"] or far, r["submitted_at"], r["reference"])
    )


@pytest.mark.parametrize(
    "chosen",
    [
        desk.InboxFilter(),
        desk.InboxFilter(sla=desk.Sla.OVERDUE),
        desk.InboxFilter(sla=desk.Sla.SOON),
        desk.InboxFilter(sla=desk.Sla.ON_TIME),
        desk.InboxFilter(service_id="food-premises-notification"),
        desk.InboxFilter(service_id="general-petition", sla=desk.Sla.ON_TIME),
    ],
    ids=repr,
)
def test_every_page_and_count_equals_the_sorted_list(
    platform: Any, office: Any, chosen: desk.InboxFilter
) -> None:
    tenant, rows, now = office
    waiting = _waiting_states(platform)
    everything = _by_hand(rows, waiting, now)
    assert everything, "the seed gives the clerk work"

    def keep(r: dict[str, Any], *, service: bool = True, sla: bool = True) -> bool:
        return (not service or chosen.service_id is None or r["service_id"] == chosen.service_id) and (
            not sla or chosen.sla is None or r["sla"] == chosen.sla
        )

    expected = [r["reference"] for r in everything if keep(r)]
    listed: list[str] = []
    for offset in range(0, len(expected) + 7, 7):
        page = platform.db(
            desk.inbox(tenant, list(platform.catalog), {CLERK}, chosen, now=now, limit=7, offset=offset)
        )
        listed += [item.reference for item in page.items]
        assert page.total == len(expected)
        assert page.waiting == len(everything)
    assert listed == expected, "pages follow each other without a gap or a repeat, most urgent first"

    first = platform.db(desk.inbox(tenant, list(platform.catalog), {CLERK}, chosen, now=now, limit=7))
    assert first.by_service == dict(Counter(r["service_id"] for r in everything if keep(r, service=False)))
    by_sla = Counter(r["sla"] for r in everything if keep(r, sla=False))
    assert first.by_sla == {kind: by_sla.get(kind, 0) for kind in desk.Sla}
    assert all(item.sla == desk.sla_of(item.due_at, now) for item in first.items)


def test_a_role_without_work_in_any_service_sees_an_empty_inbox(
    platform: Any, office: Any, backend: str
) -> None:
    tenant, _, now = office
    if backend == "postgres":
        # A plan cached for a small town would read a big city's open work in full: PostgreSQL
        # plans each statement with its own values.
        from tortoise import connections

        async def mode() -> str:
            rows = await connections.get("default").execute_query_dict("SHOW plan_cache_mode")
            return str(rows[0]["plan_cache_mode"])

        assert platform.db(mode()) == "force_custom_plan"
    empty = platform.db(desk.inbox(tenant, list(platform.catalog), {"no_such_role"}, now=now))
    assert (empty.items, empty.total, empty.waiting) == ([], 0, 0)
    assert empty.by_sla == {kind: 0 for kind in desk.Sla}
