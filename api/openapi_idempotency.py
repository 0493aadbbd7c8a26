"""``Idempotency-Key`` in the OpenAPI document: the header on the operations that create something,
and the header that marks a replayed answer."""

from __future__ import annotations

from typing import Any

# The operations that take an Idempotency-Key: (path, method).
KEYED = (
    ("/api/v1/tenants/{tenant}/services/{service_id}/submissions", "post"),
    ("/api/v1/tenants/{tenant}/services/{service_id}/drafts/{draft_id}/submit", "post"),
    ("/api/v1/payments/notify", "post"),
)

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
    "Idempotency-Replayed": {
        "description": "true when this is the stored first answer to the same Idempotency-Key and body",
        "schema": {"type": "string", "enum": ["true"]},
    },
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


def amend(spec: dict[str, Any]) -> dict[str, Any]:
    """The Idempotency-Key on the :data:`KEYED` operations."""
    components = spec["components"]
    for kind, added in (("parameters", PARAMETERS), ("headers", HEADERS)):
        section = components.setdefault(kind, {})
        if taken := set(added) & set(section):
            raise RuntimeError(f"{kind} names taken twice: {sorted(taken)}")
        section.update(added)
    for path, method in KEYED:
        _keyed(spec["paths"][path][method])
    return spec
