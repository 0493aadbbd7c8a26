"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

# An operation's security: the alternatives, each naming its schemes and their scopes.
Security = list[dict[str, list[str]]]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _too_many_attempts(description: str) -> dict[str, Any]:
    """A 429 answer: the Error body, and how long to wait in ``Retry-After``."""
    return {
        **_error(description),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    }


def _path_parameter(
    name: str, max_length: int, description: str, example: str, *, pattern: str | None = None
) -> dict[str, Any]:
    """A path parameter bounded like the column it is looked up in (longer ones are never found)."""
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": max_length}
    if pattern is not None:
        schema["pattern"] = pattern
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
        "example": example,
    }


TENANT = _path_parameter("tenant", 40, "Municipality slug", "maehia")
SERVICE_ID = _path_parameter(
    "service_id", 64, "A service of the catalog the municipality enabled", "complaint"
)
ATTACHMENT_ID = _path_parameter("attachment_id", 64, "An attachment the service asks for", "photos")
REFERENCE = _path_parameter("reference", 32, "The submission's reference number", "MH-2569-000123")
PUBLIC_ID = _path_parameter(
    "public_id", 40, "The issued document's public ID (in its QR code)", "d7Kq2mXa9pLr"
)

# Answers every operation may give, by what it takes.
MALFORMED = _error(
    "The body is not what the operation takes: invalid_json (not JSON, invalid UTF-8, nested deeper "
    "than 64 levels) or invalid_request (a field missing or of the wrong type)"
)
TOO_LARGE = _error(
    "The body is larger than the limit (request_entity_too_large; 1 MiB for JSON, "
    "THONGTHIN_MAX_JSON_BYTES; uploads by the service's own limit)"
)
TRACKING_HEADER = {
    "name": "X-Tracking-Token",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 128},
    "description": (
        "The applicant's tracking token (from the submission's receipt or a tracking link sent to the "
        "applicant). Only in this header: a tracking_token query parameter is refused with 400 "
        "tracking_token_in_query. A phone number or national ID is not a tracking token."
    ),
}
TRACKING_LIMITS = (
    "Too many tries for this reference or from this address (wrong tokens are counted before they are "
    "compared); wait Retry-After seconds"
)
TEXT = {
    "type": "object",
    "properties": {"th": {"type": "string"}, "en": {"type": "string"}},
    "required": ["th", "en"],
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Thongthin API",
        "version": "1.0.0",
        "description": "Citizen services of Thai local administrations: submit, track and process applications.",
    },
    "servers": [{"url": "/"}],
    "paths": {
        "/api/v1/auth/token": {
            "post": {
                "summary": "Exchange an officer's username and password for a bearer token",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Credentials")}},
                },
                "responses": {
                    "200": _json(_ref("Token"), "A bearer token valid for eight hours"),
                    "400": MALFORMED,
                    "401": _error(
                        "Wrong municipality, username, password or two-factor code (one answer for all)"
                    ),
                    "413": TOO_LARGE,
                    "429": _too_many_attempts(
                        "Too many failed logins for this account or from this address; wait Retry-After seconds"
                    ),
                },
            },
            "delete": {
                "summary": "End the bearer token sent with this request (log out a program)",
                "security": [{"bearer": []}],
                "responses": {
                    "204": {"description": "The token no longer works"},
                    "401": _error("No bearer token, or an unknown or expired one"),
                },
            },
        },
        "/api/v1/tenants/{tenant}/services": {
            "get": {
                "summary": "The services a municipality offers",
                "security": [],
                "parameters": [TENANT],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"services": {"type": "array", "items": _ref("Service")}},
                        },
                        "Enabled services",
                    ),
                    "404": _error("No such municipality"),
                },
            }
        },
        "/api/v1/tenants/{tenant}/services/{service_id}/submissions": {
            "post": {
                "summary": "Submit an application (the form data as JSON)",
                "security": [],
                "parameters": [TENANT, SERVICE_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "description": "The service's form.json"}
                        }
                    },
                },
                "responses": {
                    "201": _json(_ref("Receipt"), "Stored; keep the tracking token to follow it"),
                    "400": MALFORMED,
                    "404": _error("No such municipality or service"),
                    "413": TOO_LARGE,
                    "422": _json(
                        _ref("ValidationError"),
                        "The data does not validate; nothing was stored (at most 50 errors, more_errors counts the rest)",
                    ),
                },
            }
        },
        "/api/v1/tenants/{tenant}/services/{service_id}/attachments/{attachment_id}": {
            "post": {
                "summary": "Upload one file for an attachment of the service (before submitting)",
                "security": [],
                "parameters": [TENANT, SERVICE_ID, ATTACHMENT_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": {"type": "string", "format": "binary"}},
                                "required": ["file"],
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(
                        _ref("Attachment"), "Stored; put this object into the form data's list of files"
                    ),
                    "400": _error("No file sent, or a malformed multipart body"),
                    "404": _error("No such municipality, service or attachment"),
                    "413": TOO_LARGE,
                    "422": _error(
                        "Empty, too large, a type the service does not accept (judged by content), an image "
                        "declaring absurd dimensions, or a damaged image (codes upload_*)"
                    ),
                    "429": _too_many_attempts(
                        "Too many files or bytes uploaded from this address in an hour (too_many_uploads)"
                    ),
                },
            }
        },
        "/api/v1/tenants/{tenant}/submissions/{reference}": {
            "get": {
                "summary": "A submission, its history and the actions the caller may take now",
                "parameters": [TENANT, REFERENCE, TRACKING_HEADER],
                "security": [{"bearer": []}, {}],
                "responses": {
                    "200": _json(
                        {"anyOf": [_ref("OfficerApplication"), _ref("Submission")]},
                        "The submission as the caller may see it: officers get OfficerApplication",
                    ),
                    "400": _error("A tracking token in the query string (code tracking_token_in_query)"),
                    "401": _error("Neither a bearer token nor a tracking token"),
                    "403": _error("The officer works for another municipality"),
                    "404": _error("No such submission, or the tracking token does not match"),
                    "429": _too_many_attempts(TRACKING_LIMITS),
                },
            }
        },
        "/api/v1/tenants/{tenant}/submissions/{reference}/transitions": {
            "post": {
                "summary": "Take an action on a submission",
                "parameters": [TENANT, REFERENCE, TRACKING_HEADER],
                "security": [{"bearer": []}, {}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("TransitionRequest")}},
                },
                "responses": {
                    "200": _json(_ref("Submission"), "The submission after the action"),
                    "400": _error(
                        "Malformed body (invalid_json, invalid_request), or a tracking token in the query string"
                    ),
                    "401": _error("No credentials"),
                    "403": _error("None of the caller's roles may take this action"),
                    "404": _error("No such submission, or the tracking token does not match"),
                    "409": _error(
                        "The submission changed meanwhile (stale version) or is in a state where the action is not possible"
                    ),
                    "413": TOO_LARGE,
                    "422": _json(
                        _ref("ValidationError"), "Invalid input for the action, or an unknown action"
                    ),
                    "429": _too_many_attempts(TRACKING_LIMITS),
                },
            }
        },
        "/api/v1/tenants/{tenant}/submissions/{reference}/tracking-link": {
            "post": {
                "summary": "Lost the tracking token: see the status and get a fresh link sent to the applicant",
                "description": (
                    "With a phone number or national ID number given in the application, answers the "
                    "status only (no form data, documents or actions) and sends a fresh tracking link "
                    "to the applicant's own phone number and e-mail address on file; the answer says "
                    "where, masked. A few links per application per day: beyond that, nothing is sent "
                    "and the answer says when a new one may be asked for."
                ),
                "security": [],
                "parameters": [TENANT, REFERENCE],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("TrackingLinkRequest")}},
                },
                "responses": {
                    "200": _json(
                        _ref("TrackingLinkAnswer"),
                        "No link sent now (one was sent recently, or there is nowhere to send it)",
                    ),
                    "202": _json(_ref("TrackingLinkAnswer"), "A fresh link is on its way to the applicant"),
                    "400": _error(
                        "The body is not a JSON object with a contact (invalid_json, invalid_request)"
                    ),
                    "404": _error("No such municipality or submission, or the contact does not match"),
                    "413": TOO_LARGE,
                    "429": _too_many_attempts(TRACKING_LIMITS),
                },
            }
        },
        "/api/v1/verify": {
            "post": {
                "summary": "Verify a PDF: its signatures and whether the platform issued exactly this file",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/pdf": {"schema": {"type": "string", "format": "binary", "minLength": 1}},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string", "format": "binary", "minLength": 1}
                                },
                                "required": ["file"],
                            }
                        },
                    },
                },
                "responses": {
                    "200": _json(
                        _ref("VerificationResult"),
                        "The report (genuine only when signed, trusted and in the register)",
                    ),
                    "400": _error("Nothing sent"),
                    "413": TOO_LARGE,
                    "503": _error(
                        "The installation has no trust roots configured (verification_unavailable)"
                    ),
                },
            }
        },
        "/api/v1/documents/{public_id}": {
            "get": {
                "summary": "An issued document's register entry and signature report",
                "security": [],
                "parameters": [PUBLIC_ID],
                "responses": {
                    "200": _json(_ref("VerificationResult"), "The report of the document as issued"),
                    "404": _error("No issued document with this ID"),
                    "503": _error(
                        "The installation has no trust roots configured (verification_unavailable)"
                    ),
                },
            }
        },
        "/api/v1/payments/notify": {
            "post": {
                "summary": "A bank or payment gateway reports a payment (Thai QR bill payment)",
                "description": (
                    "Signed with the municipality's shared secret: header X-Thongthin-Signature is "
                    "'sha256=' + the hex HMAC-SHA256 of the raw body. Idempotent by transaction_id "
                    "(a repeat answers 200 with duplicate true); a reference that matches no bill is "
                    "held for an officer and answered 200 with status 'held'."
                ),
                "security": [],
                "parameters": [
                    {
                        "name": "X-Thongthin-Signature",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("PaymentNotification")}},
                },
                "responses": {
                    "200": _json(_ref("PaymentRecorded"), "Recorded (or recorded before: duplicate)"),
                    "400": _error("Not a JSON object naming its tenant (invalid_json)"),
                    "401": _error(
                        "No signature (signature_missing), or it does not match (or the municipality takes "
                        "no notifications)"
                    ),
                    "404": _error("No such municipality"),
                    "409": _error("The transaction ID was recorded before with another amount or reference"),
                    "413": TOO_LARGE,
                    "422": _error(
                        "A field is missing or malformed, or paid_at is outside the accepted window (the error "
                        "names the field in 'field')"
                    ),
                },
            }
        },
        "/api/v1/tenants/{tenant}/submissions/{reference}/messages": {
            "get": {
                "summary": "The delivery log of an application: every message, its channel, masked address and result",
                "description": (
                    "Officers only (bearer token; the application must be of a service their roles work on). "
                    "status is queued, sending, sent, failed (refused, or out of tries), stopped (the applicant "
                    "stopped that channel) or unavailable (the channel is not set up)."
                ),
                "parameters": [TENANT, REFERENCE],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["messages"],
                            "properties": {
                                "messages": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["channel", "to", "status", "attempts", "created_at"],
                                        "properties": {
                                            "channel": {"enum": ["email", "sms", "line", "page"]},
                                            "to": {"type": "string"},
                                            "officer": {"type": "boolean"},
                                            "status": {
                                                "enum": [
                                                    "queued",
                                                    "sending",
                                                    "sent",
                                                    "failed",
                                                    "stopped",
                                                    "unavailable",
                                                ]
                                            },
                                            "attempts": {"type": "integer"},
                                            "error": {"type": ["string", "null"]},
                                            "created_at": {"type": "string", "format": "date-time"},
                                            "sent_at": {"type": ["string", "null"], "format": "date-time"},
                                        },
                                    },
                                }
                            },
                        },
                        "The log, oldest first",
                    ),
                    "401": _error("No bearer token or tracking token"),
                    "403": _error("An applicant's tracking token: the log is for officers (forbidden)"),
                    "404": _error(
                        "No such municipality or application (or not one this officer needs to know)"
                    ),
                },
            }
        },
        "/api/v1/tenants/{tenant}/line/webhook": {
            "post": {
                "summary": "LINE's webhook of the municipality's Official Account",
                "description": (
                    "Set this address as the webhook URL in the LINE Developers console. Signed by LINE: header "
                    "X-Line-Signature is the base64 HMAC-SHA256 of the raw body with the channel secret the "
                    "municipality entered in the console. The events are queued and answered by the worker "
                    "(linking an application, its status, answers from the catalog); the webhook answers at once."
                ),
                "security": [],
                "parameters": [
                    TENANT,
                    {
                        "name": "X-Line-Signature",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 200},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "destination": {"type": "string"},
                                    "events": {"type": "array", "items": {"type": "object"}},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["queued"],
                            "properties": {"queued": {"type": "integer"}},
                        },
                        "The events are queued",
                    ),
                    "400": _error("Not a JSON object (invalid_json)"),
                    "401": _error("No signature (signature_missing), or it does not match (bad_signature)"),
                    "404": _error(
                        "No such municipality, or it has no LINE Official Account (line_not_connected)"
                    ),
                    "413": TOO_LARGE,
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1"}},
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Stable, for programs: e.g. invalid_json"},
                    "message": {"type": "string", "description": "English, for people"},
                    "message_th": {"type": "string", "description": "Thai, for people (when there is one)"},
                },
            },
            "FieldError": {
                "type": "object",
                "required": ["pointer", "message_th", "message_en"],
                "properties": {
                    "pointer": {"type": "string", "description": "JSON Pointer into the submitted data"},
                    "message_th": {"type": "string"},
                    "message_en": {"type": "string"},
                },
            },
            "ValidationError": {
                "allOf": [
                    _ref("Error"),
                    {
                        "type": "object",
                        "properties": {
                            "errors": {"type": "array", "maxItems": 50, "items": _ref("FieldError")},
                            "more_errors": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "How many further errors were found but not listed",
                            },
                        },
                    },
                ]
            },
            "Credentials": {
                "type": "object",
                "required": ["tenant", "username", "password"],
                "properties": {
                    "tenant": {"type": "string", "maxLength": 40, "description": "The municipality's slug"},
                    "username": {"type": "string", "maxLength": 80},
                    "password": {"type": "string", "maxLength": 1024},
                    "totp": {"type": "string", "maxLength": 10, "description": "When two-factor login is on"},
                },
            },
            "Token": {
                "type": "object",
                "required": ["token"],
                "properties": {"token": {"type": "string"}, "token_type": {"const": "Bearer"}},
            },
            "Service": {
                "type": "object",
                "required": ["id", "version", "title", "summary", "category"],
                "properties": {
                    "id": {"type": "string"},
                    "version": {"type": "string"},
                    "title": TEXT,
                    "summary": TEXT,
                    "category": {"type": "string"},
                },
            },
            "Attachment": {
                "type": "object",
                "required": ["id", "filename", "content_type", "size"],
                "properties": {
                    "id": {"type": "string"},
                    "filename": {"type": "string"},
                    "content_type": {"type": "string"},
                    "size": {"type": "integer"},
                    "sha256": {"type": "string"},
                },
            },
            "VerificationResult": {
                "type": "object",
                "required": ["genuine", "in_register", "verification"],
                "properties": {
                    "genuine": {"type": "boolean"},
                    "in_register": {"type": "boolean"},
                    "register_message": TEXT,
                    "document": {"type": ["object", "null"]},
                    "verification": {
                        "type": "object",
                        "description": "status, sha256 and a report per signature",
                    },
                },
            },
            "Receipt": {
                "type": "object",
                "required": ["reference", "status", "tracking_token"],
                "properties": {
                    "reference": {"type": "string"},
                    "status": {"type": "string"},
                    "tracking_token": {"type": "string"},
                },
            },
            "Action": {
                "type": "object",
                "required": ["action", "to"],
                "properties": {
                    "action": {"type": "string"},
                    "to": {"type": "string"},
                    "title": TEXT,
                    "input": {"type": ["object", "null"], "description": "JSON Schema of the input"},
                    "ends_application": {
                        "type": "boolean",
                        "description": (
                            "The action ends the application (withdrawing it): the portal asks the applicant "
                            "to confirm it first, and so should an app"
                        ),
                    },
                    "reopens": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": (
                            "Form steps the applicant may correct with this action: send the corrected answers "
                            "as 'corrected' with it"
                        ),
                    },
                },
            },
            "Submission": {
                "type": "object",
                "required": ["reference", "service_id", "status", "history", "actions", "version"],
                "properties": {
                    "reference": {"type": "string"},
                    "service_id": {"type": "string"},
                    "service_version": {"type": "string"},
                    "status": {"type": "string"},
                    "status_title": TEXT,
                    "applicant_message": TEXT,
                    "version": {"type": "integer"},
                    "submitted_at": {"type": "string", "format": "date-time"},
                    "due_at": {"type": ["string", "null"], "format": "date-time"},
                    "history": {
                        "type": "array",
                        "description": (
                            "Officers get every step with its input (role, by, input); the applicant gets the moves "
                            "and their own replies, with 'told': the answers the workflow marks for the applicant "
                            "(the officer's question on a request for information, the reason of a refusal)."
                        ),
                        "items": {
                            "type": "object",
                            "required": ["at", "action", "to"],
                            "properties": {
                                "at": {"type": "string", "format": "date-time"},
                                "action": {"type": "string"},
                                "from": {"type": ["string", "null"]},
                                "to": {"type": "string"},
                                "action_title": {
                                    "oneOf": [TEXT, {"type": "null"}],
                                    "description": "The action's title as the pages show it; null for "
                                    "one the service's version no longer has",
                                },
                                "to_title": {
                                    "oneOf": [TEXT, {"type": "null"}],
                                    "description": "The title of the state it led to, as the pages show it",
                                },
                                "role": {"type": ["string", "null"]},
                                "by": {"type": ["string", "null"]},
                                "input": {"type": "object"},
                                "by_applicant": {"type": "boolean"},
                                "told": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["pointer", "label", "value"],
                                        "properties": {
                                            "pointer": {"type": "string"},
                                            "label": TEXT,
                                            "value": {},
                                        },
                                    },
                                },
                            },
                        },
                    },
                    "actions": {"type": "array", "items": _ref("Action")},
                    "bills": {
                        "type": "array",
                        "description": (
                            "The application's one-off bills (fees), as its tracking page shows them: the Thai QR "
                            "payload of what is still owed (null once paid)"
                        ),
                        "items": {
                            "type": "object",
                            "properties": {
                                "description": TEXT,
                                "amount": {"type": "string"},
                                "owed": {"type": "string"},
                                "status": {"type": "string"},
                                "qr_payload": {"type": ["string", "null"]},
                                "ref1": {"type": "string"},
                                "ref2": {"type": "string"},
                            },
                        },
                    },
                    "fee_accounts": {
                        "type": "array",
                        "description": "Recurring fee accounts the application opened, with where their bills are",
                        "items": {
                            "type": "object",
                            "properties": {"number": {"type": "string"}, "bills_url": {"type": "string"}},
                        },
                    },
                    "documents_url": {"type": "string", "description": "The signed documents issued for it"},
                    "data": {"type": "object", "description": "Officers only"},
                },
            },
            "PaymentNotification": {
                "type": "object",
                "required": ["tenant", "transaction_id", "ref1", "amount", "paid_at"],
                "properties": {
                    "tenant": {"type": "string", "description": "The municipality's slug"},
                    "transaction_id": {"type": "string", "minLength": 1, "maxLength": 64},
                    "ref1": {"type": "string", "description": "Reference 1 of the bill (account number)"},
                    "ref2": {
                        "type": "string",
                        "description": "Reference 2 (billing period BBBBMM, or 0 for arrears)",
                    },
                    "amount": {
                        "type": ["string", "number"],
                        "description": 'Baht with at most two decimals, e.g. "120.00"',
                    },
                    "paid_at": {"type": "string", "format": "date-time"},
                    "payer": {"type": "string"},
                },
            },
            "PaymentRecorded": {
                "type": "object",
                "required": ["payment_id", "transaction_id", "status", "duplicate", "settled"],
                "properties": {
                    "payment_id": {"type": "integer"},
                    "transaction_id": {"type": "string"},
                    "status": {"type": "string", "enum": ["applied", "held", "resolved", "refunded"]},
                    "problem": {
                        "type": ["string", "null"],
                        "enum": ["underpaid", "overpaid", "unknown_reference", None],
                    },
                    "duplicate": {"type": "boolean"},
                    "settled": {"type": "array", "items": {"type": "object"}},
                },
            },
            "TrackingLinkRequest": {
                "type": "object",
                "required": ["contact"],
                "properties": {
                    "contact": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 64,
                        "pattern": "[0-9]",
                        "description": (
                            "A phone number or national ID number given in the application (with at least one digit)"
                        ),
                        "example": "0812345678",
                    }
                },
            },
            "TrackingLinkAnswer": {
                "type": "object",
                "required": ["reference", "service_id", "status", "status_title", "submitted_at", "link"],
                "properties": {
                    "reference": {"type": "string"},
                    "service_id": {"type": "string"},
                    "service_version": {"type": "string"},
                    "service_title": TEXT,
                    "status": {"type": "string"},
                    "status_title": TEXT,
                    "applicant_message": TEXT,
                    "submitted_at": {"type": "string", "format": "date-time"},
                    "link": {
                        "type": "object",
                        "required": ["sent", "outcome", "sent_to"],
                        "properties": {
                            "sent": {"type": "boolean"},
                            "outcome": {"type": "string", "enum": ["sent", "sent_recently", "no_contact"]},
                            "sent_to": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["channel", "to"],
                                    "properties": {
                                        "channel": {"type": "string", "enum": ["sms", "email"]},
                                        "to": {"type": "string", "description": "Masked, e.g. 08x-xxx-5678"},
                                    },
                                },
                            },
                            "resend_after": {
                                "type": ["string", "null"],
                                "format": "date-time",
                                "description": "When a new link may be asked for (sent_recently only)",
                            },
                        },
                    },
                },
            },
            "TransitionRequest": {
                "type": "object",
                "required": ["action"],
                "properties": {
                    "action": {"type": "string"},
                    "input": {"type": "object"},
                    "version": {
                        "type": "integer",
                        "description": "The version you read; 409 when it is no longer current",
                    },
                    "corrected": {
                        "type": "object",
                        "description": (
                            "For an action that lists 'reopens' (form steps): the form's answers as the applicant "
                            "corrected them. Only the reopened steps' answers are taken; the whole form is checked "
                            "again (422 with errors per field), new files must have been uploaded first. With any "
                            "other action: 400 correction_not_allowed."
                        ),
                    },
                },
            },
        },
    },
}


