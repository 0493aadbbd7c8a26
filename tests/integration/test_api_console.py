"""The municipality console over the API: what it answers is what the console pages show, a change
made on one is seen on the other, only the municipality's administrators get in, and wrong answers
are listed by field in Thai and English (never a server error)."""

from __future__ import annotations

import html
import io
import re
import uuid
from typing import Any

import pytest

from engine.services import api_keys, catalog, tenants
from engine.store.models import EnabledService, Tenant, User
from tests.integration.test_admin import (  # noqa: F401
    FOOD,
    Town,
    csrf_on,
    csrf_token,
    login,
    make_town,
    officer_client,
    post_form,
    text_of,
)
from tests.integration.test_api_definitions import conforms
from tests.integration.test_api_officer import token_of
from tests.uploads import TINY_PDF, TINY_PNG

pytestmark = pytest.mark.db

NEW_PASSWORD = "Phrase-of-many-words-2569"
INACTIVE = "ระงับใช้งาน"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api(town: Town) -> str:
    return f"/api/v1/tenants/{town.slug}"


def page(town: Town) -> str:
    return f"/{town.slug}/admin"


def field_errors(answer: Any) -> dict[str, dict[str, str]]:
    """The refusal's problems by field; each must be said in Thai and in English."""
    assert answer.status_code == 422, answer.json
    found = {e["field"]: e for e in answer.json["errors"]}
    for problem in found.values():
        assert problem["message"] and problem["message_th"] and problem["message"] != problem["message_th"]
    assert answer.json["message_th"]
    return found


