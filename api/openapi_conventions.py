"""The API's conventions in the OpenAPI document: the one error answer and the rate limit headers.

Every operation may answer 429 ``rate_limited`` (with ``Retry-After``) and carries the
``RateLimit-*`` headers; every operation's unlisted refusals (unknown route 404, 405, 413,
415, 400 malformed JSON) are the ``Problem`` answer, whose body is the ``Error`` schema.
"""

from __future__ import annotations

from typing import Any

PATHS: dict[str, Any] = {}

SCHEMAS: dict[str, Any] = {}

_ERROR = {"$ref": "#/components/schemas/Error"}

HEADERS: dict[str, Any] = {
    "RateLimit-Limit": {
        "description": "Requests this caller may make per window (one minute)",
        "schema": {"type": "integer", "minimum": 1},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current window",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the current window ends",
        "schema": {"type": "integer", "minimum": 0},
    },
}

_RATE_HEADERS = {name: {"$ref": f"#/components/headers/{name}"} for name in HEADERS}

RESPONSES: dict[str, Any] = {
    "Problem": {
        "description": (
            "Refused: not_found (no such route), method_not_allowed, request_entity_too_large, "
            "unsupported_media_type, invalid_json, unauthorized, … always this shape"
        ),
        "content": {"application/json": {"schema": _ERROR}},
    },
    "RateLimited": {
        "description": "Too many requests from this caller (rate_limited)",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            },
            **_RATE_HEADERS,
        },
        "content": {"application/json": {"schema": _ERROR}},
    },
}

UNCOUNTED = frozenset({"/api/v1/openapi.json"})
METHODS = frozenset({"get", "put", "post", "delete", "patch"})


def apply(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the components, then the rate limit and the error answer to every counted operation."""
    components = spec["components"]
    for kind, entries in (("headers", HEADERS), ("responses", RESPONSES)):
        place = components.setdefault(kind, {})
        if taken := set(entries) & set(place):
            raise RuntimeError(f"{kind} names taken twice: {sorted(taken)}")
        place.update(entries)
    for path, item in spec["paths"].items():
        if path in UNCOUNTED:
            continue
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation["responses"]
            responses.setdefault("429", {"$ref": "#/components/responses/RateLimited"})
            responses.setdefault("default", {"$ref": "#/components/responses/Problem"})
            for status, response in responses.items():
                if status.startswith("2") and "$ref" not in response:
                    response.setdefault("headers", {}).update(_RATE_HEADERS)
    return spec
