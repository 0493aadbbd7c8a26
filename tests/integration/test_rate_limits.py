"""Rate limits on the API: every answer says how much is left, a caller past the limit waits, others do not."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from engine.services import tenants

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def town(platform: Any) -> str:
    slug = f"r{uuid.uuid4().hex[:8]}"
    platform.db(
        tenants.ensure_tenant(
            slug,
            name_th="เทศบาลทดสอบอัตรา",
            name_en="Rate Test",
            kind="municipality",
            province="ลำปาง",
            reference_prefix="RL",
        )
    )
    return slug


def services(client: Any, town: str, address: str, **headers: str) -> Any:
    return client.get(
        f"/api/v1/tenants/{town}/services", environ_base={"REMOTE_ADDR": address}, headers=headers
    )


def test_answers_say_the_limit_and_what_is_left(client: Any, town: str):
    address = "198.51.100.10"
    first, second = services(client, town, address), services(client, town, address)
    assert first.status_code == second.status_code == 200
    assert first.headers["RateLimit-Limit"] == "600"
    assert int(first.headers["RateLimit-Remaining"]) == 599
    assert int(second.headers["RateLimit-Remaining"]) == 598
    assert 0 < int(second.headers["RateLimit-Reset"]) <= 60
    # Errors are counted and answered with the headers too; the OpenAPI document is not counted.
    missing = client.get("/api/v1/tenants/no-such-town/services", environ_base={"REMOTE_ADDR": address})
    assert missing.status_code == 404 and missing.headers["RateLimit-Remaining"] == "597"
    spec = client.get("/api/v1/openapi.json", environ_base={"REMOTE_ADDR": address})
    assert spec.status_code == 200 and "RateLimit-Remaining" not in spec.headers


def test_past_the_limit_a_caller_waits_and_others_do_not(
    client: Any, town: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("THONGTHIN_API_RATE_PER_MINUTE", "3")
    busy, other = "198.51.100.20", "198.51.100.21"
    assert [services(client, town, busy).status_code for _ in range(3)] == [200, 200, 200]
    refused = services(client, town, busy)
    assert refused.status_code == 429
    assert refused.json["code"] == "rate_limited" and refused.json["message_th"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Limit"] == "3" and refused.headers["RateLimit-Remaining"] == "0"
    # Another address, and a program with its own bearer token behind the busy address, still get through.
    assert services(client, town, other).status_code == 200
    with_token = services(client, town, busy, Authorization="Bearer some-program-token")
    assert with_token.status_code == 200 and with_token.headers["RateLimit-Remaining"] == "2"
