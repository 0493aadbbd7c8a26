"""``thongthin bench exchange`` sends letters between two towns until each comes back accepted, and
reports in the agreed shape; its figures are not judged here."""

from __future__ import annotations

import json
import subprocess

from tests.bench.test_bench_submit import THONGTHIN


def test_bench_exchange_ends_with_one_json_line() -> None:
    result = subprocess.run(
        [THONGTHIN, "bench", "exchange", "--letters", "3"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) > 1  # human-readable lines first
    last = json.loads(lines[-1])
    assert (last["name"], last["unit"], last["backend"], last["letters"]) == (
        "exchange",
        "letters/s",
        "sqlite",
        3,
    )
    assert last["value"] > 0 and last["baseline"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) < 0.01
    assert any("every letter accepted with its own receive number" in line for line in lines)


def test_bench_refuses_letters_for_a_benchmark_without_them() -> None:
    result = subprocess.run(
        [THONGTHIN, "bench", "validate", "--letters", "10"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "letters" in result.stderr
