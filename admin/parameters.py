"""The form of a service's local parameters (see :mod:`engine.services.local_fees`, shared with the API)."""

from engine.services.local_fees import (
    PER_UNIT_KEYS,
    FeeForm,
    NumberField,
    class_labels,
    effective,
    forms,
    local_fees,
    parse,
    shown,
    unit_of,
)

__all__ = [
    "PER_UNIT_KEYS",
    "FeeForm",
    "NumberField",
    "class_labels",
    "effective",
    "forms",
    "local_fees",
    "parse",
    "shown",
    "unit_of",
]
