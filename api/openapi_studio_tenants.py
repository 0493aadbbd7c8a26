"""The national operator's municipalities in the OpenAPI document: adding them and offering them services."""

from __future__ import annotations

from typing import Any

from api.openapi import _error, _json, _ref
from api.openapi_studio import MALFORMED, NOT_OPERATOR, OPERATOR, UNAUTHORIZED

_STRING = {"type": "string"}

SCHEMAS: dict[str, Any] = {
    "Municipality": {
        "type": "object",
        "required": ["slug", "code", "name_th", "kind", "province", "reference_prefix"],
        "properties": {
            "slug": {"type": "string", "description": "The municipality's part of the platform's addresses"},
            "code": {"type": "string", "description": "The register code (รหัสหน่วยงานตามทะเบียน)"},
            "name_th": _STRING,
            "kind": _STRING,
            "kind_th": _STRING,
            "province": _STRING,
            "reference_prefix": {"type": "string", "description": "Starts every application's reference"},
            "services": {"type": "integer", "minimum": 0, "description": "Services offered"},
            "created": {"type": "string", "format": "date-time"},
        },
    },
    "Municipalities": {
        "type": "object",
        "required": ["tenants"],
        "properties": {"tenants": {"type": "array", "items": _ref("Municipality")}},
    },
    "NewMunicipality": {
        "type": "object",
        "required": ["slug", "name_th", "kind", "province"],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string", "maxLength": 40, "examples": ["maehia"]},
            "name_th": {"type": "string", "maxLength": 200, "examples": ["เทศบาลเมืองแม่เหียะ"]},
            "name_en": {"type": "string", "maxLength": 200},
            "kind": {"type": "string", "maxLength": 40, "description": "One of the kinds the studio lists"},
            "province": {"type": "string", "maxLength": 100},
            "district": {"type": "string", "maxLength": 100},
            "code": {"type": "string", "maxLength": 20},
            "admin": {
                "type": "string",
                "maxLength": 80,
                "description": "The administrator's user name: a one-time set-up link is made for them",
            },
        },
    },
    "CreatedMunicipality": {
        "type": "object",
        "required": ["slug", "reference_prefix", "admin", "setup_link", "setup_expires_at"],
        "properties": {
            "slug": _STRING,
            "code": _STRING,
            "name_th": _STRING,
            "kind": _STRING,
            "province": _STRING,
            "reference_prefix": _STRING,
            "admin": {"type": ["string", "null"]},
            "setup_link": {
                "type": ["string", "null"],
                "description": "The administrator's one-time link to set a password and second factor; "
                "shown here only",
            },
            "setup_expires_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "RegisterImport": {
        "type": "object",
        "required": ["created", "skipped", "ignored_columns"],
        "properties": {
            "created": {
                "type": "array",
                "items": _STRING,
                "description": "Slugs of the municipalities added",
            },
            "skipped": {"type": "array", "items": _STRING, "description": "Register codes already there"},
            "ignored_columns": {"type": "array", "items": _STRING},
        },
    },
    "EnableInMunicipalities": {
        "type": "object",
        "required": ["service"],
        "properties": {
            "service": {"type": "string", "minLength": 1, "maxLength": 100},
            "version": {
                "type": "string",
                "maxLength": 40,
                "description": "The newest published when left out",
            },
            "tenants": {"type": "array", "items": _STRING, "maxItems": 10000},
            "all": {"type": "boolean", "description": "Every municipality; tenants is then ignored"},
        },
    },
    "EnabledInMunicipalities": {
        "type": "object",
        "required": ["service", "version", "enabled", "refused", "unknown"],
        "properties": {
            "service": _STRING,
            "version": _STRING,
            "enabled": {"type": "array", "items": _STRING},
            "refused": {
                "type": "object",
                "additionalProperties": _STRING,
                "description": "Slug → why: local rates that do not fit the version's fees",
            },
            "unknown": {
                "type": "array",
                "items": _STRING,
                "description": "Slugs named that are no municipality",
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/studio/tenants": {
        "get": {
            "summary": "Every municipality on the platform",
            "security": OPERATOR,
            "responses": {
                "200": _json(_ref("Municipalities"), "The municipalities"),
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
            },
        },
        "post": {
            "summary": "Add a municipality and, when named, its administrator's one-time set-up link",
            "security": OPERATOR,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("NewMunicipality")}},
            },
            "responses": {
                "201": _json(
                    _ref("CreatedMunicipality"), "The municipality, with the set-up link given once"
                ),
                "400": MALFORMED,
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
                "409": _error("The slug or register code is taken (tenant_exists, tenant_code_exists)"),
                "422": _error(
                    "Fields that do not validate (invalid_tenant), each in errors, in Thai and English"
                ),
            },
        },
    },
    "/api/v1/studio/tenants/import": {
        "post": {
            "summary": "Add the national register's municipalities from a CSV file, all of them or none",
            "security": OPERATOR,
            "requestBody": {
                "required": True,
                "description": "The CSV file: UTF-8 or Windows-874, at most 10,000 rows and 16 MB",
                "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
            },
            "responses": {
                "200": _json(_ref("RegisterImport"), "What was added and what was already there"),
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
                "409": _error(
                    "Municipalities were added meanwhile; nothing was imported (register_conflict)"
                ),
                "413": _error("Too many rows or bytes (register_too_large)"),
                "422": _error("Rows that do not validate, each in errors with its line (invalid_register)"),
            },
        }
    },
    "/api/v1/studio/tenants/enable": {
        "post": {
            "summary": "Offer one published version of a service in the municipalities named, or in all",
            "security": OPERATOR,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("EnableInMunicipalities")}},
            },
            "responses": {
                "200": _json(_ref("EnabledInMunicipalities"), "Where it is now offered, and where not"),
                "400": MALFORMED,
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
                "422": _error(
                    "No such published version (service_not_found), or no municipality (no_tenants)"
                ),
            },
        }
    },
}
