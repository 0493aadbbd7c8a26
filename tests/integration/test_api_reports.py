"""The console dashboard over the API: the same figures as the page, for the municipality's
administrators only."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.test_admin import make_town, officer_client, submit_food
from thongthin.demo import DEMO_PASSWORD

pytestmark = pytest.mark.db


def token_of(client: Any, slug: str, username: str) -> str:
    answer = client.post(
        "/api/v1/auth/token", json={"tenant": slug, "username": username, "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.json
    return str(answer.json["token"])


def stat(page: str, name: str) -> str:
    found = re.search(rf'id="stat-{name}">([^<]*)<', page)
    assert found, name
    return found.group(1).strip()


def test_the_dashboard_report_gives_the_console_page_figures(app: Any, platform: Any, client: Any) -> None:
    town = make_town(platform, roles=["admin", "clerk"], prefix="RP")
    submit_food(platform, town)
    submit_food(platform, town, "valid-noodle-shop-person.json")
    admin = token_of(client, town.slug, town.users["admin"])

    answer = client.get(
        f"/api/v1/tenants/{town.slug}/reports/dashboard", headers={"Authorization": f"Bearer {admin}"}
    )
    assert answer.status_code == 200, answer.json
    report = answer.json
    page = (
        officer_client(app, town, "admin").get(f"/{town.slug}/admin/console/dashboard").get_data(as_text=True)
    )
    assert stat(page, "total") == str(report["total"]) == "2"
    assert stat(page, "open") == str(report["open"])
    assert stat(page, "overdue") == str(report["open_overdue"])
    assert report["compliance"] is None and stat(page, "compliance") == "—"

    (food,) = report["services"]
    assert food["service_id"] == "food-premises-notification"
    assert food["title"]["th"] in page  # the page names the service as the report does
    assert sum(s["count"] for s in food["by_state"]) == food["total"] == 2
    assert all(s["title"]["th"] for s in food["by_state"])


def test_only_the_municipality_administrators_read_its_reports(app: Any, platform: Any, client: Any) -> None:
    town = make_town(platform, roles=["admin", "clerk"], prefix="RQ")
    other = make_town(platform, roles=["admin"], prefix="RR")
    url = f"/api/v1/tenants/{town.slug}/reports/dashboard"

    assert client.get(url).status_code == 401
    clerk = client.get(
        url, headers={"Authorization": f"Bearer {token_of(client, town.slug, town.users['clerk'])}"}
    )
    assert clerk.status_code == 403 and clerk.json["code"] == "forbidden"
    assert "ผู้ดูแลระบบ" in clerk.json["message_th"]
    elsewhere = client.get(
        url, headers={"Authorization": f"Bearer {token_of(client, other.slug, other.users['admin'])}"}
    )
    assert elsewhere.status_code == 403 and elsewhere.json["code"] == "wrong_tenant"
    assert "total" not in elsewhere.json
    assert client.get("/api/v1/tenants/no-such-town/reports/dashboard").status_code == 404
