"""Data migrations change the rows already there, on the database the run uses (SQLite, or a fresh
PostgreSQL database of its own in the PostgreSQL pass)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.platform_fixtures import postgres_database
from tests.unit.test_migrations import MIGRATE, python

pytestmark = pytest.mark.db

KEYS = {
    "records": ["inbox:read", "definitions:read"],
    "catalog": ["definitions:read"],
    "desk": ["inbox:read"],
}


class Database:
    """Raw SQL on the run's database, outside the ORM (the migrations run in a child process)."""

    def __init__(self, backend: str, tmp_path: Path, postgres_url: str | None):
        self.backend = backend
        self.url = postgres_url or f"sqlite:///{tmp_path / 'lived-in.sqlite3'}"
        self.file = tmp_path / "lived-in.sqlite3"

    def migrate(self, target: str | None = None) -> None:
        done = python(MIGRATE, self.url, *([target] if target else []))
        assert done.returncode == 0, done.stderr

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            with sqlite3.connect(self.file) as connection:
                return connection.execute(sql).fetchall()

        async def run() -> list[tuple[Any, ...]]:
            connection = await asyncpg.connect(self.url)
            try:
                return [tuple(row) for row in await connection.fetch(sql)]
            finally:
                await connection.close()

        return asyncio.run(run())


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[Database]:
    if backend == "sqlite":
        yield Database(backend, tmp_path, None)
        return
    databases = postgres_database()
    yield Database(backend, tmp_path, next(databases))
    next(databases, None)


def test_keys_lose_the_scope_that_granted_nothing_and_keep_the_others(database: Database):
    database.migrate("models.0022_submission_comments")
    database.run(
        "INSERT INTO tenant (id, slug, name_th, name_en, kind, province, reference_prefix, address_th,"
        " settings, created_at, code, kind_th, district, postcode) VALUES (1, 'old', 'เทศบาลเดิม', '',"
        " 'municipality', 'เชียงใหม่', 'OL', '', '{}', '2025-01-01 00:00:00', '', '', '', '')"
    )
    for number, (name, scopes) in enumerate(KEYS.items(), start=1):
        database.run(
            "INSERT INTO api_key (tenant_id, name, key_hash, prefix, scopes, created_at) VALUES"
            f" (1, '{name}', '{number:064d}', 'ttk_{number}', '{json.dumps(scopes)}', '2025-01-01 00:00:00')"
        )
    database.migrate()
    after = {name: json.loads(scopes) for name, scopes in database.run("SELECT name, scopes FROM api_key")}
    assert after == {"records": ["inbox:read"], "catalog": [], "desk": ["inbox:read"]}
