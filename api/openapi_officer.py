"""Officers' work beyond the inbox in the OpenAPI document: an application as the desk shows it, its
files and internal comments, the console's reports."""

from __future__ import annotations

from typing import Any

from api.openapi import REFERENCE, TENANT, TEXT, Security, _error, _json, _path_parameter, _ref
from api.openapi_definitions import IF_NONE_MATCH, _query

FILE_ID = _path_parameter(
    "file_id", 64, "A file's id, as the list of the application's files gives it", "att_0123"
)
_OFFICER: Security = [{"bearer": []}, {"apiKey": []}]

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

_FILE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "filename", "content_type", "size", "sha256", "uploaded_at", "download_url"],
    "properties": {
        "id": {"type": "string"},
        "filename": {"type": "string"},
        "content_type": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "sha256": {"type": "string"},
        "uploaded_at": {"type": "string", "format": "date-time"},
        "download_url": {"type": "string"},
    },
}
_ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["pointer", "label", "text", "items"],
    "properties": {
        "pointer": {"type": "string", "description": "Where the answer is in data"},
        "label": TEXT,
        "text": {**TEXT, "description": "The answer as people read it (dates in the Buddhist Era)"},
        "items": {
            "type": "array",
            "description": "For a repeated group: the answers of each item",
            "items": {"type": "array", "items": {"type": "object"}},
        },
    },
}
_COMMENT_ETAG = {
    "ETag": {
        "description": "A hash of this page; send it back in If-None-Match",
        "required": True,
        "schema": {"type": "string"},
    }
}

SCHEMAS: dict[str, Any] = {
    "OfficerApplication": {
        "description": (
            "What an officer (or an API key) gets: the Submission fields, and beside them what the desk's "
            "page of the application shows, read by the same call"
        ),
        "allOf": [
            _ref("Submission"),
            {
                "type": "object",
                "required": [
                    "service_title",
                    "closed",
                    "sla",
                    "waiting_for",
                    "answers",
                    "attachments",
                    "documents",
                    "messages",
                    "comments",
                    "comments_url",
                ],
                "properties": {
                    "service_title": TEXT,
                    "closed": {"type": "boolean"},
                    "state_due_at": {
                        "type": ["string", "null"],
                        "format": "date-time",
                        "description": "The deadline of the current step, when it has one",
                    },
                    "sla": {
                        "type": ["string", "null"],
                        "enum": ["overdue", "soon", "on_time", None],
                        "description": "Where the open application stands against its deadline; null once closed",
                    },
                    "sla_verdict": {
                        "type": ["string", "null"],
                        "description": "How a closed application counts towards time-limit compliance",
                    },
                    "waiting_for": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "The roles the current state waits for",
                    },
                    "votes": {"type": "array", "items": {"type": "object"}},
                    "answers": {
                        "type": "array",
                        "description": "The answers of every step the applicant saw, as the page lists them",
                        "items": {
                            "type": "object",
                            "required": ["step_id", "title", "answers"],
                            "properties": {
                                "step_id": {"type": "string"},
                                "title": TEXT,
                                "answers": {"type": "array", "items": _ANSWER},
                            },
                        },
                    },
                    "attachments": {"type": "array", "items": _FILE},
                    "documents": {
                        "type": "array",
                        "description": "The signed documents issued for it, each with its download URL",
                        "items": {"type": "object"},
                    },
                    "messages": {
                        "type": "array",
                        "description": "The delivery log, as …/messages gives it",
                        "items": {"type": "object"},
                    },
                    "comments": {
                        "type": "array",
                        "items": _ref("Comment"),
                        "description": "The officers' internal comments, oldest first, as the page lists them",
                    },
                    "comments_url": {"type": "string", "description": "The same comments, page by page"},
                },
            },
        ],
    },
    "Comment": {
        "type": "object",
        "required": ["id", "body", "author", "author_id", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "body": {"type": "string", "maxLength": 4000},
            "author": {"type": "string", "description": "The officer's name, or 'API · ' and the key's name"},
            "author_id": {
                "type": ["integer", "null"],
                "description": "The officer's user id; null for a key",
            },
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "CommentList": {
        "type": "object",
        "required": ["comments", "next_cursor"],
        "properties": {
            "comments": {"type": "array", "items": _ref("Comment")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "The next page's cursor; null at the end",
            },
        },
    },
    "NewComment": {
        "type": "object",
        "required": ["body"],
        "properties": {
            "body": {
                "type": "string",
                "minLength": 1,
                "maxLength": 4000,
                "description": "The comment; trimmed, at most 4,000 characters",
            }
        },
    },
    "ApplicationFiles": {
        "type": "object",
        "required": ["attachments"],
        "properties": {"attachments": {"type": "array", "items": _FILE}},
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
    "/api/v1/tenants/{tenant}/submissions/{reference}/comments": {
        "get": {
            "summary": "Officers' internal comments on an application, oldest first (never the applicant's)",
            "description": (
                "The comments the desk's page of the application lists, for officers whose roles need to "
                "know the application or a key with submissions:read. Page on with next_cursor."
            ),
            "operationId": "applicationComments",
            "security": _OFFICER,
            "parameters": [
                TENANT,
                REFERENCE,
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                    "Comments per page",
                ),
                _query(
                    "cursor",
                    {"type": "string", "minLength": 1, "maxLength": 200},
                    "next_cursor of the page before",
                ),
                IF_NONE_MATCH,
            ],
            "responses": {
                "200": {**_json(_ref("CommentList"), "One page of comments"), "headers": _COMMENT_ETAG},
                "304": {
                    "description": "The client's copy (If-None-Match) is current",
                    "headers": _COMMENT_ETAG,
                },
                "400": _error("A limit outside 1..100, or a cursor this list did not give (invalid_request)"),
                "401": _error("No valid credentials"),
                "403": _NOT_OFFICER,
                "404": _error("No such application here, or one the officer's roles do not see (not found)"),
            },
        },
        "post": {
            "summary": "Save an internal comment on an application (officers, or a key with submissions:write)",
            "operationId": "addApplicationComment",
            "security": _OFFICER,
            "parameters": [TENANT, REFERENCE],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("NewComment")}},
            },
            "responses": {
                "201": _json(_ref("Comment"), "The comment as saved"),
                "401": _error("No valid credentials"),
                "403": _NOT_OFFICER,
                "404": _error("No such application here, or one the officer's roles do not see (not found)"),
                "409": _error("The application already holds 1,000 comments (too_many_comments)"),
                "422": _error(
                    "The comment is empty, longer than 4,000 characters or not a string (invalid_comment): "
                    "errors gives each field's message in Thai and English"
                ),
            },
        },
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
