"""The console's security pages over the API: signing keys, the LINE account, personal data requests
and the correspondence units, each answer set beside what the page shows for the same data.

An administrator's token (for personal data also the data protection officer's) does what the page
does; officers without the role, another municipality's administrator and API keys are refused; bad
input is a 4xx in Thai and English, never a 500; key files, passwords and LINE secrets never come
back; national ID numbers go in the body only; an export over the API is in the access log as "api".
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from engine.services import api_keys, line
from engine.store.models import AccessLogEntry, Tenant, TenantSigningKey
from tests.integration.test_admin import (
    Town,
    csrf_on,  # noqa: F401 (the console's CSRF checks, as in its own tests)
    make_town,
    officer_client,
    post_form,
    submit_food,
    text_of,
)
from tests.integration.test_api_officer import token_of
from tests.integration.test_signing_keys import ROLE, Place, place  # noqa: F401 (the signing fixture)

pytestmark = pytest.mark.db

NATIONAL_ID = "3100601234565"  # the noodle shop's owner in the food-premises example
THAI = range(0x0E00, 0x0E80)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def has_thai(text: str) -> bool:
    return any(ord(c) in THAI for c in text)


def refused_in_both_languages(answer: Any, status: int) -> dict[str, Any]:
    """The answer is ``status`` with an English and a Thai message."""
    assert answer.status_code == status, (answer.status_code, answer.get_data(as_text=True))
    body = answer.json
    assert body["message"] and not has_thai(body["message"]), body
    assert has_thai(body["message_th"]), body
    return dict(body)


@pytest.fixture(scope="module")
def town(platform: Any) -> Town:
    return make_town(platform, roles=["admin", "clerk", "privacy_officer"], prefix="SQ")


@pytest.fixture(scope="module")
def other(platform: Any) -> Town:
    return make_town(platform, roles=["admin"], prefix="SR")


# --- signing keys -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signing(request: pytest.FixtureRequest) -> Place:
    """The signing-key tests' municipality (their ``place``), the development PKI, a certificate to upload."""
    found: Place = request.getfixturevalue("place")
    return found


def upload(client: Any, signing: Place, token: str, content: bytes, password: str, role: str = ROLE) -> Any:
    return client.post(
        f"/api/v1/tenants/{signing.town.slug}/signing/p12",
        data={"role": role, "password": password, "p12": (io.BytesIO(content), "officer.p12")},
        content_type="multipart/form-data",
        headers=bearer(token),
    )


def test_signing_keys_answer_as_the_page_and_an_upload_shows_there(
    app: Any, platform: Any, client: Any, signing: Place
) -> None:
    slug = signing.town.slug
    token = token_of(client, slug, signing.town.users["admin"])
    url = f"/api/v1/tenants/{slug}/signing"
    page = officer_client(app, signing.town, "admin")

    before = client.get(url, headers=bearer(token))
    assert before.status_code == 200, before.json
    assert before.headers["Cache-Control"] == "private, no-store"
    roles = {row["role"]: row for row in before.json["roles"]}
    assert ROLE in roles and roles[ROLE]["key"] is None and roles[ROLE]["signs"] is True
    # The platform's development PKI has a key for the role: the page says so, and so does the API.
    assert roles[ROLE]["signed_with"] == "platform" and "กุญแจของระบบ" in text_of(page.get(signing.page))
    shown = text_of(page.get(signing.page))
    assert all(f'data-role="{role}"' in shown for role in roles)  # the same roles, no more, no fewer
    assert shown.count("data-role=") == len(roles)
    assert before.json["max_p12_bytes"] == 64 * 1024

    saved = upload(client, signing, token, signing.own_p12, signing.password.decode())
    assert saved.status_code == 200, saved.json
    key = saved.json["key"]
    assert saved.json["signed_with"] == "own" and key["kind"] == "pkcs12" and key["token_label"] is None
    answer_text = saved.get_data(as_text=True) + client.get(url, headers=bearer(token)).get_data(as_text=True)
    assert signing.password.decode() not in answer_text and "sealed" not in answer_text
    (stored,) = signing.stored(platform)
    assert stored.serial == key["serial"] and stored.set_by_name == signing.town.users["admin"]
    assert stored.sealed_p12 not in answer_text
    shown = text_of(page.get(signing.page))
    assert key["subject_cn"] in shown and key["serial"] in shown

    # Removed over the API: the page shows the platform's key again.
    removed = client.delete(f"{url}?role={ROLE}", headers=bearer(token))
    assert removed.status_code == 204
    assert signing.stored(platform) == []
    assert key["serial"] not in text_of(page.get(signing.page))
    again = client.delete(f"{url}?role={ROLE}", headers=bearer(token))
    assert refused_in_both_languages(again, 404)["code"] == "signing_key_not_found"
    assert refused_in_both_languages(client.delete(url, headers=bearer(token)), 400)["field"] == "role"


