"""The console's fees and payments in the OpenAPI document: billing runs, payment settings, payments to
review, bank statements and the fee report."""

from __future__ import annotations

from typing import Any

from api.openapi import TENANT, TEXT, Security, _error, _json, _path_parameter, _ref
from api.openapi_definitions import IF_NONE_MATCH

_ADMIN: Security = [{"bearer": []}]
_MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "description": "Baht, two decimals"}
_NULL_TEXT = {"type": ["object", "null"], "properties": TEXT["properties"]}
_COUNT = {"type": "integer", "minimum": 0}
_WHEN = {"type": "string", "format": "date-time"}
_NULL_WHEN = {"type": ["string", "null"], "format": "date-time"}
_CURSOR = {"type": ["string", "null"], "description": "Give as ?cursor= for the next page; null on the last"}

PERIOD_PATTERN = "^(2[56][0-9]{2}|2700)-(0[1-9]|1[0-2])$"  # Buddhist-Era years 2500 to 2700
PERIOD = _path_parameter(
    "period", 7, "A billing period: Buddhist-Era year and month", "2569-03", pattern=PERIOD_PATTERN
)
PAYMENT_ID = _path_parameter("payment_id", 12, "A payment's id, as the list of payments gives it", "123")
STATEMENT_ID = _path_parameter("statement_id", 12, "A statement import's id, as the import gave it", "7")
LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
}
CURSOR = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "next_cursor of the page before (same filters)",
}
ETAG_HEADERS = {
    "ETag": {
        "description": "Strong entity tag of this page; send it back in If-None-Match",
        "required": True,
        "schema": {"type": "string"},
    }
}
NOT_MODIFIED = {"description": "The client's copy (If-None-Match) is current", "headers": ETAG_HEADERS}


