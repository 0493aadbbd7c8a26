"""The correspondence area's part of the OpenAPI document (``/api/v1/tenants/{tenant}/saraban/``)."""

from __future__ import annotations

from typing import Any

from api.openapi import MALFORMED, TENANT, TOO_LARGE, _error, _json, _path_parameter, _ref
from engine.saraban.vocabulary import ACTIONS, BOOKS, KINDS, RETENTION_CLASSES, SECRECIES, URGENCIES

BASE = "/api/v1/tenants/{tenant}/saraban"
OFFICER = [{"bearer": []}]
LETTER_ID = _path_parameter("public_id", 40, "The letter's public ID", "L3f9a0c1d2e4b5a67")

UNAUTHORIZED = _error("No bearer token, or an unknown or expired one (unauthorized)")
FORBIDDEN = _error(
    "The token is another municipality's (wrong_tenant), or the officer lacks the role or the letter "
    "is not in their hands (saraban_forbidden); message_th says why in Thai"
)
NOT_FOUND = _error(
    "No such municipality, or no such letter here, or one this officer may not open (letter_not_found: "
    "the two are not told apart); a classified letter is found only by the officers named for it"
)
INVALID = _json(
    _ref("SarabanValidationError"),
    "Fields are missing or wrong (invalid_letter, with errors per field in Thai and English), a file that "
    "is not a PDF or scan (letter_file_refused), ลับที่สุด sent electronically (secrecy_refused), a letter "
    "that cannot be laid out (letter_not_renderable)",
)
STALE = _error(
    "The letter changed since `version` was read, or cannot take this step where it stands (letter_changed); "
    "read it again and retry"
)
SIGNING = _error(
    "The letter could not be signed now (signing_unavailable): a signing key or timestamp service"
)

# What every operation of the area may answer besides its own successes.
COMMON: dict[str, Any] = {
    "400": MALFORMED,
    "401": UNAUTHORIZED,
    "403": FORBIDDEN,
    "404": NOT_FOUND,
    "413": TOO_LARGE,
    "422": INVALID,
}


def _operation(summary: str, responses: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["saraban"],
        "security": OFFICER,
        "responses": {**COMMON, **responses},
    }
    if body is not None:
        operation["requestBody"] = body
    return operation


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _codes(table: dict[str, Any]) -> list[str]:
    return list(table)


def _text(max_length: int, description: str = "", **more: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length, **more}
    if description:
        schema["description"] = description
    return schema


VERSION = {
    "type": "integer",
    "minimum": 1,
    "maximum": 2147483647,
    "description": "The letter's version you read; 409 letter_changed when someone acted meanwhile",
}
OFFICER_REF = {
    "oneOf": [
        {"type": "string", "minLength": 1, "maxLength": 80, "description": "username"},
        {"type": "integer", "minimum": 1, "maximum": 2147483647, "description": "user id"},
    ]
}
INCOMING_FIELDS: dict[str, Any] = {
    "letter_number": _text(80, "ที่: the letter's own number as printed", examples=["ชม 0023.3/ว 1234"]),
    "letter_date": {"type": "string", "format": "date", "description": "ลงวันที่ (Christian era, YYYY-MM-DD)"},
    "sender": _text(300, "จาก", minLength=1),
    "recipient": _text(1000, "ถึง", minLength=1),
    "subject": _text(500, "เรื่อง", minLength=1),
    "urgency": {"type": "string", "enum": _codes(URGENCIES), "default": "normal"},
    "secrecy": {
        "type": "string",
        "enum": _codes(SECRECIES),
        "default": "normal",
        "description": "top_secret (ลับที่สุด) is registered as paper only: send no file",
    },
    "due_at": {"type": "string", "format": "date-time", "description": "ด่วนภายใน, with its offset"},
    "remark": _text(500, "หมายเหตุ"),
}

