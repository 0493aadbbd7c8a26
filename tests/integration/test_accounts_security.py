"""Officers' sessions and accounts: the server ends a session, the cookie holds nothing, the
administrator manages accounts (all recorded), passwords are not guessable, tokens revocable."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.services import accounts, sessions
from engine.services.errors import AuthenticationFailed
from engine.store.models import AccountEvent, User, WebSession
from tests.integration.test_admin import (
    Town,
    csrf_on,  # noqa: F401 (the real CSRF checks, as in the console's own tests)
    csrf_token,
    login,
    make_town,
    officer_client,
    post_form,
    text_of,
)
from thongthin.demo import DEMO_PASSWORD


@pytest.fixture
def town(platform: Any) -> Town:
    return make_town(platform, roles=["admin", "clerk"])


def session_cookie(client: Any) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_saved_cookie_opens_nothing_after_logout(app: Any, town: Town):
    client = officer_client(app, town, "clerk")
    inbox = f"/{town.slug}/admin/"
    assert client.get(inbox).status_code == 200
    saved = session_cookie(client)
    post_form(client, f"/{town.slug}/admin/logout", {}, page=inbox)
    thief = app.test_client()
    thief.set_cookie("session", saved)
    response = thief.get(inbox)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_the_cookie_holds_a_token_only(app: Any, platform: Any, town: Town):
    client = officer_client(app, town, "clerk")
    client.get(f"/{town.slug}/admin/account/two-factor")  # a pending two-factor secret is in the session now
    value = session_cookie(client)
    for piece in value.split("."):
        try:
            decoded = base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4))
        except (binascii.Error, ValueError):
            continue
        with pytest.raises((ValueError, UnicodeDecodeError)):
            json.loads(decoded)
    assert "officer" not in value and "totp" not in value
    assert len(value) < 64
    # The row keeps the data, under the token's digest only.
    rows = platform.db(WebSession.filter(user_id=town.ids[town.users["clerk"]]))
    assert rows and all(row.id != value for row in rows)


def test_login_starts_a_new_session(app: Any, town: Town):
    client = app.test_client()
    csrf_token(client, f"/{town.slug}/admin/login")
    before = session_cookie(client)
    assert login(client, town, town.users["clerk"]).status_code == 302
    assert session_cookie(client) != before


def test_deactivating_an_officer_ends_their_sessions_and_tokens(app: Any, platform: Any, town: Town):
    clerk = officer_client(app, town, "clerk")
    token = (
        app.test_client()
        .post(
            "/api/v1/auth/token",
            json={"tenant": town.slug, "username": town.users["clerk"], "password": DEMO_PASSWORD},
        )
        .json["token"]
    )
    admin = officer_client(app, town, "admin")
    clerk_id = town.ids[town.users["clerk"]]
    page = f"/{town.slug}/admin/console/officers/{clerk_id}"
    done = post_form(admin, f"{page}/account", {"action": "deactivate"}, page=page)
    assert done.status_code == 302
    assert clerk.get(f"/{town.slug}/admin/").status_code == 302
    me = app.test_client().get(
        f"/api/v1/tenants/{town.slug}/submissions/XX-2569-000001",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert me.status_code == 401
    history = text_of(admin.get(page))
    assert "ระงับการใช้งานบัญชี" in history and "บัญชีนี้ถูกระงับการใช้งาน" in history
    assert login(app.test_client(), town, town.users["clerk"]).status_code == 401
    post_form(admin, f"{page}/account", {"action": "reactivate"}, page=page)
    assert login(app.test_client(), town, town.users["clerk"]).status_code == 302
    kinds = platform.db(AccountEvent.filter(user_id=clerk_id).order_by("id").values_list("kind", flat=True))
    assert kinds == [accounts.DEACTIVATED, accounts.REACTIVATED]


def test_an_officer_changes_their_password_and_every_other_session_ends(app: Any, platform: Any, town: Town):
    elsewhere = officer_client(app, town, "clerk")
    client = officer_client(app, town, "clerk")
    url = f"/{town.slug}/admin/account/password"
    weak = post_form(client, url, {"current": DEMO_PASSWORD, "new": "aaaaaaaaaa", "again": "aaaaaaaaaa"})
    assert weak.status_code == 422 and "คาดเดาได้ง่ายเกินไป" in text_of(weak)
    wrong = post_form(
        client, url, {"current": "not-it", "new": "ช้างเผือก-ภูเขา-เมฆฝน", "again": "ช้างเผือก-ภูเขา-เมฆฝน"}
    )
    assert wrong.status_code == 422 and "รหัสผ่านปัจจุบันไม่ถูกต้อง" in text_of(wrong)
    new = "lantern-rice-field-monsoon"
    done = post_form(client, url, {"current": DEMO_PASSWORD, "new": new, "again": new})
    assert done.status_code == 302
    assert elsewhere.get(f"/{town.slug}/admin/").status_code == 302
    assert login(app.test_client(), town, town.users["clerk"]).status_code == 401
    assert login(app.test_client(), town, town.users["clerk"], new).status_code == 302
    user = platform.db(User.get(id=town.ids[town.users["clerk"]]))
    assert user.password_changed_at is not None


def test_the_administrator_resets_a_password_and_turns_two_factor_off(app: Any, platform: Any, town: Town):
    clerk_id = town.ids[town.users["clerk"]]
    user = platform.db(User.get(id=clerk_id))
    platform.db(accounts.enable_totp(user))
    admin = officer_client(app, town, "admin")
    page = f"/{town.slug}/admin/console/officers/{clerk_id}"
    weak = post_form(
        admin, f"{page}/account", {"action": "reset_password", "password": "password123"}, page=page
    )
    assert "คาดเดาได้ง่ายเกินไป" in text_of(admin.get(weak.headers["Location"]))
    post_form(
        admin, f"{page}/account", {"action": "reset_password", "password": "mango-river-kite-2569"}, page=page
    )
    post_form(admin, f"{page}/account", {"action": "disable_totp"}, page=page)
    assert login(app.test_client(), town, town.users["clerk"], "mango-river-kite-2569").status_code == 302
    history = text_of(admin.get(page))
    assert "ผู้ดูแลระบบตั้งรหัสผ่านใหม่" in history and "ปิดการยืนยันตัวตนสองขั้นตอน" in history
    events = platform.db(AccountEvent.filter(user_id=clerk_id).prefetch_related("actor"))
    assert {e.kind for e in events} == {accounts.PASSWORD_RESET, accounts.TOTP_DISABLED}
    assert all(e.actor.id == town.ids[town.users["admin"]] for e in events)


def test_usernames_are_per_municipality(app: Any, platform: Any, town: Town):
    other = make_town(platform, roles=["admin"])
    admin = officer_client(app, other, "admin")
    url = f"/{other.slug}/admin/console/officers"
    taken_elsewhere = town.users["clerk"]  # an officer of the first town
    officer = {
        "username": taken_elsewhere,
        "display_name": "นางสาวสมใจ ทดสอบ",
        "password": "orchid-bamboo-tide-77",
        "roles": "clerk",
    }
    created = post_form(admin, url, officer)
    assert created.status_code == 302, "another municipality's usernames are not in the way, nor revealed"
    again = post_form(admin, url, officer)
    assert again.status_code == 422 and "มีผู้ใช้แล้ว" in text_of(again)
    # Each logs in to their own municipality with their own password.
    assert login(app.test_client(), other, taken_elsewhere, "orchid-bamboo-tide-77").status_code == 302
    assert login(app.test_client(), town, taken_elsewhere).status_code == 302


def test_an_api_token_can_be_revoked(app: Any, town: Town):
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/token",
        json={"tenant": town.slug, "username": town.users["clerk"], "password": DEMO_PASSWORD},
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 401
    url = f"/api/v1/tenants/{town.slug}/submissions/XX-2569-000001"
    assert client.get(url, headers=headers).status_code == 401


def test_sessions_end_when_idle_and_at_their_absolute_end(platform: Any):
    start = datetime.now(UTC)
    token = platform.db(sessions.save(None, {"v": "{}"}, now=start))
    assert platform.db(sessions.load(token, now=start + sessions.IDLE - timedelta(seconds=1))) is not None
    assert platform.db(sessions.load(token, now=start + sessions.IDLE + timedelta(seconds=1))) is None
    busy = platform.db(sessions.save(None, {"v": "{}"}, now=start))
    moment = start
    while moment < start + sessions.ABSOLUTE - sessions.IDLE:
        moment += sessions.IDLE / 2
        platform.db(sessions.touch(busy, now=moment))
    assert platform.db(sessions.load(busy, now=start + sessions.ABSOLUTE + timedelta(seconds=1))) is None
    assert platform.db(sessions.load("x" * 500)) is None
    assert platform.db(sessions.load(uuid.uuid4().hex)) is None


def test_a_lockout_is_shown_to_the_officer_at_their_next_login(app: Any, platform: Any, town: Town):
    from engine.services import throttle

    username = town.users["clerk"]
    for attempt in range(throttle.LOGIN_ACCOUNT.tries + 1):
        with pytest.raises((AuthenticationFailed, throttle.TooManyAttempts)):
            platform.db(accounts.authenticate(town.slug, username, "wrong", address=f"198.51.100.{attempt}"))
    platform.db(throttle.forget(throttle.LOGIN_ACCOUNT, f"{town.slug}/{username}"))
    client = app.test_client()
    assert login(client, town, username).status_code == 302
    inbox = text_of(client.get(f"/{town.slug}/admin/"))
    assert "ถูกระงับชั่วคราว" in inbox
    assert "ถูกระงับชั่วคราว" not in text_of(client.get(f"/{town.slug}/admin/")), "told once"
