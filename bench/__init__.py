"""Benchmarks run by ``thongthin bench NAME``; each compares against a baseline measured in the same run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench import billing, documents, exchange, payments, saraban, scale, submit, validate

BENCHMARKS: dict[str, Callable[..., dict[str, Any]]] = {
    "validate": validate.run,
    "submit": submit.run,
    "documents": documents.run,
    "billing": billing.run,
    "payments": payments.run,
    "saraban": saraban.run,
    "exchange": exchange.run,
    "scale": scale.run,
}
