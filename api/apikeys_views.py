"""API keys of a municipality over the API: made, listed and revoked by its administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify

from api.auth import Caller, admin_of
from api.body import json_body
from api.errors import ApiError
from api.views import blueprint, tenant_or_404
from engine.services import api_keys
from engine.store.models import ApiKey, Tenant
from thongthin.app import platform


def _admin(found: Tenant) -> Caller:
    return admin_of(found, "manage API keys", "จัดการคีย์ API ได้")


def key_view(key: ApiKey) -> dict[str, Any]:
    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": list(key.scopes),
        "created_at": key.created_at.isoformat(),
        "last_used_at": moment(key.last_used_at),
        "expires_at": moment(key.expires_at),
        "revoked_at": moment(key.revoked_at),
    }


def _expires_at(given: Any) -> datetime | None:
    if given is None:
        return None
    try:
        parsed = datetime.fromisoformat(given) if isinstance(given, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ApiError(400, "invalid_request", "expires_at must be a date-time with its offset (RFC 3339)")
    return parsed


@blueprint.post("/tenants/<tenant>/api-keys")
def create_api_key(tenant: str) -> Any:
    """A new key; its secret is in this answer only."""
    found = tenant_or_404(tenant)
    caller = _admin(found)
    body = json_body()
    name, scopes = body.get("name"), body.get("scopes")
    if (
        not isinstance(name, str)
        or not isinstance(scopes, list)
        or not all(isinstance(s, str) for s in scopes)
    ):
        raise ApiError(400, "invalid_request", "give name as a string and scopes as a list of strings")
    key, secret = platform().db(
        api_keys.create(
            found, name, scopes, created_by=caller.user, expires_at=_expires_at(body.get("expires_at"))
        )
    )
    return jsonify({**key_view(key), "secret": secret}), 201


@blueprint.get("/tenants/<tenant>/api-keys")
def list_api_keys(tenant: str) -> Any:
    found = tenant_or_404(tenant)
    _admin(found)
    return jsonify({"api_keys": [key_view(key) for key in platform().db(api_keys.list_keys(found))]})


@blueprint.delete("/tenants/<tenant>/api-keys/<int:key_id>")
def revoke_api_key(tenant: str, key_id: int) -> Any:
    found = tenant_or_404(tenant)
    _admin(found)
    return jsonify(key_view(platform().db(api_keys.revoke(found, key_id))))