def test_a_key_refused_over_the_api_says_why_and_stores_nothing(
    platform: Any, client: Any, signing: Place
) -> None:
    slug = signing.town.slug
    token = token_of(client, slug, signing.town.users["admin"])
    url = f"/api/v1/tenants/{slug}/signing"

    wrong = upload(client, signing, token, signing.own_p12, "not the password")
    body = refused_in_both_languages(wrong, 422)
    assert body["code"] == "p12_unreadable" and body["field"] == "password"
    assert "not the password" not in wrong.get_data(as_text=True)

    not_p12 = refused_in_both_languages(upload(client, signing, token, b"%PDF-1.7 not a key", "x"), 422)
    assert not_p12["code"] == "p12_unreadable"
    empty = refused_in_both_languages(upload(client, signing, token, b"", "x"), 422)
    assert empty["code"] == "p12_size"
    over = refused_in_both_languages(upload(client, signing, token, b"0" * (64 * 1024 + 1), "x"), 422)
    assert over["code"] == "p12_size"
    huge = upload(client, signing, token, b"0" * (200 * 1024), "x")
    assert refused_in_both_languages(huge, 413)["code"] == "request_entity_too_large"
    role = refused_in_both_languages(upload(client, signing, token, signing.own_p12, "x", role="mayor"), 422)
    assert role["code"] == "role_not_signing" and role["field"] == "role"
    long_role = upload(client, signing, token, signing.own_p12, "x", role="r" * 5000)
    assert refused_in_both_languages(long_role, 422)["code"] == "role_not_signing"
    as_json = client.post(f"{url}/p12", json={"role": ROLE}, headers=bearer(token))
    assert refused_in_both_languages(as_json, 415)["code"] == "unsupported_media_type"

    # No hardware token on this platform: a key label is refused, as on the page.
    label = client.post(f"{url}/pkcs11", json={"role": ROLE, "label": "officer-key"}, headers=bearer(token))
    assert refused_in_both_languages(label, 422)["code"] == "token_not_configured"
    assert client.get(url, headers=bearer(token)).json["token_available"] is False
    for bad in (
        {"role": ROLE, "label": 7},
        {"role": ROLE, "label": "x" * 201},
        {"role": ["x"], "label": "k"},
    ):
        answer = client.post(f"{url}/pkcs11", json=bad, headers=bearer(token))
        refused_in_both_languages(answer, 422)
    assert (
        client.post(
            f"{url}/pkcs11", data="[1", headers=bearer(token), content_type="application/json"
        ).status_code
        == 400
    )
    assert signing.stored(platform) == []


