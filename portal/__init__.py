"""The citizens' portal: the services of a municipality, forms, tracking.

Pages live under ``/<tenant>/``; :func:`load_tenant` resolves the municipality before any
view runs (an unknown one is a 404 page), and every view works on ``g.tenant`` only.
Static files are served from ``/static/portal/`` and the Thai address data for the address
picker from ``/portal/thai-address…`` (shared by all tenants).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, g, jsonify, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import ThongthinError, http_status
from engine.services import tenants
from renderers.web import error_message_key
from thongthin.app import app_settings, platform

blueprint = Blueprint(
    "portal", __name__, template_folder="templates", static_folder="static", static_url_path="/static/portal"
)

BLUEPRINTS = (blueprint,)

ADDRESS_DATA = Path(__file__).parent / "address_data" / "thai_address.json"
# Address data changes once in years; phones may keep it for a day.
ADDRESS_CACHE_SECONDS = 86400


_NOT_PER_TENANT = frozenset(
    {
        "portal.static",
        "portal.address_provinces",
        "portal.address_province",
        "portal.verify_upload_page",
        "portal.verify_document",
        "portal.verified_document",
    }
)


@blueprint.url_value_preprocessor
def pull_tenant(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.tenant_slug = (values or {}).pop("tenant", None)


@blueprint.url_defaults
def add_tenant(endpoint: str, values: dict[str, Any]) -> None:
    if "tenant" not in values and g.get("tenant_slug") and endpoint not in _NOT_PER_TENANT:
        values["tenant"] = g.tenant_slug


@blueprint.before_request
def load_tenant() -> None:
    """The municipality of the URL; raises TenantNotFound (a 404 page) for an unknown one."""
    g.tenant = None
    if g.get("tenant_slug"):
        g.tenant = platform().db(tenants.get_tenant(g.tenant_slug))


@blueprint.context_processor
def portal_context() -> dict[str, Any]:
    tenant = g.get("tenant")
    language = g.get("language", "th")
    name = ""
    if tenant is not None:
        name = tenant.name_en if language == "en" else tenant.name_th
    settings = app_settings()
    return {
        "tenant": tenant,
        "tenant_name": name,
        "map_tiles": {"url": settings.tile_url, "attribution": settings.tile_attribution},
        # Read only by pages with a map (a boundary may have thousands of points).
        "map_centre": lambda: map_centre(tenant),
    }


# Where a map opens when the answers give no point yet: the municipality's own area.
THAILAND = (13.7563, 100.5018)


def map_centre(tenant: Any) -> str:
    """``lat,lon`` of the tenant's ``map_centre`` setting, else the middle of its boundary, else Bangkok."""
    if tenant is None:
        return "{:.6f},{:.6f}".format(*THAILAND)
    centre = (tenant.settings or {}).get("map_centre")
    if (
        isinstance(centre, list | tuple)
        and len(centre) == 2
        and all(isinstance(v, int | float) for v in centre)
    ):
        return f"{centre[0]:.6f},{centre[1]:.6f}"
    points = list(_coordinates(tenant.boundary)) if tenant.boundary else []
    if points:
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        return f"{(min(lats) + max(lats)) / 2:.6f},{(min(lons) + max(lons)) / 2:.6f}"
    return "{:.6f},{:.6f}".format(*THAILAND)


def _coordinates(geometry: Any) -> Any:
    if isinstance(geometry, dict):
        yield from _coordinates(geometry.get("coordinates"))
    elif isinstance(geometry, list):
        if len(geometry) == 2 and all(isinstance(v, int | float) for v in geometry):
            yield geometry
        else:
            for item in geometry:
                yield from _coordinates(item)


def _error_page(status: int, message_key: str) -> Any:
    return render_template("portal/error.html", message_key=message_key, status=status), status


@blueprint.errorhandler(ThongthinError)
def engine_error(error: ThongthinError) -> Any:
    """An error of the engine no view handled: the page its class's status calls for."""
    if g.get("tenant") is None:
        g.tenant_slug = None  # an unknown municipality: build no links into it
    status = http_status(error)
    return _error_page(status, error_message_key(status))


@blueprint.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> Any:
    return _error_page(400, "portal.error.csrf")


@blueprint.errorhandler(413)
def too_large(error: HTTPException) -> Any:
    """More than MAX_CONTENT_LENGTH in one post (files are refused before any view runs)."""
    return _error_page(413, "portal.error.too_large")


@blueprint.errorhandler(404)
@blueprint.errorhandler(405)
def http_error(error: HTTPException) -> Any:
    return _error_page(error.code or 404, "error.not_found")


@cache
def _address_tree() -> dict[str, Any]:
    return json.loads(ADDRESS_DATA.read_text(encoding="utf-8"))


def _cached(response: Any) -> Any:
    response.headers["Cache-Control"] = f"public, max-age={ADDRESS_CACHE_SECONDS}"
    return response


@blueprint.get("/portal/thai-address.json")
def address_provinces() -> Any:
    """The provinces, for the address picker."""
    return _cached(jsonify(sorted(_address_tree())))


@blueprint.get("/portal/thai-address/<province>.json")
def address_province(province: str) -> Any:
    """One province: ``{district: {sub-district: [postcode, ...]}}``."""
    tree = _address_tree()
    if province not in tree:
        abort(404)
    return _cached(jsonify(tree[province]))


from portal import bill_views, verify, views  # noqa: E402, F401 (registers the views)
