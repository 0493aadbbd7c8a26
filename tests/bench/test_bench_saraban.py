"""``thongthin bench saraban`` registers real letters and stamps the same PDF, and reports in the agreed shape.

Its figures are not judged here (a test machine's speed says nothing about the code).
"""

from __future__ import annotations

import json
import subprocess

from tests.bench.test_bench_submit import THONGTHIN


def test_bench_saraban_ends_with_one_json_line() -> None:
    result = subprocess.run(
        [THONGTHIN, "bench", "saraban", "--seconds", "0.5"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    last = json.loads(lines[-1])
    assert (last["name"], last["unit"], last["backend"]) == ("saraban", "letters/s", "sqlite")
    assert last["value"] > 0 and last["baseline"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) < 0.01
    assert last["letters"] >= 2
    assert any("the receive book has one row each" in line for line in lines)
