"""A municipality's own fee rates of a service: only fees its definition marks ``local``.

The console page and the API show and take the same boxes, one per number of a fee (an amount;
a rate with base, minimum and maximum; the tiers' limits and amounts; the amount per rate
class), named ``fee.<fee id>.<key>`` and filled with the municipality's value or the national
default. Only values that differ from the default are stored, so a later catalog default still
applies where the municipality did not decide otherwise.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.definitions import ServiceDefinition
from engine.definitions.model import Fee, UiField
from engine.services import tenants
from engine.services.errors import ServiceError
from engine.store.models import EnabledService, Tenant

PER_UNIT_KEYS = ("rate", "base", "minimum", "maximum")


@dataclass(frozen=True)
class NumberField:
    name: str  # also the element id
    label_key: str  # message catalog key
    label_values: dict[str, str]
    value: str
    required: bool
    error_key: str | None = None


@dataclass(frozen=True)
class FeeForm:
    fee: Fee
    fields: list[NumberField]


def local_fees(definition: ServiceDefinition) -> list[Fee]:
    return [f for f in definition.service.fees if f.local]


def effective(fee: Fee, override: Mapping[str, Any] | None) -> Fee:
    """The fee with the municipality's values applied."""
    return Fee.model_validate({**fee.model_dump(), **override}) if override else fee