def _tagged(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {**_json(schema, description), "headers": ETAG_HEADERS}


SCHEMAS: dict[str, Any] = {
    "BillingRun": {
        "type": "object",
        "required": [
            "period",
            "title",
            "status",
            "working",
            "started_at",
            "finished_at",
            "done",
            "of",
            "accounts",
            "created",
            "existing",
            "skipped",
            "total",
            "error",
        ],
        "properties": {
            "period": {"type": "string", "example": "2569-03"},
            "title": TEXT,
            "status": {"type": "string", "enum": ["queued", "running", "completed", "interrupted"]},
            "working": {"type": "boolean", "description": "Queued or running: ask again for progress"},
            "started_at": _WHEN,
            "finished_at": _NULL_WHEN,
            "done": {**_COUNT, "description": "Accounts looked at so far"},
            "of": {**_COUNT, "description": "Active accounts when the run started"},
            "accounts": _COUNT,
            "created": {**_COUNT, "description": "Bills made by this run"},
            "existing": {**_COUNT, "description": "Accounts billed for the period before"},
            "skipped": {**_COUNT, "description": "Accounts without an amount, or owing nothing"},
            "total": _MONEY,
            "error": {"type": ["string", "null"], "description": "Why an interrupted run stopped"},
        },
    },
    "BillingRuns": {
        "type": "object",
        "required": ["runs", "offered", "next_cursor"],
        "properties": {
            "runs": {"type": "array", "items": _ref("BillingRun")},
            "offered": {
                "type": "array",
                "description": "The periods the billing button offers (this month and the next)",
                "items": {
                    "type": "object",
                    "required": ["period", "title"],
                    "properties": {"period": {"type": "string"}, "title": TEXT},
                },
            },
            "next_cursor": _CURSOR,
        },
    },
    "BillingRunRequest": {
        "type": "object",
        "required": ["period"],
        "properties": {
            "period": {
                "type": "string",
                "pattern": PERIOD_PATTERN,
                "example": "2569-03",
                "description": "Up to next month; an earlier one runs again (an interrupted run)",
            }
        },
    },
    "PaymentSettings": {
        "type": "object",
        "required": [
            "biller_id",
            "biller_id_in_use",
            "demo_biller",
            "has_secret",
            "notify_url",
            "signature_header",
        ],
        "properties": {
            "biller_id": {"type": ["string", "null"], "description": "The municipality's own; null if unset"},
            "biller_id_in_use": {
                "type": "string",
                "description": "What new QR codes name (the demo one if unset)",
            },
            "demo_biller": {"type": "boolean"},
            "has_secret": {"type": "boolean", "description": "The secret itself is never shown again"},
            "notify_url": {"type": "string"},
            "signature_header": {"type": "string"},
        },
    },
    "PaymentSettingsUpdate": {
        "type": "object",
        "required": ["biller_id"],
        "properties": {
            "biller_id": {
                "type": "string",
                "maxLength": 64,
                "description": "PromptPay biller ID: 15 digits, or a 13-digit tax ID (suffix 00 added)",
            }
        },
    },
    "PaymentSecret": {
        "type": "object",
        "required": ["secret", "notify_url", "signature_header"],
        "properties": {
            "secret": {"type": "string", "description": "Shown in this answer only"},
            "notify_url": {"type": "string"},
            "signature_header": {"type": "string"},
        },
    },
    "ReviewPayment": {
        "type": "object",
        "required": [
            "id",
            "transaction_id",
            "source",
            "ref1",
            "ref2",
            "amount",
            "paid_at",
            "status",
            "status_title",
            "problem",
            "problem_title",
        ],
        "properties": {
            "id": {"type": "integer"},
            "transaction_id": {"type": "string"},
            "source": {"type": "string", "enum": ["notify", "statement", "counter"]},
            "ref1": {"type": "string"},
            "ref2": {"type": "string"},
            "amount": _MONEY,
            "paid_at": _WHEN,
            "status": {"type": "string", "enum": ["held", "applied", "resolved", "refunded"]},
            "status_title": TEXT,
            "problem": {
                "type": ["string", "null"],
                "examples": ["unknown_reference", "underpaid", "overpaid"],
            },
            "problem_title": _NULL_TEXT,
        },
    },
    "ReviewPayments": {
        "type": "object",
        "required": ["payments", "next_cursor"],
        "properties": {"payments": {"type": "array", "items": _ref("ReviewPayment")}, "next_cursor": _CURSOR},
    },
    "PaymentDetail": {
        "allOf": [
            _ref("ReviewPayment"),
            {
                "type": "object",
                "required": [
                    "payer",
                    "account",
                    "note",
                    "resolved_at",
                    "allocations",
                    "allocated",
                    "can_assign",
                    "can_close",
                ],
                "properties": {
                    "payer": {"type": ["string", "null"]},
                    "account": {
                        "type": ["object", "null"],
                        "properties": {"number": {"type": "string"}, "holder": {"type": ["string", "null"]}},
                    },
                    "note": {"type": ["string", "null"]},
                    "resolved_at": _NULL_WHEN,
                    "allocations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "ref1": {"type": "string"},
                                "ref2": {"type": "string"},
                                "period": {"type": ["string", "null"]},
                                "period_title": _NULL_TEXT,
                                "bill_amount": _MONEY,
                                "amount": _MONEY,
                                "bill_status": {"type": "string"},
                            },
                        },
                    },
                    "allocated": _MONEY,
                    "can_assign": {"type": "boolean", "description": "Held: may be assigned to a bill"},
                    "can_close": {"type": "boolean", "description": "Held or flagged: may be closed"},
                },
            },
        ]
    },
    "PaymentDecision": {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": ["assign", "close"]},
            "ref1": {
                "type": "string",
                "maxLength": 2000,
                "description": "assign: account number or reference 1",
            },
            "ref2": {"type": "string", "maxLength": 2000, "description": "assign: reference 2 (optional)"},
            "outcome": {"type": "string", "enum": ["resolved", "refunded"], "description": "close"},
            "note": {"type": "string", "maxLength": 2000, "description": "close: the reason (required)"},
        },
    },
    "StatementImport": {
        "type": "object",
        "required": [
            "id",
            "filename",
            "status",
            "rows",
            "done",
            "applied",
            "duplicates",
            "held",
            "created_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "filename": {"type": "string"},
            "status": {"type": "string", "enum": ["queued", "running", "completed"]},
            "rows": _COUNT,
            "done": _COUNT,
            "applied": _COUNT,
            "duplicates": _COUNT,
            "held": _COUNT,
            "created_at": _WHEN,
        },
    },
    "StatementImports": {
        "type": "object",
        "required": ["imports"],
        "properties": {"imports": {"type": "array", "items": _ref("StatementImport")}},
    },
    "StatementRow": {
        "type": "object",
        "properties": {
            "row": {"type": "integer"},
            "transaction_id": {"type": "string"},
            "ref1": {"type": "string"},
            "ref2": {"type": "string"},
            "amount": {"type": "string"},
            "paid_at": _WHEN,
            "payer": {"type": "string"},
            "outcome": {"type": "string", "enum": ["applied", "duplicate", "held", "conflict"]},
            "payment_id": {"type": ["integer", "null"]},
            "problem": {"type": "string"},
        },
    },
    "StatementResult": {
        "allOf": [
            _ref("StatementImport"),
            {
                "type": "object",
                "required": ["finished", "error", "earlier", "counts", "outcomes"],
                "properties": {
                    "finished": {"type": "boolean", "description": "false while the worker records the rows"},
                    "error": {"type": ["string", "null"]},
                    "earlier": {
                        "type": ["object", "null"],
                        "description": "An earlier import of the same file",
                        "properties": {"id": {"type": "integer"}, "created_at": _WHEN},
                    },
                    "counts": {
                        "type": "object",
                        "properties": {
                            "rows": _COUNT,
                            "applied": _COUNT,
                            "duplicates": _COUNT,
                            "to_review": _COUNT,
                        },
                    },
                    "outcomes": {
                        "type": "object",
                        "properties": {
                            name: {"type": "array", "items": _ref("StatementRow")}
                            for name in (
                                "held",
                                "underpaid",
                                "overpaid",
                                "conflicts",
                                "applied",
                                "duplicates",
                            )
                        },
                    },
                },
            },
        ]
    },
    "StatementProblems": {
        "allOf": [
            _ref("Error"),
            {
                "type": "object",
                "required": ["problems", "more_problems"],
                "properties": {
                    "problems": {
                        "type": "array",
                        "maxItems": 200,
                        "items": {
                            "type": "object",
                            "properties": {
                                "row": {"type": "integer", "description": "0: the file itself"},
                                "column": {"type": "string"},
                                "code": {"type": "string", "examples": ["bad_amount", "bad_date"]},
                                "value": {"type": "string"},
                                "message": {"type": "string"},
                                "message_th": {"type": "string"},
                            },
                        },
                    },
                    "more_problems": {"type": "integer", "minimum": 0},
                },
            },
        ]
    },
    "BillingFigures": {
        "type": "object",
        "required": ["period", "title", "bills", "paid_bills", "billed", "collected", "rate"],
        "properties": {
            "period": {"type": "string"},
            "title": TEXT,
            "bills": _COUNT,
            "paid_bills": _COUNT,
            "billed": _MONEY,
            "collected": _MONEY,
            "rate": {"type": ["number", "null"], "minimum": 0, "description": "collected / billed"},
        },
    },
    "BillingReport": {
        "type": "object",
        "required": ["periods", "billed", "collected", "by_period", "arrears"],
        "properties": {
            "periods": {"type": "integer", "description": "Periods reported (the last 12 billed)"},
            "billed": _MONEY,
            "collected": _MONEY,
            "by_period": {
                "type": "array",
                "items": {
                    "allOf": [
                        _ref("BillingFigures"),
                        {
                            "type": "object",
                            "properties": {
                                "classes": {
                                    "type": "array",
                                    "items": {
                                        "allOf": [
                                            _ref("BillingFigures"),
                                            {
                                                "type": "object",
                                                "properties": {
                                                    "service_id": {"type": "string"},
                                                    "service_title": TEXT,
                                                    "rate_class": {"type": "string"},
                                                    "class_title": TEXT,
                                                },
                                            },
                                        ]
                                    },
                                }
                            },
                        },
                    ]
                },
            },
            "arrears": {
                "type": "object",
                "required": ["accounts", "bills", "outstanding", "shown"],
                "properties": {
                    "accounts": {**_COUNT, "description": "Every account in arrears"},
                    "bills": _COUNT,
                    "outstanding": _MONEY,
                    "shown": {
                        "type": "array",
                        "description": "The 100 accounts owing most, the largest first",
                        "items": {
                            "type": "object",
                            "properties": {
                                "account": {"type": "string"},
                                "holder": {"type": ["string", "null"]},
                                "service_id": {"type": "string"},
                                "rate_class": {"type": "string"},
                                "class_title": TEXT,
                                "bills": _COUNT,
                                "outstanding": _MONEY,
                                "oldest_period": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}

_NO_TOKEN = _error("No bearer token, or an unknown or expired one (unauthorized)")
_NOT_ADMIN = _error(
    "Not an administrator of this municipality (forbidden, wrong_tenant), or an API key (insufficient_scope)"
)
_NOT_FINANCE = _error(
    "Neither an administrator nor a finance officer of this municipality (forbidden, wrong_tenant), "
    "or an API key (insufficient_scope)"
)
_NO_TOWN = _error("No such municipality")
_ADMIN_REFUSALS = {"401": _NO_TOKEN, "403": _NOT_ADMIN}
_FINANCE_REFUSALS = {"401": _NO_TOKEN, "403": _NOT_FINANCE}
_PAGED = [LIMIT, CURSOR, IF_NONE_MATCH]
_BAD_PAGE = _error(
    "A limit out of range or a cursor this list did not give (invalid_request, invalid_cursor)"
)
_KEY = {"$ref": "#/components/parameters/IdempotencyKey"}
_REPLAYED = {"Idempotency-Replayed": {"$ref": "#/components/headers/Idempotency-Replayed"}}
_RUN_BODY = {"required": True, "content": {"application/json": {"schema": _ref("BillingRunRequest")}}}
_SETTINGS_BODY = {
    "required": True,
    "content": {"application/json": {"schema": _ref("PaymentSettingsUpdate")}},
}
_DECISION_BODY = {"required": True, "content": {"application/json": {"schema": _ref("PaymentDecision")}}}
_STATEMENT_BODY = {
    "required": True,
    "description": "The bank's CSV (UTF-8 or TIS-620), at most 5 MB and 20,000 rows",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["statement"],
                "properties": {"statement": {"type": "string", "format": "binary"}},
            }
        },
        "text/csv": {"schema": {"type": "string"}},
    },
}
_FILENAME = {
    "name": "filename",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "For a text/csv body: the file's name, kept with the import",
}
_STATUS = {
    "name": "status",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["held", "applied"]},
    "description": "held: matched no bill; applied: paid a bill, but not its amount (both when absent)",
}
_FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["json"]},
    "description": "Only JSON: the console's report page offers no file to download",
}

