"""Municipalities and the catalog services they enable."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from tortoise import connections

from engine.definitions import ServiceDefinition
from engine.services.errors import InvalidParameters, ServiceNotEnabled, TenantNotFound
from engine.store.bounds import could_be_key
from engine.store.models import EnabledService, Submission, Tenant


async def get_tenant(slug: str) -> Tenant:
    """Raises :class:`TenantNotFound`."""
    tenant = await Tenant.get_or_none(slug=slug) if could_be_key(slug, Tenant, "slug") else None
    if tenant is None:
        raise TenantNotFound(slug)
    return tenant


async def ensure_tenant(slug: str, **fields: Any) -> Tenant:
    """The tenant ``slug``, created with ``fields`` when it does not exist yet."""
    tenant, _ = await Tenant.get_or_create(slug=slug, defaults=fields)
    return tenant


async def enable_service(
    tenant: Tenant, definition: ServiceDefinition, parameters: dict[str, Any] | None = None
) -> EnabledService:
    """Offer ``definition`` (pinned to its version) in ``tenant``; re-enabling updates the pin."""
    if parameters:
        check_parameters(definition, parameters)
    enabled, created = await EnabledService.get_or_create(
        tenant=tenant,
        service_id=definition.id,
        defaults={"version": definition.version, "parameters": parameters or {}},
    )
    if not created:
        enabled.version = definition.version
        enabled.enabled = True
        if parameters is not None:
            enabled.parameters = parameters
        await enabled.save()
    return enabled


@dataclass(frozen=True)
class VersionChange:
    """A service enabled at a version: the version before (None when newly offered) and the work on it."""

    enabled: EnabledService
    previous: str | None
    open_on_previous: int


async def enable_version(tenant: Tenant, definition: ServiceDefinition) -> VersionChange:
    """Offer ``definition`` at its version, keeping the municipality's local parameters.

    Applications, drafts and fee accounts begun under the earlier version stay on it to their end.
    Raises :class:`InvalidParameters` when the local rates no longer fit the new version's fees.
    """
    current = await EnabledService.get_or_none(tenant=tenant, service_id=definition.id)
    previous = current.version if current is not None and current.enabled else None
    enabled = await enable_service(tenant, definition, dict(current.parameters) if current else None)
    open_count = 0
    if previous is not None and previous != definition.version:
        open_count = await open_applications(tenant, definition.id, version=previous)
    return VersionChange(enabled, previous, open_count)


async def disable_service(tenant: Tenant, service_id: str) -> None:
    """Stop offering ``service_id``: citizens can no longer apply; open applications carry on."""
    await EnabledService.filter(tenant=tenant, service_id=service_id).update(enabled=False)


async def open_applications(tenant: Tenant, service_id: str, *, version: str | None = None) -> int:
    """How many applications of ``service_id`` (at ``version``) are submitted and not yet finished."""
    query = Submission.filter(tenant_id=tenant.id, service_id=service_id, closed=False)
    if version is not None:
        query = query.filter(service_version=version)
    return await query.count()


async def enabled_services(tenant: Tenant) -> list[EnabledService]:
    return await EnabledService.filter(tenant=tenant, enabled=True).order_by("service_id")


@dataclass(frozen=True)
class Offered:
    """A service as a municipality offers it: the tenant, and the version it enabled."""

    tenant: Tenant
    service_id: str
    version: str


@cache
def _offered_sql(postgres: bool) -> str:
    columns = ", ".join(f't."{column}" AS "t.{column}"' for column in Tenant._meta.db_fields)
    slug, service = ("$1", "$2") if postgres else ("?", "?")
    return (
        f'SELECT e."version" AS "e.version", {columns} FROM "enabled_service" e '
        f'JOIN "tenant" t ON t."id" = e."tenant_id" '
        f'WHERE t."slug" = {slug} AND e."service_id" = {service} AND e."enabled" LIMIT 1'
    )


async def offered(tenant_slug: str, service_id: str) -> Offered:
    """The service a municipality offers, with its tenant, in one query (the hot path of every
    submission, so written once as SQL rather than built by the ORM on each call).

    Raises :class:`TenantNotFound` or :class:`ServiceNotEnabled`.
    """
    rows: list[dict[str, Any]] = []
    if could_be_key(service_id, EnabledService, "service_id") and could_be_key(tenant_slug, Tenant, "slug"):
        connection = connections.get("default")
        sql = _offered_sql(connection.capabilities.dialect == "postgres")
        rows = await connection.execute_query_dict(sql, [tenant_slug, service_id])
    if not rows:
        tenant = await get_tenant(tenant_slug)
        raise ServiceNotEnabled(tenant.slug, service_id)
    row = rows[0]
    tenant = Tenant._init_from_db(**{c: row[f"t.{c}"] for c in Tenant._meta.db_fields})
    return Offered(tenant, service_id, row["e.version"])


async def enabled_service(tenant: Tenant, service_id: str) -> EnabledService:
    """Raises :class:`ServiceNotEnabled` when the tenant does not offer it."""
    found = None
    if could_be_key(service_id, EnabledService, "service_id"):
        found = await EnabledService.get_or_none(tenant=tenant, service_id=service_id, enabled=True)
    if found is None:
        raise ServiceNotEnabled(tenant.slug, service_id)
    return found


def check_parameters(definition: ServiceDefinition, parameters: dict[str, Any]) -> None:
    """Local parameters may only change fees the definition marks ``local``.

    Raises :class:`InvalidParameters`.
    """
    for fee_id in parameters.get("fees", {}):
        fee = definition.service.fee(fee_id)
        if fee is None:
            raise InvalidParameters(f"{definition.id} has no fee {fee_id!r}")
        if not fee.local:
            raise InvalidParameters(f"fee {fee_id!r} is set by national law and cannot be changed locally")


@dataclass(frozen=True)
class BulkEnabled:
    """What enabling one version in many municipalities did: moved or newly offered, and refusals."""

    changed: list[VersionChange]
    refused: dict[str, str]  # slug -> why (local rates that no longer fit the version's fees)


async def enable_in(slugs: list[str], definition: ServiceDefinition) -> BulkEnabled:
    """Offer ``definition`` at its version in every municipality of ``slugs``, each on its own.

    A municipality whose local rates do not fit the version is left as it was and named in
    ``refused``. Raises :class:`TenantNotFound` for an unknown slug (then nothing is changed).
    """
    found = {t.slug: t for t in await Tenant.filter(slug__in=slugs)}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise TenantNotFound(unknown[0])
    changed: list[VersionChange] = []
    refused: dict[str, str] = {}
    for slug in slugs:
        try:
            changed.append(await enable_version(found[slug], definition))
        except InvalidParameters as error:
            refused[slug] = str(error)
    return BulkEnabled(changed, refused)
