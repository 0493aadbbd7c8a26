"""Webhook subscriptions in the OpenAPI document: their paths, and the events in the 3.1 ``webhooks`` section."""

from __future__ import annotations

from typing import Any

from api.openapi import TENANT, Security, _error, _json, _ref

ADMIN: Security = [{"bearer": []}]
WEBHOOK_ID = {
    "name": "webhook_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 9, "pattern": "^[0-9]+$"},
    "description": "A webhook subscription of this municipality",
    "example": "12",
}
EVENT_TYPES = [
    "submission.created",
    "submission.transitioned",
    "document.issued",
    "payment.recorded",
    "bill.overdue",
]
NOT_ADMIN = _error("The bearer token is not one of this municipality's admins (forbidden, wrong_tenant)")
NO_TOKEN = _error("No bearer token, or an unknown or expired one")
NOT_FOUND = _error(
    "No such subscription here (webhook_not_found; another municipality's are not found either)"
)

SCHEMAS: dict[str, Any] = {
    "WebhookRequest": {
        "type": "object",
        "required": ["url", "events"],
        "properties": {
            "url": {
                "type": "string",
                "format": "uri",
                "maxLength": 2000,
                "description": (
                    "https:// only, at a public address: a host that is or resolves to a loopback, private, "
                    "link-local, multicast, reserved or unspecified address (IPv4 or IPv6, IPv4-mapped "
                    "too) is refused with webhook_url_not_public, and checked again on every delivery. "
                    "An installation with THONGTHIN_WEBHOOKS_ALLOW_PRIVATE=1 also accepts http:// and "
                    "addresses inside its network. A user name or password in the URL is refused."
                ),
            },
            "events": {"type": "array", "minItems": 1, "items": {"enum": EVENT_TYPES}},
            "services": {
                "type": ["array", "null"],
                "items": {"type": "string"},
                "description": "Services the municipality offers; empty, null or absent: every service",
            },
        },
    },
    "WebhookSubscription": {
        "type": "object",
        "required": ["id", "url", "events", "services", "active", "created_at", "previous_secret_until"],
        "properties": {
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "events": {"type": "array", "items": {"enum": EVENT_TYPES}},
            "services": {"type": "array", "items": {"type": "string"}, "description": "Empty: every service"},
            "active": {
                "type": "boolean",
                "description": (
                    "false: paused (POST .../pause). Nothing is sent to a paused subscription: events "
                    "raised while it is paused are not queued for it, those queued before are dropped, "
                    "and resuming does not replay them"
                ),
            },
            "created_at": {"type": "string", "format": "date-time"},
            "previous_secret_until": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": (
                    "After POST .../secret: until when deliveries are signed with the previous secret "
                    "too (24 hours); null when one secret alone signs"
                ),
            },
        },
    },
    "WebhookCreated": {
        "allOf": [
            _ref("WebhookSubscription"),
            {
                "type": "object",
                "required": ["secret"],
                "properties": {
                    "secret": {
                        "type": "string",
                        "description": "The signing secret: shown in this answer only, never again",
                    }
                },
            },
        ],
    },
    "WebhookSecretRotated": {
        "allOf": [
            _ref("WebhookSubscription"),
            {
                "type": "object",
                "required": ["secret"],
                "properties": {
                    "secret": {
                        "type": "string",
                        "description": (
                            "The new signing secret: shown in this answer only. Until previous_secret_until "
                            "each delivery carries the new and the old secret's signatures"
                        ),
                    }
                },
            },
        ],
    },
    "WebhookList": {
        "type": "object",
        "required": ["webhooks"],
        "properties": {"webhooks": {"type": "array", "items": _ref("WebhookSubscription")}},
    },
    "WebhookDelivery": {
        "type": "object",
        "required": ["event_id", "type", "attempt", "at", "status_code", "error", "duration_ms", "delivered"],
        "properties": {
            "event_id": {"type": "string"},
            "type": {"type": "string"},
            "attempt": {"type": "integer", "minimum": 1},
            "at": {"type": "string", "format": "date-time"},
            "status_code": {
                "type": ["integer", "null"],
                "description": "null: no answer (refused, timed out)",
            },
            "error": {"type": ["string", "null"], "description": "Why there was no answer"},
            "duration_ms": {"type": "integer"},
            "delivered": {"type": "boolean", "description": "The receiver answered 2xx"},
        },
    },
    "WebhookDeliveries": {
        "type": "object",
        "required": ["deliveries"],
        "properties": {"deliveries": {"type": "array", "items": _ref("WebhookDelivery")}},
    },
    "WebhookTestQueued": {
        "type": "object",
        "required": ["event_id", "type"],
        "properties": {"event_id": {"type": "string"}, "type": {"const": "webhook.test"}},
    },
}


def _event(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "type", "created_at", "tenant", "data"],
        "properties": {
            "id": {
                "type": "string",
                "description": "The event's id, the same on every retry: drop repeats by it",
            },
            "type": {"const": name},
            "created_at": {"type": "string", "format": "date-time"},
            "tenant": {"type": "string", "description": "The municipality's slug"},
            "data": {"type": "object", "properties": data},
        },
    }


