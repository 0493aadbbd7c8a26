"""Database settings: ``DATABASE_URL`` picks SQLite (the embedded default) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise.backends.base.config_generator import expand_db_url

from engine.errors import ThongthinError

MODELS = "engine.store.models"
MIGRATIONS = "engine.store.migrations"


class UnsupportedDatabase(ThongthinError):
    def __init__(self, url: str):
        self.url = url
        super().__init__(
            f"DATABASE_URL must start with sqlite:// or postgres://, not {url.split(':', 1)[0]}://"
        )


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'thongthin.sqlite3').resolve()}"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration for ``database_url``; raises :class:`UnsupportedDatabase`."""
    scheme = urlsplit(database_url).scheme
    if scheme == "sqlite":
        path = database_url[len("sqlite://") :]
        if path not in ("", ":memory:", "/:memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection: str | dict[str, Any] = database_url
    elif scheme in ("postgres", "postgresql"):
        connection = expand_db_url("postgres://" + database_url.split("://", 1)[1])
        # Every statement is planned for its own values: a plan cached for a town with a hundred
        # open applications reads a city's twenty thousand in full (tenants differ by orders of size).
        settings = connection["credentials"].setdefault("server_settings", {})
        settings.setdefault("plan_cache_mode", "force_custom_plan")
    else:
        raise UnsupportedDatabase(database_url)
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": [MODELS], "default_connection": "default", "migrations": MIGRATIONS}},
        "use_tz": True,
        "timezone": "UTC",
    }


def is_postgres(database_url: str) -> bool:
    return urlsplit(database_url).scheme in ("postgres", "postgresql")
