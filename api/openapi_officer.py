"""Officers' work beyond the inbox in the OpenAPI document: an application's files, the console's reports."""

from __future__ import annotations

from typing import Any

from api.openapi import REFERENCE, TENANT, _error, _json, _path_parameter, _ref

FILE_ID = _path_parameter(
    "file_id", 64, "A file's id, as the list of the application's files gives it", "att_0123"
)
_OFFICER = [{"bearer": []}, {"apiKey": []}]

_TEXT = {
    "type": ["object", "null"],
    "properties": {"th": {"type": "string"}, "en": {"type": "string"}},
    "description": "Thai and English; null for a service or state no longer in the catalog",
}
_FIGURES: dict[str, Any] = {
    "total": {"type": "integer", "minimum": 0, "description": "Applications ever received"},
    "open": {"type": "integer", "minimum": 0, "description": "Not yet closed"},
    "open_overdue": {"type": "integer", "minimum": 0, "description": "Open past their time limit"},
    "closed": {"type": "integer", "minimum": 0, "description": "Closed by a decision (withdrawals left out)"},
    "closed_in_time": {"type": "integer", "minimum": 0, "description": "Of those, closed within the limit"},
    "compliance": {
        "type": ["number", "null"],
        "minimum": 0,
        "maximum": 1,
        "description": "closed_in_time / closed; null before any decision",
    },
}

SCHEMAS: dict[str, Any] = {
    "ApplicationFiles": {
        "type": "object",
        "required": ["attachments"],
        "properties": {
            "attachments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "id",
                        "filename",
                        "content_type",
                        "size",
                        "sha256",
                        "uploaded_at",
                        "download_url",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "filename": {"type": "string"},
                        "content_type": {"type": "string"},
                        "size": {"type": "integer", "minimum": 0},
                        "sha256": {"type": "string"},
                        "uploaded_at": {"type": "string", "format": "date-time"},
                        "download_url": {"type": "string"},
                    },
                },
            }
        },
    },
    "DashboardReport": {
        "type": "object",
        "required": [*_FIGURES, "services"],
        "properties": {
            **_FIGURES,
            "services": {"type": "array", "items": _ref("DashboardService")},
        },
    },
    "DashboardService": {
        "type": "object",
        "required": ["service_id", "title", *_FIGURES, "withdrawn", "by_state"],
        "properties": {
            "service_id": {"type": "string"},
            "title": _TEXT,
            **_FIGURES,
            "withdrawn": {"type": "integer", "minimum": 0},
            "by_state": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["state", "title", "count"],
                    "properties": {
                        "state": {"type": "string"},
                        "title": _TEXT,
                        "count": {"type": "integer", "minimum": 0},
                    },
                },
            },
        },
    },
}

_NOT_OFFICER = _error(
    "Not an officer: an applicant's tracking token, or no credentials (forbidden, unauthorized)"
)
_GONE = _error("No such application or file here, or one the officer's roles do not see (not found)")

PATHS: dict[str, Any] = {
    "/api/v1/tenants/{tenant}/submissions/{reference}/attachments": {
        "get": {
            "summary": "The files uploaded with an application (officers with need to know)",
            "operationId": "applicationFiles",
            "security": _OFFICER,
            "parameters": [TENANT, REFERENCE],
            "responses": {
                "200": _json(_ref("ApplicationFiles"), "Oldest first, each with its download URL"),
                "401": _error("No valid credentials"),
                "403": _NOT_OFFICER,
                "404": _GONE,
            },
        }
    },
    "/api/v1/tenants/{tenant}/submissions/{reference}/attachments/{file_id}": {
        "get": {
            "summary": "One file of an application, as uploaded (recorded in the access log)",
            "operationId": "applicationFile",
            "security": _OFFICER,
            "parameters": [TENANT, REFERENCE, FILE_ID],
            "responses": {
                "200": {
                    "description": "The file's bytes, as an attachment",
                    "content": {
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                    },
                },
                "401": _error("No valid credentials"),
                "403": _NOT_OFFICER,
                "404": _GONE,
            },
        }
    },
    "/api/v1/tenants/{tenant}/reports/dashboard": {
        "get": {
            "summary": "The console dashboard's figures: applications per service and state, open, overdue, in time",
            "operationId": "dashboardReport",
            "security": [{"bearer": []}],
            "parameters": [TENANT],
            "responses": {
                "200": _json(_ref("DashboardReport"), "The same figures as the console's dashboard page"),
                "401": _error("No bearer token, or an unknown or expired one"),
                "403": _error("Not an administrator of this municipality (forbidden, wrong_tenant)"),
                "404": _error("No such municipality"),
            },
        }
    },
}
