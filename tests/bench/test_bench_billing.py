"""``thongthin bench billing`` bills N accounts and reports in the agreed shape; its figures are not judged here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

THONGTHIN = shutil.which("thongthin", path=str(Path(sys.executable).parent)) or "thongthin"


def test_bench_billing_ends_with_one_json_line():
    result = subprocess.run(
        [THONGTHIN, "bench", "billing", "--accounts", "2000"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) > 1  # human-readable lines first
    last = json.loads(lines[-1])
    assert last["name"] == "billing" and last["unit"] == "bills/s"
    assert last["accounts"] == 2000 and last["backend"] == "sqlite"
    assert last["value"] > 0 and last["baseline"] > 0 and last["ratio"] > 0
    for key in ("seconds", "baseline_seconds", "rerun_seconds", "setup_seconds", "total_seconds"):
        assert isinstance(last[key], int | float) and last[key] >= 0, key


def test_bench_refuses_accounts_for_a_benchmark_without_them():
    result = subprocess.run(
        [THONGTHIN, "bench", "validate", "--accounts", "10"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "accounts" in result.stderr


def test_bench_payments_ends_with_one_json_line():
    result = subprocess.run(
        [THONGTHIN, "bench", "payments", "--accounts", "300"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) > 1
    last = json.loads(lines[-1])
    assert last["name"] == "payments" and last["unit"] == "payments/s"
    assert last["accounts"] == 300 and last["backend"] == "sqlite"
    assert last["value"] > 0 and last["baseline"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) < 0.01