PATHS: dict[str, Any] = {
    f"{BASE}/letters": {
        "parameters": [TENANT],
        "get": _operation(
            "The caller's inbox: the letters in their hands, the most urgent due first",
            {"200": _json(_ref("Inbox"), "The letters")},
        ),
        "post": _operation(
            "Draft a letter to send (number and date stay blank until it is signed)",
            {"201": _json(_ref("Letter"), "The drafted letter"), "503": SIGNING},
            _body("NewDraft"),
        ),
    },
    f"{BASE}/letters/incoming": {
        "parameters": [TENANT],
        "post": _operation(
            "Register a letter that arrived (ลงรับ): a receive number, the register row, the receive stamp",
            {"201": _json(_ref("ReceivedLetter"), "Registered")},
            {
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("IncomingJson")},
                    "multipart/form-data": {"schema": _ref("IncomingForm")},
                },
            },
        ),
    },
    f"{BASE}/letters/{{public_id}}": {
        "parameters": [TENANT, LETTER_ID],
        "get": _operation(
            "The letter: facts, endorsement steps, register rows (opening a classified letter is audited)",
            {"200": _json(_ref("LetterPage"), "The letter")},
        ),
    },
    f"{BASE}/letters/{{public_id}}/pdf": {
        "parameters": [TENANT, LETTER_ID],
        "get": _operation(
            "The letter's PDF as it stands (a classified letter's copy carries the viewer's name and the time)",
            {
                "200": {
                    "description": "The PDF",
                    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                },
                "503": SIGNING,
            },
        ),
    },
    f"{BASE}/letters/{{public_id}}/steps": {
        "parameters": [TENANT, LETTER_ID],
        "post": _operation(
            "One endorsement step (เกษียน / สั่งการ), stamped and signed on the letter; the letter goes to the target",
            {"201": _json(_ref("Step"), "The step"), "409": STALE, "503": SIGNING},
            _body("NewStep"),
        ),
    },
    f"{BASE}/letters/{{public_id}}/steps/{{seq}}": {
        "parameters": [
            TENANT,
            LETTER_ID,
            _path_parameter("seq", 12, "The step's number", "1"),
        ],
        "put": _operation(
            "Refused: earlier steps never change (409 step_immutable)",
            {"409": _error("Always: a step once made is never changed (step_immutable)")},
        ),
        "delete": _operation(
            "Refused: earlier steps are never removed (409 step_immutable)",
            {"409": _error("Always: a step once made is never removed (step_immutable)")},
        ),
    },
    f"{BASE}/letters/{{public_id}}/sign": {
        "parameters": [TENANT, LETTER_ID],
        "post": _operation(
            "Sign a drafted letter: the send number and date are printed, then the signature covers them",
            {"200": _json(_ref("Letter"), "The signed letter"), "409": STALE, "503": SIGNING},
            _body("Signing"),
        ),
    },
    f"{BASE}/letters/{{public_id}}/close": {
        "parameters": [TENANT, LETTER_ID],
        "post": _operation(
            "The work on the letter is done (ปฏิบัติเสร็จแล้ว): kept for its retention class's term",
            {"200": _json(_ref("Letter"), "The closed letter"), "409": STALE},
            _body("Closing"),
        ),
    },
    f"{BASE}/letters/{{public_id}}/access": {
        "parameters": [TENANT, LETTER_ID],
        "post": _operation(
            "Name one more officer who may open a classified letter (the registry only)",
            {"200": _json(_ref("AccessGranted"), "Granted")},
            _body("AccessGrant"),
        ),
    },
    f"{BASE}/registers/{{book}}/{{year}}": {
        "parameters": [
            TENANT,
            {
                "name": "book",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": _codes(BOOKS)},
                "description": "The book (ทะเบียน)",
            },
            {
                "name": "year",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 2400, "maximum": 2800},
                "description": "The Buddhist-Era calendar year",
                "example": 2569,
            },
            {
                "name": "format",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
                "description": "csv: the official columns as a UTF-8 CSV header, then the rows",
            },
        ],
        "get": _operation(
            "A book's rows for the year, in the regulation's columns (the registry only)",
            {
                "200": {
                    "description": "The register",
                    "content": {
                        "application/json": {"schema": _ref("Register")},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                }
            },
        ),
    },
    f"{BASE}/numbers": {
        "parameters": [TENANT],
        "post": _operation(
            "Reserve (จองเลข) the next number of a book (the registry only)",
            {
                "201": _json(_ref("RegisterEntry"), "The reserved number"),
                "409": _error("number_not_reservable"),
            },
            _body("Reservation"),
        ),
    },
    f"{BASE}/numbers/{{entry_id}}/cancel": {
        "parameters": [TENANT, _path_parameter("entry_id", 12, "The register entry's id", "12")],
        "post": _operation(
            "Cancel a reserved number: it stays in the book marked ยกเลิก (the registry only)",
            {
                "200": _json(_ref("RegisterEntry"), "The cancelled number"),
                "409": _error("Not a reserved number (number_not_reservable)"),
            },
            _body("Cancellation"),
        ),
    },
    f"{BASE}/units": {
        "parameters": [TENANT],
        "get": _operation(
            "The municipality's units (ส่วนราชการ) and their letter-code suffixes",
            {"200": _json(_ref("Units"), "The units")},
        ),
    },
    f"{BASE}/audit/verify": {
        "parameters": [TENANT],
        "get": _operation(
            "Recompute the correspondence audit chain (the registry only)",
            {"200": _json(_ref("ChainReport"), "What the check found")},
        ),
    },
}

