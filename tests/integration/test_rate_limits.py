"""The API's rate limit per caller: told in RateLimit-* headers, 429 with Retry-After past it,
counted per credential the platform gave, else per address (one caller's burst does not block
another, and made-up tokens buy no more requests), never for the OpenAPI document."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.test_admin import make_town
from tests.integration.test_api_officer import token_of

pytestmark = pytest.mark.db


@pytest.fixture
def limit_of_three(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("THONGTHIN_API_RATE_LIMIT", "3")
    return 3


def _from(address: str, token: str | None = None) -> dict[str, Any]:
    """A request's keyword arguments: sent from ``address``, with ``token`` as its bearer if given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return {"headers": headers, "environ_base": {"REMOTE_ADDR": address}}


def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def test_headers_count_down_then_429_with_retry_after(client: Any, limit_of_three: int) -> None:
    caller = _from(_address())
    left = []
    for _ in range(3):
        answer = client.get("/api/v1/catalog", **caller)
        assert answer.status_code != 429
        assert answer.headers["RateLimit-Limit"] == "3"
        assert 1 <= int(answer.headers["RateLimit-Reset"]) <= 60
        left.append(int(answer.headers["RateLimit-Remaining"]))
    assert left == [2, 1, 0]
    refused = client.get("/api/v1/catalog", **caller)
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["code"] == "rate_limited" and body["message"] and body["message_th"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_one_callers_burst_leaves_another_caller_alone(
    client: Any, platform: Any, limit_of_three: int
) -> None:
    town = make_town(platform, roles=["clerk"], prefix="RL")
    officer = token_of(client, town.slug, town.users["clerk"])  # before the limit is reached
    busy = _address()
    for _ in range(4):
        client.get("/api/v1/catalog", **_from(busy))
    assert client.get("/api/v1/catalog", **_from(busy)).status_code == 429
    other = client.get("/api/v1/catalog", **_from(_address()))
    assert other.status_code != 429 and other.headers["RateLimit-Remaining"] == "2"
    # An officer's own token is a caller of its own, even from the busy address.
    signed_in = client.get("/api/v1/catalog", **_from(busy, officer))
    assert signed_in.status_code != 429 and signed_in.headers["RateLimit-Remaining"] == "2"


def test_made_up_tokens_count_against_their_address(client: Any, limit_of_three: int) -> None:
    address = _address()
    for _ in range(3):
        assert client.get("/api/v1/catalog", **_from(address, uuid.uuid4().hex)).status_code != 429
    assert client.get("/api/v1/catalog", **_from(address, uuid.uuid4().hex)).status_code == 429
    assert client.get("/api/v1/catalog", **_from(address, "ttk_" + uuid.uuid4().hex)).status_code == 429
    assert client.get("/api/v1/catalog", **_from(address)).status_code == 429


def test_openapi_document_is_not_counted(client: Any, limit_of_three: int) -> None:
    caller = _from(_address())
    for _ in range(5):
        answer = client.get("/api/v1/openapi.json", **caller)
        assert answer.status_code == 200
        assert "RateLimit-Limit" not in answer.headers
    assert client.get("/api/v1/catalog", **caller).headers["RateLimit-Remaining"] == "2"