PATHS: dict[str, Any] = {
    "/api/v1/tenants/{tenant}/billing/runs": {
        "get": {
            "summary": "The billing runs, latest period first, and the periods the billing button offers",
            "operationId": "billingRuns",
            "security": _ADMIN,
            "parameters": [TENANT, *_PAGED],
            "responses": {
                "200": _tagged(_ref("BillingRuns"), "As the console's billing page lists them"),
                "304": NOT_MODIFIED,
                "400": _BAD_PAGE,
                **_ADMIN_REFUSALS,
                "404": _NO_TOWN,
            },
        },
        "post": {
            "summary": "Bill every active account for a period, as the console's billing button (the worker bills)",
            "operationId": "startBillingRun",
            "security": _ADMIN,
            "parameters": [TENANT, _KEY],
            "requestBody": _RUN_BODY,
            "responses": {
                "202": {
                    **_json(_ref("BillingRun"), "Queued; follow Location for its progress"),
                    "headers": {
                        "Location": {"schema": {"type": "string"}, "description": "The run"},
                        **_REPLAYED,
                    },
                },
                "400": _error("Not JSON, or a bad Idempotency-Key (invalid_json, invalid_idempotency_key)"),
                **_ADMIN_REFUSALS,
                "404": _NO_TOWN,
                "422": _error(
                    "Not a period, or one after next month (invalid_period); or idempotency_key_reused"
                ),
            },
        },
    },
    "/api/v1/tenants/{tenant}/billing/runs/{period}": {
        "get": {
            "summary": "One period's run: state, progress and counts, as the run page shows them",
            "operationId": "billingRun",
            "security": _ADMIN,
            "parameters": [TENANT, PERIOD],
            "responses": {
                "200": _json(_ref("BillingRun"), "The run"),
                "400": _error("Not a period (invalid_period)"),
                **_ADMIN_REFUSALS,
                "404": _error("No run for this period, or no such municipality"),
            },
        }
    },
    "/api/v1/tenants/{tenant}/billing/settings": {
        "get": {
            "summary": "The PromptPay biller ID and whether notifications have a secret (never the secret)",
            "operationId": "paymentSettings",
            "security": _ADMIN,
            "parameters": [TENANT],
            "responses": {
                "200": _json(_ref("PaymentSettings"), "As the settings page shows them"),
                **_ADMIN_REFUSALS,
                "404": _NO_TOWN,
            },
        },
        "put": {
            "summary": "Save the PromptPay biller ID every new bill's QR names",
            "operationId": "updatePaymentSettings",
            "security": _ADMIN,
            "parameters": [TENANT],
            "requestBody": _SETTINGS_BODY,
            "responses": {
                "200": _json(_ref("PaymentSettings"), "Saved"),
                **_ADMIN_REFUSALS,
                "404": _NO_TOWN,
                "422": _error("Not a biller ID (invalid_biller_id)"),
            },
        },
    },
    "/api/v1/tenants/{tenant}/billing/settings/secret": {
        "post": {
            "summary": "A new payment-notification secret, shown in this answer only (the old one stops working)",
            "operationId": "rotatePaymentSecret",
            "security": _ADMIN,
            "parameters": [TENANT],
            "responses": {
                "201": _json(_ref("PaymentSecret"), "The new secret"),
                **_ADMIN_REFUSALS,
                "404": _NO_TOWN,
            },
        }
    },
    "/api/v1/tenants/{tenant}/payments": {
        "get": {
            "summary": "Held, underpaid and overpaid payments, newest first, as the review page lists them",
            "operationId": "paymentsToReview",
            "security": _ADMIN,
            "parameters": [TENANT, _STATUS, *_PAGED],
            "responses": {
                "200": _tagged(_ref("ReviewPayments"), "One page"),
                "304": NOT_MODIFIED,
                "400": _BAD_PAGE,
                **_FINANCE_REFUSALS,
                "404": _NO_TOWN,
            },
        }
    },
    "/api/v1/tenants/{tenant}/payments/{payment_id}": {
        "get": {
            "summary": "One payment, the account it was matched to and the bills it paid",
            "operationId": "paymentReview",
            "security": _ADMIN,
            "parameters": [TENANT, PAYMENT_ID],
            "responses": {
                "200": _json(_ref("PaymentDetail"), "As the payment's review page shows it"),
                **_FINANCE_REFUSALS,
                "404": _error("No such payment here (payment_not_found), or no such municipality"),
            },
        }
    },
    "/api/v1/tenants/{tenant}/payments/{payment_id}/decision": {
        "post": {
            "summary": "Assign a held payment to a bill or account, or close a held or flagged one",
            "operationId": "paymentDecision",
            "security": _ADMIN,
            "parameters": [TENANT, PAYMENT_ID],
            "requestBody": _DECISION_BODY,
            "responses": {
                "200": _json(_ref("PaymentDetail"), "The payment afterwards"),
                **_FINANCE_REFUSALS,
                "404": _error("No such payment here (payment_not_found), or no such municipality"),
                "409": _error("Already reviewed (not_resolvable)"),
                "422": _error(
                    "No such action, no reference, references matching no bill, no outcome or no note "
                    "(invalid_request, invalid_payment; field names which)"
                ),
            },
        }
    },
    "/api/v1/tenants/{tenant}/payments/statements": {
        "get": {
            "summary": "The latest bank statement imports, newest first",
            "operationId": "statementImports",
            "security": _ADMIN,
            "parameters": [TENANT],
            "responses": {
                "200": _json(_ref("StatementImports"), "The last 20"),
                **_FINANCE_REFUSALS,
                "404": _NO_TOWN,
            },
        },
        "post": {
            "summary": "Import a bank statement (CSV): checked whole, then recorded by the worker",
            "operationId": "importStatement",
            "security": _ADMIN,
            "parameters": [TENANT, _FILENAME],
            "requestBody": _STATEMENT_BODY,
            "responses": {
                "202": {
                    **_json(_ref("StatementResult"), "Queued; follow Location until finished"),
                    "headers": {"Location": {"schema": {"type": "string"}, "description": "The import"}},
                },
                "400": _error("No file (no_statement)"),
                **_FINANCE_REFUSALS,
                "404": _NO_TOWN,
                "413": _error("Larger than 5 MB (statement_too_large)"),
                "415": _error("Neither multipart/form-data nor text/csv (unsupported_media_type)"),
                "422": _json(
                    _ref("StatementProblems"),
                    "Problems in the file, each row's in Thai and English; nothing imported (invalid_statement)",
                ),
            },
        },
    },
    "/api/v1/tenants/{tenant}/payments/statements/{statement_id}": {
        "get": {
            "summary": "What became of each row of a statement import",
            "operationId": "statementResult",
            "security": _ADMIN,
            "parameters": [TENANT, STATEMENT_ID],
            "responses": {
                "200": _json(_ref("StatementResult"), "As the import's result page shows it"),
                **_FINANCE_REFUSALS,
                "404": _error("No such import here (statement_not_found), or no such municipality"),
            },
        }
    },
    "/api/v1/tenants/{tenant}/reports/billing": {
        "get": {
            "summary": "Collected against billed per period and rate class, and the arrears",
            "operationId": "billingReport",
            "security": _ADMIN,
            "parameters": [TENANT, _FORMAT, IF_NONE_MATCH],
            "responses": {
                "200": _tagged(_ref("BillingReport"), "The same figures as the console's fee report page"),
                "304": NOT_MODIFIED,
                **_ADMIN_REFUSALS,
                "404": _NO_TOWN,
                "406": _error("A format other than json (not_acceptable)"),
            },
        }
    },
}
