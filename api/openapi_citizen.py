"""The citizens' journey in the OpenAPI document: drafts, documents of an application, bills."""

from __future__ import annotations

from typing import Any

from api.openapi import (
    REFERENCE,
    SERVICE_ID,
    TENANT,
    TEXT,
    TOO_LARGE,
    TRACKING_HEADER,
    TRACKING_LIMITS,
    Security,
    _error,
    _json,
    _path_parameter,
    _ref,
    _too_many_attempts,
)

DRAFT_ID = {
    "name": "draft_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
    "description": "The draft's number (from its creation); it opens nothing without the secret",
}
STEP_ID = _path_parameter("step_id", 64, "A step of the form (ui.json), as the draft lists it", "applicant")
ACCOUNT = _path_parameter(
    "account",
    40,
    "A fee account's number in any spelling, or the reference 1 printed on a paper bill",
    "GB-000123",
)
PERIOD = _path_parameter(
    "period", 7, "The bill's period (Buddhist Era year-month), or all for everything owed", "2569-11"
)
DOCUMENT_ID = _path_parameter("public_id", 40, "The issued document's public ID", "d7Kq2mXa9pLr")
DRAFT_SECRET = {
    "name": "X-Draft-Secret",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "maxLength": 128},
    "description": (
        "The draft's secret, given once when it was created. Only in this header: one in the query string "
        "is refused with 400 draft_secret_in_query. A wrong secret is 404, like a draft that does not exist."
    ),
}
ACCOUNT_PHONE = {
    "name": "X-Account-Phone",
    "in": "header",
    "schema": {"type": "string", "maxLength": 32},
    "description": (
        "The phone number registered with the account, as the portal asks before it shows receipts (they "
        "carry the holder's full name and address). A few wrong numbers per account, then a wait."
    ),
}
PHONE_WRONG = _error(
    "Not the phone number registered with the account (account_phone_wrong), in Thai and English"
)
PHONE_THROTTLED = _too_many_attempts(
    "Too many wrong phone numbers for this account; wait Retry-After seconds"
)
BILINGUAL_TEXT = TEXT
NO_DRAFT = _error(
    "No such municipality or service (service_not_enabled), or no draft with this number opens with this "
    "secret, or it expired after 30 days untouched (draft_not_found)"
)
SECRET_MISSING = _error("No X-Draft-Secret header (draft_secret_missing)")
SECRET_IN_QUERY = _error("A draft secret in the query string (draft_secret_in_query)")
WHO: Security = [{}, {"bearer": []}]
PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
PNG = {"image/png": {"schema": {"type": "string", "format": "binary"}}}

