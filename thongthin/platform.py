"""What every entry point shares: settings, the ORM runtime, the catalog and the blob store."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from engine.definitions import Catalog, ServiceDefinition, UnknownService, load_catalog
from engine.messaging import ChannelRegistry, registry_from_env
from engine.store.runtime import OrmRuntime
from thongthin.settings import Settings

T = TypeVar("T")


@dataclass
class Platform:
    settings: Settings
    runtime: OrmRuntime
    catalog: Catalog
    blobs: Any

    @classmethod
    def create(cls, settings: Settings) -> Platform:
        from engine.blobs import blob_store_from_env

        return cls(
            settings=settings,
            runtime=OrmRuntime(settings.database_url),
            catalog=load_catalog(),
            blobs=blob_store_from_env(settings.environ, settings.data_dir),
        )

    @cached_property
    def channels(self) -> ChannelRegistry:
        """The message channels the environment sets up (see :func:`engine.messaging.registry_from_env`)."""
        return registry_from_env(self.settings.environ)

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
        """The definition a submission or an enabled service pins; raises :class:`UnknownService`."""
        definition = self.catalog.get(service_id)
        if version is not None and definition.version != version:
            raise UnknownService(f"{service_id}@{version}", [definition.key])
        return definition