def shown(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def slots(fee: Fee) -> list[tuple[str, str, dict[str, str], float | None, bool]]:
    """(name, label key, label values, current value, required) of every box of ``fee``."""
    prefix = f"fee.{fee.id}"
    if fee.kind == "fixed":
        return [(f"{prefix}.amount", "admin.params.amount", {}, fee.amount, True)]
    if fee.kind == "per_unit":
        return [
            (f"{prefix}.{key}", f"admin.params.{key}", {}, getattr(fee, key), key == "rate")
            for key in PER_UNIT_KEYS
        ]
    if fee.kind == "tiered":
        boxes: list[tuple[str, str, dict[str, str], float | None, bool]] = []
        for i, tier in enumerate(fee.tiers):
            number = {"n": str(i + 1)}
            if tier.up_to is not None:  # the last tier is open-ended
                boxes.append(
                    (f"{prefix}.tiers.{i}.up_to", "admin.params.tier_up_to", number, tier.up_to, True)
                )
            boxes.append(
                (f"{prefix}.tiers.{i}.amount", "admin.params.tier_amount", number, tier.amount, True)
            )
        return boxes
    return [
        (f"{prefix}.rates.{name}", "admin.params.rate_class", {"name": name}, amount, True)
        for name, amount in fee.rates.items()
    ]


def _ui_field(definition: ServiceDefinition, pointer: str | None) -> UiField | None:
    return next((f for f in definition.ui.fields() if f.pointer == pointer), None)


def class_labels(definition: ServiceDefinition, fee: Fee, language: str) -> dict[str, str]:
    """The names citizens see for the rate classes of ``fee`` (the options of its field)."""
    ui_field = _ui_field(definition, fee.field)
    return {str(o.value): o.label.get(language) for o in ui_field.options} if ui_field else {}


def unit_of(definition: ServiceDefinition, fee: Fee, language: str) -> str:
    """The unit a tiered or per-unit fee counts (the suffix of its field, e.g. ตารางเมตร)."""
    ui_field = _ui_field(definition, fee.field)
    if ui_field and ui_field.suffix:
        return ui_field.suffix.get(language)
    return "unit" if language == "en" else "หน่วย"


def forms(
    definition: ServiceDefinition,
    parameters: Mapping[str, Any],
    language: str,
    posted: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[FeeForm]:
    """The fee forms, with the stored (or just posted) values and error keys per field."""
    overrides = parameters.get("fees", {})
    errors = errors or {}
    found = []
    for fee in local_fees(definition):
        current = effective(fee, overrides.get(fee.id))
        names = class_labels(definition, fee, language)
        unit = unit_of(definition, fee, language)
        boxes = [
            NumberField(
                name,
                label,
                {k: names.get(v, v) if k == "name" else v for k, v in values.items()} | {"unit": unit},
                posted.get(name, "") if posted is not None else shown(value),
                required,
                errors.get(name),
            )
            for name, label, values, value, required in slots(current)
        ]
        found.append(FeeForm(fee, boxes))
    return found


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse(definition: ServiceDefinition, form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The fee overrides posted in ``form`` and the error key of every wrong box.

    Returns ``({fee_id: {key: value}}, {field name: error key})``; only values that differ
    from the national default are kept.
    """
    overrides: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for fee in local_fees(definition):
        values: dict[str, float | None] = {}
        for name, _, _, _, required in slots(fee):
            text = form.get(name, "").strip()
            if not text:
                if required:
                    errors[name] = "admin.params.error.required"
                values[name] = None
                continue
            number = _number(text)
            if number is None:
                errors[name] = "admin.params.error.number"
            elif number < 0:
                errors[name] = "admin.params.error.negative"
            values[name] = number
        if any(name.startswith(f"fee.{fee.id}.") for name in errors):
            continue
        override = _override(fee, values, errors)
        if override:
            overrides[fee.id] = override
    return overrides, errors


def _override(fee: Fee, values: dict[str, float | None], errors: dict[str, str]) -> dict[str, Any]:
    prefix = f"fee.{fee.id}"
    if fee.kind == "fixed":
        amount = values[f"{prefix}.amount"]
        return {"amount": amount} if amount != fee.amount else {}
    if fee.kind == "per_unit":
        given = {key: values[f"{prefix}.{key}"] for key in PER_UNIT_KEYS}
        low, high = given["minimum"], given["maximum"]
        if low is not None and high is not None and low > high:
            errors[f"{prefix}.maximum"] = "admin.params.error.min_max"
            return {}
        return {k: v for k, v in given.items() if v != getattr(fee, k)}
    if fee.kind == "tiered":
        tiers = [
            {
                "up_to": values[f"{prefix}.tiers.{i}.up_to"] if tier.up_to is not None else None,
                "amount": values[f"{prefix}.tiers.{i}.amount"],
            }
            for i, tier in enumerate(fee.tiers)
        ]
        limits = [t["up_to"] for t in tiers if t["up_to"] is not None]
        for i, (before, after) in enumerate(itertools.pairwise(limits)):
            if after <= before:
                errors[f"{prefix}.tiers.{i + 1}.up_to"] = "admin.params.error.tiers_order"
                return {}
        default = [{"up_to": t.up_to, "amount": t.amount} for t in fee.tiers]
        return {"tiers": tiers} if tiers != default else {}
    rates = {name: values[f"{prefix}.rates.{name}"] for name in fee.rates}
    return {"rates": rates} if rates != dict(fee.rates) else {}


class LocalFeesInvalid(ServiceError):
    """Some boxes are wrong; ``errors`` maps each box's name to a message key. Nothing was stored."""

    code = "invalid_parameters"
    http_status = 422

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {key}" for name, key in self.errors.items()))


async def set_local_fees(
    tenant: Tenant, definition: ServiceDefinition, parameters: Mapping[str, Any], posted: Mapping[str, str]
) -> EnabledService:
    """Keep the rates given in ``posted`` (boxes by name) as the municipality's fees of ``definition``.

    ``parameters`` are the service's current local parameters (keys other than ``fees`` stay).
    Raises :class:`LocalFeesInvalid` (a box is wrong) or
    :class:`~engine.services.errors.InvalidParameters` (a fee national law fixes); nothing is stored then.
    """
    overrides, errors = parse(definition, posted)
    if errors:
        raise LocalFeesInvalid(errors)
    updated = {**parameters, "fees": overrides}
    tenants.check_parameters(definition, updated)
    return await tenants.enable_service(tenant, definition, updated)
