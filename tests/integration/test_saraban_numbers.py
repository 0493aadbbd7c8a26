"""The correspondence books' numbers: gapless under concurrency, the year turning at Bangkok midnight
on 31 December, reservations that lapse into ยกเลิก rows, and the hash-chained audit trail.

Runs on both databases (``make test`` runs the suite once per backend).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from engine.saraban.errors import NotAllowed, NumberNotReservable
from engine.saraban.numbering import calendar_year
from engine.services import accounts, tenants
from engine.services.saraban import audit, numbers, organisation, registers
from engine.services.saraban.numbers import Row
from engine.store.models import SarabanAudit, Tenant
from thongthin.demo import DEMO_PASSWORD


def make_registry(platform: Any) -> tuple[Tenant, organisation.Actor, organisation.Actor]:
    """A municipality with a registry clerk and an officer without the role."""
    slug = f"s{uuid.uuid4().hex[:8]}"

    async def setup() -> tuple[Tenant, organisation.Actor, organisation.Actor]:
        tenant = await tenants.ensure_tenant(
            slug, name_th=f"เทศบาลตำบลทดสอบ {slug}", name_en=slug, kind="municipality",
            province="เชียงใหม่", reference_prefix="SB",
        )  # fmt: skip
        tenant.settings = {"saraban": {"letter_code": "ชม 52101"}}
        await tenant.save()
        clerk = await accounts.create_user(
            tenant, f"{slug}.clerk", DEMO_PASSWORD, "นางสาวสารบรรณ ทดสอบ", ["saraban_clerk"]
        )
        other = await accounts.create_user(tenant, f"{slug}.eng", DEMO_PASSWORD, "นายช่าง ทดสอบ", ["engineer"])
        return tenant, await organisation.actor(tenant, clerk), await organisation.actor(tenant, other)

    return platform.db(setup())


def test_fifty_concurrent_send_numbers_are_one_to_fifty(platform: Any) -> None:
    tenant, clerk, _ = make_registry(platform)

    async def fifty() -> list[int]:
        taken = await asyncio.gather(
            *(numbers.reserve(tenant, clerk, "send", subject=f"หนังสือฉบับที่ {i}") for i in range(50))
        )
        return [entry.number for entry in taken]

    got = platform.db(fifty())
    assert sorted(got) == list(range(1, 51))
    year = calendar_year(datetime.now(UTC))
    book = platform.db(registers.register(tenant, clerk, "send", year))
    assert [e.number for e in book.entries] == list(range(1, 51))
    assert book.rows[0][1:3] == ("1", "ชม 52101/1")  # เลขทะเบียนส่ง, then ที่


def test_a_failed_transaction_gives_its_number_back(platform: Any) -> None:
    tenant, clerk, _ = make_registry(platform)
    moment = datetime.now(UTC)

    async def attempt() -> None:
        async with in_transaction() as connection:
            await numbers.take(connection, tenant, "send", unit="", at=moment, row=Row(subject="ก"), by=clerk)
            raise RuntimeError("the letter could not be stored")

    with pytest.raises(RuntimeError):
        platform.db(attempt())
    entry = platform.db(numbers.reserve(tenant, clerk, "send", subject="ฉบับถัดไป"))
    assert entry.number == 1  # no gap left by the failure


def test_the_year_turns_at_bangkok_midnight_on_31_december(platform: Any) -> None:
    tenant, clerk, _ = make_registry(platform)
    before = datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)  # 23:59:59 on 31 Dec 2569 in Bangkok
    after = before + timedelta(seconds=1)  # 00:00:00 on 1 Jan 2570 in Bangkok; still 31 Dec in UTC
    fiscal_turn = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # 1 Oct 2569 in Bangkok: a fiscal year starts

    async def take(at: datetime) -> Any:
        async with in_transaction() as connection:
            return await numbers.take(
                connection, tenant, "order", unit="", at=at, row=Row(subject="คำสั่ง"), by=clerk
            )

    first = platform.db(take(fiscal_turn - timedelta(seconds=1)))
    second = platform.db(take(fiscal_turn))
    last = platform.db(take(before))
    new_year = platform.db(take(after))
    assert (first.year, first.number, first.number_text) == (2569, 1, "1/2569")
    assert (second.year, second.number) == (2569, 2)  # 1 October does not start the books again
    assert (last.year, last.number) == (2569, 3)
    assert (new_year.year, new_year.number, new_year.number_text) == (2570, 1, "1/2570")


def test_a_lapsed_reservation_stays_in_the_book_as_cancelled(platform: Any) -> None:
    tenant, clerk, other = make_registry(platform)
    now = datetime.now(UTC)
    kept = platform.db(
        numbers.reserve(tenant, clerk, "send", subject="หนังสือที่จองไว้", now=now - timedelta(hours=30))
    )
    fresh = platform.db(numbers.reserve(tenant, clerk, "send", subject="หนังสือที่ยังจองอยู่", now=now))
    cancelled = platform.db(numbers.reserve(tenant, clerk, "send", subject="หนังสือที่เลิกจอง", now=now))
    platform.db(numbers.cancel(tenant, clerk, cancelled.id, reason="เปลี่ยนเป็นหนังสือภายใน"))
    with pytest.raises(NumberNotReservable):
        platform.db(numbers.cancel(tenant, clerk, cancelled.id, reason="อีกครั้ง"))
    with pytest.raises(NotAllowed):
        platform.db(numbers.reserve(tenant, other, "send", subject="ไม่มีสิทธิ์"))
    with pytest.raises(NumberNotReservable):
        platform.db(numbers.reserve(tenant, clerk, "receive", subject="เลขรับจองไม่ได้"))

    book = platform.db(registers.register(tenant, clerk, "send", calendar_year(now)))
    states = {e.number: e.state for e in book.entries}
    assert states == {kept.number: "cancelled", fresh.number: "reserved", cancelled.number: "cancelled"}
    remarks = {e.number: row[8] for e, row in zip(book.entries, book.rows, strict=True)}
    assert "พ้นเวลาที่จองไว้" in remarks[kept.number]
    assert "เปลี่ยนเป็นหนังสือภายใน" in remarks[cancelled.number]
    assert platform.db(numbers.reserve(tenant, clerk, "send", subject="ถัดไป")).number == 4  # never reused


def test_the_audit_chain_detects_an_edited_entry(platform: Any) -> None:
    tenant, clerk, _ = make_registry(platform)

    async def write(n: int) -> None:
        await asyncio.gather(
            *(numbers.reserve(tenant, clerk, "send", subject=f"เรื่องที่ {i}") for i in range(n))
        )
        for i in range(n):
            async with in_transaction() as connection:
                await audit.record(connection, tenant.id, "note", actor_label="ทดสอบ", detail={"i": i})

    platform.db(write(5))
    report = platform.db(audit.verify(tenant.id))
    assert report.intact and report.entries == 5

    async def tamper() -> None:
        entry = await SarabanAudit.get(tenant_id=tenant.id, seq=3)
        entry.detail = {"i": 99}
        await entry.save()

    platform.db(tamper())
    broken = platform.db(audit.verify(tenant.id))
    assert broken.broken_at == 3 and not broken.intact
