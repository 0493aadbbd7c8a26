"""``thongthin bench submit`` runs the real app and the bare baseline over HTTP and reports in the agreed shape.

Its figures are not judged here (a test machine's speed says nothing about the code).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

THONGTHIN = shutil.which("thongthin", path=str(Path(sys.executable).parent)) or "thongthin"


def test_bench_submit_on_sqlite_ends_with_one_json_line():
    result = subprocess.run(
        [THONGTHIN, "bench", "submit", "--seconds", "0.5", "--backend", "sqlite"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    last = json.loads(lines[-1])
    assert last["name"] == "submit"
    assert last["unit"] == "submissions/s"
    assert last["backend"] == "sqlite"
    assert last["service"].startswith("complaint@")
    assert last["value"] > 0 and last["baseline"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) < 0.01
    assert any("rows stored and counted" in line for line in lines)


def test_backend_is_refused_for_a_benchmark_without_a_database():
    result = subprocess.run(
        [THONGTHIN, "bench", "validate", "--backend", "postgres"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "uses no database" in result.stderr
