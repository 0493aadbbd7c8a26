"""The migrations describe the models, and the latest applies to a database that already has tenants.

Each check runs in a child process: initialising the ORM a second time in this one would bind
the models to another database under the integration tests that share the process.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

PENDING = """
import asyncio, sys
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from engine.store.config import tortoise_config

config = tortoise_config("sqlite://:memory:")

async def changes():
    async with tortoise_cli_context(config) as context:
        return await MigrationAutodetector(context.apps, config["apps"]).changes()

writers = asyncio.run(changes())
for writer in writers:
    print(writer.app_label, [type(operation).__name__ for operation in writer.operations])
sys.exit(1 if writers else 0)
"""

MIGRATE = """
import asyncio, sys
from tortoise import Tortoise
from tortoise.migrations.api import migrate
from engine.store.config import tortoise_config

async def run(target):
    try:
        await migrate(config=tortoise_config(sys.argv[1]), target=target)
    finally:
        await Tortoise.close_connections()

asyncio.run(run(sys.argv[2] if len(sys.argv) > 2 else None))
"""


def python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120)


def test_the_models_need_no_migration_that_is_not_written():
    done = python(PENDING)
    assert done.returncode == 0, "models differ from the migrations:\n" + done.stdout + done.stderr


def test_the_tenant_register_migration_fills_the_tenants_already_there(tmp_path: Path):
    database = tmp_path / "before.sqlite3"
    url = f"sqlite:///{database}"
    before = python(MIGRATE, url, "models.0010_messages")
    assert before.returncode == 0, before.stderr
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO tenant (slug, name_th, name_en, kind, province, reference_prefix, address_th,"
            " settings, created_at) VALUES ('old', 'เทศบาลเดิม', '', 'municipality', 'เชียงใหม่', 'OL', '',"
            " '{}', '2025-01-01 00:00:00')"
        )
    after = python(MIGRATE, url)
    assert after.returncode == 0, after.stderr
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT code, kind_th, district, postcode FROM tenant").fetchone()
        indexes = [r[1] for r in connection.execute("PRAGMA index_list('tenant')")]
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert row == ("", "", "", "")
    assert any("code" in name for name in indexes)
    assert "setup_token" in tables


def test_every_migration_applies_to_a_database_with_officers_applications_and_accounts(tmp_path: Path):
    """Columns added later (an officer's e-mail, an application's stopped channels, an account's
    address as answered) are filled in for the rows already there."""
    database = tmp_path / "lived-in.sqlite3"
    url = f"sqlite:///{database}"
    before = python(MIGRATE, url, "models.0009_usernames_per_tenant")
    assert before.returncode == 0, before.stderr
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO tenant (id, slug, name_th, name_en, kind, province, reference_prefix, address_th,"
            " settings, created_at) VALUES (1, 'old', 'เทศบาลเดิม', '', 'municipality', 'เชียงใหม่', 'OL', '',"
            " '{}', '2025-01-01 00:00:00')"
        )
        connection.execute(
            "INSERT INTO app_user (tenant_id, username, display_name, position_th, password_hash, active,"
            " created_at) VALUES (1, 'old.clerk', 'เจ้าหน้าที่', '', 'x', 1, '2025-01-01 00:00:00')"
        )
        connection.execute(
            "INSERT INTO submission (id, tenant_id, reference, service_id, service_version, data, state, version,"
            " votes, contact_hashes, tracking_token_hash, submitted_at, state_entered_at, closed, updated_at)"
            " VALUES (1, 1, 'OL-2568-000001', 'complaint', '1.0.0', '{}', 'received', 1, '[]', '[]', 'x',"
            " '2025-01-01 00:00:00', '2025-01-01 00:00:00', 0, '2025-01-01 00:00:00')"
        )
        connection.execute(
            "INSERT INTO fee_account (tenant_id, number, service_id, service_version, fee_id, fee_period,"
            " rate_class, parameters, holder, phone, address, first_period, active, created_at) VALUES"
            " (1, 'GB-000001', 'garbage-fee', '1.0.0', 'garbage_monthly', 'monthly', 'household', '{}',"
            " 'นางบัวคำ ใจดี', '', '12 หมู่ 3', '2568-01', 1, '2025-01-01 00:00:00')"
        )
    after = python(MIGRATE, url)
    assert after.returncode == 0, after.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT email, digest FROM app_user").fetchone() == ("", "email")
        assert connection.execute("SELECT stopped_channels FROM submission").fetchone() == ("[]",)
        assert connection.execute("SELECT address_parts FROM fee_account").fetchone() == ("{}",)
