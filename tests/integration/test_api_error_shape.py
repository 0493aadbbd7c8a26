"""Every refusal under /api/ has the one error shape {"code", "message", ...}: unknown routes,
wrong methods, bodies too large, malformed JSON, missing credentials, too many requests. A
client can branch on ``code`` whatever went wrong, and the shape is the documented ``Error``."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.body import MAX_JSON_BYTES
from api.openapi import SPEC

pytestmark = pytest.mark.db

BAD_REQUESTS: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("GET", "/api/v1/no-such-thing", {}, 404, "not_found"),
    ("GET", "/api/v1/tenants/no-such-town/services", {}, 404, "tenant_not_found"),
    ("DELETE", "/api/v1/catalog", {}, 405, "method_not_allowed"),
    ("PUT", "/api/v1/auth/token", {"json": {}}, 405, "method_not_allowed"),
    (
        "POST",
        "/api/v1/auth/token",
        {"data": b"{" + b" " * MAX_JSON_BYTES + b"}", "content_type": "application/json"},
        413,
        "request_entity_too_large",
    ),
    (
        "POST",
        "/api/v1/auth/token",
        {"data": b"{not json", "content_type": "application/json"},
        400,
        "invalid_json",
    ),
    (
        "POST",
        "/api/v1/auth/token",
        {"data": b"[1, 2]", "content_type": "application/json"},
        400,
        "invalid_json",
    ),
    (
        "POST",
        "/api/v1/auth/token",
        {"data": b"\xff\xfe", "content_type": "application/json"},
        400,
        "invalid_json",
    ),
    (
        "POST",
        "/api/v1/auth/token",
        {"data": b"x=1", "content_type": "text/plain"},
        415,
        "unsupported_media_type",
    ),
    ("DELETE", "/api/v1/auth/token", {}, 401, "unauthorized"),
]


@pytest.mark.parametrize(("method", "path", "options", "status", "code"), BAD_REQUESTS)
def test_bad_request_has_the_error_shape(
    client: Any, method: str, path: str, options: dict[str, Any], status: int, code: str
) -> None:
    answer = client.open(path, method=method, **options)
    assert answer.status_code == status
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    if status == 405:
        assert answer.headers["Allow"]


def test_error_schema_documents_the_shape() -> None:
    error = SPEC["components"]["schemas"]["Error"]
    assert set(error["required"]) >= {"code", "message"}
    unknown_route = SPEC["components"]["responses"]["Problem"]
    assert unknown_route["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_tenant_not_found_code_is_stable(client: Any) -> None:
    slug = f"gone{uuid.uuid4().hex[:6]}"
    assert client.get(f"/api/v1/tenants/{slug}/services").get_json()["code"] == "tenant_not_found"
