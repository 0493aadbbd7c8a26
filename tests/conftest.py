"""Shared fixtures: the shipped catalog, its examples, and throw-away copies to break."""

from __future__ import annotations

import os

# Thousands of throw-away passwords are hashed here: argon2id at a light cost, for this process and
# the platform's processes the tests start (set before the accounts module makes its hasher).
os.environ.setdefault("THONGTHIN_ARGON2_TIME_COST", "1")
os.environ.setdefault("THONGTHIN_ARGON2_MEMORY_KIB", "1024")

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from engine.definitions import Catalog, load_catalog
from engine.definitions.locations import catalog_dir, examples_dir
from tests.platform_fixtures import app, backend, client, platform  # noqa: F401 (fixtures)

# In CI the property-based tests draw the same examples every run, so a red build is reproducible.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
# The whole suite shares one database and one client address: the API's per-caller rate limit
# is raised for it; tests of the limit itself set it lower.
os.environ.setdefault("THONGTHIN_API_RATE_LIMIT", "1000000")

CATALOG = catalog_dir()
EXAMPLES = examples_dir()
# The services the national catalog must always offer.
REQUIRED_SERVICES = frozenset(
    {
        "general-petition",
        "building-permit",
        "food-premises-notification",
        "garbage-fee",
        "wastewater-fee",
        "complaint",
        "elderly-allowance",
    }
)


@pytest.fixture(autouse=True)
def fresh_address_limits(request: pytest.FixtureRequest) -> None:
    """Every test starts with the limits counted per client address unused.

    The session's tests all come from 127.0.0.1; without this the hourly upload quota, or the
    failed logins and tracking lookups one address may make, would run out half-way through
    the suite, depending on which tests a worker happened to run. Tests of those limits use
    addresses of their own.
    """
    if "platform" not in request.fixturenames:
        return
    from api.conventions_views import rate_limit
    from engine.services import throttle
    from engine.store.models import Attempt

    running = request.getfixturevalue("platform")
    limits = (throttle.UPLOAD_FILES, throttle.UPLOAD_BYTES, throttle.LOGIN_ADDRESS, throttle.TRACKING_ADDRESS)
    scopes = [limit.scope for limit in limits] + [rate_limit().scope]
    running.db(Attempt.filter(scope__in=scopes).delete())


SERVICE_IDS = sorted(p.name for p in CATALOG.iterdir() if (p / "service.json").is_file())


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


def example_files(service_id: str, kind: str) -> list[Path]:
    return sorted((EXAMPLES / service_id).glob(f"{kind}-*.json"))


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    """Copy services (and their examples) into a temporary catalog; returns (catalog, examples)."""

    def make(*service_ids: str) -> tuple[Path, Path]:
        root, examples = tmp_path / "catalog", tmp_path / "examples"
        root.mkdir()
        examples.mkdir()
        shutil.copy(CATALOG / "roles.json", root / "roles.json")
        for service_id in service_ids:
            shutil.copytree(CATALOG / service_id, root / service_id)
            shutil.copytree(EXAMPLES / service_id, examples / service_id)
        return root, examples

    return make


def edit_json(path: Path, change: Callable[[Any], None]) -> None:
    """Apply ``change`` to the JSON document in ``path`` and write it back."""
    document = read(path)
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that run against a database, so the PostgreSQL pass can select them (-m db);
    leave the PostgreSQL-only ones (several nodes on one server) to that pass."""
    from tests.platform_fixtures import BACKEND

    for item in items:
        if "platform" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
    if BACKEND != "postgres":
        elsewhere = [item for item in items if item.get_closest_marker("postgres")]
        if elsewhere:
            config.hook.pytest_deselected(items=elsewhere)
            items[:] = [item for item in items if not item.get_closest_marker("postgres")]
