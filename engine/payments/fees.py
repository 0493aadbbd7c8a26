"""Fee calculation: fixed, per unit of a field (e.g. baht per m²), tiered, or by rate class.

Amounts are :class:`~decimal.Decimal` baht rounded half-up to satang. A municipality may
replace the amounts of fees marked ``local`` with those of its own ordinance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jsonschema import Draft202012Validator

from engine import jsonpointer
from engine.definitions.model import Fee, ServiceSpec, Text
from engine.errors import ThongthinError

SATANG = Decimal("0.01")


class FeeError(ThongthinError):
    """Base class of fee calculation errors."""


class MissingFeeInput(FeeError):
    """The field a fee is computed from has no usable value in the submission."""

    def __init__(self, fee_id: str, field: str):
        self.fee_id = fee_id
        self.field = field
        super().__init__(f"fee {fee_id!r} needs a value at {field}")


class FeeUnknownClass(FeeError):
    def __init__(self, fee_id: str, value: Any):
        self.fee_id = fee_id
        self.value = value
        super().__init__(f"fee {fee_id!r} has no rate for class {value!r}")


class FeeNotLocal(FeeError):
    """A municipality tried to change a fee that national law fixes."""

    def __init__(self, fee_id: str):
        self.fee_id = fee_id
        super().__init__(f"fee {fee_id!r} is set by national law; a municipality cannot change it")


@dataclass(frozen=True)
class FeeLine:
    fee_id: str
    title: Text
    amount: Decimal
    period: str


def _money(value: float | int | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(SATANG, rounding=ROUND_HALF_UP)


def _number(fee: Fee, data: Any) -> Decimal:
    value = jsonpointer.resolve(data, fee.field or "", None)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MissingFeeInput(fee.id, fee.field or "")
    return Decimal(str(value))


def _amount(fee: Fee, data: Any) -> Decimal:
    if fee.kind == "fixed":
        return _money(fee.amount or 0)
    if fee.kind == "per_unit":
        amount = Decimal(str(fee.base or 0)) + _number(fee, data) * Decimal(str(fee.rate or 0))
        if fee.minimum is not None:
            amount = max(amount, Decimal(str(fee.minimum)))
        if fee.maximum is not None:
            amount = min(amount, Decimal(str(fee.maximum)))
        return _money(amount)
    if fee.kind == "tiered":
        quantity = _number(fee, data)
        for tier in fee.tiers:
            if tier.up_to is None or quantity <= Decimal(str(tier.up_to)):
                return _money(tier.amount)
        return _money(fee.tiers[-1].amount)
    value = jsonpointer.resolve(data, fee.field or "", None)
    if value is None:
        raise MissingFeeInput(fee.id, fee.field or "")
    if str(value) not in fee.rates:
        raise FeeUnknownClass(fee.id, value)
    return _money(fee.rates[str(value)])


def with_local_rates(fee: Fee, local_rates: Mapping[str, Mapping[str, Any]] | None) -> Fee:
    """``fee`` as a municipality charges it: its own replacements (``amount``, ``rate``, ``base``,
    ``minimum``, ``maximum``, ``tiers`` or ``rates``) from ``local_rates`` (fee id -> them) applied.

    Raises :class:`FeeNotLocal` when ``local_rates`` change a fee national law fixes.
    """
    override = (local_rates or {}).get(fee.id)
    if not override:
        return fee
    if not fee.local:
        raise FeeNotLocal(fee.id)
    return Fee.model_validate({**fee.model_dump(), **override})


def compute_fees(
    service: ServiceSpec,
    data: Any,
    *,
    local_rates: Mapping[str, Mapping[str, Any]] | None = None,
    only: Iterable[str] | None = None,
) -> list[FeeLine]:
    """The fees ``data`` owes, one line per applicable fee (those whose ``when`` holds).

    ``local_rates`` maps a fee id to the municipality's replacements (``amount``, ``rate``,
    ``base``, ``minimum``, ``maximum``, ``tiers`` or ``rates``); ``only`` limits the result to
    some fee ids (e.g. those a ``request_payment`` effect names). Raises
    :class:`FeeNotLocal`, :class:`MissingFeeInput` or :class:`FeeUnknownClass`.
    """
    wanted = set(only) if only is not None else None
    lines = []
    for fee in service.fees:
        if wanted is not None and fee.id not in wanted:
            continue
        fee = with_local_rates(fee, local_rates)
        if fee.when is not None and not Draft202012Validator(fee.when).is_valid(data):
            continue
        lines.append(FeeLine(fee.id, fee.title, _amount(fee, data), fee.period))
    return lines
