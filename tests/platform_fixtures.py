"""A running platform for integration tests: SQLite + local blobs, or PostgreSQL + real S3.

``THONGTHIN_TEST_DB`` picks the backend (``sqlite``, the default, or ``postgres``); the ORM
binds its query builders to one database per process, so ``make test`` runs the tests that
use the platform once per backend, in two pytest processes. The PostgreSQL run gets a
database of its own, created and dropped around the session.
When no PostgreSQL answers on 127.0.0.1:5432 the variant is skipped with a message, except
in CI (``CI`` set), where that is a failure: production runs on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from engine.blobs import LocalBlobStore, S3BlobStore
from engine.store.runtime import OrmRuntime
from tests.prepared import DATABASE_FILE, migrated_data
from tests.s3server import start_s3_server, stop_s3_server
from thongthin.app import create_app
from thongthin.platform import Platform
from thongthin.settings import Settings

POSTGRES_ADMIN = os.environ.get("THONGTHIN_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
BACKEND = os.environ.get("THONGTHIN_TEST_DB", "sqlite")


def _admin_execute(sql: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN, timeout=3)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the session (dropped afterwards)."""
    name = f"thongthin_test_{uuid.uuid4().hex[:10]}"
    try:
        _admin_execute(f'CREATE DATABASE "{name}"')
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL at {POSTGRES_ADMIN} did not answer ({error}); its tests are skipped"
        if os.environ.get("CI"):
            pytest.fail(message + " — but CI must run them")
        pytest.skip(message)
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def backend() -> str:
    if BACKEND not in ("sqlite", "postgres"):
        pytest.fail(f"THONGTHIN_TEST_DB must be sqlite or postgres, not {BACKEND!r}")
    return BACKEND


@pytest.fixture(scope="session")
def platform(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A migrated platform: SQLite with a local blob folder, or PostgreSQL with a real S3 server."""
    folder = tmp_path_factory.mktemp(f"platform-{backend}")
    cleanup: list[Any] = []
    if backend == "sqlite":
        migrated_data(tmp_path_factory, folder)
        database_url = f"sqlite:///{folder / DATABASE_FILE}"
        blobs: Any = LocalBlobStore(folder / "blobs")
    else:
        databases = postgres_database()
        database_url = next(databases)
        cleanup.append(lambda: next(databases, None))
        endpoint, key, secret, process = start_s3_server(folder / "s3")
        cleanup.append(lambda: stop_s3_server(process))
        blobs = S3BlobStore(endpoint, key, secret, "thongthin-test")
    settings = Settings(
        data_dir=folder, database_url=database_url, secret_key="test-secret", secure_cookies=False
    )
    runtime = OrmRuntime(database_url)
    running = Platform(settings=settings, runtime=runtime, blobs=blobs)
    running.upgrade()
    yield running
    runtime.close()
    for step in reversed(cleanup):
        step()


@pytest.fixture(scope="session")
def app(platform: Platform) -> Any:
    flask_app = create_app(platform.settings, platform_=platform)
    flask_app.config.update(TESTING=True)
    return flask_app


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def data_dir_of(platform: Platform) -> Path:
    return platform.settings.data_dir
