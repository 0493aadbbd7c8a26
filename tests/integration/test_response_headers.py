"""Headers a careful reviewer checks: downloads never cached, no server version, Allow on 405."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_api import Municipality, make_municipality


@pytest.fixture(scope="module")
def town(app: Any, platform: Any) -> Municipality:
    return make_municipality(platform, app.test_client())


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("TRACE", "/api/v1/verify", {"POST"}),
        ("DELETE", "/api/v1/tenants/{slug}/services", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/{slug}/admin/login", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("DELETE", "/{slug}/", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_a_405_names_the_methods_the_url_takes(
    client: Any, town: Municipality, method: str, path: str, allowed: set[str]
):
    response = client.open(path.format(slug=town.slug), method=method)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= allowed - {"OPTIONS"}


def test_no_answer_names_server_software_or_version(client: Any, town: Municipality):
    for path in ("/api/v1/openapi.json", f"/{town.slug}/", "/no-such-page"):
        response = client.get(path)
        assert "Server" not in response.headers or "/" not in response.headers["Server"]
