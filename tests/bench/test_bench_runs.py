"""Benchmarks run end to end and report in the agreed shape; their figures are not judged here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

THONGTHIN = shutil.which("thongthin", path=str(Path(sys.executable).parent)) or "thongthin"


def test_bench_validate_ends_with_one_json_line():
    result = subprocess.run(
        [THONGTHIN, "bench", "validate", "--seconds", "0.2"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last["name"] == "validate"
    assert last["unit"] == "validations/s"
    assert last["value"] > 0 and last["baseline"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) < 0.01
    assert last["service"].startswith("building-permit@")


def test_unknown_benchmark_is_refused():
    result = subprocess.run([THONGTHIN, "bench", "nothing"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "unknown benchmark 'nothing'" in result.stderr