_STRING = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
EVENTS: dict[str, dict[str, Any]] = {
    "submission.created": _event(
        "submission.created",
        {
            "reference": _STRING,
            "service": _STRING,
            "service_version": _STRING,
            "state": _STRING,
            "submitted_at": _TIME,
            "due_at": {"type": ["string", "null"], "format": "date-time"},
        },
    ),
    "submission.transitioned": _event(
        "submission.transitioned",
        {
            "reference": _STRING,
            "service": _STRING,
            "action": _STRING,
            "from_state": _STRING,
            "to_state": _STRING,
            "role": _STRING,
            "version": {"type": "integer"},
            "at": _TIME,
        },
    ),
    "document.issued": _event(
        "document.issued",
        {
            "public_id": _STRING,
            "document": _STRING,
            "number": _STRING,
            "title": {"type": "object", "properties": {"th": _STRING, "en": _STRING}},
            "reference": {"type": ["string", "null"]},
            "service": {"type": ["string", "null"]},
            "receipt": {
                "type": "boolean",
                "description": "An e-receipt of a bill rather than a service's document",
            },
            "issued_at": _TIME,
        },
    ),
    "payment.recorded": _event(
        "payment.recorded",
        {
            "transaction_id": _STRING,
            "source": _STRING,
            "amount": {"type": "string", "description": "Baht, two decimals"},
            "paid_at": _TIME,
            "ref1": _STRING,
            "ref2": _STRING,
            "status": {"enum": ["applied", "held"]},
            "problem": _STRING,
            "service": {"type": ["string", "null"]},
            "settled_bills": {"type": "array", "items": {"type": "object"}},
        },
    ),
    "bill.overdue": {
        "description": (
            "A garbage or wastewater bill of a period still unpaid or partly paid when the billing run "
            "of the next period first completes (bills carry no due date: that moment makes them "
            "overdue). Sent once per bill: the same period's run repeated announces nothing again. "
            "Filtered by the account's service. References and amounts only, never the payer's "
            "name, phone, address or national ID."
        ),
        **_event(
            "bill.overdue",
            {
                "bill": {"type": "integer", "description": "The bill's id"},
                "account": {"type": "string", "description": "The fee account's number"},
                "service": {"type": "string", "description": "The recurring fee's service, e.g. garbage-fee"},
                "period": {
                    "type": "string",
                    "pattern": "^[0-9]{4}-[0-9]{2}$",
                    "description": "BE year-month billed",
                },
                "amount": {"type": "string", "description": "Baht billed, two decimals"},
                "paid_amount": {"type": "string", "description": "Baht paid so far, two decimals"},
                "outstanding": {"type": "string", "description": "Baht still owed, two decimals"},
                "ref1": _STRING,
                "ref2": _STRING,
            },
        ),
    },
    "webhook.test": _event("webhook.test", {"message": _STRING}),
}

SIGNATURE_HEADERS = [
    {
        "name": "Webhook-Id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The event's id (the body's id); the same on every retry",
    },
    {
        "name": "Webhook-Timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "description": "Unix seconds when this attempt was sent; refuse one more than 5 minutes away from now",
    },
    {
        "name": "Webhook-Signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": "^v1=[0-9a-f]{64}( v1=[0-9a-f]{64})?$"},
        "description": (
            'v1= and the hex HMAC-SHA256, keyed with the subscription\'s secret, of f"{id}.{timestamp}.{body}" '
            "(the raw body bytes); compare in constant time. For 24 hours after the secret is rotated "
            "(POST /api/v1/tenants/{tenant}/webhooks/{webhook_id}/secret) the value holds two signatures "
            "separated by one space, `v1=<new secret's> v1=<old secret's>`: split on spaces and accept "
            "the message when any one matches the secret you hold, so you may switch to the new secret "
            "whenever you like within the day without losing an event"
        ),
    },
]

WEBHOOKS: dict[str, Any] = {
    name: {
        "post": {
            "summary": f"The {name} event, POSTed to each subscription that asked for it",
            "description": (
                "Sent by the platform's worker after the change commits. Answer 2xx once taken; anything "
                "else, a redirect (never followed), a refused connection or no answer within 5 seconds "
                "(15 in all) is tried again later with backoff (40 tries over about a day and a half), "
                "with the same Webhook-Id. The host is resolved once per attempt and the connection "
                "made to that address, which must be public unless the installation allows private "
                "ones. A paused subscription is sent nothing: events raised while it is paused are "
                "not kept for it and are not sent when it is resumed."
            ),
            "parameters": SIGNATURE_HEADERS,
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "responses": {"2XX": {"description": "Taken; not sent again"}},
        }
    }
    for name, schema in EVENTS.items()
}

