"""Whether a value from outside can be a key of ours at all, checked before it reaches the database.

An identifier longer than its column, or holding a NUL, a space or a control character, is
never one we issued. Looking it up anyway fails in different ways on different backends (the
ORM refuses values longer than the column, PostgreSQL refuses NUL in text), so lookups ask
:func:`could_be_key` first and answer "not found".
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

# Keys we issue (slugs, references, service IDs, tokens) are printable ASCII without spaces.
_KEY = re.compile(r"[\x21-\x7e]+")
# Integer keys are stored in 32-bit or 64-bit columns; anything outside is no row of ours.
MAX_INTEGER_KEY = 2**31 - 1


def max_length(model: type[Any], field_name: str) -> int:
    """The ``max_length`` of a character column of ``model``."""
    return int(model._meta.fields_map[field_name].max_length)


def could_be_key(value: Any, model: type[Any], field_name: str) -> bool:
    """True when ``value`` fits column ``field_name`` of ``model`` and has the shape of our keys."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_length(model, field_name)
        and _KEY.fullmatch(value) is not None
    )


def could_be_integer_key(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and 0 <= value <= MAX_INTEGER_KEY
