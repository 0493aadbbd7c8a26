"""The correspondence area's part of the OpenAPI document (``/api/v1/tenants/{tenant}/saraban/``)."""

from __future__ import annotations

from typing import Any

from api.openapi import MALFORMED, TENANT, TOO_LARGE, Security, _error, _json, _path_parameter, _ref
from engine.saraban.vocabulary import ACTIONS, BOOKS, KINDS, RETENTION_CLASSES, SECRECIES, URGENCIES

BASE = "/api/v1/tenants/{tenant}/saraban"
OFFICER: Security = [{"bearer": []}]
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
            _body("NewLetterDraft"),
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
                "schema": {"type": "string", "enum": ["json", "csv", "xlsx", "pdf"], "default": "json"},
                "description": "csv or xlsx: the official columns as the header row, then the rows; "
                "pdf: the register in the official layout",
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
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
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
    f"{BASE}/settings": {
        "parameters": [TENANT],
        "get": _operation(
            "The municipality's correspondence settings", {"200": _json(_ref("Settings"), "The settings")}
        ),
        "put": _operation(
            "Change the correspondence settings (the municipality's administrator only)",
            {"200": _json(_ref("Settings"), "The settings as saved"), "422": INVALID},
            _body("SettingsChange"),
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
    "addressees": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Letter codes it is to be sent to",
    },
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
    "NewLetterDraft": {
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
            "addressees": {
                "type": "array",
                "maxItems": 20,
                "items": _text(40),
                "description": "Letter codes of the agencies in the directory it is to be sent to; an unknown, "
                "inactive or unreachable one is refused (invalid_letter, field to) before anything is numbered",
            },
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
    "Settings": {
        "type": "object",
        "required": ["letter_code", "numbers_per_unit", "typed_name_signing", "reservation_hours"],
        "properties": {
            "letter_code": {"type": "string", "description": "รหัสหนังสือ, e.g. ชม 52101"},
            "numbers_per_unit": {"type": "boolean"},
            "typed_name_signing": {"type": "boolean"},
            "reservation_hours": {"type": "number"},
        },
    },
    "SettingsChange": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "letter_code": _text(
                40, "รหัสหนังสือ: the province's letters and the agency's number, e.g. ชม 52101"
            ),
            "numbers_per_unit": {"type": "boolean"},
            "typed_name_signing": {"type": "boolean"},
            "reservation_hours": {"type": "number", "exclusiveMinimum": 0, "maximum": 720},
        },
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

# --- search, workload, keeping and destroying letters ---

LIST_ID = _path_parameter("list_id", 12, "The destruction list's id", "3")
REFUSED = _error(
    "The rules of keeping and destroying letters do not allow this now (retention_refused: the year is "
    "not over, the committee is too small or has begun signing, the list is not at that stage, the "
    "National Archives' time still runs), or someone acted meanwhile (letter_changed); message_th says why"
)
LIST_NOT_FOUND = _error(
    "No such municipality, or no such list here, or one the caller may not see (destruction_list_not_found)"
)
PDF = {
    "description": "The PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


def _list_operation(
    summary: str, responses: dict[str, Any], body: dict[str, Any] | None = None
) -> dict[str, Any]:
    return _operation(summary, {"404": LIST_NOT_FOUND, "409": REFUSED, **responses}, body)


PATHS.update(
    {
        f"{BASE}/search": {
            "parameters": [
                TENANT,
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                    "description": "The words to find (Thai is cut into words; Thai or ASCII digits)",
                    "example": "ประชุม",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                },
            ],
            "get": _operation(
                "Full-text search of the letters the caller may open, best match first",
                {"200": _json(_ref("SearchResult"), "The letters found (none is an empty list)")},
            ),
        },
        f"{BASE}/workload": {
            "parameters": [TENANT],
            "get": _operation(
                "Per unit: the open letters it holds, how many are overdue or due soon "
                "(the registry or an administrator)",
                {"200": _json(_ref("Workload"), "The units' load")},
            ),
        },
        f"{BASE}/letters/{{public_id}}/hold": {
            "parameters": [TENANT, LETTER_ID],
            "post": _operation(
                "Put a letter on legal hold, or release it: a held letter is never listed nor destroyed "
                "(the registry only)",
                {
                    "200": _json(_ref("Hold"), "The letter's hold now"),
                    "409": _error("The letter is destroyed already (retention_refused)"),
                },
                _body("HoldRequest"),
            ),
        },
        f"{BASE}/retention/lists": {
            "parameters": [TENANT],
            "get": _operation(
                "The destruction lists, newest year first (all for the registry and administrators, "
                "the caller's own committees' for others)",
                {"200": _json(_ref("DestructionLists"), "The lists")},
            ),
            "post": _operation(
                "Survey a Buddhist-Era year that is over: its บัญชีหนังสือขอทำลาย (แบบที่ 25), made once "
                "(asking again answers the same list); the registry only",
                {
                    "201": {
                        **_json(_ref("DestructionList"), "The year's list (made now or before)"),
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                    "200": _json(_ref("NothingExpired"), "No letter's retention ended in that year: no list"),
                    "409": REFUSED,
                    "503": SIGNING,
                },
                _body("SurveyRequest"),
            ),
        },
        f"{BASE}/retention/lists/{{list_id}}": {
            "parameters": [TENANT, LIST_ID],
            "get": _operation(
                "A destruction list: its letters, committee and status",
                {"200": _json(_ref("DestructionList"), "The list"), "404": LIST_NOT_FOUND},
            ),
        },
        f"{BASE}/retention/lists/{{list_id}}/pdf": {
            "parameters": [TENANT, LIST_ID],
            "get": _operation(
                "The list's PDF as it stands, with the committee's signatures so far",
                {"200": PDF, "404": LIST_NOT_FOUND},
            ),
        },
        f"{BASE}/retention/lists/{{list_id}}/committee": {
            "parameters": [TENANT, LIST_ID],
            "post": _list_operation(
                "Appoint the committee: a chair and at least two other members with a role that signs "
                "(ฉบับที่ 3 พ.ศ. 2560); the registry only",
                {
                    "200": _json(_ref("DestructionList"), "The list with the committee's names"),
                    "503": SIGNING,
                },
                _body("CommitteeRequest"),
            ),
        },
        f"{BASE}/retention/lists/{{list_id}}/approve": {
            "parameters": [TENANT, LIST_ID],
            "post": _list_operation(
                "A committee member signs the list in their box (PAdES); decisions keep letters. When the "
                "chair and every member have signed the list is approved",
                {"200": _json(_ref("DestructionList"), "The list after the signature"), "503": SIGNING},
                {"required": False, "content": {"application/json": {"schema": _ref("ApprovalRequest")}}},
            ),
        },
        f"{BASE}/retention/lists/{{list_id}}/archives": {
            "parameters": [TENANT, LIST_ID],
            "post": _list_operation(
                "Record that the approved list went to the National Archives (the registry only)",
                {"200": _json(_ref("DestructionList"), "The list, sent")},
            ),
        },
        f"{BASE}/retention/lists/{{list_id}}/archives-reply": {
            "parameters": [TENANT, LIST_ID],
            "post": _list_operation(
                "Record the National Archives' reply; the letters it objects to are kept permanently "
                "(the registry only)",
                {"200": _json(_ref("DestructionList"), "The list with the reply")},
                _body("ArchivesReply"),
            ),
        },
        f"{BASE}/retention/lists/{{list_id}}/destroy": {
            "parameters": [TENANT, LIST_ID],
            "post": _list_operation(
                "Destroy the listed letters after the Archives' reply or its waiting time: the files are "
                "deleted, the letters and register rows stay marked ทำลายแล้ว (the registry only)",
                {"200": _json(_ref("DestructionList"), "The list with each letter's outcome")},
            ),
        },
        f"{BASE}/retention/handover/{{year}}": {
            "parameters": [
                TENANT,
                {
                    "name": "year",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 2400, "maximum": 2800},
                    "description": "The Buddhist-Era year of the handover",
                    "example": 2569,
                },
            ],
            "get": _operation(
                "บัญชีส่งมอบหนังสือครบ 20 ปี (แบบที่ 21): the letters kept permanently, 20 years old or more "
                "(the registry only)",
                {
                    "200": {
                        **PDF,
                        "headers": {
                            "X-Letters": {
                                "schema": {"type": "integer", "minimum": 0},
                                "description": "How many letters the list holds",
                            }
                        },
                    },
                    "503": SIGNING,
                },
            ),
        },
    }
)

LIST_SUMMARY: dict[str, Any] = {
    "id": {"type": "integer"},
    "year": {"type": "integer", "description": "The Buddhist-Era year whose expired letters it lists"},
    "reference": {"type": "string"},
    "status": {"type": "string", "enum": ["draft", "approved", "archives", "destroyed"]},
    "status_th": {"type": "string"},
    "letters": {"type": "integer", "description": "How many letters are listed"},
    "committee_size": {"type": "integer"},
    "approvals": {"type": "integer", "description": "How many of the committee have signed"},
    "sha256": {"type": "string", "description": "Of the list's PDF as it stands"},
    "archives_sent_at": NULLABLE_MOMENT,
    "archives_reply": NULLABLE_TEXT,
    "destroyed_at": NULLABLE_MOMENT,
    "created_at": NULLABLE_MOMENT,
}
LIST_REQUIRED = ["id", "year", "reference", "status", "letters", "approvals"]
LIST_ITEM = {
    "type": "object",
    "required": ["seq", "public_id", "keep", "objected"],
    "properties": {
        "seq": {"type": "integer", "description": "ลำดับที่ on the list"},
        "public_id": {"type": "string"},
        "number": {"type": "string"},
        "date": {"type": ["string", "null"], "format": "date"},
        "subject": {"type": "string", "description": "A classified letter's subject is not shown"},
        "retention_class": {"type": "string"},
        "retain_until": {"type": ["string", "null"], "format": "date"},
        "register": {"type": "string"},
        "keep": {"type": "boolean", "description": "A committee member keeps it"},
        "kept_by": {"type": "array", "items": {"type": "integer"}},
        "objected": {"type": "boolean", "description": "The National Archives asked to keep it"},
        "outcome": {
            "type": ["string", "null"],
            "enum": ["destroyed", "kept", "objected", "held", "gone", None],
            "description": "After destruction: what became of the letter",
        },
    },
}
SEAT = {
    "type": "object",
    "required": ["user", "name", "chair", "approved_at"],
    "properties": {
        "user": {"type": "integer"},
        "name": {"type": "string"},
        "position": {"type": "string"},
        "chair": {"type": "boolean"},
        "approved_at": NULLABLE_MOMENT,
        "decisions": {
            "type": "object",
            "additionalProperties": {"type": "string", "enum": ["keep", "destroy"]},
        },
    },
}

SCHEMAS.update(
    {
        "SearchResult": {
            "type": "object",
            "required": ["query", "letters"],
            "properties": {"query": {"type": "string"}, "letters": {"type": "array", "items": LETTER}},
        },
        "Workload": {
            "type": "object",
            "required": ["at", "units"],
            "properties": {
                "at": {"type": "string", "format": "date-time"},
                "units": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "held", "overdue", "due_soon"],
                        "properties": {
                            "code": {"type": "string"},
                            "name_th": {"type": "string"},
                            "held": {"type": "integer", "minimum": 0},
                            "overdue": {"type": "integer", "minimum": 0},
                            "due_soon": {"type": "integer", "minimum": 0},
                        },
                    },
                },
            },
        },
        "HoldRequest": {
            "type": "object",
            "required": ["hold", "reason"],
            "properties": {
                "hold": {"type": "boolean", "description": "true holds the letter, false releases it"},
                "reason": _text(500, "Why (a case in court, an audit)", minLength=1),
            },
        },
        "Hold": {
            "type": "object",
            "required": ["public_id", "legal_hold", "reason"],
            "properties": {
                "public_id": {"type": "string"},
                "legal_hold": {"type": "boolean"},
                "reason": {"type": "string"},
            },
        },
        "SurveyRequest": {
            "type": "object",
            "required": ["year"],
            "properties": {
                "year": {
                    "type": "integer",
                    "minimum": 2400,
                    "maximum": 2800,
                    "description": "The Buddhist-Era year whose expired letters to list; it must be over",
                }
            },
        },
        "NothingExpired": {
            "type": "object",
            "required": ["year", "expired", "message", "message_th"],
            "properties": {
                "year": {"type": "integer"},
                "expired": {"const": 0},
                "message": {"type": "string"},
                "message_th": {"type": "string"},
            },
        },
        "DestructionLists": {
            "type": "object",
            "required": ["lists"],
            "properties": {
                "lists": {
                    "type": "array",
                    "items": {"type": "object", "required": LIST_REQUIRED, "properties": LIST_SUMMARY},
                }
            },
        },
        "DestructionList": {
            "type": "object",
            "required": [*LIST_REQUIRED, "items", "committee"],
            "properties": {
                **LIST_SUMMARY,
                "items": {"type": "array", "items": LIST_ITEM},
                "committee": {"type": "array", "items": SEAT, "description": "The chair first"},
            },
        },
        "CommitteeRequest": {
            "type": "object",
            "required": ["chair", "members"],
            "properties": {
                "chair": OFFICER_REF,
                "members": {
                    "type": "array",
                    "maxItems": 15,
                    "items": OFFICER_REF,
                    "description": "At least two besides the chair (or the municipality's minimum)",
                },
            },
        },
        "ApprovalRequest": {
            "type": "object",
            "properties": {
                "decisions": {
                    "type": "object",
                    "additionalProperties": {"type": "string", "enum": ["keep", "destroy"]},
                    "description": "A listed letter's public ID to keep or destroy (the default)",
                }
            },
        },
        "ArchivesReply": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": _text(2000, "What the reply says", minLength=1),
                "objected": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 40},
                    "description": "Public IDs of listed letters the Archives asks to keep",
                },
            },
        },
    }
)