PATHS: dict[str, Any] = {
    "/api/v1/tenants/{tenant}/services/{service_id}/drafts": {
        "post": {
            "summary": "Begin an application: a draft saved on the server, with its secret",
            "description": (
                "The answer holds the draft's secret, shown this once (like the portal's resume link): keep "
                "it to save steps, read the draft back and resume it on another device. Drafts untouched "
                "for 30 days are deleted."
            ),
            "security": [],
            "parameters": [TENANT, SERVICE_ID],
            "responses": {
                "201": {
                    **_json(_ref("NewApplicationDraft"), "The draft and its secret"),
                    "headers": {"Location": {"description": "The draft", "schema": {"type": "string"}}},
                },
                "404": _error(
                    "No such municipality, or it does not offer this service (service_not_enabled)"
                ),
            },
        }
    },
    "/api/v1/tenants/{tenant}/services/{service_id}/drafts/{draft_id}": {
        "get": {
            "summary": "Read a draft back (or resume it): answers, steps complete, the check-your-answers summary",
            "security": [],
            "parameters": [TENANT, SERVICE_ID, DRAFT_ID, DRAFT_SECRET],
            "responses": {
                "200": _json(_ref("ApplicationDraft"), "The draft"),
                "400": SECRET_IN_QUERY,
                "401": SECRET_MISSING,
                "404": NO_DRAFT,
            },
        },
        "delete": {
            "summary": "Discard a draft and the files uploaded to it",
            "security": [],
            "parameters": [TENANT, SERVICE_ID, DRAFT_ID, DRAFT_SECRET],
            "responses": {
                "204": {"description": "Deleted"},
                "400": SECRET_IN_QUERY,
                "401": SECRET_MISSING,
                "404": NO_DRAFT,
            },
        },
    },
    "/api/v1/tenants/{tenant}/services/{service_id}/drafts/{draft_id}/steps/{step_id}": {
        "put": {
            "summary": "Save one step's answers, checked as the portal checks that step",
            "description": (
                "answers holds the step's answers in the form's shape (a field left out takes its answer "
                "back); the draft's other answers stay as they are. Files are uploaded first (POST "
                "…/attachments/{attachment_id}) and their descriptions listed at the file field. The step is "
                "checked with the portal's rules and per-field messages in Thai and English: with a problem "
                "nothing is stored (422), unless keep_invalid is true (the portal's 'save and come back "
                "later'): then the answers are stored and the problems listed. Answers the step does not "
                "ask and files that are not this applicant's are refused either way. A PUT with a problem "
                "stores nothing, so it also checks a step without saving it."
            ),
            "security": [],
            "parameters": [TENANT, SERVICE_ID, DRAFT_ID, STEP_ID, DRAFT_SECRET],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("StepAnswers")}},
            },
            "responses": {
                "200": _json(_ref("SavedStep"), "Stored"),
                "400": _error(
                    "Malformed body (invalid_json, invalid_request), or a draft secret in the query string "
                    "(draft_secret_in_query)"
                ),
                "401": SECRET_MISSING,
                "413": TOO_LARGE,
                "404": _error("As for reading the draft, or the form asks no such step now (step_not_found)"),
                "409": _error("The draft is being submitted (draft_being_submitted)"),
                "422": _json(_ref("StepRefused"), "Nothing stored: the problems, field by field"),
            },
        }
    },
    "/api/v1/tenants/{tenant}/services/{service_id}/drafts/{draft_id}/submit": {
        "post": {
            "summary": "Submit a draft: the same checks and receipt as POST …/submissions; the draft is gone",
            "security": [],
            "parameters": [TENANT, SERVICE_ID, DRAFT_ID, DRAFT_SECRET],
            "responses": {
                "400": SECRET_IN_QUERY,
                "201": {
                    **_json(_ref("Receipt"), "Stored; keep the tracking token to follow it"),
                    "headers": {"Location": {"description": "The submission", "schema": {"type": "string"}}},
                },
                "401": SECRET_MISSING,
                "404": NO_DRAFT,
                "409": _error("Another request is submitting this draft (draft_being_submitted)"),
                "422": _json(
                    _ref("DraftNotReady"), "Nothing stored: the problems, each with the step that asks it"
                ),
            },
        }
    },
    "/api/v1/tenants/{tenant}/submissions/{reference}/documents": {
        "get": {
            "summary": "The signed documents issued for an application",
            "description": "For the applicant (X-Tracking-Token) or an officer of the municipality (bearer).",
            "security": WHO,
            "parameters": [TENANT, REFERENCE, TRACKING_HEADER],
            "responses": {
                "200": _json(_ref("SubmissionDocuments"), "The documents, oldest first"),
                "400": _error("A tracking token in the query string (tracking_token_in_query)"),
                "401": _error("Neither a bearer token nor a tracking token"),
                "403": _error("An officer of another municipality (wrong_tenant)"),
                "404": _error("No such submission, or the tracking token does not match"),
                "429": _too_many_attempts(TRACKING_LIMITS),
            },
        }
    },
    "/api/v1/tenants/{tenant}/submissions/{reference}/documents/{public_id}.pdf": {
        "get": {
            "summary": "Download a signed document of an application (the PDF as issued)",
            "security": WHO,
            "parameters": [TENANT, REFERENCE, DOCUMENT_ID, TRACKING_HEADER],
            "responses": {
                "200": {"description": "The signed PDF", "content": PDF},
                "400": _error("A tracking token in the query string (tracking_token_in_query)"),
                "401": _error("Neither a bearer token nor a tracking token"),
                "403": _error("An officer of another municipality (wrong_tenant)"),
                "404": _error(
                    "No such submission, the tracking token does not match, or no such document of this "
                    "submission (document_not_found)"
                ),
                "429": _too_many_attempts(TRACKING_LIMITS),
            },
        }
    },
    "/api/v1/tenants/{tenant}/bills/{account}": {
        "get": {
            "summary": "A fee account's bills, as the portal's bills page shows them",
            "description": (
                "Whoever has the account number (or a paper bill's reference 1) sees what the portal shows "
                "them: the holder masked, the address from the subdistrict up, each unpaid bill with its Thai "
                "QR payload (PromptPay bill payment) and references, one QR for everything owed, and the "
                "latest paid bills."
            ),
            "security": [],
            "parameters": [TENANT, ACCOUNT, {**ACCOUNT_PHONE, "required": False}],
            "responses": {
                "200": _json(
                    _ref("AccountBills"),
                    "The account's bills (paid ones with their receipts, given the phone)",
                ),
                "403": PHONE_WRONG,
                "404": _error("No such account in this municipality (account_not_found)"),
                "429": PHONE_THROTTLED,
            },
        }
    },
    "/api/v1/tenants/{tenant}/bills/{account}/receipts/{public_id}.pdf": {
        "get": {
            "summary": "The signed e-receipt of one of the account's paid bills",
            "security": [],
            "parameters": [TENANT, ACCOUNT, DOCUMENT_ID, {**ACCOUNT_PHONE, "required": True}],
            "responses": {
                "200": {"description": "The signed PDF", "content": PDF},
                "401": _error("No X-Account-Phone header (account_phone_missing)"),
                "403": PHONE_WRONG,
                "404": _error("No such account, or no such receipt of its paid bills (document_not_found)"),
                "429": PHONE_THROTTLED,
            },
        }
    },
    "/api/v1/tenants/{tenant}/bills/{account}/qr/{period}.png": {
        "get": {
            "summary": "The Thai QR of one unpaid bill, or of everything owed (all), as a PNG",
            "security": [],
            "parameters": [TENANT, ACCOUNT, PERIOD],
            "responses": {
                "200": {"description": "The QR code to scan with a banking app", "content": PNG},
                "404": _error("No such account, or nothing owed for that period (bill_not_found)"),
            },
        }
    },
}

