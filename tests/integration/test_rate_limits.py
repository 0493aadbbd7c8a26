"""The API's rate limit per caller: told in RateLimit-* headers, 429 with Retry-After past it,
counted per credential (one caller's burst does not block another), never for the OpenAPI document."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.db


@pytest.fixture
def limit_of_three(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("THONGTHIN_API_RATE_LIMIT", "3")
    return 3


def _as(token: str) -> dict[str, str]:
    # An unknown token still counts as its own caller: the limit runs before credentials are checked.
    return {"Authorization": f"Bearer {token}"}


def test_headers_count_down_then_429_with_retry_after(client: Any, limit_of_three: int) -> None:
    caller = _as(uuid.uuid4().hex)
    left = []
    for _ in range(3):
        answer = client.get("/api/v1/catalog", headers=caller)
        assert answer.status_code != 429
        assert answer.headers["RateLimit-Limit"] == "3"
        assert 1 <= int(answer.headers["RateLimit-Reset"]) <= 60
        left.append(int(answer.headers["RateLimit-Remaining"]))
    assert left == [2, 1, 0]
    refused = client.get("/api/v1/catalog", headers=caller)
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "rate_limited" and body["message"] and body["message_th"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_one_callers_burst_leaves_another_caller_alone(client: Any, limit_of_three: int) -> None:
    busy = _as(uuid.uuid4().hex)
    for _ in range(4):
        client.get("/api/v1/catalog", headers=busy)
    assert client.get("/api/v1/catalog", headers=busy).status_code == 429
    other = client.get("/api/v1/catalog", headers=_as(uuid.uuid4().hex))
    assert other.status_code != 429
    assert other.headers["RateLimit-Remaining"] == "2"


def test_openapi_document_is_not_counted(client: Any, limit_of_three: int) -> None:
    caller = _as(uuid.uuid4().hex)
    for _ in range(5):
        answer = client.get("/api/v1/openapi.json", headers=caller)
        assert answer.status_code == 200
        assert "RateLimit-Limit" not in answer.headers
    assert client.get("/api/v1/catalog", headers=caller).headers["RateLimit-Remaining"] == "2"
