"""Fees computed from the catalog's definitions and example submissions."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from engine.definitions import Catalog
from engine.payments import FeeNotLocal, FeeUnknownClass, MissingFeeInput, compute_fees
from tests.conftest import EXAMPLES, read


def amounts(lines):
    return {line.fee_id: line.amount for line in lines}


def test_building_permit_fee_follows_the_floor_area(catalog: Catalog):
    service = catalog.get("building-permit").service
    data = read(EXAMPLES / "building-permit" / "valid-new-house-owner.json")
    area = Decimal(str(data["building"]["floor_area"]))
    fees = amounts(compute_fees(service, data))
    # Ministerial Regulation No. 7: 20 baht permit + 0.50 baht per m² of plan inspection
    assert fees["permit_fee_construction"] == Decimal("20.00")
    assert sum(fees.values()) == (Decimal("20") + area * Decimal("0.5")).quantize(Decimal("0.01"))
    bigger = copy.deepcopy(data)
    bigger["building"]["floor_area"] = float(area) + 10
    assert sum(amounts(compute_fees(service, bigger)).values()) == sum(fees.values()) + 5


@pytest.mark.parametrize(
    "area,fee", [(10, "50.00"), (25, "50.00"), (25.5, "100.00"), (100, "200.00"), (180, "300.00")]
)
def test_food_premises_fee_is_tiered_by_area(catalog: Catalog, area, fee):
    service = catalog.get("food-premises-notification").service
    data = read(sorted((EXAMPLES / "food-premises-notification").glob("valid-*.json"))[0])
    data["business"]["area_sqm"] = area
    [line] = compute_fees(service, data)
    assert line.amount == Decimal(fee) and line.period == "yearly"


def test_garbage_fee_by_rate_class_and_local_ordinance(catalog: Catalog):
    service = catalog.get("garbage-fee").service
    data = read(sorted((EXAMPLES / "garbage-fee").glob("valid-*.json"))[0])
    data["premises"]["rate_class"] = "restaurant"
    [line] = compute_fees(service, data)
    assert line.amount == Decimal("150.00") and line.period == "monthly"
    maehia = {"garbage_monthly": {"rates": {**service.fee("garbage_monthly").rates, "restaurant": 120}}}
    [local] = compute_fees(service, data, local_rates=maehia)
    assert local.amount == Decimal("120.00")


def test_national_fees_cannot_be_changed_locally(catalog: Catalog):
    service = catalog.get("building-permit").service
    data = read(EXAMPLES / "building-permit" / "valid-new-house-owner.json")
    with pytest.raises(FeeNotLocal):
        compute_fees(service, data, local_rates={"permit_fee_construction": {"amount": 5}})


def test_wastewater_fee_applies_only_the_matching_class(catalog: Catalog):
    service = catalog.get("wastewater-fee").service
    for path in sorted((EXAMPLES / "wastewater-fee").glob("valid-*.json")):
        lines = compute_fees(service, read(path))
        assert len(lines) == 1, path.name


def test_missing_inputs_are_typed_errors(catalog: Catalog):
    garbage = catalog.get("garbage-fee").service
    with pytest.raises(MissingFeeInput):
        compute_fees(garbage, {"premises": {}})
    with pytest.raises(FeeUnknownClass):
        compute_fees(garbage, {"premises": {"rate_class": "palace"}})


def test_only_the_requested_fees(catalog: Catalog):
    service = catalog.get("building-permit").service
    data = read(EXAMPLES / "building-permit" / "valid-new-house-owner.json")
    assert [line.fee_id for line in compute_fees(service, data, only=["permit_fee_construction"])] == [
        "permit_fee_construction"
    ]
