"""``Idempotency-Key`` and rate limits in the OpenAPI document: the header where a request creates
something, the rate limit headers and the 429 answer on every counted operation."""

from __future__ import annotations

from typing import Any

PATHS: dict[str, Any] = {}
SCHEMAS: dict[str, Any] = {}

# The operations that take an Idempotency-Key: (path, method).
KEYED = (
    ("/api/v1/tenants/{tenant}/services/{service_id}/submissions", "post"),
    ("/api/v1/tenants/{tenant}/services/{service_id}/drafts/{draft_id}/submit", "post"),
    ("/api/v1/payments/notify", "post"),
)
UNCOUNTED = {"/api/v1/openapi.json"}
RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")

PARAMETERS = {
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": (
            "Any unique string (a UUID) naming this request. Sent again with the same body within 24 hours, "
            "it gets the first answer again (with Idempotency-Replayed: true) and nothing is done twice; "
            "with another body, 422 idempotency_key_reused. 1 to 255 printable ASCII characters (400 "
            "invalid_idempotency_key otherwise)."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    }
}

HEADERS = {
    "RateLimit-Limit": {
        "description": "Requests this caller (bearer token, else client address) may make per minute",
        "schema": {"type": "integer", "minimum": 1},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current window",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the window ends and the count starts again",
        "schema": {"type": "integer", "minimum": 1},
    },
    "Idempotency-Replayed": {
        "description": "true when this is the stored first answer to the same Idempotency-Key and body",
        "schema": {"type": "string", "enum": ["true"]},
    },
}

RESPONSES = {
    "RateLimited": {
        "description": "More requests than the rate limit allows (rate_limited); wait Retry-After seconds",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            },
            **{name: {"$ref": f"#/components/headers/{name}"} for name in RATE_HEADERS},
        },
    }
}

REUSED = (
    "Or idempotency_key_reused: the Idempotency-Key was used within 24 hours for a request with another body"
)


def _keyed(operation: dict[str, Any]) -> None:
    operation["parameters"] = [
        *operation.get("parameters", []),
        {"$ref": "#/components/parameters/IdempotencyKey"},
    ]
    responses = operation["responses"]
    for status, answer in responses.items():
        if status.startswith("2"):
            answer.setdefault("headers", {})["Idempotency-Replayed"] = {
                "$ref": "#/components/headers/Idempotency-Replayed"
            }
    known = responses.get("422")
    if known is None:
        responses["422"] = {**_error_answer(), "description": REUSED}
        return
    schema = known["content"]["application/json"]["schema"]
    if schema != {"$ref": "#/components/schemas/Error"}:
        known["content"]["application/json"]["schema"] = {
            "anyOf": [schema, {"$ref": "#/components/schemas/Error"}]
        }
    known["description"] = f"{known['description']}. {REUSED}"
    bad = responses.get("400")
    note = "or invalid_idempotency_key: the Idempotency-Key is empty, too long or not printable ASCII"
    responses["400"] = (
        {**bad, "description": f"{bad['description']}; {note}"}
        if bad is not None and "$ref" not in bad
        else {**_error_answer(), "description": note[3:].capitalize()}
    )


def _error_answer() -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _counted(operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    for status, answer in responses.items():
        if (status.startswith("2") or status == "429") and "$ref" not in answer:
            headers = answer.setdefault("headers", {})
            headers.update({name: {"$ref": f"#/components/headers/{name}"} for name in RATE_HEADERS})
    responses.setdefault("429", {"$ref": "#/components/responses/RateLimited"})


def amend(spec: dict[str, Any]) -> dict[str, Any]:
    """The Idempotency-Key on :data:`KEYED` operations, rate limit headers and 429 on every counted one."""
    components = spec["components"]
    for kind, added in (("parameters", PARAMETERS), ("headers", HEADERS), ("responses", RESPONSES)):
        section = components.setdefault(kind, {})
        if taken := set(added) & set(section):
            raise RuntimeError(f"{kind} names taken twice: {sorted(taken)}")
        section.update(added)
    for path, method in KEYED:
        _keyed(spec["paths"][path][method])
    for path, operations in spec["paths"].items():
        if path in UNCOUNTED:
            continue
        for method, operation in operations.items():
            if method in ("get", "put", "post", "delete", "patch"):
                _counted(operation)
    return spec