NULLABLE_TEXT = {"type": ["string", "null"]}
NULLABLE_MOMENT = {"type": ["string", "null"], "format": "date-time"}

LETTER_PROPERTIES: dict[str, Any] = {
    "public_id": {"type": "string"},
    "direction": {"type": "string", "enum": ["in", "out"]},
    "kind": {"type": "string", "enum": _codes(KINDS)},
    "kind_th": {"type": "string"},
    "circular": {"type": "boolean"},
    "status": {"type": "string"},
    "status_th": {"type": "string"},
    "subject": {"type": "string"},
    "sender": {"type": "string"},
    "recipient": {"type": "string"},
    "letter_number": {"type": "string", "description": "ที่, as printed (blank on a draft)"},
    "letter_date": {"type": ["string", "null"], "format": "date"},
    "urgency": {"type": "string", "enum": _codes(URGENCIES)},
    "secrecy": {"type": "string", "enum": _codes(SECRECIES)},
    "due_at": NULLABLE_MOMENT,
    "holder": {
        "type": ["object", "null"],
        "properties": {"kind": {"type": "string"}, "value": {"type": "string"}},
    },
    "signer_name": {"type": "string"},
    "signer_position": {"type": "string"},
    "signing_method": NULLABLE_TEXT,
    "signed_at": NULLABLE_MOMENT,
    "has_file": {"type": "boolean"},
    "size": {"type": "integer"},
    "sha256": {"type": "string", "description": "Of the PDF as it stands"},
    "original_sha256": {"type": "string", "description": "Of the bytes as received or first rendered"},
    "retention_class": {"type": "string"},
    "retain_until": {"type": ["string", "null"], "format": "date"},
    "version": {"type": "integer"},
    "created_at": NULLABLE_MOMENT,
}
LETTER = {
    "type": "object",
    "required": ["public_id", "status", "subject", "version", "sha256", "original_sha256"],
    "properties": LETTER_PROPERTIES,
}
ENTRY = {
    "type": "object",
    "required": ["id", "book", "year", "number", "number_text", "state"],
    "properties": {
        "id": {"type": "integer"},
        "book": {"type": "string", "enum": _codes(BOOKS)},
        "book_th": {"type": "string"},
        "unit": {"type": "string"},
        "year": {"type": "integer"},
        "number": {"type": "integer"},
        "number_text": {"type": "string", "examples": ["ชม 52101/12", "12/2569", "34"]},
        "revision": {"type": "integer"},
        "state": {"type": "string", "enum": ["issued", "reserved", "cancelled"]},
        "state_th": {"type": "string"},
        "subject": {"type": "string"},
        "registered_at": NULLABLE_MOMENT,
        "reserved_until": NULLABLE_MOMENT,
        "remark": {"type": "string"},
    },
}
STEP = {
    "type": "object",
    "required": ["seq", "action", "at"],
    "properties": {
        "seq": {"type": "integer"},
        "action": {"type": "string", "enum": _codes(ACTIONS)},
        "action_th": {"type": "string"},
        "text": {"type": "string"},
        "by": {"type": "string"},
        "position": {"type": "string"},
        "target": {
            "type": ["object", "null"],
            "properties": {
                "kind": {"type": "string"},
                "value": {"type": "string"},
                "label": {"type": "string"},
            },
        },
        "due_at": NULLABLE_MOMENT,
        "signing_method": {"type": "string", "enum": ["pades", "typed_name", ""]},
        "sha256": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "version": {"type": "integer", "description": "The letter's version after this step"},
    },
}
FIELD_PROBLEM = {
    "type": "object",
    "required": ["field", "message", "message_th"],
    "properties": {
        "field": {"type": "string"},
        "message": {"type": "string"},
        "message_th": {"type": "string"},
    },
}

