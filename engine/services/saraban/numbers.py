"""Numbers of the books: issued, reserved (จองเลข), cancelled — gapless and race-safe.

A number is taken inside the transaction that writes its register row, so a failure gives it
back; every number taken has a row, and rows are never changed: using or cancelling a
reservation appends the next revision of the same number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from engine.saraban.errors import InvalidLetter, NotAllowed, NumberNotReservable
from engine.saraban.numbering import calendar_year, number_text
from engine.saraban.settings import settings_of
from engine.saraban.vocabulary import BOOKS
from engine.services.saraban.organisation import Actor
from engine.store.counters import next_in_book
from engine.store.models import RegisterEntry, Tenant


@dataclass(frozen=True)
class Row:
    """What a register row records about its letter (the columns after the number)."""

    letter_number: str = ""
    letter_date: date | None = None
    sender: str = ""
    recipient: str = ""
    subject: str = ""
    action: str = ""
    remark: str = ""


def check_book(book: str) -> str:
    if book not in BOOKS:
        raise InvalidLetter(f"no book {book!r}", th=f"ไม่มีทะเบียน {book}", field="book")
    return book


async def take(
    connection: Any,
    tenant: Tenant,
    book: str,
    *,
    unit: str,
    at: datetime,
    row: Row,
    by: Actor | None,
    letter_id: int | None = None,
    circular: bool = False,
    letter_code: str | None = None,
    state: str = "issued",
    reserved_until: datetime | None = None,
) -> RegisterEntry:
    """Take the next number of ``book`` (for ``unit``, "" agency-wide) in ``at``'s Bangkok year,
    and write its row, inside the caller's transaction. ``letter_code`` defaults to the agency's."""
    year = calendar_year(at)
    number = await next_in_book(connection, tenant.id, check_book(book), unit, year)
    settings = settings_of(tenant.settings)
    code = settings.letter_code if letter_code is None else letter_code
    text = number_text(book, number, year, letter_code=code, circular=circular)
    return await RegisterEntry.create(
        tenant_id=tenant.id,
        book=book,
        unit=unit,
        year=year,
        number=number,
        state=state,
        number_text=text,
        letter_id=letter_id,
        registered_at=at,
        # A book of letters sent records the letter's own number (ที่) as its number.
        letter_number=row.letter_number or ("" if book in ("receive", "secret_receive") else text),
        letter_date=row.letter_date,
        sender=row.sender,
        recipient=row.recipient,
        subject=row.subject,
        action=row.action,
        remark=row.remark,
        reserved_until=reserved_until,
        by_id=by.user.id if by else None,
        by_name=by.label if by else "",
        using_db=connection,
    )


async def supersede(connection: Any, entry: RegisterEntry, **changes: Any) -> RegisterEntry:
    """Append the next revision of ``entry``'s number with ``changes`` (the row itself never changes)."""
    values = {
        name: getattr(entry, name)
        for name in (
            "tenant_id", "book", "unit", "year", "number", "state", "number_text", "letter_id",
            "registered_at", "letter_number", "letter_date", "sender", "recipient", "subject",
            "action", "remark", "reserved_until", "by_id", "by_name",
        )
    }  # fmt: skip
    values.update(changes)
    return await RegisterEntry.create(
        **values, revision=entry.revision + 1, corrects_id=entry.id, using_db=connection
    )


async def current(tenant: Tenant, book: str, year: int, unit: str = "") -> list[RegisterEntry]:
    """The latest revision of every number of a book's year, in number order."""
    rows = await RegisterEntry.filter(tenant_id=tenant.id, book=book, year=year, unit=unit).order_by(
        "number", "revision"
    )
    latest: dict[int, RegisterEntry] = {}
    for entry in rows:
        latest[entry.number] = entry
    return [latest[n] for n in sorted(latest)]


async def reserve(
    tenant: Tenant, actor: Actor, book: str, *, subject: str, unit: str = "", now: datetime | None = None
) -> RegisterEntry:
    """Reserve (จองเลข) the next number of ``book`` until the tenant's reservation time lapses."""
    if not actor.is_clerk:
        raise NotAllowed("only the registry reserves numbers", th="การจองเลขทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    if book in ("receive", "secret_receive"):
        raise NumberNotReservable(
            "receive numbers are given when a letter is registered",
            th="เลขทะเบียนรับออกให้เมื่อลงรับหนังสือเท่านั้น จองล่วงหน้าไม่ได้",
        )
    if not subject.strip() or len(subject) > 500:
        raise InvalidLetter("say what the number is for", th="กรุณาระบุเรื่องที่จองเลขไว้", field="subject")
    moment = now or datetime.now(UTC)
    hours = settings_of(tenant.settings).reservation_hours
    async with in_transaction() as connection:
        return await take(
            connection,
            tenant,
            book,
            unit=unit,
            at=moment,
            row=Row(subject=subject.strip(), remark="จองเลข"),
            by=actor,
            circular=book == "circular",
            state="reserved",
            reserved_until=moment + timedelta(hours=hours),
        )


async def cancel(tenant: Tenant, actor: Actor, entry_id: int, *, reason: str) -> RegisterEntry:
    """Cancel a reserved number: it stays in the book marked ยกเลิก."""
    if not actor.is_clerk:
        raise NotAllowed("only the registry cancels numbers", th="การยกเลิกเลขทำได้เฉพาะเจ้าหน้าที่สารบรรณกลาง")
    if not reason.strip():
        raise InvalidLetter("give the reason", th="กรุณาระบุเหตุที่ยกเลิกเลข", field="reason")
    async with in_transaction() as connection:
        entry = await _latest(connection, tenant, entry_id)
        if entry.state != "reserved":
            raise NumberNotReservable(
                "only a reserved number can be cancelled", th="ยกเลิกได้เฉพาะเลขที่จองไว้และยังไม่ได้ใช้"
            )
        return await supersede(connection, entry, state="cancelled", remark=f"ยกเลิก: {reason.strip()[:400]}")


async def _latest(connection: Any, tenant: Tenant, entry_id: int) -> RegisterEntry:
    entry = await RegisterEntry.filter(tenant_id=tenant.id, id=entry_id).using_db(connection).first()
    if entry is None:
        raise InvalidLetter(f"no register entry {entry_id}", th="ไม่พบเลขนี้ในทะเบียน", field="entry")
    newest = (
        await RegisterEntry.filter(
            tenant_id=tenant.id, book=entry.book, unit=entry.unit, year=entry.year, number=entry.number
        )
        .using_db(connection)
        .order_by("-revision")
        .first()
    )
    assert newest is not None
    return newest


async def lapse_reservations(now: datetime | None = None, tenant: Tenant | None = None) -> int:
    """Cancel every reservation whose time has passed (the worker runs this); returns how many."""
    moment = now or datetime.now(UTC)
    query = RegisterEntry.filter(state="reserved", reserved_until__lte=moment)
    if tenant is not None:
        query = query.filter(tenant_id=tenant.id)
    count = 0
    for entry in await query:
        async with in_transaction() as connection:
            newest = await _latest(connection, await Tenant.get(id=entry.tenant_id), entry.id)
            if newest.id != entry.id:  # used or cancelled meanwhile
                continue
            await supersede(connection, entry, state="cancelled", remark="ยกเลิก: พ้นเวลาที่จองไว้")
            count += 1
    return count