def test_only_this_municipalitys_administrator_manages_its_signing_keys(
    platform: Any, client: Any, signing: Place, other: Town
) -> None:
    slug = signing.town.slug
    url = f"/api/v1/tenants/{slug}/signing"
    officer = token_of(client, slug, signing.town.users[ROLE])
    for answer in (
        client.get(url, headers=bearer(officer)),
        upload(client, signing, officer, signing.own_p12, signing.password.decode()),
        client.delete(f"{url}?role={ROLE}", headers=bearer(officer)),
    ):
        assert refused_in_both_languages(answer, 403)["code"] == "forbidden"
    stranger = token_of(client, other.slug, other.users["admin"])
    assert client.get(url, headers=bearer(stranger)).json["code"] == "wrong_tenant"
    assert upload(client, signing, stranger, signing.own_p12, signing.password.decode()).status_code == 403
    assert client.get(url).status_code == 401
    assert platform.db(TenantSigningKey.filter(tenant_id=signing.town.tenant.id).count()) == 0


# --- LINE ---------------------------------------------------------------------------------------


def test_the_line_account_over_the_api_is_the_pages_and_its_secrets_never_come_back(
    app: Any, platform: Any, client: Any, town: Town
) -> None:
    token = token_of(client, town.slug, town.users["admin"])
    url = f"/api/v1/tenants/{town.slug}/line"
    page_url = f"/{town.slug}/admin/console/line"
    page = officer_client(app, town, "admin")

    first = client.get(url, headers=bearer(token)).json
    assert first["connected"] is False and first["basic_id"] is None
    assert first["webhook_url"] in text_of(page.get(page_url))

    wrong = client.put(
        url, json={"secret": "", "token": 5, "basic_id": "maehia", "phone": "abc"}, headers=bearer(token)
    )
    body = refused_in_both_languages(wrong, 422)
    assert body["code"] == "invalid_line_settings"
    assert {e["field"] for e in body["errors"]} == {"secret", "token", "basic_id", "phone"}
    # The same words as the page's for the same mistakes.
    shown = text_of(
        post_form(page, page_url, {"secret": "", "token": "", "basic_id": "maehia", "phone": "abc"})
    )
    assert all(e["message_th"] in shown for e in body["errors"])
    assert client.get(url, headers=bearer(token)).json["connected"] is False

    secrets = {"secret": "s3cret-of-the-channel", "token": "acc3ss-token-value"}
    saved = client.put(
        url, json={**secrets, "basic_id": "@testtown", "phone": "053-123-456"}, headers=bearer(token)
    )
    assert saved.status_code == 200, saved.json
    assert saved.json["connected"] is True and saved.json["basic_id"] == "@testtown"
    assert saved.json["add_friend_url"] == "https://line.me/R/ti/p/@testtown"
    read = client.get(url, headers=bearer(token))
    for answer in (saved, read):
        assert not any(value in answer.get_data(as_text=True) for value in secrets.values())
    shown = text_of(page.get(page_url))
    assert "เชื่อมต่อกับบัญชี @testtown แล้ว" in shown and 'value="053-123-456"' in shown
    account = line.account_of(platform.db(Tenant.get(id=town.tenant.id)), platform.settings.secret_key)
    assert account is not None and account.channel_secret == secrets["secret"]

    # Connected on the page: the API sees it.
    post_form(page, page_url, {"secret": "other", "token": "other", "basic_id": "@pagetown", "phone": ""})
    assert client.get(url, headers=bearer(token)).json["basic_id"] == "@pagetown"

    assert client.delete(url, headers=bearer(token)).status_code == 204
    assert "data-line-connected" not in text_of(page.get(page_url))
    assert client.get(url, headers=bearer(token)).json["connected"] is False
    assert (
        client.put(url, data=b"\xff\xfe", headers=bearer(token), content_type="application/json").status_code
        == 400
    )


