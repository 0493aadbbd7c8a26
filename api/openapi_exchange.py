"""Letters between agencies in the OpenAPI document: the inbound endpoint and the registry's calls."""

from __future__ import annotations

from typing import Any

from api.openapi import TENANT, _json, _path_parameter, _ref
from api.openapi_saraban import BASE, LETTER_ID, STALE, _body, _operation, _text
from engine.saraban.exchange.envelope import MEDIA_TYPE, MESSAGE_TYPES, PROTOCOL
from engine.saraban.vocabulary import DELIVERY_STATES, INBOUND_STATES

RECEIPT = _path_parameter(
    "receipt", 80, "The receipt id given when the letter arrived (or its message id)", "3c1d…"
)
FAULT_CODES = [
    "Validation",
    "UnsupportedVersion",
    "SizeLimitExceeded",
    "SecrecyNotAllowed",
    "BadSignature",
    "Duplicate",
    "InvalidAddressee",
]


def _fault(description: str) -> dict[str, Any]:
    return _json(_ref("ExchangeFault"), description)


DELIVERY = {
    "type": "object",
    "required": ["agency", "name", "round", "channel", "message_id", "state", "state_th"],
    "properties": {
        "agency": {"type": "string", "description": "The addressee's letter code"},
        "name": {"type": "string"},
        "round": {"type": "integer", "description": "1, then one more each time it is sent again"},
        "channel": {"type": "string", "enum": ["platform", "http", "ecms", "email"]},
        "message_id": {"type": "string", "format": "uuid"},
        "state": {"type": "string", "enum": list(DELIVERY_STATES)},
        "state_th": {"type": "string"},
        "receipt_id": {"type": "string"},
        "accept_id": {"type": "string", "description": "Their เลขรับ once they registered it"},
        "accepted_at": {"type": ["string", "null"], "format": "date-time"},
        "acceptor": {"type": "string"},
        "reason": {"type": "string", "description": "Why they rejected it or reported it wrongly delivered"},
        "fault": {"type": "string"},
        "fault_detail": {"type": "string"},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
MESSAGE = {
    "type": "object",
    "required": ["receipt_id", "message_id", "from", "subject", "state", "state_th"],
    "properties": {
        "receipt_id": {"type": "string"},
        "message_id": {"type": "string", "format": "uuid"},
        "from": {
            "type": "object",
            "properties": {"agency": {"type": "string"}, "name": {"type": "string"}},
        },
        "channel": {"type": "string"},
        "letter_number": {"type": "string"},
        "letter_date": {"type": ["string", "null"], "format": "date"},
        "subject": {"type": "string"},
        "urgency": {"type": "string"},
        "secrecy": {"type": "string"},
        "state": {"type": "string", "enum": list(INBOUND_STATES)},
        "state_th": {"type": "string"},
        "reason": {"type": "string"},
        "signed": {
            "type": "boolean",
            "description": "It came with a signature checked against the directory",
        },
        "sha256": {"type": "string", "description": "Of the message as it arrived"},
        "arrived_at": {"type": ["string", "null"], "format": "date-time"},
        "letter": {"type": "boolean", "description": "Registered here as a letter"},
    },
}
DELIVERIES = _json(
    {
        "type": "object",
        "required": ["deliveries"],
        "properties": {"deliveries": {"type": "array", "items": DELIVERY}},
    },
    "Per addressee, where the letter stands",
)
REFUSED = _json(
    _ref("SarabanValidationError"),
    "Not possible where the letter stands (dispatch_refused): not signed, registered already there, not "
    "withdrawn before sending again",
)

AGENCY_PARTY = {
    "type": "object",
    "required": ["agency_code"],
    "properties": {
        "agency_code": _text(40, "Letter code, e.g. ชม 52101"),
        "ministry_id": {"type": ["string", "null"], "maxLength": 40},
        "department_id": {"type": ["string", "null"], "maxLength": 40},
        "tenant": {"type": ["string", "null"], "maxLength": 63},
    },
    "additionalProperties": False,
}
ENVELOPE = {
    "type": "object",
    "description": "One message (SARABAN.md §4.4); the parts present depend on type",
    "required": ["protocol", "message_id", "type", "created_at", "sender", "recipient"],
    "properties": {
        "protocol": {"type": "string", "const": PROTOCOL},
        "message_id": {"type": "string", "format": "uuid"},
        "type": {"type": "string", "enum": sorted(MESSAGE_TYPES)},
        "in_reply_to": {"type": ["string", "null"], "format": "uuid"},
        "created_at": {"type": "string", "format": "date-time"},
        "sender": AGENCY_PARTY,
        "recipient": AGENCY_PARTY,
        "letter": {"type": ["object", "null"]},
        "documents": {"type": "array", "maxItems": 20, "items": {"type": "object"}},
        "accept_id": {"type": ["string", "null"], "maxLength": 80},
        "accept_date": {"type": ["string", "null"], "description": "Buddhist-Era YYYY-MM-DD"},
        "acceptor": {"type": ["object", "null"]},
        "reason": {"type": ["string", "null"], "maxLength": 2000},
    },
    "additionalProperties": False,
}

SCHEMAS: dict[str, Any] = {
    "Envelope": ENVELOPE,
    "ExchangeFault": {
        "type": "object",
        "required": ["fault", "detail", "detail_th"],
        "properties": {
            "fault": {"type": "string", "enum": FAULT_CODES},
            "detail": {"type": "string"},
            "detail_th": {"type": "string"},
            "field": {"type": "string"},
            "receipt_id": {"type": "string", "description": "Duplicate: the receipt given the first time"},
        },
    },
    "Delivery": DELIVERY,
    "ExchangeMessage": MESSAGE,
    "Dispatching": {
        "type": "object",
        "properties": {
            "to": {
                "type": "array",
                "maxItems": 20,
                "items": _text(40),
                "description": "Letter codes; empty or absent: the addressees it was drafted for",
            }
        },
        "additionalProperties": False,
    },
    "Withdrawal": {
        "type": "object",
        "required": ["agency"],
        "properties": {"agency": _text(40, "The addressee's letter code"), "reason": _text(2000)},
        "additionalProperties": False,
    },
    "Resending": {
        "type": "object",
        "required": ["agency"],
        "properties": {"agency": _text(40, "The addressee's letter code")},
        "additionalProperties": False,
    },
    "Registration": {
        "type": "object",
        "properties": {"remark": _text(500, "หมายเหตุ in the receive register")},
        "additionalProperties": False,
    },
    "Answer": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": _text(2000)},
        "additionalProperties": False,
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/saraban/inbound": {
        "post": {
            "summary": f"Deliver a {PROTOCOL} message from another agency's node (no bearer token: the "
            "detached JWS in X-Saraban-Signature, by a key the directory lists for the sender)",
            "tags": ["saraban"],
            "security": [],
            "parameters": [
                {
                    "name": "X-Saraban-Signature",
                    "in": "header",
                    "required": True,
                    "schema": {
                        "type": "string",
                        "maxLength": 4096,
                        "pattern": "^[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+$",
                    },
                    "description": "Detached compact JWS (ES256 or RS256) over the exact body; kid = the SHA-256 "
                    "fingerprint of the signing certificate",
                },
                {
                    "name": "X-Saraban-Key",
                    "in": "header",
                    "schema": {"type": "string", "maxLength": 64},
                    "description": "The signing certificate's fingerprint (informative; the JWS kid decides)",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    MEDIA_TYPE: {
                        "schema": {"type": "object", "description": "The envelope (SARABAN.md §4.4)"}
                    }
                },
            },
            "responses": {
                "202": _json(
                    {
                        "type": "object",
                        "required": ["receipt_id", "duplicate"],
                        "properties": {"receipt_id": {"type": "string"}, "duplicate": {"type": "boolean"}},
                    },
                    "Taken (duplicate: the same message again, answered with the first receipt)",
                ),
                "400": _fault("Validation or UnsupportedVersion"),
                "401": _fault("BadSignature: missing, malformed, unknown key, or not matching the body"),
                "409": _fault("Duplicate: the same message id with another body"),
                "413": _fault("SizeLimitExceeded"),
                "431": {"description": "A header is longer than the web server reads (no JSON body)"},
                "422": _fault("InvalidAddressee or SecrecyNotAllowed"),
            },
        }
    },
    f"{BASE}/letters/{{public_id}}/send": {
        "parameters": [TENANT, LETTER_ID],
        "post": _operation(
            "Send a signed letter to other agencies through the exchange (the registry only)",
            {"202": DELIVERIES, "409": REFUSED},
            {"required": False, "content": {"application/json": {"schema": _ref("Dispatching")}}},
        ),
    },
    f"{BASE}/letters/{{public_id}}/deliveries": {
        "parameters": [TENANT, LETTER_ID],
        "get": _operation("Where the letter stands with each addressee", {"200": DELIVERIES}),
    },
    f"{BASE}/letters/{{public_id}}/withdraw": {
        "parameters": [TENANT, LETTER_ID],
        "post": _operation(
            "Withdraw the letter from one addressee to send it again (ขอลบหนังสือเพื่อส่งใหม่)",
            {"200": DELIVERIES, "409": REFUSED},
            _body("Withdrawal"),
        ),
    },
    f"{BASE}/letters/{{public_id}}/resend": {
        "parameters": [TENANT, LETTER_ID],
        "post": _operation(
            "Send a withdrawn letter to the same addressee again, as a new message",
            {"202": DELIVERIES, "409": REFUSED},
            _body("Resending"),
        ),
    },
    f"{BASE}/messages": {
        "parameters": [TENANT],
        "get": _operation(
            "Letters that arrived from other agencies (the registry only)",
            {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["messages"],
                        "properties": {"messages": {"type": "array", "items": MESSAGE}},
                    },
                    "Oldest first",
                )
            },
        )
        | {
            "parameters": [
                {
                    "name": "state",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(INBOUND_STATES), "default": "pending"},
                }
            ]
        },
    },
    f"{BASE}/messages/{{receipt}}": {
        "parameters": [TENANT, RECEIPT],
        "get": _operation("One letter that arrived", {"200": _json(_ref("ExchangeMessage"), "The letter")}),
    },
    f"{BASE}/messages/{{receipt}}/register": {
        "parameters": [TENANT, RECEIPT],
        "post": _operation(
            "Register (ลงรับ) a letter that arrived; its เลขรับ goes back to the sender",
            {"201": _json(_ref("Letter"), "The letter as registered here"), "409": STALE},
            {"required": False, "content": {"application/json": {"schema": _ref("Registration")}}},
        ),
    },
    f"{BASE}/messages/{{receipt}}/reject": {
        "parameters": [TENANT, RECEIPT],
        "post": _operation(
            "Refuse a letter that arrived (ปฏิเสธ); the sender is told why",
            {"200": _json(_ref("ExchangeMessage"), "The letter, rejected"), "409": STALE},
            _body("Answer"),
        ),
    },
    f"{BASE}/messages/{{receipt}}/wrong-delivery": {
        "parameters": [TENANT, RECEIPT],
        "post": _operation(
            "Tell the sender the letter is not for this agency (แจ้งหนังสือผิด / ส่งผิด)",
            {"200": _json(_ref("ExchangeMessage"), "The letter, reported"), "409": STALE},
            _body("Answer"),
        ),
    },
}
