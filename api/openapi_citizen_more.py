"""The rest of the tracking page in the OpenAPI document: corrections, messages, the printable bill."""

from __future__ import annotations

from typing import Any

from api.openapi import (
    MALFORMED,
    REFERENCE,
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

ACTION = _path_parameter(
    "action",
    64,
    "The applicant's action that reopens form steps (its reopens list in the submission)",
    "resubmit",
)
CHANNEL = {
    "name": "channel",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": ["sms", "email", "line"]},
    "description": "How messages reach the applicant",
}
ACCOUNT = _path_parameter(
    "account",
    40,
    "A fee account's number in any spelling, or the reference 1 printed on a paper bill",
    "GB-000123",
)
_APPLICANT_TOKEN = {**TRACKING_HEADER, "required": True}
_APPLICANT: Security = [{}]
_WHO = {
    "400": _error("Malformed body, or a tracking token in the query string (tracking_token_in_query)"),
    "401": _error("No X-Tracking-Token header (unauthorized)"),
    "403": _error(
        "An officer's bearer token: this is the applicant's to do (applicant_only), in Thai and English"
    ),
    "404": _error("No such municipality or application, or the tracking token does not open it"),
    "429": _too_many_attempts(TRACKING_LIMITS),
}
_NOT_OFFERED = _error(
    "The applicant has no such action now, or it reopens no step (action_not_available), or the application "
    "changed meanwhile (conflict); in the tracking page's words, Thai and English"
)
_NO_CHANNEL = _error("No such application, wrong tracking token, or no such channel (channel_not_found)")

PATHS: dict[str, Any] = {
    "/api/v1/tenants/{tenant}/submissions/{reference}/corrections/{action}": {
        "get": {
            "summary": "The part of the form an action reopens, with the answers as they stand",
            "description": (
                "What the tracking page's correction form shows when the office asks the applicant to correct "
                "answers: the reopened steps, their fields and current answers, and the action's own input."
            ),
            "security": _APPLICANT,
            "parameters": [TENANT, REFERENCE, ACTION, _APPLICANT_TOKEN],
            "responses": {
                "200": _json(_ref("CorrectionForm"), "The reopened steps and their answers"),
                **_WHO,
                "409": _NOT_OFFERED,
            },
        },
        "post": {
            "summary": "Send the corrected answers with the action, checked as the correction page checks them",
            "description": (
                "answers holds the reopened steps' answers in the form's shape, sent whole (a field left out "
                "takes its answer back); answers of other steps are never changed. Files are uploaded first "
                "(POST …/services/{service_id}/attachments/{attachment_id}) and listed at their field. The "
                "answers are checked with the portal's rules and per-field messages in Thai and English; with "
                "a problem nothing is stored (422). Then the action is taken as POST …/transitions takes it."
            ),
            "security": _APPLICANT,
            "parameters": [TENANT, REFERENCE, ACTION, _APPLICANT_TOKEN],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CorrectionRequest")}},
            },
            "responses": {
                "200": _json(
                    _ref("Submission"), "The application after the action (with fired, effects, message)"
                ),
                **_WHO,
                "400": MALFORMED,
                "409": _NOT_OFFERED,
                "413": TOO_LARGE,
                "422": _json(
                    _ref("ValidationError"),
                    "The corrected answers (correction_invalid, each error with its step_id) or the action's "
                    "input (invalid_input) have problems; nothing was stored",
                ),
            },
        },
    },
    "/api/v1/tenants/{tenant}/submissions/{reference}/messages/{channel}": {
        "get": {
            "summary": "Whether messages about the application go out on a channel",
            "security": _APPLICANT,
            "parameters": [TENANT, REFERENCE, CHANNEL, _APPLICANT_TOKEN],
            "responses": {
                "200": _json(_ref("MessageSubscription"), "The channel's state"),
                **_WHO,
                "404": _NO_CHANNEL,
            },
        },
        "put": {
            "summary": "Send messages on a channel again (the tracking page's button for a stopped channel)",
            "security": _APPLICANT,
            "parameters": [TENANT, REFERENCE, CHANNEL, _APPLICANT_TOKEN],
            "responses": {
                "200": _json(
                    _ref("MessageSubscription"), "Subscribed again; message says so as the page does"
                ),
                **_WHO,
                "404": _NO_CHANNEL,
            },
        },
        "delete": {
            "summary": "Stop messages on a channel, those already queued too (as a message's stop link does)",
            "security": _APPLICANT,
            "parameters": [TENANT, REFERENCE, CHANNEL, _APPLICANT_TOKEN],
            "responses": {
                "200": _json(_ref("MessageSubscription"), "Stopped; message says so as the page does"),
                **_WHO,
                "404": _NO_CHANNEL,
            },
        },
    },
    "/api/v1/tenants/{tenant}/messages/stop": {
        "post": {
            "summary": "The stop link of a message: stop messages on its channel about its application",
            "description": (
                "The key is the last part of the link at the end of every message to an applicant "
                "(/{tenant}/messages/stop/{key}); it travels in the body, never in the URL."
            ),
            "security": [],
            "parameters": [TENANT],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["key"],
                            "properties": {"key": {"type": "string", "minLength": 1, "maxLength": 128}},
                        }
                    }
                },
            },
            "responses": {
                "200": _json(_ref("MessagesStopped"), "Stopped"),
                "400": MALFORMED,
                "404": _error("No message with this key here (message_not_found), in the stop page's words"),
                "413": TOO_LARGE,
            },
        }
    },
    "/api/v1/tenants/{tenant}/bills/{account}/bill.pdf": {
        "get": {
            "summary": "The printable bill of a fee account (A4, the holder masked), as the portal prints it",
            "description": "Like the portal's page, for whoever has the account number: no other proof is asked.",
            "security": [],
            "parameters": [TENANT, ACCOUNT],
            "responses": {
                "200": {
                    "description": "The bill",
                    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                },
                "404": _error("No such municipality or account (account_not_found)"),
            },
        }
    },
}

