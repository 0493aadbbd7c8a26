"""What every entry point shares: settings, the ORM runtime, the catalog and the blob store."""

from __future__ import annotations

import threading
from collections.abc import Awaitable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from engine.definitions import Catalog, DefinitionError, Problem, ServiceDefinition, UnknownService
from engine.definitions.loader import load_roles
from engine.definitions.locations import catalog_dir, examples_dir
from engine.messaging import ChannelRegistry, registry_from_env
from engine.store.runtime import OrmRuntime
from thongthin.settings import Settings

T = TypeVar("T")


@dataclass
class Platform:
    settings: Settings
    runtime: OrmRuntime
    blobs: Any
    _catalog: Catalog | None = field(default=None, repr=False)
    _catalog_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def create(cls, settings: Settings) -> Platform:
        from engine.blobs import blob_store_from_env

        return cls(
            settings=settings,
            runtime=OrmRuntime(settings.database_url),
            blobs=blob_store_from_env(settings.environ, settings.data_dir),
        )

    @property
    def catalog_cache(self) -> Path:
        """Where published versions are unpacked for the loader and the document renderer."""
        return self.settings.data_dir / "catalog-cache"

    @property
    def catalog(self) -> Catalog:
        """Every published version in the database (read at first use, then as new ones appear)."""
        if self._catalog is None:
            with self._catalog_lock:
                if self._catalog is None:
                    catalog = empty_catalog()
                    self.db(self.load_published(catalog))
                    self._catalog = catalog
        return self._catalog

    async def load_published(self, catalog: Catalog | None = None) -> int:
        """Add the versions published since the catalog was read (by any node); returns how many."""
        from engine.services.catalog import load_published

        target = catalog if catalog is not None else self._catalog
        if target is None:
            target = self._catalog = empty_catalog()
        return await load_published(target, self.catalog_cache)

    def upgrade(self) -> list[Any]:
        """Migrate the database, then publish the national seed's versions it does not have yet.

        Raises :class:`engine.services.errors.DefinitionRefused` or
        :class:`engine.services.errors.CatalogVersionConflict` when the seed cannot be published.
        """
        self.runtime.upgrade()
        return self.db(publish_national_seed(self.catalog, self.catalog_cache))

    @cached_property
    def channels(self) -> ChannelRegistry:
        """The message channels the environment sets up (see :func:`engine.messaging.registry_from_env`)."""
        return registry_from_env(self.settings.environ)

    @cached_property
    def saraban_files(self) -> Any:
        """Where letters' PDFs are kept and how they are stamped and signed (:class:`engine.services.saraban.letters.Files`)."""
        from engine.services.saraban.letters import Files
        from thongthin.saraban_pdf import LetterPdfTools

        tools = LetterPdfTools(self.settings.data_dir, self.settings.environ)
        return Files(tools=tools, blobs=self.blobs, secret_key=self.settings.secret_key)

    @cached_property
    def saraban_exchange(self) -> Any:
        """Letters between agencies: the files and this installation's transports
        (:class:`engine.services.saraban.exchange.Exchange`)."""
        from thongthin.saraban_exchange import exchange_for

        return exchange_for(self)

    def db(self, awaitable: Awaitable[T]) -> T:
        """Run a service-layer coroutine on the ORM loop thread and return its result."""
        return self.runtime.run(awaitable)

    def trust_roots(self) -> list[Any]:
        """The roots issued documents must chain to (``THONGTHIN_TRUST_ROOTS`` or the development root).

        Raises :class:`signing.PkiError` when none is configured.
        """
        from signing.services import platform_trust_roots

        return platform_trust_roots(self.settings.data_dir, self.settings.environ)

    def definition(self, service_id: str, version: str | None = None) -> ServiceDefinition:
        """The definition a submission or an enabled service pins; raises :class:`UnknownService`.

        A version published by another node since this one read the catalog is read then; on
        the ORM loop thread (a worker's runner) the catalog is refreshed before each round instead.
        """
        try:
            return self.catalog.get(service_id, version)
        except UnknownService:
            if self.runtime.on_loop_thread() or not self.db(self.load_published()):
                raise
            return self.catalog.get(service_id, version)


def upgrade_database(runtime: OrmRuntime, cache: Path, catalog: Catalog | None = None) -> list[Any]:
    """Apply every migration, then publish the seed's versions the database does not have yet."""
    runtime.upgrade()
    return runtime.run(publish_national_seed(catalog if catalog is not None else empty_catalog(), cache))


async def publish_national_seed(catalog: Catalog, cache: Path) -> list[Any]:
    """Publish the versions of ``schemas/catalog`` (``$THONGTHIN_CATALOG``) not published yet."""
    from engine.services.catalog import publish_seed

    return await publish_seed(catalog_dir(), catalog, cache, examples=examples_dir())


def empty_catalog() -> Catalog:
    """The platform's roles (``roles.json`` of the seed) and no service yet.

    Raises :class:`DefinitionError` when the roles file is broken.
    """
    root = catalog_dir()
    problems: list[Problem] = []
    roles = load_roles(root, problems)
    if problems:
        raise DefinitionError(problems)
    return Catalog(root=root, roles=roles)
