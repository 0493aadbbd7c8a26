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


def login(platform: Any, tenant: Any, username: str, password: str, address: str = "192.0.2.1") -> Any:
    return platform.db(accounts.authenticate(tenant.slug, username, password, address=address))


def test_ten_wrong_passwords_lock_the_username_at_that_address_even_against_the_right_one(
    platform: Any, officer: Any, client: Any
):
    tenant, username = officer
    for _ in range(throttle.LOGIN.tries):
        with pytest.raises(AuthenticationFailed):
            login(platform, tenant, username, "wrong-password", "127.0.0.1")
    with pytest.raises(throttle.TooManyAttempts) as caught:
        login(platform, tenant, username, "right-password-1", "127.0.0.1")
    assert 1 <= caught.value.minutes <= 15
    # The login page and the API say so, with the real wait, without telling whether the password was right.
    page_url = f"/{tenant.slug}/admin/login"
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get(page_url).get_data(as_text=True)
    ).group(1)
    page = client.post(
        page_url, data={"username": username, "password": "right-password-1", "csrf_token": token}
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 401 and "เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป" in text
    assert re.search(r"กรุณารอประมาณ \d+ นาที", text)
    api = client.post(
        "/api/v1/auth/token",
        json={"tenant": tenant.slug, "username": username, "password": "right-password-1"},
    )
    assert api.status_code == 429 and api.get_json()["code"] == "too_many_attempts"
    assert 0 < int(api.headers["Retry-After"]) <= throttle.LOGIN.window.total_seconds() + 1
    # The officer, from the town hall's own network, still gets in.
    assert login(platform, tenant, username, "right-password-1", "203.0.113.10").username == username


def test_a_right_password_clears_the_count(platform: Any, officer: Any):
    tenant, username = officer
    for _ in range(throttle.LOGIN.tries - 1):
        with pytest.raises(AuthenticationFailed):
            login(platform, tenant, username, "wrong-password")
    login(platform, tenant, username, "right-password-1")
    for _ in range(throttle.LOGIN.tries - 1):
        with pytest.raises(AuthenticationFailed):
            login(platform, tenant, username, "wrong-password")
    assert login(platform, tenant, username, "right-password-1").username == username


def test_an_attack_from_many_addresses_locks_the_account_briefly_and_tells_the_officer(
    platform: Any, officer: Any
):
    from engine.store.models import AccountEvent

    tenant, username = officer
    start = datetime.now(UTC)
    for attempt in range(throttle.LOGIN_ACCOUNT.tries):
        with pytest.raises(AuthenticationFailed):
            platform.db(
                accounts.authenticate(
                    tenant.slug, username, "wrong", address=f"198.51.100.{attempt}", now=start
                )
            )
    with pytest.raises(throttle.TooManyAttempts) as refused:
        platform.db(
            accounts.authenticate(
                tenant.slug, username, "right-password-1", address="203.0.113.10", now=start
            )
        )
    assert refused.value.limit is throttle.LOGIN_ACCOUNT
    assert refused.value.retry_after <= throttle.LOGIN_ACCOUNT.window < throttle.LOGIN.window
    with pytest.raises(throttle.TooManyAttempts):
        platform.db(accounts.authenticate(tenant.slug, username, "wrong", address="198.51.100.77", now=start))
    events = platform.db(
        AccountEvent.filter(tenant_id=tenant.id, kind=accounts.LOCKED).values_list(
            "user__username", flat=True
        )
    )
    assert events == [username]  # recorded once, at the first refusal
    # After the short cool-down the officer is back in.
    later = start + throttle.LOGIN_ACCOUNT.window + timedelta(seconds=1)
    user = platform.db(
        accounts.authenticate(tenant.slug, username, "right-password-1", address="203.0.113.10", now=later)
    )
    assert user.username == username


@pytest.mark.parametrize("concurrency", [100])
def test_of_a_hundred_simultaneous_wrong_passwords_at_most_ten_are_checked(
    app: Any, platform: Any, officer: Any, concurrency: int
):
    import threading

    tenant, username = officer
    barrier = threading.Barrier(concurrency)
    codes: list[int] = []

    def attacker() -> None:
        client = app.test_client()
        barrier.wait()
        answer = client.post(
            "/api/v1/auth/token",
            json={"tenant": tenant.slug, "username": username, "password": "wrong-password"},
        )
        codes.append(answer.status_code)

    threads = [threading.Thread(target=attacker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(codes) == concurrency
    # At most the limit is ever checked (fewer when the per-address count refuses some first).
    assert 1 <= codes.count(401) <= throttle.LOGIN.tries
    assert codes.count(401) + codes.count(429) == concurrency


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
