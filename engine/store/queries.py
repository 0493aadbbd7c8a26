"""Small typed helpers over Tortoise querysets."""

from __future__ import annotations

from typing import Any, cast

from tortoise.expressions import RawSQL
from tortoise.queryset import QuerySet

# COUNT(*) rather than COUNT(id): a count over the columns of an index is answered from the index alone.
COUNT_ROWS = RawSQL("COUNT(*)")


async def flat(query: QuerySet[Any], field: str) -> list[Any]:
    """One column of ``query``, as a list (Tortoise's types say tuples for ``flat=True``)."""
    return cast(list[Any], await query.values_list(field, flat=True))