def test_only_this_municipalitys_administrator_manages_its_line_account(
    platform: Any, client: Any, town: Town, other: Town
) -> None:
    url = f"/api/v1/tenants/{town.slug}/line"
    clerk = token_of(client, town.slug, town.users["clerk"])
    assert refused_in_both_languages(client.get(url, headers=bearer(clerk)), 403)["code"] == "forbidden"
    stranger = token_of(client, other.slug, other.users["admin"])
    answer = client.put(url, json={"secret": "s", "token": "t", "basic_id": "@x"}, headers=bearer(stranger))
    assert answer.status_code == 403 and answer.json["code"] == "wrong_tenant"
    assert client.delete(url, headers=bearer(stranger)).status_code == 403
    assert client.get(url).status_code == 401
    # An API key acts for programs, never as the administrator.
    _key, secret = platform.db(api_keys.create(town.tenant, "reporting", ["submissions:read"]))
    keyed = client.get(url, headers=bearer(secret))
    assert keyed.status_code == 403 and keyed.json["code"] == "insufficient_scope"


# --- personal data requests ---------------------------------------------------------------------


def test_who_looked_answers_as_the_page_and_the_apis_export_is_logged_as_api(
    app: Any, platform: Any, client: Any, town: Town
) -> None:
    reference, files = submit_food(platform, town)
    clerk = token_of(client, town.slug, town.users["clerk"])
    download = client.get(
        f"/api/v1/tenants/{town.slug}/submissions/{reference}/attachments/{files[0]}", headers=bearer(clerk)
    )
    assert download.status_code == 200
    officer = token_of(client, town.slug, town.users["privacy_officer"])
    url = f"/api/v1/tenants/{town.slug}/privacy"

    found = client.post(
        f"{url}/access-log", json={"national_id": "3-1006-01234-56-5"}, headers=bearer(officer)
    )
    assert found.status_code == 200, found.json
    assert found.headers["Cache-Control"] == "private, no-store"
    assert reference in found.json["references"]
    mine = [look for look in found.json["looks"] if look["reference"] == reference]
    assert [(look["action"], look["channel"]) for look in mine] == [("attachment", "api")]
    page = officer_client(app, town, "privacy_officer")
    shown = text_of(post_form(page, f"/{town.slug}/admin/console/privacy", {"national_id": NATIONAL_ID}))
    assert all(r in shown for r in found.json["references"])
    assert shown.count("<tr>") - 1 == len(found.json["looks"])  # one row per look, under the header row
    assert all(look["who"] in shown for look in found.json["looks"])

    exported = client.post(f"{url}/export", json={"national_id": NATIONAL_ID}, headers=bearer(officer))
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    assert "no-store" in exported.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(exported.data))
    held = json.loads(archive.read("applications.json"))
    assert reference in [a["reference"] for a in held["applications"]]
    entries = platform.db(
        AccessLogEntry.filter(tenant_id=town.tenant.id, reference=reference).order_by("seq")
    )
    assert (entries[-1].action, entries[-1].channel) == ("export", "api")
    assert entries[-1].actor_label.endswith(f"({town.users['privacy_officer']})")
    # The page shows the API's export as a look.
    shown = text_of(post_form(page, f"/{town.slug}/admin/console/privacy", {"national_id": NATIONAL_ID}))
    assert "ส่งออกข้อมูล" in shown and shown.count("<tr>") - 1 == len(found.json["looks"]) + 1

    # Erasure keeps what is still being processed, and says so as the page does.
    preview = client.post(
        f"{url}/erase", json={"national_id": NATIONAL_ID, "preview": True}, headers=bearer(officer)
    )
    assert preview.status_code == 200 and preview.json["done"] is False
    assert reference in preview.json["kept_open"]
    wrong = client.post(
        f"{url}/erase", json={"national_id": NATIONAL_ID, "preview": "yes"}, headers=bearer(officer)
    )
    assert wrong.status_code == 422 and wrong.json["field"] == "preview"
    erased = client.post(f"{url}/erase", json={"national_id": NATIONAL_ID}, headers=bearer(officer))
    assert erased.status_code == 200, erased.json
    assert erased.json["done"] is True
    assert erased.json["erased"] == [] and reference in erased.json["kept_open"]
    assert {k: v for k, v in preview.json.items() if k != "done"} == {
        k: v for k, v in erased.json.items() if k != "done"
    }, "the preview says what the erasure then does"
    shown = text_of(
        post_form(
            page,
            f"/{town.slug}/admin/console/privacy/erase",
            {"national_id": NATIONAL_ID},
            page=f"/{town.slug}/admin/console/privacy",
        )
    )
    assert f"คำขอเลขที่ {reference} ยังอยู่ระหว่างดำเนินการ" in shown


