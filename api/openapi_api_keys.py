"""API keys for machine clients in the OpenAPI document: their management and their security scheme."""

from __future__ import annotations

from typing import Any

from api.openapi import TENANT, Security, _error, _json, _ref
from engine.services.api_keys import MAX_NAME, SCOPES

ADMIN: Security = [{"bearer": []}]
KEY_ID = {
    "name": "key_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
    "description": "The key's id (from the list or the answer that made it)",
    "example": 12,
}

NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
SCOPE = {"type": "string", "enum": list(SCOPES)}
NOT_ADMIN = _error(
    "unauthorized without a valid bearer token; 403 wrong_tenant for another municipality's officer, "
    "forbidden for an officer who is not an administrator, insufficient_scope for an API key "
    "(keys never manage keys)"
)

SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": (
        "A municipality's API key for a machine client, sent as Authorization: Bearer ttk_…. Its "
        "administrators make one with the scopes it needs (" + ", ".join(SCOPES) + "); the secret is "
        "shown once. An unknown, revoked or expired key is 401 unauthorized; a key of another "
        "municipality is 403 wrong_tenant; a key without the operation's scope, or on an operation "
        "that takes no key, is 403 insufficient_scope. The inbox takes inbox:read, reading an "
        "application submissions:read and taking an action on it submissions:write."
    ),
}

PATHS: dict[str, Any] = {
    "/api/v1/tenants/{tenant}/api-keys": {
        "parameters": [TENANT],
        "get": {
            "summary": "The municipality's API keys (never their secrets), newest first, revoked ones included",
            "security": ADMIN,
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["api_keys"],
                        "properties": {"api_keys": {"type": "array", "items": _ref("ApiKey")}},
                    },
                    "The keys",
                ),
                "401": NOT_ADMIN,
                "403": NOT_ADMIN,
                "404": _error("No such municipality"),
            },
        },
        "post": {
            "summary": "Make an API key; its secret is in this answer only",
            "security": ADMIN,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["name", "scopes"],
                            "properties": {
                                "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
                                "scopes": {"type": "array", "minItems": 1, "items": SCOPE},
                                "expires_at": {**NULLABLE_TIME, "description": "When it stops working"},
                            },
                        },
                        "example": {"name": "Provincial records system", "scopes": ["inbox:read"]},
                    }
                },
            },
            "responses": {
                "201": _json(_ref("ApiKeyCreated"), "The key, with its secret shown this once"),
                "400": _error("invalid_request (name, scopes or expires_at) or unknown_scope"),
                "401": NOT_ADMIN,
                "403": NOT_ADMIN,
                "404": _error("No such municipality"),
            },
        },
    },
    "/api/v1/tenants/{tenant}/api-keys/{key_id}": {
        "parameters": [TENANT, KEY_ID],
        "delete": {
            "summary": "Revoke an API key at once (revoking it again changes nothing)",
            "security": ADMIN,
            "responses": {
                "200": _json(_ref("ApiKey"), "The key, revoked"),
                "401": NOT_ADMIN,
                "403": NOT_ADMIN,
                "404": _error("No such municipality, or api_key_not_found"),
            },
        },
    },
}

_KEY_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "name": {"type": "string"},
    "prefix": {"type": "string", "description": "The secret's first characters, to tell keys apart"},
    "scopes": {"type": "array", "items": SCOPE},
    "created_at": {"type": "string", "format": "date-time"},
    "last_used_at": NULLABLE_TIME,
    "expires_at": NULLABLE_TIME,
    "revoked_at": NULLABLE_TIME,
}

SCHEMAS: dict[str, Any] = {
    "ApiKey": {
        "type": "object",
        "required": list(_KEY_PROPERTIES),
        "properties": _KEY_PROPERTIES,
    },
    "ApiKeyCreated": {
        "type": "object",
        "required": [*_KEY_PROPERTIES, "secret"],
        "properties": {
            **_KEY_PROPERTIES,
            "secret": {"type": "string", "pattern": "^ttk_", "description": "Shown once; keep it secret"},
        },
    },
}


# The operations a machine may call with an API key (beside an officer's bearer token).
KEYED_OPERATIONS = (
    ("/api/v1/tenants/{tenant}/inbox", "get"),
    ("/api/v1/tenants/{tenant}/submissions/{reference}", "get"),
    ("/api/v1/tenants/{tenant}/submissions/{reference}/transitions", "post"),
)


def with_key_security(spec: dict[str, Any]) -> dict[str, Any]:
    """The ``apiKey`` security scheme, offered on :data:`KEYED_OPERATIONS`."""
    spec["components"]["securitySchemes"]["apiKey"] = SECURITY_SCHEME
    for path, method in KEYED_OPERATIONS:
        operation = spec["paths"][path][method]
        operation["security"] = [
            *operation.get("security", spec.get("security", [{"bearer": []}])),
            {"apiKey": []},
        ]
    return spec
