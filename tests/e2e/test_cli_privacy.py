"""``thongthin audit verify``: the access log's chain checked from the command line."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_serve import SEED, THONGTHIN, clean_environ
from tests.prepared import migrated_data

LOOKS = (
    "import json\n"
    "from engine.definitions import load_catalog\n"
    "from engine.services import access_log, submissions, tenants\n"
    "from engine.store.runtime import OrmRuntime\n"
    "from thongthin.settings import Settings\n"
    "from tests.conftest import EXAMPLES\n"
    "runtime = OrmRuntime(Settings.from_env().database_url)\n"
    "catalog = load_catalog()\n"
    "async def looks():\n"
    "    tenant = await tenants.get_tenant('maehia')\n"
    "    data = json.loads((EXAMPLES / 'complaint' / 'valid-stray-dogs-anonymous.json').read_text())\n"
    "    receipt = await submissions.submit(tenant, catalog.get('complaint'), data)\n"
    "    found = await submissions.find(tenant, receipt.reference)\n"
    "    for _ in range(5):\n"
    "        await access_log.record(found, None, access_log.VIEW, channel='cli')\n"
    "runtime.run(looks())\n"
    "runtime.close()\n"
)


def run(command: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=180)


def test_audit_verify_finds_a_changed_entry(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory):
    data = migrated_data(tmp_path_factory, tmp_path / "data")
    environ = clean_environ(THONGTHIN_DATA=str(data), SECRET_KEY="test-audit")
    for step in ([sys.executable, "-c", SEED], [sys.executable, "-c", LOOKS]):
        done = run(step, environ)
        assert done.returncode == 0, done.stderr
    intact = run([THONGTHIN, "audit", "verify", "maehia"], environ)
    assert intact.returncode == 0, intact.stderr
    assert "5 entries, chain intact" in intact.stderr
    assert re.fullmatch(r"[0-9a-f]{64}", intact.stdout.strip().splitlines()[-1])

    with sqlite3.connect(data / "thongthin.sqlite3") as database:
        database.execute("UPDATE access_log SET actor_label = 'nobody' WHERE seq = 3")
    broken = run([THONGTHIN, "audit", "verify", "maehia"], environ)
    assert broken.returncode == 1
    assert "breaks at entry 3" in broken.stderr
    unknown = run([THONGTHIN, "audit", "verify", "no-such-town"], environ)
    assert unknown.returncode == 1 and "no-such-town" in unknown.stderr
