"""The agency directory's part of the OpenAPI document (``/api/v1/saraban/agencies``)."""

from __future__ import annotations

from typing import Any

from api.openapi import MALFORMED, Security, _error, _json, _ref
from engine.services.saraban.agencies import KINDS, MAX_IMPORT_BYTES, MAX_LIMIT, MAX_PEM_BYTES

BASE = "/api/v1/saraban/agencies"
OFFICER: Security = [{"bearer": []}]

UNAUTHORIZED = _error("No bearer token, or an unknown or expired one (unauthorized)")
FORBIDDEN = _error(
    "Only the national operator changes the directory (saraban_forbidden); message_th says why in Thai"
)
NOT_FOUND = _error("No such agency (agency_not_found)")
INVALID = _json(
    _ref("SarabanValidationError"),
    "Fields are missing or wrong (agency_invalid, with errors per field in Thai and English); for a CSV "
    "import, agency_import_refused with field LINE:COLUMN and nothing imported; for a certificate, "
    "anything but one unexpired PEM certificate",
)
TOO_LARGE = _error("The body is larger than the limit (request_entity_too_large)")
AGENCY_ID = {
    "name": "agency_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    "description": "The agency's id in the directory",
    "example": 1,
}


def _operation(
    summary: str, responses: dict[str, Any], body: dict[str, Any] | None = None, *, changes: bool = False
) -> dict[str, Any]:
    common: dict[str, Any] = {"400": MALFORMED, "401": UNAUTHORIZED, "404": NOT_FOUND}
    if changes:
        common |= {"403": FORBIDDEN, "413": TOO_LARGE, "422": INVALID}
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["saraban"],
        "security": OFFICER,
        "responses": {**common, **responses},
    }
    if body is not None:
        operation["requestBody"] = body
    return operation


def _text(max_length: int, description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "description": description, **more}


AGENCY_FIELDS: dict[str, Any] = {
    "kind": {
        "type": "string",
        "enum": [k for k in KINDS if k != "tenant"],
        "description": "external (th-saraban/1.0 endpoint), ecms, email; a municipality's own entry "
        "(tenant) comes from its settings",
    },
    "name_th": _text(200, "ชื่อหน่วยงาน"),
    "name_en": _text(200, "The English name"),
    "letter_code": {
        "type": ["string", "null"],
        "maxLength": 40,
        "description": "รหัสหนังสือ: Thai letters and the unit's number, e.g. ชม 52101 (Thai digits accepted)",
    },
    "ministry_id": _text(2, "e-CMS ministry organisation ID (2 digits) or empty"),
    "department_id": _text(5, "e-CMS department organisation ID (5 digits) or empty"),
    "endpoint_url": _text(500, "https:// address of its th-saraban/1.0 endpoint (http only to loopback)"),
    "ecms_url": _text(500, "Its e-CMS node"),
    "email": _text(254, "อีเมลสารบรรณกลาง: must start with saraban (ระเบียบฯ ฉบับที่ 4)"),
    "active": {"type": "boolean", "description": "false: takes no letters (kept for the history)"},
}

KEY: dict[str, Any] = {
    "type": "object",
    "required": ["fingerprint", "subject", "not_before", "not_after", "added_at", "retired_at"],
    "properties": {
        "fingerprint": {"type": "string", "description": "SHA-256 of the certificate's DER, hex"},
        "subject": {"type": "string"},
        "not_before": {"type": "string", "format": "date-time"},
        "not_after": {"type": "string", "format": "date-time"},
        "added_at": {"type": "string", "format": "date-time"},
        "retired_at": {"type": ["string", "null"], "format": "date-time"},
        "valid_now": {"type": "boolean", "description": "Valid now and not retired"},
    },
}

AGENCY: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "kind",
        "tenant",
        "name_th",
        "name_en",
        "letter_code",
        "ministry_id",
        "department_id",
        "endpoint_url",
        "ecms_url",
        "email",
        "active",
        "updated_at",
    ],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": list(KINDS)},
        "tenant": {"type": ["string", "null"], "description": "The municipality's slug, for kind tenant"},
        "name_th": {"type": "string"},
        "name_en": {"type": "string"},
        "letter_code": {"type": ["string", "null"]},
        "ministry_id": {"type": "string"},
        "department_id": {"type": "string"},
        "endpoint_url": {"type": "string"},
        "ecms_url": {"type": "string"},
        "email": {"type": "string"},
        "active": {"type": "boolean"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}