def input_value(text: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', text)
    assert found, name
    return html.unescape(found.group(1))


@pytest.fixture(scope="module")
def town(platform: Any) -> Town:
    return make_town(
        platform, roles=["admin", "clerk"], extra={"boss": ["admin"], "worker": ["clerk"]}, prefix="CA"
    )


@pytest.fixture(scope="module")
def admin(app: Any, town: Town) -> str:
    return token_of(app.test_client(), town.slug, town.users["admin"])


# --- details and seal ---------------------------------------------------------------------------


def test_details_are_those_of_the_page_and_changes_show_both_ways(
    app: Any, client: Any, platform: Any, town: Town, admin: str
) -> None:
    browser = officer_client(app, town, "admin")
    url = f"{page(town)}/console/details"
    read = client.get(f"{api(town)}/details", headers=bearer(admin))
    assert read.status_code == 200, read.json
    shown = text_of(browser.get(url))
    assert input_value(shown, "name_th") == read.json["name_th"] == f"เทศบาลทดสอบ {town.slug}"
    assert input_value(shown, "name_en") == read.json["name_en"]
    assert read.json["has_seal"] is False
    conforms(read.json, "MunicipalityDetails")

    wrong = client.put(
        f"{api(town)}/details",
        json={"name_th": "  ", "phone": "12345", "letter_code": "CM52101", "thai_numerals": "yes"},
        headers=bearer(admin),
    )
    problems = field_errors(wrong)
    conforms(wrong.json, "ConsoleInvalid")
    assert set(problems) == {"thai_numerals"}, "the shape is checked before anything else"
    blanked = client.put(f"{api(town)}/details", json={"name_en": None}, headers=bearer(admin))
    assert set(field_errors(blanked)) == {"name_en"}, "null is refused, never read as an answer left out"
    wrong = client.put(
        f"{api(town)}/details",
        json={"name_th": "  ", "phone": "12345", "letter_code": "CM52101"},
        headers=bearer(admin),
    )
    problems = field_errors(wrong)
    assert set(problems) == {"name_th", "phone", "letter_code"}
    assert problems["phone"]["message_th"].startswith("หมายเลขโทรศัพท์ไม่ถูกต้อง")
    assert problems["phone"]["message"].startswith("Enter a Thai phone number")
    # The page says the same words for the same answers.
    on_page = post_form(browser, url, {"name_th": "เทศบาลตำบลแม่เหียะใหม่", "phone": "12345"})
    assert on_page.status_code == 422 and problems["phone"]["message_th"] in text_of(on_page)
    assert platform.db(Tenant.get(id=town.tenant.id)).name_th == f"เทศบาลทดสอบ {town.slug}", "nothing stored"

    saved = client.put(
        f"{api(town)}/details",
        json={
            "name_th": "เทศบาลตำบลแม่เหียะใหม่",
            "phone": "053 123 456",
            "letter_code": "ชม 52101",
            "thai_numerals": True,
        },
        headers=bearer(admin),
    )
    assert saved.status_code == 200, saved.json
    assert saved.json["name_en"] == read.json["name_en"], "an answer left out keeps its value"
    shown = text_of(browser.get(url))
    assert input_value(shown, "name_th") == "เทศบาลตำบลแม่เหียะใหม่"
    assert (
        input_value(shown, "letter_code") == "ชม 52101"
        and 'id="thai_numerals" name="thai_numerals" value="yes" checked' in shown
    )

    assert (
        post_form(browser, url, {**saved.json, "name_en": "Mae Hia Mai", "thai_numerals": ""}).status_code
        == 302
    )
    again = client.get(f"{api(town)}/details", headers=bearer(admin)).json
    assert again["name_en"] == "Mae Hia Mai" and again["thai_numerals"] is False


def test_the_seal_takes_the_checks_of_the_page(
    app: Any, client: Any, platform: Any, town: Town, admin: str
) -> None:
    url = f"{api(town)}/details/seal"
    as_pdf = client.put(url, data=TINY_PDF, headers={**bearer(admin), "Content-Type": "image/png"})
    problem = field_errors(as_pdf)["seal"]
    browser = officer_client(app, town, "admin")
    details = f"{page(town)}/console/details"
    on_page = browser.post(
        f"{details}/seal",
        data={"csrf_token": csrf_token(browser, details), "seal": (io.BytesIO(TINY_PDF), "seal.png")},
    )
    assert on_page.status_code == 422 and problem["message_th"] in text_of(on_page), "judged by content alike"
    empty = client.put(url, data=b"", headers={**bearer(admin), "Content-Type": "image/png"})
    assert "seal" in field_errors(empty)
    too_large = client.put(
        url, data=TINY_PNG + b"\0" * (512 * 1024), headers={**bearer(admin), "Content-Type": "image/png"}
    )
    assert "seal" in field_errors(too_large)
    assert platform.db(Tenant.get(id=town.tenant.id)).logo_blob is None

    kept = client.put(url, data=TINY_PNG, headers={**bearer(admin), "Content-Type": "image/png"})
    assert kept.status_code == 200 and kept.json["has_seal"] is True
    stored = platform.db(Tenant.get(id=town.tenant.id)).logo_blob
    assert stored and platform.blobs.get(stored) == TINY_PNG
    as_form = client.put(url, data={"seal": (io.BytesIO(TINY_PNG), "seal.png")}, headers=bearer(admin))
    assert as_form.status_code == 200, as_form.json


# --- services and local fees --------------------------------------------------------------------


def test_services_list_as_the_page_and_close_and_open_both_ways(
    app: Any, client: Any, platform: Any, town: Town, admin: str
) -> None:
    browser = officer_client(app, town, "admin")
    url = f"{page(town)}/console/services"
    listed = client.get(f"{api(town)}/console/services", headers=bearer(admin))
    assert listed.status_code == 200
    conforms(listed.json, "ConsoleServices")
    rows = {s["service_id"]: s for s in listed.json["services"]}
    shown = text_of(browser.get(url))
    assert set(rows) == set(re.findall(r'data-service="([^"]+)"', shown))
    assert rows[FOOD]["enabled"] and rows[FOOD]["has_local_fees"] and rows[FOOD]["title"]["th"] in shown
    public = client.get(f"{api(town)}/services")
    assert public.status_code == 200 and FOOD in {s["id"] for s in public.json["services"]}, (
        "the public list stays"
    )
    # Unchanged: the client's copy is still current.
    tag = listed.headers["ETag"]
    assert (
        client.get(
            f"{api(town)}/console/services", headers={**bearer(admin), "If-None-Match": tag}
        ).status_code
        == 304
    )

    closed = client.post(f"{api(town)}/console/services/complaint/disable", headers=bearer(admin))
    conforms(closed.json, "ServiceEnabled")
    assert closed.status_code == 200 and closed.json == {
        "service_id": "complaint",
        "enabled": False,
        "open_applications": 0,
    }
    row = re.search(r'<tr data-service="complaint">.*?</tr>', text_of(browser.get(url)), re.S)
    assert row and "ไม่เปิดให้บริการ" in row.group(0)
    after = client.get(f"{api(town)}/console/services", headers={**bearer(admin), "If-None-Match": tag})
    assert after.status_code == 200, "a change makes a new ETag"
    assert not {s["service_id"]: s for s in after.json["services"]}["complaint"]["enabled"]
    assert "complaint" not in {s["id"] for s in client.get(f"{api(town)}/services").json["services"]}

    assert post_form(browser, f"{url}/complaint/enable", {}, page=url).status_code == 302
    rows = {
        s["service_id"]: s
        for s in client.get(f"{api(town)}/console/services", headers=bearer(admin)).json["services"]
    }
    assert (
        rows["complaint"]["enabled"]
        and rows["complaint"]["version"] == platform.catalog.get("complaint").version
    )
    assert post_form(browser, f"{url}/complaint/disable", {"confirm": "yes"}, page=url).status_code == 302
    opened = client.post(f"{api(town)}/console/services/complaint/enable", headers=bearer(admin))
    assert opened.status_code == 200 and opened.json["enabled"] is True
    assert platform.db(EnabledService.get(tenant_id=town.tenant.id, service_id="complaint")).enabled

    unknown = client.post(f"{api(town)}/console/services/no-such-service/enable", headers=bearer(admin))
    assert unknown.status_code == 404 and unknown.json["code"] == "service_not_found"
    assert (
        client.post(f"{api(town)}/console/services/{'x' * 5000}/disable", headers=bearer(admin)).status_code
        == 404
    )


def test_local_fees_are_the_page_boxes_and_changes_show_both_ways(
    app: Any, client: Any, platform: Any, town: Town, admin: str
) -> None:
    browser = officer_client(app, town, "admin")
    url = f"{page(town)}/console/services/{FOOD}"
    fees_url = f"{api(town)}/console/services/{FOOD}/parameters"
    read = client.get(fees_url, headers=bearer(admin))
    assert read.status_code == 200, read.json
    conforms(read.json, "LocalFees")
    shown = text_of(browser.get(url))
    boxes = {b["name"]: b for fee in read.json["fees"] for b in fee["boxes"]}
    assert set(boxes) == set(re.findall(r'name="(fee\.[^"]+)"', shown))
    for name, box in boxes.items():
        assert input_value(shown, name) == ("" if box["value"] is None else str(box["value"]))
    assert boxes["fee.certificate_fee.tiers.0.amount"]["label"]["th"].startswith("ขั้นที่ 1")

    wrong = client.put(
        fees_url,
        json={"values": {"fee.certificate_fee.tiers.0.amount": "ห้าสิบ", "fee.nothing.amount": 1}},
        headers=bearer(admin),
    )
    problems = field_errors(wrong)
    assert set(problems) == {"fee.nothing.amount"}, "a box the service does not have is named first"
    wrong = client.put(
        fees_url,
        json={
            "values": {"fee.certificate_fee.tiers.0.amount": "ห้าสิบ", "fee.certificate_fee.tiers.1.up_to": 10}
        },
        headers=bearer(admin),
    )
    problems = field_errors(wrong)
    assert problems["fee.certificate_fee.tiers.0.amount"]["message_th"].startswith("กรุณากรอกเป็นตัวเลข (ขั้นที่ 1")
    assert problems["fee.certificate_fee.tiers.0.amount"]["message"].startswith("Enter a number (Tier 1")
    on_page = post_form(
        browser,
        url,
        {**{n: input_value(shown, n) for n in boxes}, "fee.certificate_fee.tiers.0.amount": "ห้าสิบ"},
    )
    assert problems["fee.certificate_fee.tiers.0.amount"]["message_th"] in html.unescape(text_of(on_page))
    for bad in (
        {"values": []},
        {"values": {"fee.certificate_fee.tiers.0.amount": True}},
        {"values": {f"b{i}": 1 for i in range(201)}},
    ):
        assert client.put(fees_url, json=bad, headers=bearer(admin)).status_code == 422

    for huge in (b"1" * 4000, b"1e999", b"-0.5"):
        raw = b'{"values": {"fee.certificate_fee.tiers.0.amount": ' + huge + b"}}"
        answer = client.put(fees_url, data=raw, headers={**bearer(admin), "Content-Type": "application/json"})
        assert answer.status_code in (400, 422), (huge[:10], answer.status_code)
    saved = client.put(
        fees_url, json={"values": {"fee.certificate_fee.tiers.0.amount": 40}}, headers=bearer(admin)
    )
    assert saved.status_code == 200, saved.json
    assert input_value(text_of(browser.get(url)), "fee.certificate_fee.tiers.0.amount") == "40"
    row = platform.db(EnabledService.get(tenant_id=town.tenant.id, service_id=FOOD))
    assert row.parameters["fees"]["certificate_fee"]["tiers"][0] == {"up_to": 25, "amount": 40}

    default = {n: input_value(shown, n) for n in boxes}
    assert post_form(browser, url, default).status_code == 302
    again = client.get(fees_url, headers=bearer(admin)).json
    assert {b["name"]: b["value"] for f in again["fees"] for b in f["boxes"]}[
        "fee.certificate_fee.tiers.0.amount"
    ] == 50
    assert not any(f["changed"] for f in again["fees"]), "back at the national default"

    national = client.get(f"{api(town)}/console/services/building-permit/parameters", headers=bearer(admin))
    assert national.status_code == 200 and national.json["fees"] == [], (
        "fees fixed by national law are not offered"
    )


def test_an_upgrade_is_previewed_as_the_page_shows_it_then_made(
    app: Any, client: Any, platform: Any, town: Town, admin: str
) -> None:
    from tests.integration.test_catalog_versions import petition_copy, with_urgency

    service_id = f"petition-c{uuid.uuid4().hex[:6]}"
    first = petition_copy(service_id)
    platform.db(catalog.publish(first, platform.catalog, platform.catalog_cache))
    platform.db(tenants.enable_version(town.tenant, platform.definition(service_id, "1.0.0")))
    platform.db(catalog.publish(with_urgency(first), platform.catalog, platform.catalog_cache))

    listed = {
        s["service_id"]: s
        for s in client.get(f"{api(town)}/console/services", headers=bearer(admin)).json["services"]
    }
    assert listed[service_id]["version"] == "1.0.0" and listed[service_id]["newer_version"] == "1.1.0"

    preview = client.get(
        f"{api(town)}/console/services/{service_id}/upgrade?version=1.1.0", headers=bearer(admin)
    )
    assert preview.status_code == 200, preview.json
    conforms(preview.json, "ServiceUpgradePreview")
    browser = officer_client(app, town, "admin")
    upgrade_page = f"{page(town)}/console/services/{service_id}/upgrade?version=1.1.0"
    shown = text_of(browser.get(upgrade_page))
    assert f'data-bump="{preview.json["bump"]}"' in shown and preview.json["bump"] == "major"
    assert preview.json["bump_text"]["th"] in shown and preview.json["can_upgrade"] is True
    assert any(c["name"] == "/petition/urgency" and c["kind"] == "added" for c in preview.json["changes"])
    assert all(c["name"] in html.unescape(shown) for c in preview.json["changes"])

    assert (
        client.get(
            f"{api(town)}/console/services/{service_id}/upgrade?version=9.9.9", headers=bearer(admin)
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"{api(town)}/console/services/{service_id}/upgrade?version={'1' * 80}", headers=bearer(admin)
        ).status_code
        == 422
    )
    moved = client.post(
        f"{api(town)}/console/services/{service_id}/upgrade", json={"version": "1.1.0"}, headers=bearer(admin)
    )
    assert (
        moved.status_code == 200
        and moved.json["previous_version"] == "1.0.0"
        and moved.json["version"] == "1.1.0"
    )
    assert platform.db(tenants.enabled_service(town.tenant, service_id)).version == "1.1.0"
    assert "ดูสิ่งที่เปลี่ยนในรุ่น" not in re.search(
        rf'<tr data-service="{service_id}">.*?</tr>',
        text_of(browser.get(f"{page(town)}/console/services")),
        re.S,
    ).group(0)
    same = client.get(f"{api(town)}/console/services/{service_id}/upgrade", headers=bearer(admin))
    assert same.json["can_upgrade"] is False and same.json["changes"] == []


# --- officers -----------------------------------------------------------------------------------


def test_officers_list_as_the_page_and_new_ones_log_in(
    app: Any, client: Any, platform: Any, town: Town, admin: str
) -> None:
    browser = officer_client(app, town, "admin")
    url = f"{page(town)}/console/officers"
    listed = client.get(f"{api(town)}/officers", headers=bearer(admin))
    assert listed.status_code == 200
    conforms(listed.json, "ConsoleOfficers")
    shown = text_of(browser.get(url))
    assert [o["username"] for o in listed.json["officers"]] == re.findall(r'data-username="([^"]+)"', shown)
    grantable = [r["role"] for r in listed.json["grantable_roles"]]
    assert grantable[0] == "admin" and "applicant" not in grantable and "system" not in grantable
    assert all(f'name="roles" value="{r}"' in shown for r in grantable)

    wrong = client.post(
        f"{api(town)}/officers",
        json={"username": "X", "display_name": "", "password": "short", "roles": ["clerk"]},
        headers=bearer(admin),
    )
    problems = field_errors(wrong)
    assert set(problems) == {"username", "display_name", "password"}
    assert problems["password"]["message_th"] == "รหัสผ่านต้องมีอย่างน้อย 10 ตัวอักษร"
    on_page = post_form(browser, url, {"username": "X", "display_name": "", "password": "short"})
    for problem in problems.values():
        assert problem["message_th"] in text_of(on_page)
    taken = client.post(
        f"{api(town)}/officers",
        json={"username": town.users["clerk"], "display_name": "ซ้ำ", "password": NEW_PASSWORD},
        headers=bearer(admin),
    )
    assert field_errors(taken)["username"]["message_th"].startswith("ชื่อผู้ใช้นี้มีผู้ใช้แล้ว")
    not_here = client.post(
        f"{api(town)}/officers",
        json={
            "username": f"{town.slug}.x",
            "display_name": "ก",
            "password": NEW_PASSWORD,
            "roles": ["system"],
        },
        headers=bearer(admin),
    )
    assert "roles" in field_errors(not_here)
    for bad in ({"username": 5}, {"roles": "clerk"}, {"roles": [1]}, {"password": ["x"]}):
        assert client.post(f"{api(town)}/officers", json=bad, headers=bearer(admin)).status_code == 422

    username = f"{town.slug}.somchai"
    made = client.post(
        f"{api(town)}/officers",
        json={
            "username": username.upper(),
            "display_name": "นายสมชาย ใจดี",
            "password": NEW_PASSWORD,
            "roles": ["clerk"],
        },
        headers=bearer(admin),
    )
    assert made.status_code == 201, made.json
    conforms(made.json, "ConsoleOfficer")
    assert made.json["username"] == username and made.json["roles"] == ["clerk"]
    assert NEW_PASSWORD not in made.get_data(as_text=True), "the password is never answered back"
    assert f'data-username="{username}"' in text_of(browser.get(url))
    assert login(app.test_client(), town, username, NEW_PASSWORD).status_code == 302

    first = client.get(f"{api(town)}/officers?limit=2", headers=bearer(admin)).json
    assert len(first["officers"]) == 2 and first["next_cursor"]
    rest = client.get(
        f"{api(town)}/officers?limit=200&cursor={first['next_cursor']}", headers=bearer(admin)
    ).json
    assert [o["username"] for o in first["officers"] + rest["officers"]] == sorted(
        [o["username"] for o in listed.json["officers"]] + [username]
    )
    assert rest["next_cursor"] is None
    for query in ("limit=0", "limit=x", "limit=99999", "cursor=!!", "cursor=" + "a" * 300):
        assert client.get(f"{api(town)}/officers?{query}", headers=bearer(admin)).status_code == 400


def test_roles_and_account_change_both_ways(
    app: Any, client: Any, platform: Any, town: Town, admin: str
) -> None:
    browser = officer_client(app, town, "admin")
    user = platform.db(User.get(username=f"{town.slug}.worker"))
    roles_url = f"{api(town)}/officers/{user.id}/roles"
    read = client.get(roles_url, headers=bearer(admin))
    assert read.status_code == 200, read.json
    conforms(read.json, "OfficerRoles")
    officer_page = f"{page(town)}/console/officers/{user.id}"
    shown = text_of(browser.get(officer_page))
    held = [r["role"] for r in read.json["roles"] if r["held"]]
    assert held == ["clerk"] and 'value="clerk" checked' in shown
    assert all(f'value="{r["role"]}"' in shown for r in read.json["roles"])

    changed = client.put(roles_url, json={"roles": ["clerk", "sanitarian"]}, headers=bearer(admin))
    assert changed.status_code == 200 and changed.json["officer"]["roles"] == ["clerk", "sanitarian"]
    assert 'value="sanitarian" checked' in text_of(browser.get(officer_page))
    assert post_form(browser, officer_page, {"roles": ["clerk"]}).status_code == 302
    assert client.get(roles_url, headers=bearer(admin)).json["officer"]["roles"] == ["clerk"]
    for bad in ({}, {"roles": "clerk"}, {"roles": ["applicant"]}, {"roles": ["x" * 100]}):
        assert "roles" in field_errors(client.put(roles_url, json=bad, headers=bearer(admin)))

    me = town.ids[town.users["admin"]]
    own = client.put(f"{api(town)}/officers/{me}/roles", json={"roles": ["clerk"]}, headers=bearer(admin))
    assert field_errors(own)["roles"]["message_th"].startswith("คุณไม่สามารถถอนบทบาทผู้ดูแลระบบของตนเองได้")

    account = f"{api(town)}/officers/{user.id}/account"
    worker_token = token_of(client, town.slug, user.username)
    weak = client.post(
        account, json={"action": "reset_password", "password": "password123"}, headers=bearer(admin)
    )
    assert field_errors(weak)["password"]["message_th"]
    assert "action" in field_errors(client.post(account, json={"action": "delete"}, headers=bearer(admin)))
    own_account = client.post(
        f"{api(town)}/officers/{me}/account", json={"action": "deactivate"}, headers=bearer(admin)
    )
    assert field_errors(own_account)["action"]["message_th"] == "ท่านไม่สามารถระงับการใช้งานบัญชีของตนเองได้"

    off = client.post(account, json={"action": "deactivate"}, headers=bearer(admin))
    assert off.status_code == 200 and off.json["officer"]["active"] is False
    conforms(off.json, "OfficerAccountChanged")
    assert off.json["message_th"].startswith(f"ระงับการใช้งานบัญชี {user.username} แล้ว")
    assert client.get(f"{api(town)}/me/notifications", headers=bearer(worker_token)).status_code == 401, (
        "its tokens end"
    )
    listed = text_of(browser.get(f"{page(town)}/console/officers"))
    row = re.search(rf'<tr data-username="{re.escape(user.username)}">.*?</tr>', listed, re.S)
    assert row and INACTIVE in row.group(0)
    assert (
        post_form(browser, f"{officer_page}/account", {"action": "reactivate"}, page=officer_page).status_code
        == 302
    )
    assert client.get(roles_url, headers=bearer(admin)).json["officer"]["active"] is True

    reset = client.post(
        account, json={"action": "reset_password", "password": NEW_PASSWORD}, headers=bearer(admin)
    )
    assert reset.status_code == 200 and NEW_PASSWORD not in reset.get_data(as_text=True)
    assert login(app.test_client(), town, user.username, NEW_PASSWORD).status_code == 302
    kinds = [e["kind"] for e in client.get(roles_url, headers=bearer(admin)).json["events"]]
    assert kinds[:3] == ["password_reset", "reactivated", "deactivated"]


# --- the officer's own notice settings ----------------------------------------------------------


def test_my_notifications_are_those_of_my_page(app: Any, client: Any, platform: Any, town: Town) -> None:
    clerk = token_of(client, town.slug, town.users["admin"])  # any officer; the administrator is one
    mine = f"{api(town)}/me/notifications"
    read = client.get(mine, headers=bearer(clerk))
    assert read.status_code == 200 and read.json["digest"] in read.json["digest_choices"]
    conforms(read.json, "MyNotifications")
    browser = officer_client(app, town, "admin")
    url = f"{page(town)}/account/notifications"
    assert f'value="{read.json["digest"]}" checked' in text_of(browser.get(url))

    wrong = client.put(mine, json={"email": "not-an-address", "digest": "hourly"}, headers=bearer(clerk))
    problems = field_errors(wrong)
    assert set(problems) == {"email", "digest"}
    on_page = post_form(browser, url, {"email": "not-an-address", "digest": "hourly"})
    assert problems["email"]["message_th"] in text_of(on_page) and problems["digest"][
        "message_th"
    ] in text_of(on_page)
    assert "email" in field_errors(client.put(mine, json={"email": 5}, headers=bearer(clerk)))
    # null is no address: refused, never read as "leave it as it is" or as "stop e-mail".
    assert set(
        field_errors(client.put(mine, json={"email": None, "digest": None}, headers=bearer(clerk)))
    ) == {
        "email",
        "digest",
    }

    saved = client.put(mine, json={"email": "somchai@example.go.th", "digest": "off"}, headers=bearer(clerk))
    assert saved.status_code == 200 and saved.json["email"] == "somchai@example.go.th"
    shown = text_of(browser.get(url))
    assert 'value="somchai@example.go.th"' in shown and 'value="off" checked' in shown
    assert post_form(browser, url, {"email": "", "digest": "email"}).status_code == 302
    assert client.get(mine, headers=bearer(clerk)).json == {**read.json, "email": "", "digest": "email"}

    # Any officer keeps their own; the clerk is no administrator.
    other = token_of(client, town.slug, town.users["clerk"])
    assert client.put(mine, json={"digest": "off"}, headers=bearer(other)).json["digest"] == "off"
    assert platform.db(User.get(username=town.users["clerk"])).digest == "off"


# --- who may -----------------------------------------------------------------------------------


def console_calls(town: Town, user_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    base = api(town)
    return [
        ("GET", f"{base}/details", None),
        ("PUT", f"{base}/details", {"name_th": "ยึด"}),
        ("PUT", f"{base}/details/seal", None),
        ("GET", f"{base}/console/services", None),
        ("POST", f"{base}/console/services/complaint/disable", None),
        ("POST", f"{base}/console/services/complaint/enable", None),
        ("GET", f"{base}/console/services/{FOOD}/upgrade", None),
        ("POST", f"{base}/console/services/{FOOD}/upgrade", {}),
        ("GET", f"{base}/console/services/{FOOD}/parameters", None),
        ("PUT", f"{base}/console/services/{FOOD}/parameters", {"values": {}}),
        ("GET", f"{base}/officers", None),
        ("POST", f"{base}/officers", {"username": "x"}),
        ("GET", f"{base}/officers/{user_id}/roles", None),
        ("PUT", f"{base}/officers/{user_id}/roles", {"roles": ["admin"]}),
        ("POST", f"{base}/officers/{user_id}/account", {"action": "deactivate"}),
    ]


def test_only_this_municipality_administrators_are_let_in(
    client: Any, platform: Any, town: Town, admin: str
) -> None:
    other = make_town(platform, roles=["admin"], prefix="CB")
    clerk = token_of(client, town.slug, town.users["clerk"])
    stranger = token_of(client, other.slug, other.users["admin"])
    _, secret = platform.db(api_keys.create(town.tenant, "ระบบงานจังหวัด", ["inbox:read", "submissions:read"]))
    victim = town.ids[town.users["clerk"]]
    for method, url, body in console_calls(town, victim):
        for token, code in ((clerk, "forbidden"), (stranger, "wrong_tenant"), (secret, "insufficient_scope")):
            answer = client.open(url, method=method, json=body, headers=bearer(token))
            assert answer.status_code == 403, (method, url, answer.json)
            assert answer.json["code"] == code
        assert client.open(url, method=method, json=body).status_code == 401
    refused = client.get(f"{api(town)}/officers", headers=bearer(clerk)).json
    assert refused["message_th"].startswith("เฉพาะผู้ดูแลระบบของหน่วยงานเท่านั้นที่")
    assert client.get(f"{api(town)}/me/notifications", headers=bearer(secret)).status_code == 403
    assert client.get(f"{api(town)}/me/notifications", headers=bearer(stranger)).status_code == 403
    assert platform.db(Tenant.get(id=town.tenant.id)).name_th != "ยึด"
    assert platform.db(User.get(id=victim)).active

    # Another municipality's officer is not found here, even by this municipality's administrator.
    theirs = other.ids[other.users["admin"]]
    for method, url, body in console_calls(town, theirs)[-3:]:
        assert client.open(url, method=method, json=body, headers=bearer(admin)).status_code == 404
    for huge in (2**31, 10**30):
        assert client.get(f"{api(town)}/officers/{huge}/roles", headers=bearer(admin)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b"null",
        b'"x"',
        b"{",
        b'{"roles": {"a": 1}}',
        b'{"name_th": "\\u0000"}',
        b"\xff\xfe",
    ],
)
def test_malformed_bodies_are_refused_never_a_server_error(
    client: Any, town: Town, admin: str, body: bytes
) -> None:
    victim = town.ids[town.users["clerk"]]
    for method, url, _ in console_calls(town, victim):
        if method == "GET":
            continue
        answer = client.open(
            url, method=method, data=body, headers={**bearer(admin), "Content-Type": "application/json"}
        )
        assert answer.status_code < 500, (method, url, answer.status_code)
        assert answer.is_json
    for url in (f"{api(town)}/me/notifications",):
        answer = client.put(url, data=body, headers={**bearer(admin), "Content-Type": "application/json"})
        assert answer.status_code < 500 and answer.is_json