def test_personal_data_requests_refuse_bad_ids_other_roles_and_other_municipalities(
    platform: Any, client: Any, town: Town, other: Town
) -> None:
    submit_food(platform, town)
    url = f"/api/v1/tenants/{town.slug}/privacy"
    admin = token_of(client, town.slug, town.users["admin"])
    assert (
        client.post(f"{url}/access-log", json={"national_id": NATIONAL_ID}, headers=bearer(admin)).status_code
        == 200
    )
    for bad in (
        {"national_id": "3100601234566"},
        {"national_id": 3100601234565},
        {},
        {"national_id": "1" * 5000},
    ):
        for action in ("access-log", "export", "erase"):
            answer = client.post(f"{url}/{action}", json=bad, headers=bearer(admin))
            body = refused_in_both_languages(answer, 422)
            assert body["field"] == "national_id"
            assert "national_id" not in bad or str(bad["national_id"]) not in answer.get_data(as_text=True)
    assert client.post(f"{url}/access-log", json=[NATIONAL_ID], headers=bearer(admin)).status_code == 400
    assert (
        client.post(
            f"{url}/access-log",
            data="national_id=x",
            headers=bearer(admin),
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 415
    )

    clerk = token_of(client, town.slug, town.users["clerk"])
    for action in ("access-log", "export", "erase"):
        answer = client.post(f"{url}/{action}", json={"national_id": NATIONAL_ID}, headers=bearer(clerk))
        assert refused_in_both_languages(answer, 403)["code"] == "forbidden"
    stranger = token_of(client, other.slug, other.users["admin"])
    refused = client.post(f"{url}/access-log", json={"national_id": NATIONAL_ID}, headers=bearer(stranger))
    assert refused.status_code == 403 and refused.json["code"] == "wrong_tenant"
    # In its own municipality the other administrator finds none of this one's applications.
    own = client.post(
        f"/api/v1/tenants/{other.slug}/privacy/access-log",
        json={"national_id": NATIONAL_ID},
        headers=bearer(stranger),
    )
    assert own.status_code == 200 and own.json == {"references": [], "looks": []}
    assert client.post(f"{url}/export", json={"national_id": NATIONAL_ID}).status_code == 401


# --- correspondence units -----------------------------------------------------------------------


def test_units_made_over_the_api_are_on_the_units_page(
    app: Any, platform: Any, client: Any, town: Town
) -> None:
    token = token_of(client, town.slug, town.users["admin"])
    url = f"/api/v1/tenants/{town.slug}/saraban/units"
    unit = {
        "code": "treasury",
        "name_th": "กองคลัง",
        "name_en": "Treasury",
        "letter_suffix": "03",
        "phone": "053-111-222",
    }

    created = client.post(url, json=unit, headers=bearer(token))
    assert created.status_code == 201, created.json
    listed = {u["code"]: u for u in client.get(url, headers=bearer(token)).json["units"]}
    assert listed["treasury"] == created.json
    child = client.post(
        url, json={"code": "revenue", "name_th": "ฝ่ายพัฒนารายได้", "parent": "treasury"}, headers=bearer(token)
    )
    assert child.status_code == 201 and child.json["parent"] == "treasury"
    changed = client.post(url, json={**unit, "name_th": "กองคลังเทศบาล"}, headers=bearer(token))
    assert changed.status_code == 200 and changed.json["name_th"] == "กองคลังเทศบาล"

    members = f"{url}/treasury/members"
    clerk_id = town.ids[town.users["clerk"]]
    added = client.post(members, json={"user": clerk_id, "head": True}, headers=bearer(token))
    assert added.status_code == 200, added.json
    assert added.json["user"]["username"] == town.users["clerk"] and added.json["head"] is True
    by_name = client.post(members, json={"user": town.users["privacy_officer"]}, headers=bearer(token))
    assert by_name.status_code == 200 and by_name.json["head"] is False

    page = text_of(officer_client(app, town, "admin").get(f"/{town.slug}/admin/saraban/units"))
    assert "กองคลังเทศบาล" in page and "ฝ่ายพัฒนารายได้" in page
    assert added.json["user"]["display_name"] in page and by_name.json["user"]["display_name"] in page


def test_units_refuse_bad_input_other_roles_and_other_municipalities(
    platform: Any, client: Any, town: Town, other: Town
) -> None:
    token = token_of(client, town.slug, town.users["admin"])
    url = f"/api/v1/tenants/{town.slug}/saraban/units"
    for bad, field in (
        ({"code": "ไทย", "name_th": "กอง"}, "code"),
        ({"code": "x" * 41, "name_th": "กอง"}, "code"),
        ({"code": "ok", "name_th": ""}, "name_th"),
        ({"code": "ok", "name_th": 5}, "name_th"),
        ({"code": "ok", "name_th": "กอง", "phone": "1" * 301}, "phone"),
        ({"code": "ok", "name_th": "กอง", "parent": "nowhere"}, "parent"),
    ):
        body = refused_in_both_languages(client.post(url, json=bad, headers=bearer(token)), 422)
        assert body["field"] == field, (bad, body)
    assert (
        client.post(url, data="{", headers=bearer(token), content_type="application/json").status_code == 400
    )

    client.post(url, json={"code": "works", "name_th": "กองช่าง"}, headers=bearer(token))
    members = f"{url}/works/members"
    unnamed = client.post(members, json={"head": True}, headers=bearer(token))
    assert refused_in_both_languages(unnamed, 422)["field"] == "user"
    nobody = client.post(members, json={"user": 999_999_999}, headers=bearer(token))
    assert refused_in_both_languages(nobody, 422)["field"] == "user"
    stranger_id = other.ids[other.users["admin"]]
    outsider = client.post(members, json={"user": stranger_id}, headers=bearer(token))
    assert refused_in_both_languages(outsider, 422)["field"] == "user"  # another municipality's officer
    head = client.post(
        members, json={"user": town.ids[town.users["clerk"]], "head": "yes"}, headers=bearer(token)
    )
    assert refused_in_both_languages(head, 422)["field"] == "head"
    missing = client.post(f"{url}/nowhere/members", json={"user": 1}, headers=bearer(token))
    assert refused_in_both_languages(missing, 404)["code"] == "unit_not_found"
    assert (
        client.post(f"{url}/{'u' * 300}/members", json={"user": 1}, headers=bearer(token)).status_code == 404
    )

    clerk = token_of(client, town.slug, town.users["clerk"])
    for answer in (
        client.post(url, json={"code": "mine", "name_th": "กองของฉัน"}, headers=bearer(clerk)),
        client.post(members, json={"user": town.ids[town.users["clerk"]]}, headers=bearer(clerk)),
    ):
        assert refused_in_both_languages(answer, 403)["code"] == "forbidden"
    stranger = token_of(client, other.slug, other.users["admin"])
    assert (
        client.post(url, json={"code": "theirs", "name_th": "กอง"}, headers=bearer(stranger)).json["code"]
        == "wrong_tenant"
    )
    codes = [u["code"] for u in client.get(url, headers=bearer(token)).json["units"]]
    assert "mine" not in codes and "theirs" not in codes
