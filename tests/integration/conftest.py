"""Fixtures shared by the integration tests."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from engine.services import accounts, operators
from thongthin.demo import DEMO_PASSWORD


@pytest.fixture(scope="module")
def analyst(platform: Any) -> str:
    """A national operator's analyst: the studio, the catalog and the municipalities are theirs."""
    username = f"analyst.{uuid.uuid4().hex[:6]}"

    async def make() -> None:
        tenant = await operators.operator_tenant()
        await accounts.create_user(
            tenant, username, DEMO_PASSWORD, "นักวิเคราะห์ทดสอบ", [operators.OPERATOR_ROLE]
        )

    platform.db(make())
    return username


@pytest.fixture(scope="module")
def token(app: Any, analyst: str) -> dict[str, str]:
    """The analyst's bearer token, as an ``Authorization`` header."""
    response = app.test_client().post(
        "/api/v1/auth/token",
        json={"tenant": operators.OPERATOR_TENANT, "username": analyst, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}
