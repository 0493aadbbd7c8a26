"""The console's read-only reports in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from api.openapi import TENANT, _error, _json, _ref

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

PATHS: dict[str, Any] = {
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
    }
}
