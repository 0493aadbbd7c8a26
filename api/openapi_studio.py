"""The studio's part of the OpenAPI document: drafts scripted by the national operator."""

from __future__ import annotations

from typing import Any

from api.openapi import Security, _error, _json, _ref

OPERATOR: Security = [{"bearer": []}]
UNAUTHORIZED = _error("No bearer token, or an unknown or expired one")
NOT_OPERATOR = _error(
    "A municipality's officer or API key: the studio is the national operator's (forbidden)"
)
MALFORMED = _error("The body is not what the operation takes (invalid_json, invalid_request)")
DRAFT_ID = {
    "name": "service_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    "description": "The id of the service the draft will publish",
    "example": "hall-booking",
}
DOCUMENT = {"type": "object", "description": "The file's JSON document, as in a service folder"}

PATHS: dict[str, Any] = {
    "/api/v1/studio/catalog": {
        "get": {
            "summary": "Every published version by service, with the municipalities on it and its open work",
            "security": OPERATOR,
            "responses": {
                "200": _json(_ref("StudioCatalog"), "The catalog"),
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
            },
        }
    },
    "/api/v1/studio/drafts": {
        "post": {
            "summary": "Start a draft: a copy of a published version, or the blank template",
            "security": OPERATOR,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewDraft")}}},
            "responses": {
                "201": _json(_ref("Draft"), "The draft with what `thongthin check` says of it"),
                "400": MALFORMED,
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
                "404": _error("copy_of names no published service or version"),
                "409": _error("The service already has a draft (draft_exists)"),
                "422": _error("The id is not a lower-case identifier (edit_refused)"),
            },
        }
    },
    "/api/v1/studio/drafts/{service_id}": {
        "parameters": [DRAFT_ID],
        "get": {
            "summary": "A draft, its problems (file and JSON pointer), the suggested version and the changes",
            "security": OPERATOR,
            "responses": {
                "200": _json(_ref("Draft"), "The draft"),
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
                "404": _error("No such draft"),
            },
        },
        "put": {
            "summary": "Replace the draft's documents (and examples); answered with its problems",
            "security": OPERATOR,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("DraftDocuments")}},
            },
            "responses": {
                "200": _json(_ref("Draft"), "The draft as saved, with its problems"),
                "400": MALFORMED,
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
                "404": _error("No such draft"),
                "409": _error("The draft was saved by someone else since `revision` (conflict)"),
            },
        },
        "delete": {
            "summary": "Delete the draft",
            "security": OPERATOR,
            "responses": {
                "204": {"description": "Deleted"},
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
                "404": _error("No such draft"),
            },
        },
    },
    "/api/v1/studio/drafts/{service_id}/publish": {
        "parameters": [DRAFT_ID],
        "post": {
            "summary": "Publish the draft as a version of the national catalog",
            "security": OPERATOR,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Publication")}},
            },
            "responses": {
                "201": _json(_ref("PublishedVersion"), "Published"),
                "200": _json(
                    _ref("PublishedVersion"), "This exact content was already published as this version"
                ),
                "400": MALFORMED,
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
                "404": _error("No such draft"),
                "409": _error("The version is published with other content (version_conflict)"),
                "422": _json(
                    _ref("DefinitionProblems"), "The draft does not pass the checks (invalid_definition)"
                ),
            },
        },
    },
    "/api/v1/studio/drafts/{service_id}/export": {
        "parameters": [DRAFT_ID],
        "get": {
            "summary": "The draft as a zipped service folder",
            "security": OPERATOR,
            "responses": {
                "200": {
                    "description": "A zip file",
                    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                },
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
                "404": _error("No such draft"),
            },
        },
    },
    "/api/v1/studio/import": {
        "post": {
            "summary": "A draft from a zipped service folder, replacing the service's draft if any",
            "security": OPERATOR,
            "requestBody": {
                "required": True,
                "description": "The bytes of a zip file (as exported)",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            },
            "responses": {
                "201": _json(_ref("Draft"), "The imported draft with its problems"),
                "401": UNAUTHORIZED,
                "403": NOT_OPERATOR,
                "413": _error("The zip is larger than 4 MiB"),
                "422": _error("The zip cannot be read or lacks a document (invalid_bundle)"),
            },
        }
    },
}

PROBLEM = {
    "type": "object",
    "required": ["file", "pointer", "message"],
    "properties": {
        "file": {"type": "string", "examples": ["ui.json"]},
        "pointer": {"type": "string", "description": "JSON Pointer into that file"},
        "message": {"type": "string"},
    },
}

SCHEMAS: dict[str, Any] = {
    "NewDraft": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {
                "type": "string",
                "pattern": "^[a-z][a-z0-9_-]{0,62}$",
                "description": "Lower-case letters, digits, - and _, starting with a letter",
                "examples": ["hall-booking"],
            },
            "copy_of": {
                "type": ["string", "null"],
                "maxLength": 90,
                "description": "id or id@version of a published service; null or absent: a blank draft",
            },
        },
    },
    "DraftDocuments": {
        "type": "object",
        "required": ["service", "form", "ui", "workflow"],
        "properties": {
            "service": DOCUMENT,
            "form": DOCUMENT,
            "ui": DOCUMENT,
            "workflow": DOCUMENT,
            "examples": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Example submissions by file name (valid-*.json, invalid-*.json) as JSON text",
            },
            "revision": {
                "type": ["integer", "null"],
                "description": "The revision read; a newer one answers 409 (null or absent: no check)",
            },
        },
    },
    "Draft": {
        "type": "object",
        "required": ["id", "revision", "service", "form", "ui", "workflow", "problems", "suggested_version"],
        "properties": {
            "id": {"type": "string"},
            "base_version": {"type": ["string", "null"]},
            "revision": {"type": "integer"},
            "service": DOCUMENT,
            "form": DOCUMENT,
            "ui": DOCUMENT,
            "workflow": DOCUMENT,
            "examples": {"type": "object", "additionalProperties": {"type": "string"}},
            "problems": {"type": "array", "items": PROBLEM},
            "suggested_version": {"type": "string"},
            "changes": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Publication": {
        "type": "object",
        "required": ["version"],
        "properties": {
            "version": {"type": "string", "maxLength": 20, "examples": ["1.0.0"]},
            "changelog": {"type": "string", "maxLength": 4000},
        },
    },
    "PublishedVersion": {
        "type": "object",
        "required": ["id", "version", "content_hash"],
        "properties": {
            "id": {"type": "string"},
            "version": {"type": "string"},
            "content_hash": {"type": "string"},
            "changelog": {"type": "string"},
            "published_by": {"type": "string"},
            "published_at": {"type": "string", "format": "date-time"},
        },
    },
    "DefinitionProblems": {
        "allOf": [
            _ref("Error"),
            {"type": "object", "properties": {"problems": {"type": "array", "items": PROBLEM}}},
        ]
    },
    "StudioCatalog": {
        "type": "object",
        "required": ["services"],
        "properties": {
            "services": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "versions": {"type": "array", "items": {"type": "object"}},
                    },
                },
            }
        },
    },
}
