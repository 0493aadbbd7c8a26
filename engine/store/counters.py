"""Running numbers per tenant and year (reference numbers, document numbers), safe under concurrency.

One statement both creates the year's row and takes the next number, so two first
submissions of a year racing each other cannot both try to create the row.
"""

from __future__ import annotations

from typing import Any

_NEXT = (
    "INSERT INTO {table} (tenant_id, year, last_number) VALUES ({tenant}, {year}, 1) "
    "ON CONFLICT (tenant_id, year) DO UPDATE SET last_number = {table}.last_number + 1 "
    "RETURNING last_number"
)
SERIES = {"reference_counter", "document_counter", "fee_account_counter"}


async def next_number(connection: Any, table: str, tenant_id: int, year: int) -> int:
    """The next number of ``table``'s series for ``tenant_id`` and ``year`` (the first is 1)."""
    if table not in SERIES:
        raise ValueError(f"not a counter table: {table}")
    postgres = connection.capabilities.dialect == "postgres"
    sql = _NEXT.format(table=table, tenant="$1" if postgres else "?", year="$2" if postgres else "?")
    rows = await connection.execute_query_dict(sql, [tenant_id, year])
    return int(rows[0]["last_number"])


_NEXT_IN_BOOK = (
    "INSERT INTO saraban_counter (tenant_id, book, unit, year, last_number) VALUES ({p}, 1) "
    "ON CONFLICT (tenant_id, book, unit, year) DO UPDATE SET last_number = saraban_counter.last_number + 1 "
    "RETURNING last_number"
)


async def next_in_book(connection: Any, tenant_id: int, book: str, unit: str, year: int) -> int:
    """The next number of a correspondence book (per tenant, book, unit or "", Buddhist-Era year).

    Call it inside the transaction that writes the register row: a rollback gives the number
    back, so the book has no gap; the row lock the upsert takes orders concurrent callers.
    """
    postgres = connection.capabilities.dialect == "postgres"
    marks = ", ".join(f"${i}" if postgres else "?" for i in range(1, 5))
    rows = await connection.execute_query_dict(_NEXT_IN_BOOK.format(p=marks), [tenant_id, book, unit, year])
    return int(rows[0]["last_number"])