SCHEMAS: dict[str, Any] = {
    "SarabanValidationError": {
        "allOf": [
            _ref("Error"),
            {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "description": "The first field that is wrong"},
                    "errors": {"type": "array", "items": FIELD_PROBLEM},
                },
            },
        ]
    },
    "Letter": LETTER,
    "ReceivedLetter": {
        "allOf": [
            LETTER,
            {
                "type": "object",
                "required": ["receive_number"],
                "properties": {
                    "receive_number": {"type": ["string", "null"], "description": "เลขทะเบียนรับ"},
                    "register_entry": {"oneOf": [ENTRY, {"type": "null"}]},
                },
            },
        ]
    },
    "LetterPage": {
        "allOf": [
            LETTER,
            {
                "type": "object",
                "required": ["steps", "register_entries"],
                "properties": {
                    "owner_unit": NULLABLE_TEXT,
                    "steps": {"type": "array", "items": STEP},
                    "register_entries": {"type": "array", "items": ENTRY},
                    "access": {"type": "array", "items": {"type": "object"}},
                    "may_route": {"type": "boolean"},
                    "may_sign": {"type": "boolean"},
                    "may_close": {"type": "boolean"},
                },
            },
        ]
    },
    "Inbox": {
        "type": "object",
        "required": ["letters"],
        "properties": {"letters": {"type": "array", "items": LETTER}},
    },
    "Step": STEP,
    "RegisterEntry": ENTRY,
    "IncomingJson": {
        "type": "object",
        "required": ["sender", "recipient", "subject"],
        "properties": {
            **INCOMING_FIELDS,
            "file": {
                "type": "string",
                "contentEncoding": "base64",
                "description": "The letter: a PDF, or a JPEG or PNG scan, in base64 (at most 20 MB decoded)",
            },
            "access": {"type": "array", "maxItems": 50, "items": OFFICER_REF},
        },
    },
    "IncomingForm": {
        "type": "object",
        "required": ["sender", "recipient", "subject"],
        "properties": {
            **INCOMING_FIELDS,
            "file": {
                "type": "string",
                "format": "binary",
                "description": "The letter: a PDF, or a JPEG or PNG scan",
            },
            "access": _text(2000, "Usernames who may open a classified letter, separated by commas"),
        },
    },
    "NewDraft": {
        "type": "object",
        "required": ["kind", "subject", "body"],
        "properties": {
            "kind": {"type": "string", "enum": _codes(KINDS)},
            "subject": _text(500, minLength=1),
            "recipient": _text(1000, "เรียน: required for external, internal and stamped letters"),
            "unit": _text(40, "The owner unit's code; defaults to the caller's only unit"),
            "body": {
                "type": "array",
                "minItems": 1,
                "maxItems": 60,
                "items": _text(2000),
                "description": "Paragraphs",
            },
            "salutation": _text(300),
            "references": {"type": "array", "maxItems": 20, "items": _text(2000)},
            "enclosures": {"type": "array", "maxItems": 20, "items": _text(2000)},
            "urgency": {"type": "string", "enum": _codes(URGENCIES), "default": "normal"},
            "due_at": {"type": "string", "format": "date-time"},
            "secrecy": {
                "type": "string",
                "enum": _codes(SECRECIES),
                "default": "normal",
                "description": "top_secret is refused (secrecy_refused)",
            },
            "circular": {"type": "boolean", "default": False},
            "signer_name": _text(200),
            "signer_position": _text(200),
            "access": {"type": "array", "maxItems": 50, "items": OFFICER_REF},
        },
    },
    "NewStep": {
        "type": "object",
        "required": ["version", "action"],
        "properties": {
            "version": VERSION,
            "action": {"type": "string", "enum": _codes(ACTIONS)},
            "text": _text(1000, "What the officer writes (required for assign without a target)"),
            "target": {
                "type": "object",
                "required": ["kind", "value"],
                "properties": {
                    "kind": {"type": "string", "enum": ["unit", "user", "role"]},
                    "value": {
                        "oneOf": [
                            {"type": "string", "minLength": 1, "maxLength": 80},
                            {"type": "integer", "minimum": 1, "maximum": 2147483647},
                        ],
                        "description": "A unit code, a username or user id, or a role",
                    },
                },
                "description": "Where the letter goes next; without it the step only records",
            },
            "typed_name": {
                "type": "boolean",
                "default": False,
                "description": "Typed name instead of a digital signature (when the municipality allows it)",
            },
        },
    },
    "Signing": {
        "type": "object",
        "required": ["version"],
        "properties": {"version": VERSION, "typed_name": {"type": "boolean", "default": False}},
    },
    "Closing": {
        "type": "object",
        "required": ["version"],
        "properties": {
            "version": VERSION,
            "retention_class": {"type": "string", "enum": _codes(RETENTION_CLASSES), "default": "standard"},
        },
    },
    "AccessGrant": {"type": "object", "required": ["user"], "properties": {"user": OFFICER_REF}},
    "AccessGranted": {
        "type": "object",
        "required": ["public_id", "user", "granted"],
        "properties": {
            "public_id": {"type": "string"},
            "user": {"type": "integer"},
            "granted": {"const": True},
        },
    },
    "Register": {
        "type": "object",
        "required": ["book", "year", "title", "columns", "rows"],
        "properties": {
            "book": {"type": "string", "enum": _codes(BOOKS)},
            "year": {"type": "integer"},
            "title": {"type": "string"},
            "columns": {"type": "array", "items": {"type": "string"}, "description": "The official columns"},
            "rows": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
            "entries": {"type": "array", "items": ENTRY},
        },
    },
    "Reservation": {
        "type": "object",
        "required": ["book", "subject"],
        "properties": {
            "book": {"type": "string", "enum": _codes(BOOKS)},
            "subject": _text(500, minLength=1),
            "unit": _text(40, "The unit whose book it is, when numbers run per unit"),
        },
    },
    "Cancellation": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": _text(400, minLength=1)},
    },
    "Units": {
        "type": "object",
        "required": ["units"],
        "properties": {
            "units": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "name_th"],
                    "properties": {
                        "code": {"type": "string"},
                        "name_th": {"type": "string"},
                        "name_en": {"type": "string"},
                        "letter_suffix": {"type": "string"},
                        "parent": NULLABLE_TEXT,
                        "phone": {"type": "string"},
                        "active": {"type": "boolean"},
                    },
                },
            }
        },
    },
    "ChainReport": {
        "type": "object",
        "required": ["entries", "intact", "broken_at"],
        "properties": {
            "entries": {"type": "integer"},
            "intact": {"type": "boolean"},
            "broken_at": {"type": ["integer", "null"], "description": "The first entry that does not fit"},
            "reason": NULLABLE_TEXT,
        },
    },
}
