"""Keywords the definition language adds to JSON Schema: ``x-min-age`` and ``x-not-future``.

Both depend on today's date, which validation takes from :data:`TODAY` so that a caller (or
a test) can validate as of any day without touching the compiled validators.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date
from typing import Any

from jsonschema import ValidationError

from engine.forms.formats import is_date

TODAY: ContextVar[date | None] = ContextVar("thongthin_today", default=None)


def today() -> date:
    return TODAY.get() or date.today()


def fiscal_year_end(day: date, years_ahead: int = 0) -> date:
    """The last day (30 September) of the Thai fiscal year containing ``day``, plus ``years_ahead``."""
    year = day.year + (1 if day.month >= 10 else 0) + years_ahead
    return date(year, 9, 30)


def age_reference_day(on: str, reference: date) -> date:
    if on == "next-fiscal-year-end":
        return fiscal_year_end(reference, years_ahead=1)
    return reference


def age_on(birth: date, day: date) -> int:
    """Completed years of age on ``day`` (someone born on 29 February ages on 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def min_age(validator: Any, spec: dict[str, Any], instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    if not is_date(instance):
        return
    on_day = age_reference_day(spec.get("on", "today"), today())
    if age_on(date.fromisoformat(instance), on_day) < spec["years"]:
        yield ValidationError(f"younger than {spec['years']} on {on_day.isoformat()}")


def not_future(validator: Any, enabled: bool, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    if enabled and is_date(instance) and date.fromisoformat(instance) > today():
        yield ValidationError(f"{instance} is after today")


KEYWORDS = {"x-min-age": min_age, "x-not-future": not_future}
