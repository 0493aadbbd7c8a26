"""Migrated data folders for tests that need a platform set up, without migrating each time.

A new SQLite database takes ``thongthin db upgrade`` 10 to 20 seconds on the machines we test on:
the migration executor replays every operation of every migration. The suite sets up a fresh
data folder in about fifteen places. The first test of a run that asks for one runs the real
command once, in a folder shared by the run's test processes; every other gets a copy of that
folder, the same files the command leaves. The command itself stays tested where it is the
subject: ``tests/e2e/test_cli.py`` and ``tests/integration/test_migrations.py``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

THONGTHIN = shutil.which("thongthin", path=str(Path(sys.executable).parent)) or "thongthin"
DATABASE_FILE = "thongthin.sqlite3"


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    """A folder every process of this test run sees: pytest-xdist's workers share the parent of their own."""
    base = factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


def _build(folder: Path) -> None:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("S3_") and k not in ("DATABASE_URL", "THONGTHIN_DATA", "SECRET_KEY")
    }
    environ.update(THONGTHIN_DATA=str(folder), SECRET_KEY="migrated-template")
    done = subprocess.run(
        [THONGTHIN, "db", "upgrade"], env=environ, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        pytest.fail(f"thongthin db upgrade failed:\n{done.stdout}\n{done.stderr}")
    # Fold the write-ahead log into the database file, so a copy is one self-contained file.
    connection = sqlite3.connect(folder / DATABASE_FILE)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


def migrated_template(factory: pytest.TempPathFactory) -> Path:
    """The run's migrated data folder, made by ``thongthin db upgrade`` the first time it is asked for."""
    root = _shared_root(factory)
    template = root / "migrated-data"
    if template.is_dir():
        return template
    with (root / "migrated-data.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.is_dir():
            building = root / f"migrated-data.{os.getpid()}"
            shutil.rmtree(building, ignore_errors=True)
            _build(building)
            building.rename(template)  # atomic: another process sees the whole folder or none
    return template


def migrated_data(factory: pytest.TempPathFactory, folder: Path) -> Path:
    """``folder`` as ``thongthin db upgrade`` leaves a new data folder: the database migrated, the catalog published."""
    shutil.copytree(migrated_template(factory), folder, dirs_exist_ok=True)
    return folder