SCHEMAS: dict[str, Any] = {
    "CorrectionForm": {
        "type": "object",
        "required": ["reference", "action", "title", "version", "steps", "answers"],
        "properties": {
            "reference": {"type": "string"},
            "action": {"type": "string"},
            "title": TEXT,
            "version": {
                "type": "integer",
                "description": "Send it back to be refused if the application changed",
            },
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "fields"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": TEXT,
                        "fields": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["pointer", "label", "widget"],
                                "properties": {
                                    "pointer": {"type": "string"},
                                    "label": TEXT,
                                    "widget": {"type": "string"},
                                    "attachment": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
            "answers": {"type": "object", "description": "The reopened steps' answers, in the form's shape"},
            "input": {"type": ["object", "null"], "description": "The action's input schema (e.g. a note)"},
        },
    },
    "CorrectionRequest": {
        "type": "object",
        "required": ["answers"],
        "properties": {
            "answers": {
                "type": "object",
                "description": "The reopened steps' answers, whole, in the form's shape",
            },
            "input": {"type": "object", "description": "The action's input"},
            "version": {"type": "integer", "description": "The version read; a different current one is 409"},
        },
    },
    "MessageSubscription": {
        "type": "object",
        "required": ["reference", "channel", "subscribed", "stopped_channels"],
        "properties": {
            "reference": {"type": "string"},
            "channel": {"type": "string"},
            "subscribed": {"type": "boolean"},
            "stopped_channels": {"type": "array", "items": {"type": "string"}},
            "message": TEXT,
        },
    },
    "MessagesStopped": {
        "type": "object",
        "required": ["reference", "channel", "to", "stopped", "message"],
        "properties": {
            "reference": {"type": "string"},
            "channel": {"type": "string"},
            "to": {"type": "string", "description": "Where the message went, masked"},
            "stopped": {"type": "boolean"},
            "message": TEXT,
        },
    },
}
