"""Measuring rates fairly on a noisy machine: interleaved rounds, median of each side."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls of ``fn`` per second over about ``seconds`` (batches grow to keep clock overhead low)."""
    calls, batch = 0, 1
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            fn()
        calls += batch
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start)
        batch = min(batch * 2, 4096)


def interleaved(
    sides: Mapping[str, Callable[[], object]], seconds: float, rounds: int = 5
) -> dict[str, float]:
    """The median rate of each side, measured in alternating rounds so drift hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            samples[name].append(rate(fn, seconds / rounds))
    return {name: statistics.median(values) for name, values in samples.items()}


def result(name: str, value: float, baseline: float, unit: str, **extra: object) -> dict[str, object]:
    """The JSON line every benchmark ends with."""
    # The ratio is computed from the figures as printed, so that it is exactly value / baseline to
    # its three decimals whatever the rates (a slow benchmark's 0.1/s rounding moved it by 1%).
    shown_value, shown_baseline = round(value, 3), round(baseline, 3)
    return {
        "name": name,
        "value": shown_value,
        "baseline": shown_baseline,
        "unit": unit,
        "ratio": round(shown_value / shown_baseline, 3) if shown_baseline else None,
        **extra,
    }
