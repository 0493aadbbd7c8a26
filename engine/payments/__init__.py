"""Fees: what a submission costs, computed from the definition and the municipality's rates."""

from engine.payments.fees import (
    FeeError,
    FeeLine,
    FeeNotLocal,
    FeeUnknownClass,
    MissingFeeInput,
    compute_fees,
    with_local_rates,
)

__all__ = [
    "FeeError",
    "FeeLine",
    "FeeNotLocal",
    "FeeUnknownClass",
    "MissingFeeInput",
    "compute_fees",
    "with_local_rates",
]
