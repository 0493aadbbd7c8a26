"""``thongthin bench documents`` renders and signs the permit with a throw-away PKI and reports in the agreed shape.

Its figures are not judged here (a test machine's speed says nothing about the code).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from engine.definitions import load_definition

THONGTHIN = shutil.which("thongthin", path=str(Path(sys.executable).parent)) or "thongthin"
EXTRAS = ("render_per_s", "sign_per_s", "verify_per_s")


def test_bench_documents_ends_with_one_json_line(tmp_path: Path):
    # Its own temporary folder, to see that the throw-away PKI is gone afterwards.
    environ = {**os.environ, "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [THONGTHIN, "bench", "documents", "--seconds", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        env=environ,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) > 1  # human-readable lines first
    last = json.loads(lines[-1])

    assert last["name"] == "documents"
    assert last["unit"] == "documents/s"
    assert last["service"].startswith("building-permit@")
    assert last["document"] == "permit" and last["signers"] == 1  # the เจ้าพนักงานท้องถิ่น alone
    assert last["value"] > 0 and last["baseline"] > 0
    # value and baseline are rounded to 0.1 and the ratio computed before rounding: allow for that.
    value, baseline = last["value"], last["baseline"]
    low, high = (value - 0.05) / (baseline + 0.05), (value + 0.05) / max(baseline - 0.05, 1e-9)
    assert low - 0.001 <= last["ratio"] <= high + 0.001, last

    spec = load_definition("building-permit").service.document("permit")
    assert spec is not None
    assert last["pades_level"] == spec.pades_level
    for key in EXTRAS:
        assert isinstance(last[key], int | float) and last[key] > 0, key
    where = last["where_time_goes"]
    assert set(where) == {"render", "sign", "verify"}
    assert all(isinstance(seconds, int | float) and seconds > 0 for seconds in where.values()), where
    assert list(tmp_path.iterdir()) == []
