"""``thongthin bench scale`` seeds a national-shaped database in bulk, measures the offices' pages at two
sizes, and reports in the agreed shape; its figures are not judged here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

THONGTHIN = shutil.which("thongthin", path=str(Path(sys.executable).parent)) or "thongthin"
FIGURES = ("inbox", "inbox_small_town", "inbox_service", "dashboard", "tracking", "submit_8_clients")


def test_bench_scale_ends_with_one_json_line_of_every_figure():
    result = subprocess.run(
        [
            THONGTHIN,
            "bench",
            "scale",
            *("--tenants", "30", "--submissions", "4000"),
            *("--open", "600", "--accounts", "400"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert any("seeded 30 administrations" in line for line in lines), result.stdout
    last = json.loads(lines[-1])
    assert last["name"] == "scale" and last["backend"] == "sqlite" and last["baseline"] == 1.0
    assert (last["tenants"], last["submissions"], last["open"], last["accounts"]) == (30, 4000, 600, 400)
    assert last["waiting_big_city"] >= 600 and last["waiting_small_town"] == 100
    assert abs(last["ratio"] - last["inbox_small_town_p95_ms"] / last["inbox_p95_ms"]) < 0.01
    for figure in FIGURES:
        p50, p95 = last[f"{figure}_p50_ms"], last[f"{figure}_p95_ms"]
        assert 0 < p50 <= p95, figure
    assert last["billing_bills_per_s"] > 0


def test_bench_refuses_national_sizes_for_a_benchmark_without_them():
    result = subprocess.run(
        [THONGTHIN, "bench", "validate", "--tenants", "10"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "--tenants" in result.stderr
