"""Guessing is limited: logins, tracking lookups and account phone numbers fail a few times, then wait.

The count is kept in the database (every worker and every browser session shares it), per
username, reference or account. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.services import accounts, tenants, throttle
from engine.services.errors import AuthenticationFailed

pytestmark = pytest.mark.db


@pytest.fixture
def officer(platform: Any) -> tuple[Any, str]:
    slug = f"t{uuid.uuid4().hex[:8]}"

    async def setup() -> tuple[Any, str]:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th="ทดสอบ",
            name_en="Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="TT",
        )
        await accounts.create_user(tenant, f"{slug}.clerk", "right-password-1", "สมศรี ทดสอบ", ["clerk"])
        return tenant, f"{slug}.clerk"

    return platform.db(setup())


def test_ten_wrong_passwords_lock_the_username_even_against_the_right_one(
    platform: Any, officer: Any, client: Any
):
    tenant, username = officer
    for _ in range(throttle.LOGIN.tries):
        with pytest.raises(AuthenticationFailed):
            platform.db(accounts.authenticate(username, "wrong-password"))
    with pytest.raises(throttle.TooManyAttempts) as caught:
        platform.db(accounts.authenticate(username, "right-password-1"))
    assert 1 <= caught.value.minutes <= 15
    # The login page and the API say so, without telling whether the password was right.
    login = f"/{tenant.slug}/admin/login"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(login).get_data(as_text=True)).group(1)
    page = client.post(
        login, data={"username": username, "password": "right-password-1", "csrf_token": token}
    )
    assert page.status_code == 401 and "เข้าสู่ระบบผิดหลายครั้งเกินไป" in page.get_data(as_text=True)
    api = client.post("/api/v1/auth/token", json={"username": username, "password": "right-password-1"})
    assert api.status_code == 429 and api.get_json()["code"] == "too_many_attempts"


def test_a_right_password_clears_the_count(platform: Any, officer: Any):
    _tenant, username = officer
    for _ in range(throttle.LOGIN.tries - 1):
        with pytest.raises(AuthenticationFailed):
            platform.db(accounts.authenticate(username, "wrong-password"))
    platform.db(accounts.authenticate(username, "right-password-1"))
    for _ in range(throttle.LOGIN.tries - 1):
        with pytest.raises(AuthenticationFailed):
            platform.db(accounts.authenticate(username, "wrong-password"))
    assert platform.db(accounts.authenticate(username, "right-password-1")).username == username


def test_the_wait_ends_with_the_window(platform: Any):
    key = f"k{uuid.uuid4().hex}"
    start = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    for minute in range(throttle.TRACKING.tries):
        platform.db(throttle.take(throttle.TRACKING, key, now=start + timedelta(minutes=minute)))
    with pytest.raises(throttle.TooManyAttempts) as refused:
        platform.db(throttle.take(throttle.TRACKING, key, now=start + timedelta(minutes=14)))
    assert refused.value.seconds == 60 and refused.value.first_refusal
    with pytest.raises(throttle.TooManyAttempts) as again:
        platform.db(throttle.take(throttle.TRACKING, key, now=start + timedelta(minutes=14, seconds=30)))
    assert not again.value.first_refusal
    # The window ended: the count starts again from one.
    assert (
        platform.db(throttle.take(throttle.TRACKING, key, now=start + timedelta(minutes=15, seconds=1))) == 1
    )
    assert platform.db(throttle.take(throttle.TRACKING, key, now=start + timedelta(minutes=16))) == 2


def test_at_most_the_limit_gets_through_however_many_arrive_at_once(platform: Any):
    """Each try is counted before it is checked, in one statement: no race lets more through."""
    key = f"k{uuid.uuid4().hex}"

    async def hundred_at_once() -> list[bool]:
        async def one() -> bool:
            try:
                await throttle.take(throttle.LOGIN, key)
            except throttle.TooManyAttempts:
                return False
            return True

        return await asyncio.gather(*(one() for _ in range(100)))

    passed = platform.db(hundred_at_once())
    assert sum(passed) == throttle.LOGIN.tries


def test_units_are_counted_by_amount_and_given_back(platform: Any):
    key = f"k{uuid.uuid4().hex}"
    limit = throttle.Limit("test_bytes", 1000, timedelta(hours=1))
    assert platform.db(throttle.take(limit, key, amount=600)) == 600
    with pytest.raises(throttle.TooManyAttempts):
        platform.db(throttle.take(limit, key, amount=600))
    platform.db(throttle.give_back(limit, key, amount=600))
    assert platform.db(throttle.remaining(limit, key)) == 400


def test_guessing_a_references_secret_stops_after_a_few_tries(platform: Any, officer: Any, client: Any):
    from engine.services import tracking
    from engine.services.errors import SubmissionNotFound

    tenant, _username = officer
    reference = "TT-2570-000001"
    for _ in range(throttle.TRACKING.tries):
        with pytest.raises(SubmissionNotFound):
            platform.db(tracking.find_by_token(tenant, reference, "not-the-token", address="192.0.2.1"))
    # Now from anywhere, nothing is compared for this reference until the window ends.
    with pytest.raises(throttle.TooManyAttempts):
        platform.db(tracking.find_by_token(tenant, reference, "another-guess", address="192.0.2.2"))
    track = f"/{tenant.slug}/track"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(track).get_data(as_text=True)).group(1)
    page = client.post(track, data={"reference": reference, "secret": "0899999999", "csrf_token": token})
    assert page.status_code == 429 and "ท่านลองหลายครั้งเกินไป" in page.get_data(as_text=True)
