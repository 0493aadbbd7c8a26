"""Officers' work over the API beyond the inbox: the files of an application, for officers who may
see it, and the console dashboard with the same figures as the page, for administrators only."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.store.models import AccessLogEntry
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


def test_an_officer_lists_and_downloads_the_files_of_an_application(
    app: Any, platform: Any, client: Any
) -> None:
    town = make_town(platform, roles=["sanitarian", "health_officer"], prefix="RF")
    reference, ids = submit_food(platform, town)
    officer = {"Authorization": f"Bearer {token_of(client, town.slug, town.users['sanitarian'])}"}
    base = f"/api/v1/tenants/{town.slug}/submissions/{reference}/attachments"
    # An officer whose roles the food service does not name has no need to know: as if it were not there.
    outsider = {"Authorization": f"Bearer {token_of(client, town.slug, town.users['health_officer'])}"}
    assert client.get(base, headers=outsider).status_code == 404

    listed = client.get(base, headers=officer)
    assert listed.status_code == 200, listed.json
    files = listed.json["attachments"]
    assert sorted(f["id"] for f in files) == sorted(ids)
    first = files[0]
    got = client.get(first["download_url"], headers=officer)
    assert got.status_code == 200
    assert got.data == f"file {first['id']} {first['filename']}".encode()  # the bytes as stored
    assert got.headers["Content-Type"].startswith(first["content_type"])
    assert "attachment" in got.headers["Content-Disposition"]
    logged = platform.db(
        AccessLogEntry.filter(object_id=first["id"], action="attachment", channel="api").count()
    )
    assert logged == 1  # the download is in the access log, as the desk's is

    # Another application's file under this reference, an applicant, and no credentials: nothing.
    _, other_ids = submit_food(platform, town)
    assert client.get(f"{base}/{other_ids[0]}", headers=officer).status_code == 404
    assert client.get(base).status_code == 401
    assert client.get(base, headers={"X-Tracking-Token": "x" * 40}).status_code == 403
    elsewhere = make_town(platform, roles=["health_officer"], prefix="RG")
    stranger = {
        "Authorization": f"Bearer {token_of(client, elsewhere.slug, elsewhere.users['health_officer'])}"
    }
    assert client.get(first["download_url"], headers=stranger).status_code == 403
