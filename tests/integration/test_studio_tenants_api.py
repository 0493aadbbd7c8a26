"""The national operator's municipalities over the API, as on the studio's page: add one with its
administrator's set-up link, import the register, offer a service in several at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from engine.services import tenants
from tests.integration.test_studio import studio_client
from tests.integration.test_tenant_onboarding import register, three_rows

pytestmark = pytest.mark.db

BASE = "/api/v1/studio/tenants"


def offered(platform: Any, slug: str) -> list[str]:
    tenant = platform.db(tenants.get_tenant(slug))
    return [e.service_id for e in platform.db(tenants.enabled_services(tenant))]


def test_a_municipality_added_over_the_api_is_on_the_page_with_a_working_setup_link(
    app: Any, client: Any, token: dict[str, str], analyst: str
) -> None:
    slug = f"api{uuid.uuid4().hex[:6]}"
    created = client.post(
        BASE,
        json={
            "slug": slug,
            "name_th": "เทศบาลตำบลทดลองผ่านระบบ",
            "kind": "เทศบาลตำบล",
            "province": "เชียงใหม่",
            "admin": f"{slug}.admin",
        },
        headers=token,
    )
    assert created.status_code == 201, created.json
    assert created.headers["Cache-Control"] == "no-store"
    assert created.json["slug"] == slug and created.json["admin"] == f"{slug}.admin"
    link = created.json["setup_link"]
    assert f"/{slug}/admin/setup/" in link
    assert client.get(link.split("localhost", 1)[1]).status_code == 200  # the administrator's page opens

    listed = client.get(BASE, headers=token).json["tenants"]
    assert slug in [t["slug"] for t in listed]
    assert "national" not in [t["slug"] for t in listed]  # the operators' own is no municipality
    page = studio_client(app, analyst).get("/studio/tenants").get_data(as_text=True)
    assert f'data-tenant="{slug}"' in page

    again = client.post(
        BASE,
        json={"slug": slug, "name_th": "ซ้ำ", "kind": "เทศบาลตำบล", "province": "เชียงใหม่"},
        headers=token,
    )
    assert again.status_code == 409 and again.json["code"] == "tenant_exists"
    assert again.json["message_th"] == f"มีหน่วยงานที่ใช้ชื่อย่อ {slug} อยู่แล้ว"


def test_fields_that_do_not_validate_are_named_in_thai_as_on_the_page(
    client: Any, token: dict[str, str]
) -> None:
    refused = client.post(
        BASE, json={"slug": "Bad Slug", "province": "เชียงใหม่", "kind": "อบต."}, headers=token
    )
    assert refused.status_code == 422 and refused.json["code"] == "invalid_tenant"
    by_field = {e["field"]: e["message_th"] for e in refused.json["errors"]}
    assert by_field["name_th"] == "กรุณาระบุชื่อหน่วยงาน"
    assert by_field["slug"].startswith("ชื่อย่อในที่อยู่เว็บต้องมี 2 ถึง 40 ตัวอักษร")
    too_long = client.post(BASE, json={"slug": "x" * 41}, headers=token)
    assert too_long.status_code == 422 and too_long.json["field"] == "slug"
    unknown = client.post(BASE, json={"slug": "ok", "colour": "red"}, headers=token)
    assert unknown.status_code == 400 and "colour" in unknown.json["message"]


def test_the_register_is_imported_whole_or_not_at_all(
    client: Any, platform: Any, token: dict[str, str]
) -> None:
    rows = three_rows()
    broken = [list(row) for row in rows]
    broken[1][1] = "สภาตำบล"  # not a kind of local administration
    refused = client.post(
        f"{BASE}/import", data=register(broken), headers={**token, "Content-Type": "text/csv"}
    )
    assert refused.status_code == 422 and refused.json["code"] == "invalid_register"
    assert [e["line"] for e in refused.json["errors"]] == [3]
    assert not {f"t{row[0]}" for row in rows} & {
        t["slug"] for t in client.get(BASE, headers=token).json["tenants"]
    }

    imported = client.post(
        f"{BASE}/import", data=register(rows), headers={**token, "Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.json
    assert imported.json["created"] == [f"t{row[0]}" for row in rows] and imported.json["skipped"] == []
    again = client.post(f"{BASE}/import", data=register(rows), headers={**token, "Content-Type": "text/csv"})
    assert again.json["created"] == [] and again.json["skipped"] == [row[0] for row in rows]

    slugs = [f"t{row[0]}" for row in rows]
    enabled = client.post(
        f"{BASE}/enable", json={"service": "complaint", "tenants": [*slugs, "no-such-town"]}, headers=token
    )
    assert enabled.status_code == 200, enabled.json
    assert enabled.json["enabled"] == sorted(slugs) and enabled.json["unknown"] == ["no-such-town"]
    assert enabled.json["service"] == "complaint" and enabled.json["refused"] == {}
    assert all(offered(platform, slug) == ["complaint"] for slug in slugs)

    nothing = client.post(f"{BASE}/enable", json={"service": "complaint", "tenants": []}, headers=token)
    assert nothing.status_code == 422 and nothing.json["code"] == "no_tenants"
    assert nothing.json["message_th"] == "กรุณาเลือกหน่วยงานอย่างน้อยหนึ่งแห่ง หรือเลือกทุกหน่วยงาน"
    unknown = client.post(f"{BASE}/enable", json={"service": "no-such-service", "all": True}, headers=token)
    assert unknown.status_code == 422 and unknown.json["field"] == "service"


def test_only_a_national_operator_manages_municipalities(client: Any, platform: Any) -> None:
    from tests.integration.test_admin import make_town
    from tests.integration.test_api_officer import token_of

    town = make_town(platform, roles=["admin"], prefix="SN")
    administrator = {"Authorization": f"Bearer {token_of(client, town.slug, town.users['admin'])}"}
    # Nobody and a made-up token: 401; a municipality's own administrator: known, and refused (403).
    for headers, status in (({}, 401), ({"Authorization": "Bearer made-up"}, 401), (administrator, 403)):
        assert client.get(BASE, headers=headers).status_code == status
        refused = client.post(f"{BASE}/enable", json={"service": "complaint", "all": True}, headers=headers)
        assert refused.status_code == status
    assert len(offered(platform, town.slug)) == len(platform.catalog)  # as it was
