"""Service definitions and the officers' inbox in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from api.openapi import SERVICE_ID, TENANT, TEXT, Security, _error, _json, _ref

OFFICER: Security = [{"bearer": []}]
NULLABLE_NUMBER = {"type": ["number", "null"]}
CONDITION = {
    "type": ["object", "boolean", "null"],
    "description": "A JSON Schema the answers must meet for this to apply (null: always)",
}
ETAG = {
    "ETag": {
        "description": (
            "Strong entity tag of the document (a hash of the version's content and, for a municipality, "
            "its parameters); send it back in If-None-Match"
        ),
        "required": True,
        "schema": {"type": "string"},
    }
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag of the copy the client holds: 304 without a body when it is still current",
}
NOT_MODIFIED = {"description": "The client's copy (If-None-Match) is current", "headers": ETAG}
VERSION = {
    "name": "version",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 32},
    "description": "A published version (MAJOR.MINOR.PATCH)",
    "example": "1.0.0",
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _with_etag(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {**_json(schema, description), "headers": ETAG}


PATHS: dict[str, Any] = {
    "/api/v1/tenants/{tenant}/services/{service_id}": {
        "get": {
            "summary": "The definition of a service a municipality offers, at the version it enabled",
            "description": (
                "Everything a front end needs to render, check and explain the form: the form's JSON Schema, "
                "the steps with their fields (widgets, labels, help, conditions), the files asked for, the "
                "fees with the municipality's local rates, the time limit and its basis, and the privacy "
                "notice. A service the municipality does not offer is 404."
            ),
            "security": [],
            "parameters": [TENANT, SERVICE_ID, IF_NONE_MATCH],
            "responses": {
                "200": _with_etag(_ref("ServiceDefinition"), "The definition"),
                "304": NOT_MODIFIED,
                "404": _error(
                    "No such municipality, or it does not offer this service (service_not_enabled)"
                ),
            },
        }
    },
    "/api/v1/catalog": {
        "get": {
            "summary": "The national catalog: every service with its published versions",
            "security": [],
            "parameters": [IF_NONE_MATCH],
            "responses": {
                "200": _with_etag(_ref("Catalog"), "The catalog"),
                "304": NOT_MODIFIED,
            },
        }
    },
    "/api/v1/catalog/{service_id}/versions/{version}": {
        "get": {
            "summary": "A published version of a catalog service, without any municipality's parameters",
            "security": [],
            "parameters": [
                {**SERVICE_ID, "description": "A service of the national catalog"},
                VERSION,
                IF_NONE_MATCH,
            ],
            "responses": {
                "200": _with_etag(
                    _ref("ServiceDefinition"), "The definition, with the national default fees"
                ),
                "304": NOT_MODIFIED,
                "404": _error("No such service or version in the catalog (service_not_found)"),
            },
        }
    },
    "/api/v1/tenants/{tenant}/inbox": {
        "get": {
            "summary": "The officer's inbox: submissions waiting for their roles, most urgent first",
            "description": (
                "The desk's inbox: filtered by service, state, time limit and search; the counts per filter "
                "apply the other filters (picking a choice shows exactly that many). Page on with next_cursor "
                "(same filters); it is null on the last page."
            ),
            "security": OFFICER,
            "parameters": [
                TENANT,
                _query("service", {"type": "string", "maxLength": 64}, "Only this service"),
                _query("state", {"type": "string", "maxLength": 64}, "Only submissions in this state"),
                _query(
                    "sla",
                    {"type": "string", "enum": ["overdue", "soon", "on_time"]},
                    "Only this time-limit standing",
                ),
                _query(
                    "q",
                    {"type": "string", "maxLength": 100},
                    "A reference (or part of one), a national ID, or part of an applicant's or business's name",
                ),
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                    "Items per page",
                ),
                _query(
                    "cursor",
                    {"type": "string", "minLength": 1, "maxLength": 200},
                    "next_cursor of the page before (made for the same filters)",
                ),
            ],
            "responses": {
                "200": _json(_ref("OfficerInbox"), "One page of the inbox with the counts"),
                "400": _error(
                    "A bad parameter (invalid_request): an unknown sla, a limit outside 1..100, a cursor "
                    "this inbox did not give for these filters, a value too long"
                ),
                "401": _error("No bearer token, or an unknown or expired one"),
                "403": _error("The officer works for another municipality (wrong_tenant)"),
                "404": _error("No such municipality"),
            },
        }
    },
}

UI_FIELD: dict[str, Any] = {
    "type": "object",
    "required": ["pointer", "widget", "label"],
    "properties": {
        "pointer": {"type": "string", "description": "JSON pointer of the answer in the form data"},
        "widget": {"type": "string"},
        "label": TEXT,
        "short_label": TEXT,
        "help": TEXT,
        "suffix": TEXT,
        "options": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["value", "label"],
                "properties": {
                    "value": {"type": ["string", "integer", "boolean"]},
                    "label": TEXT,
                    "hint": TEXT,
                },
            },
        },
        "when": CONDITION,
        "autocomplete": {"type": "string"},
        "width": {"type": "string"},
        "attachment": {
            "type": "string",
            "description": "The attachment rule (attachments[].id) of a file field",
        },
        "item_label": TEXT,
        "item_fields": {"type": "array", "items": _ref("UiField")},
        "parts": {
            "type": "array",
            "description": "An address field's parts (its answer's keys) in the order the portal asks them",
            "items": {
                "type": "object",
                "required": ["name", "label"],
                "properties": {"name": {"type": "string"}, "label": TEXT},
            },
        },
    },
}

SCHEMAS: dict[str, Any] = {
    "UiField": UI_FIELD,
    "ServiceDefinition": {
        "type": "object",
        "required": [
            "id",
            "version",
            "title",
            "summary",
            "category",
            "form",
            "ui",
            "attachments",
            "fees",
            "sla",
            "pdpa",
        ],
        "properties": {
            "id": {"type": "string"},
            "version": {"type": "string"},
            "title": TEXT,
            "summary": TEXT,
            "category": {"type": "string"},
            "keywords": {"type": "array", "items": {"type": "string"}},
            "audience": {"type": "array", "items": {"type": "string"}},
            "legal_basis": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["title"],
                    "properties": {"title": TEXT, "sections": {"type": "string"}, "url": {"type": "string"}},
                },
            },
            "steps_for_applicant": {"type": "array", "items": TEXT},
            "form": {"type": "object", "description": "The form's JSON Schema (draft 2020-12)"},
            "ui": {
                "type": "object",
                "required": ["steps"],
                "properties": {
                    "steps": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "title", "fields"],
                            "properties": {
                                "id": {"type": "string"},
                                "title": TEXT,
                                "description": TEXT,
                                "when": CONDITION,
                                "fields": {"type": "array", "items": _ref("UiField")},
                            },
                        },
                    }
                },
            },
            "attachments": {
                "type": "array",
                "description": "The files the form asks for",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "accept", "max_bytes", "max_files", "required"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": TEXT,
                        "field": {"type": "string"},
                        "accept": {"type": "array", "items": {"type": "string"}},
                        "max_bytes": {"type": "integer"},
                        "max_files": {"type": "integer"},
                        "required": {"type": "boolean"},
                    },
                },
            },
            "fees": {"type": "array", "items": _ref("FeeRule")},
            "sla": {
                "type": "object",
                "required": ["legal_maximum", "target", "days", "basis"],
                "properties": {
                    "legal_maximum": {"type": "string", "description": "ISO 8601 duration, e.g. P7D"},
                    "target": {"type": "string", "description": "ISO 8601 duration"},
                    "days": {"type": "string", "enum": ["calendar", "working"]},
                    "basis": {
                        "type": "string",
                        "enum": ["law", "service_standard"],
                        "description": "Whether a law or the office's service standard sets the maximum",
                    },
                    "maximum_is_law": {"type": "boolean"},
                },
            },
            "pdpa": {
                "type": "object",
                "required": ["purpose", "lawful_basis", "lawful_basis_title", "retention"],
                "properties": {
                    "purpose": TEXT,
                    "lawful_basis": {"type": "string"},
                    "lawful_basis_title": TEXT,
                    "retention": {"type": "string", "description": "ISO 8601 duration"},
                    "recipients": {"type": "array", "items": TEXT},
                },
            },
            "documents": {
                "type": "array",
                "description": "The documents the office issues",
                "items": {
                    "type": "object",
                    "required": ["id", "title"],
                    "properties": {"id": {"type": "string"}, "title": TEXT, "validity": {"type": "string"}},
                },
            },
        },
    },
    "FeeRule": {
        "type": "object",
        "required": ["id", "title", "kind", "period", "local", "set_locally"],
        "properties": {
            "id": {"type": "string"},
            "title": TEXT,
            "kind": {"type": "string", "enum": ["fixed", "per_unit", "tiered", "rate_class"]},
            "period": {"type": "string", "enum": ["once", "monthly", "yearly"]},
            "local": {"type": "boolean", "description": "A municipality may set its own rates"},
            "set_locally": {"type": "boolean", "description": "The rates are this municipality's own"},
            "when": CONDITION,
            "amount": NULLABLE_NUMBER,
            "field": {"type": ["string", "null"], "description": "The answer the fee is computed from"},
            "rate": NULLABLE_NUMBER,
            "base": NULLABLE_NUMBER,
            "minimum": NULLABLE_NUMBER,
            "maximum": NULLABLE_NUMBER,
            "tiers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["up_to", "amount"],
                    "properties": {"up_to": NULLABLE_NUMBER, "amount": {"type": "number"}},
                },
            },
            "rates": {"type": "object", "additionalProperties": {"type": "number"}},
        },
    },
    "Catalog": {
        "type": "object",
        "required": ["services"],
        "properties": {
            "services": {
                "type": "array",
                "items": {
                    "allOf": [
                        _ref("Service"),
                        {
                            "type": "object",
                            "required": ["latest", "versions"],
                            "properties": {
                                "latest": {"type": "string"},
                                "versions": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "description": "Published versions, oldest first",
                                },
                            },
                        },
                    ]
                },
            }
        },
    },
    "OfficerInbox": {
        "type": "object",
        "required": ["items", "total", "waiting", "by_service", "by_state", "by_sla", "next_cursor"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["reference", "service", "state", "submitted_at", "due_at", "sla"],
                    "properties": {
                        "reference": {"type": "string"},
                        "service": {"type": "string"},
                        "state": {"type": "string"},
                        "submitted_at": {"type": "string", "format": "date-time"},
                        "due_at": {"type": ["string", "null"], "format": "date-time"},
                        "sla": {"type": "string", "enum": ["overdue", "soon", "on_time"]},
                    },
                },
            },
            "total": {"type": "integer", "description": "Items matching every filter (all pages)"},
            "waiting": {
                "type": "integer",
                "description": "Items waiting for the officer's roles, unfiltered",
            },
            "by_service": {"type": "object", "additionalProperties": {"type": "integer"}},
            "by_state": {"type": "object", "additionalProperties": {"type": "integer"}},
            "by_sla": {
                "type": "object",
                "required": ["overdue", "soon", "on_time"],
                "properties": {k: {"type": "integer"} for k in ("overdue", "soon", "on_time")},
            },
            "next_cursor": {
                "type": ["string", "null"],
                "description": "The next page's cursor; null on the last",
            },
        },
    },
}