# Each area documents its operations in a module of its own: PATHS, SCHEMAS and, for the events
# sent to other systems, WEBHOOKS (the OpenAPI 3.1 section of that name).
AREA_MODULES = (
    "api.openapi_studio",
    "api.openapi_studio_tenants",
    "api.openapi_saraban",
    "api.openapi_agencies",
    "api.openapi_exchange",
    "api.openapi_definitions",
    "api.openapi_citizen",
    "api.openapi_citizen_more",
    "api.openapi_webhooks",
    "api.openapi_api_keys",
    "api.openapi_officer",
    "api.openapi_console",
    "api.openapi_security",
    "api.openapi_billing",
)


def _with_areas(spec: dict[str, Any], modules: tuple[str, ...]) -> dict[str, Any]:
    import importlib

    for name in modules:
        area = importlib.import_module(name)
        schemas: dict[str, Any] = area.SCHEMAS
        if taken := set(schemas) & set(spec["components"]["schemas"]):
            raise RuntimeError(f"{name}: schema names taken twice: {sorted(taken)}")
        if taken := set(area.PATHS) & set(spec["paths"]):
            raise RuntimeError(f"{name}: paths documented twice: {sorted(taken)}")
        spec["paths"].update(area.PATHS)
        spec["components"]["schemas"].update(schemas)
        spec.setdefault("webhooks", {}).update(getattr(area, "WEBHOOKS", {}))
    if not spec["webhooks"]:
        del spec["webhooks"]
    return spec


def _with_conventions(spec: dict[str, Any]) -> dict[str, Any]:
    """Last: the operations that take an API key say so, every operation documented above gets the
    shared refusals and rate-limit headers, and those creating something the Idempotency-Key."""
    from api.openapi_api_keys import with_key_security
    from api.openapi_conventions import apply
    from api.openapi_idempotency import amend

    return amend(apply(with_key_security(spec)))


SPEC = _with_conventions(_with_areas(SPEC, AREA_MODULES))
