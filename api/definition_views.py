"""Service definitions for other front ends: a municipality's services and the national catalog.

Public information, answered anonymously: a municipality's document is the version it enabled
with its local rates, and a service it does not offer is 404 as if it did not exist. Each
document carries a strong ``ETag``; ``If-None-Match`` with it answers 304 without a body.
"""

from __future__ import annotations

from typing import Any

from api.errors import ApiError
from api.paging import json_with_etag
from api.views import blueprint, tenant_or_404
from engine.definitions import UnknownService
from engine.services import definition_documents, tenants
from thongthin.app import platform


def _refreshed_catalog() -> Any:
    """The catalog with any version another node published since this one read it."""
    platform().db(platform().load_published())
    return platform().catalog


@blueprint.get("/tenants/<tenant>/services/<service_id>")
def service_definition(tenant: str, service_id: str) -> Any:
    found = tenant_or_404(tenant)
    enabled = platform().db(tenants.enabled_service(found, service_id))
    definition = platform().definition(enabled.service_id, enabled.version)
    return json_with_etag(definition_documents.document(definition, enabled.parameters))


@blueprint.get("/catalog")
def catalog() -> Any:
    return json_with_etag({"services": definition_documents.catalog_listing(_refreshed_catalog())})


@blueprint.get("/catalog/<service_id>/versions/<version>")
def catalog_version(service_id: str, version: str) -> Any:
    try:
        definition = platform().definition(service_id, version)
    except UnknownService:
        raise ApiError(
            404, "service_not_found", f"the national catalog has no version {version!r} of {service_id!r}"
        ) from None
    return json_with_etag(definition_documents.document(definition))