_STRING_OR_NULL = {"type": ["string", "null"]}
_FIELD_ERROR = _ref("FieldError")
_ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["pointer", "label", "text"],
    "properties": {
        "pointer": {"type": "string"},
        "label": BILINGUAL_TEXT,
        "text": {**BILINGUAL_TEXT, "description": "The answer written for people"},
        "items": {
            "type": "array",
            "description": "For repeated groups: the answers of each item",
            "items": {"type": "array", "items": {"type": "object"}},
        },
    },
}
_DRAFT_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "service_id": {"type": "string"},
    "service_version": {"type": "string", "description": "The version the draft began with; it keeps it"},
    "answers": {"type": "object", "description": "The answers so far, in the form's shape"},
    "steps": {
        "type": "array",
        "description": "The steps the form asks given the answers, in order",
        "items": {
            "type": "object",
            "required": ["id", "title", "complete"],
            "properties": {
                "id": {"type": "string"},
                "title": BILINGUAL_TEXT,
                "complete": {"type": "boolean"},
            },
        },
    },
    "next_step": {**_STRING_OR_NULL, "description": "The first step still to answer; null when all are"},
    "ready": {"type": "boolean", "description": "Whether the draft can be submitted as it is"},
    "problems": {"type": "array", "items": _FIELD_ERROR, "description": "Problems no step asks about"},
    "summary": {
        "type": "array",
        "description": "The check-your-answers page: each step asked and its answers written for people",
        "items": {
            "type": "object",
            "required": ["step_id", "title", "answers"],
            "properties": {
                "step_id": {"type": "string"},
                "title": BILINGUAL_TEXT,
                "answers": {"type": "array", "items": _ANSWER},
            },
        },
    },
    "updated_at": {"type": "string", "format": "date-time"},
    "expires_at": {"type": "string", "format": "date-time", "description": "Deleted then unless saved again"},
}
_DRAFT_REQUIRED = ["id", "service_id", "service_version", "answers", "steps", "next_step", "ready", "summary"]
_STEP_ERROR: dict[str, Any] = {
    "allOf": [
        _FIELD_ERROR,
        {
            "type": "object",
            "properties": {"step_id": {**_STRING_OR_NULL, "description": "The step asking it"}},
        },
    ]
}
_MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "example": "25.00"}