PATHS: dict[str, Any] = {
    "/api/v1/tenants/{tenant}/webhooks": {
        "parameters": [TENANT],
        "get": {
            "summary": "The municipality's webhook subscriptions (never their secrets)",
            "security": ADMIN,
            "responses": {
                "200": _json(_ref("WebhookList"), "Every subscription, oldest first"),
                "401": NO_TOKEN,
                "403": NOT_ADMIN,
                "404": _error("No such municipality"),
            },
        },
        "post": {
            "summary": "Subscribe a URL to events; the answer holds the signing secret, shown once",
            "security": ADMIN,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("WebhookRequest")}},
            },
            "responses": {
                "201": _json(_ref("WebhookCreated"), "The subscription and its secret"),
                "400": _error(
                    "invalid_webhook_url (not https, credentials in it), webhook_url_not_public (the host "
                    "is or resolves to an address inside a network), unknown_event, unknown_service, "
                    "too_many_webhooks, or a malformed body; field names the input at fault, message "
                    "and message_th say what is wrong in English and Thai"
                ),
                "401": NO_TOKEN,
                "403": NOT_ADMIN,
                "404": _error("No such municipality"),
                "413": _error("The body is too large"),
            },
        },
    },
    "/api/v1/tenants/{tenant}/webhooks/{webhook_id}": {
        "parameters": [TENANT, WEBHOOK_ID],
        "get": {
            "summary": "One webhook subscription (without its secret)",
            "security": ADMIN,
            "responses": {
                "200": _json(_ref("WebhookSubscription"), "The subscription"),
                "401": NO_TOKEN,
                "403": NOT_ADMIN,
                "404": NOT_FOUND,
            },
        },
        "delete": {
            "summary": "Remove a subscription; events queued for it are dropped",
            "security": ADMIN,
            "responses": {
                "204": {"description": "Removed"},
                "401": NO_TOKEN,
                "403": NOT_ADMIN,
                "404": NOT_FOUND,
            },
        },
    },
    "/api/v1/tenants/{tenant}/webhooks/{webhook_id}/deliveries": {
        "parameters": [TENANT, WEBHOOK_ID],
        "get": {
            "summary": "The latest delivery attempts (up to 100), newest first",
            "security": ADMIN,
            "responses": {
                "200": _json(
                    _ref("WebhookDeliveries"), "Each attempt: event, time, status code or error, duration"
                ),
                "401": NO_TOKEN,
                "403": NOT_ADMIN,
                "404": NOT_FOUND,
            },
        },
    },
    "/api/v1/tenants/{tenant}/webhooks/{webhook_id}/test": {
        "parameters": [TENANT, WEBHOOK_ID],
        "post": {
            "summary": "Queue a webhook.test event for this subscription (whatever its filters)",
            "security": ADMIN,
            "responses": {
                "202": _json(_ref("WebhookTestQueued"), "Queued; the worker delivers it"),
                "401": NO_TOKEN,
                "403": NOT_ADMIN,
                "404": NOT_FOUND,
                "409": _error("webhook_paused: the subscription is paused; resume it first"),
            },
        },
    },
    "/api/v1/tenants/{tenant}/webhooks/{webhook_id}/pause": {
        "parameters": [TENANT, WEBHOOK_ID],
        "post": {
            "summary": "Pause a subscription: nothing is sent to it until it is resumed",
            "description": (
                "Events raised while the subscription is paused are not queued for it, and events "
                "queued before (retries among them) are dropped unsent; resuming does not replay them. "
                "Pausing a paused subscription changes nothing."
            ),
            "security": ADMIN,
            "responses": {
                "200": _json(_ref("WebhookSubscription"), "The subscription, active false"),
                "401": NO_TOKEN,
                "403": NOT_ADMIN,
                "404": NOT_FOUND,
            },
        },
    },
    "/api/v1/tenants/{tenant}/webhooks/{webhook_id}/resume": {
        "parameters": [TENANT, WEBHOOK_ID],
        "post": {
            "summary": "Resume a paused subscription: events raised from now on are sent",
            "description": "Nothing raised during the pause is sent. Resuming an active subscription changes nothing.",
            "security": ADMIN,
            "responses": {
                "200": _json(_ref("WebhookSubscription"), "The subscription, active true"),
                "401": NO_TOKEN,
                "403": NOT_ADMIN,
                "404": NOT_FOUND,
            },
        },
    },
    "/api/v1/tenants/{tenant}/webhooks/{webhook_id}/secret": {
        "parameters": [TENANT, WEBHOOK_ID],
        "post": {
            "summary": "Rotate the signing secret: a new one, shown in this answer only",
            "description": (
                "For 24 hours (until previous_secret_until) every delivery's Webhook-Signature holds the "
                "new secret's signature and the old one's, separated by a space; after that, the new "
                "one's alone. A secret older than the current one stops signing at once. When the old "
                "secret can no longer be read (the platform key changed), the new one alone signs at "
                "once and previous_secret_until is null."
            ),
            "security": ADMIN,
            "responses": {
                "200": _json(_ref("WebhookSecretRotated"), "The subscription and its new secret"),
                "401": NO_TOKEN,
                "403": NOT_ADMIN,
                "404": NOT_FOUND,
            },
        },
    },
}