SCHEMAS: dict[str, Any] = {
    "Agency": AGENCY,
    "AgencyWithKeys": {
        "allOf": [
            AGENCY,
            {
                "type": "object",
                "required": ["keys"],
                "properties": {"keys": {"type": "array", "items": KEY}},
            },
        ]
    },
    "AgencyKey": KEY,
    "AgencyList": {
        "type": "object",
        "required": ["agencies"],
        "properties": {"agencies": {"type": "array", "items": AGENCY}},
    },
    "NewAgency": {
        "type": "object",
        "required": ["name_th"],
        "properties": AGENCY_FIELDS,
        "additionalProperties": False,
    },
    "AgencyChanges": {
        "type": "object",
        "properties": AGENCY_FIELDS,
        "additionalProperties": False,
    },
    "AgencyImport": {
        "type": "object",
        "required": ["created", "updated", "unchanged"],
        "properties": {
            "created": {"type": "integer", "minimum": 0},
            "updated": {"type": "integer", "minimum": 0},
            "unchanged": {"type": "integer", "minimum": 0},
        },
    },
}

PATHS: dict[str, Any] = {
    BASE: {
        "get": _operation(
            "Search the agency directory (สมุดรายชื่อหน่วยงาน) by Thai or English name, letter code or "
            "department ID (any officer)",
            {"200": _json(_ref("AgencyList"), "The agencies found, by letter code")},
        )
        | {
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "schema": {"type": "string", "maxLength": 200},
                    "description": "Part of a name, the start of a letter code, or a department ID; empty: all",
                },
                {
                    "name": "active",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["true", "false"], "default": "true"},
                    "description": "true: only agencies that take letters; false: every entry",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
                },
            ]
        },
        "post": _operation(
            "Add an agency (the national operator only)",
            {"201": _json(_ref("AgencyWithKeys"), "The new entry")},
            {"required": True, "content": {"application/json": {"schema": _ref("NewAgency")}}},
            changes=True,
        ),
    },
    f"{BASE}/{{agency_id}}": {
        "parameters": [AGENCY_ID],
        "get": _operation(
            "One agency with its keys (any officer)",
            {"200": _json(_ref("AgencyWithKeys"), "The entry")},
        ),
        "put": _operation(
            "Change the given fields of an agency (the national operator only)",
            {"200": _json(_ref("AgencyWithKeys"), "The entry as it is now")},
            {"required": True, "content": {"application/json": {"schema": _ref("AgencyChanges")}}},
            changes=True,
        ),
    },
    f"{BASE}/import": {
        "post": _operation(
            "Import a CSV file of agencies: all rows or none, updating by letter code (the national "
            "operator only)",
            {"200": _json(_ref("AgencyImport"), "What the file added and changed")},
            {
                "required": True,
                "description": "Columns name_th,name_en,letter_code,ministry_id,department_id,endpoint_url,email "
                "or ชื่อหน่วยงาน,ชื่อภาษาอังกฤษ,รหัสหนังสือ,รหัสกระทรวง,รหัสกรม,ที่อยู่ปลายทาง,อีเมลสารบรรณ, "
                "a header row first, at most 10,000 rows, UTF-8",
                "content": {"text/csv": {"schema": {"type": "string", "maxLength": MAX_IMPORT_BYTES}}},
            },
            changes=True,
        ),
    },
    f"{BASE}/{{agency_id}}/keys": {
        "parameters": [AGENCY_ID],
        "post": _operation(
            "Register a certificate that signs the agency's messages, beside its other keys (the national "
            "operator only)",
            {
                "201": _json(
                    _ref("AgencyKey"), "The certificate registered (or registered already, as it was)"
                )
            },
            {
                "required": True,
                "description": "One PEM certificate (-----BEGIN CERTIFICATE-----), never a private key",
                "content": {"text/plain": {"schema": {"type": "string", "maxLength": MAX_PEM_BYTES}}},
            },
            changes=True,
        ),
    },
}