SCHEMAS: dict[str, Any] = {
    "ApplicationDraft": {"type": "object", "required": _DRAFT_REQUIRED, "properties": _DRAFT_PROPERTIES},
    "NewApplicationDraft": {
        "type": "object",
        "required": [*_DRAFT_REQUIRED, "secret"],
        "properties": {
            **_DRAFT_PROPERTIES,
            "secret": {"type": "string", "description": "Send it in X-Draft-Secret; shown this once"},
        },
    },
    "StepAnswers": {
        "type": "object",
        "required": ["answers"],
        "properties": {
            "answers": {"type": "object", "description": "The step's answers in the form's shape"},
            "keep_invalid": {
                "type": "boolean",
                "default": False,
                "description": "Store the answers even with problems (they are listed in errors)",
            },
        },
    },
    "SavedStep": {
        "type": "object",
        "required": [*_DRAFT_REQUIRED, "saved_step", "errors"],
        "properties": {
            **_DRAFT_PROPERTIES,
            "saved_step": {"type": "string"},
            "errors": {
                "type": "array",
                "items": _FIELD_ERROR,
                "description": "The step's problems (only with keep_invalid)",
            },
        },
    },
    "StepRefused": {
        "type": "object",
        "required": ["code", "message", "message_th", "step_id", "errors", "answers"],
        "properties": {
            "code": {"type": "string", "enum": ["invalid_step"]},
            "message": {"type": "string"},
            "message_th": {"type": "string"},
            "step_id": {"type": "string"},
            "errors": {"type": "array", "items": _FIELD_ERROR},
            "answers": {"type": "object", "description": "The draft's answers, as they still are"},
        },
    },
    "DraftNotReady": {
        "type": "object",
        "required": ["code", "message", "errors"],
        "properties": {
            "code": {"type": "string", "enum": ["invalid_submission"]},
            "message": {"type": "string"},
            "message_th": {"type": "string"},
            "errors": {"type": "array", "items": _STEP_ERROR},
            "more_errors": {"type": "integer"},
        },
    },
    "SubmissionDocuments": {
        "type": "object",
        "required": ["documents"],
        "properties": {
            "documents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["public_id", "number", "title", "issued_at", "download_url"],
                    "properties": {
                        "public_id": {"type": "string"},
                        "document_id": {"type": "string", "description": "The document's id in service.json"},
                        "number": {"type": "string"},
                        "title": BILINGUAL_TEXT,
                        "issued_at": {"type": ["string", "null"], "format": "date-time"},
                        "file_name": {"type": "string"},
                        "download_url": {"type": "string"},
                        "verify_url": {"type": "string"},
                    },
                },
            }
        },
    },
    "AccountBills": {
        "type": "object",
        "required": ["account", "arrears", "unpaid", "paid"],
        "properties": {
            "account": {
                "type": "object",
                "required": ["number", "holder"],
                "properties": {
                    "number": {"type": "string"},
                    "holder": {
                        "type": "string",
                        "description": "Masked: first name and the surname's first letter",
                    },
                    "address": {"type": "string", "description": "From the subdistrict up"},
                    "fee_title": BILINGUAL_TEXT,
                    "rate_class": BILINGUAL_TEXT,
                },
            },
            "arrears": _MONEY,
            "arrears_qr_payload": {**_STRING_OR_NULL, "description": "One Thai QR for everything owed"},
            "arrears_qr_png_url": _STRING_OR_NULL,
            "unpaid": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["period", "amount", "owed", "status", "qr_payload", "ref1", "ref2"],
                    "properties": {
                        "period": {
                            "type": "string",
                            "description": "Buddhist Era year-month; empty for a one-off",
                        },
                        "period_title": BILINGUAL_TEXT,
                        "description": BILINGUAL_TEXT,
                        "amount": _MONEY,
                        "paid": _MONEY,
                        "owed": _MONEY,
                        "status": {"type": "string", "enum": ["unpaid", "partial"]},
                        "due_date": {"type": ["string", "null"], "format": "date"},
                        "qr_payload": {
                            "type": "string",
                            "description": "The Thai QR (EMVCo, PromptPay bill payment) for what is owed",
                        },
                        "ref1": {"type": "string"},
                        "ref2": {"type": "string"},
                        "qr_png_url": _STRING_OR_NULL,
                    },
                },
            },
            "paid": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "period": {"type": "string"},
                        "period_title": BILINGUAL_TEXT,
                        "description": BILINGUAL_TEXT,
                        "amount": _MONEY,
                        "paid": _MONEY,
                        "status": {"type": "string"},
                        "settled_at": {"type": ["string", "null"], "format": "date-time"},
                        "ref1": {"type": "string"},
                        "ref2": {"type": "string"},
                        "receipt": {
                            "type": "object",
                            "description": "Its issued e-receipt; only given the registered phone number",
                            "properties": {
                                "public_id": {"type": "string"},
                                "number": {"type": "string"},
                                "issued_at": {"type": ["string", "null"], "format": "date-time"},
                                "download_url": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}
