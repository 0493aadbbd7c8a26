"""The back office's side of messages: the delivery log on the desk, the console's LINE page, each
officer's e-mail and daily digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.services import line, messages, submissions
from engine.services.effects import run_pending
from engine.store.models import Delivery, Submission, Tenant, User
from tests.integration.test_admin import (
    Town,
    csrf_on,  # noqa: F401 (the real CSRF check, module-wide)
    make_town,
    officer_client,
    post_form,
    submit_food,
    text_of,
)
from thongthin.runners import compose_digest, message_links, runners_for


@pytest.fixture(scope="module")
def town(platform: Any) -> Town:
    return make_town(platform, roles=["admin", "clerk", "sanitarian"], prefix="MD")


def test_the_desk_shows_what_was_sent_where(app: Any, platform: Any, town: Town):
    reference, _ids = submit_food(platform, town)
    platform.db(run_pending(runners_for(platform), limit=10_000))
    clerk = officer_client(app, town, "clerk")
    page = text_of(clerk.get(f"/{town.slug}/admin/submissions/{reference}"))
    assert "ข้อความที่ส่งเกี่ยวกับคำขอนี้" in page
    assert 'data-delivery="page:sent"' in page
    # The demo installation has no SMS gateway: the log says so rather than pretending.
    deliveries = platform.db(Delivery.filter(submission__reference=reference, channel="sms"))
    assert deliveries and "08x-xxx-" in page


def test_the_console_connects_the_line_account_and_never_shows_its_secrets(
    app: Any, platform: Any, town: Town
):
    admin = officer_client(app, town, "admin")
    url = f"/{town.slug}/admin/console/line"
    page = text_of(admin.get(url))
    assert f"/api/v1/tenants/{town.slug}/line/webhook" in page
    refused = post_form(admin, url, {"secret": "", "token": "t", "basic_id": "maehia"})
    assert refused.status_code == 422
    assert "กรุณากรอก Channel secret" in text_of(refused) and "ขึ้นต้นด้วย @" in text_of(refused)
    saved = post_form(
        admin,
        url,
        {"secret": "s3cret-value", "token": "tok3n-value", "basic_id": "@testtown", "phone": "053-123-456"},
    )
    assert saved.status_code == 302
    stored = platform.db(Tenant.get(id=town.tenant.id))
    assert "s3cret-value" not in str(stored.settings) and "tok3n-value" not in str(stored.settings)
    account = line.account_of(stored, platform.settings.secret_key)
    assert (
        account is not None and account.channel_secret == "s3cret-value" and account.basic_id == "@testtown"
    )
    again = text_of(admin.get(url))
    assert "@testtown" in again and "s3cret-value" not in again and "tok3n-value" not in again
    clerk = officer_client(app, town, "clerk")
    assert clerk.get(url).status_code in (403, 404)
    assert post_form(admin, f"/{town.slug}/admin/console/line/disconnect", {}, page=url).status_code == 302
    assert line.account_of(platform.db(Tenant.get(id=town.tenant.id)), platform.settings.secret_key) is None


def test_an_officer_sets_an_email_and_gets_the_morning_digest(app: Any, platform: Any, town: Town):
    sanitarian = officer_client(app, town, "sanitarian")
    url = f"/{town.slug}/admin/account/notifications"
    bad = post_form(sanitarian, url, {"email": "not an address", "digest": "email"})
    assert bad.status_code == 422 and "name@example.go.th" in text_of(bad)
    assert (
        post_form(sanitarian, url, {"email": "sanitarian@example.go.th", "digest": "email"}).status_code
        == 302
    )
    officer = platform.db(User.get(id=town.ids[town.users["sanitarian"]]))
    assert officer.email == "sanitarian@example.go.th" and officer.digest == "email"

    reference, _ids = submit_food(platform, town)
    definition = platform.catalog.get("food-premises-notification")
    platform.db(submissions.transition(town.tenant, definition, reference, "accept_documents", {"clerk"}))
    morning = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)  # 08:30 in Bangkok
    overdue = morning - timedelta(days=1)  # overdue that morning, whatever day the test runs
    platform.db(Submission.filter(tenant=town.tenant, reference=reference).update(due_at=overdue))
    links = message_links(platform)
    early = morning - timedelta(hours=2)  # 06:30 in Bangkok: not yet
    assert (
        platform.db(
            messages.queue_digests(
                list(platform.catalog), compose_digest=compose_digest, links=links, now=early
            )
        )
        == 0
    )

    def queued() -> list[Delivery]:
        return platform.db(Delivery.filter(user_id=officer.id, key__startswith="digest-"))

    platform.db(
        messages.queue_digests(
            list(platform.catalog), compose_digest=compose_digest, links=links, now=morning
        )
    )
    platform.db(
        messages.queue_digests(
            list(platform.catalog), compose_digest=compose_digest, links=links, now=morning
        )
    )
    [digest] = queued()
    assert digest.address == "sanitarian@example.go.th"
    assert "งานเกินกำหนด 1 เรื่อง" in digest.subject
    assert reference in digest.text and f"/{town.slug}/admin/submissions/{reference}" in digest.text
    assert "เกินกำหนดตั้งแต่วันที่" in digest.text

    post_form(sanitarian, url, {"email": "sanitarian@example.go.th", "digest": "off"})
    next_day = morning + timedelta(days=1)
    platform.db(
        messages.queue_digests(
            list(platform.catalog), compose_digest=compose_digest, links=links, now=next_day
        )
    )
    assert len(queued()) == 1, "no digest once turned off"


def test_the_inbox_finds_an_application_by_reference_national_id_or_name(app: Any, platform: Any, town: Town):
    from tests.integration.test_admin import make_town as another

    reference, _ids = submit_food(platform, town)
    other = another(platform, roles=["clerk"], prefix="MO")
    foreign, _ = submit_food(platform, other)
    clerk = officer_client(app, town, "clerk")
    stored = platform.db(Submission.get(tenant=town.tenant, reference=reference))
    national_id = stored.data["operator"]["national_id"]
    first_name = stored.data["operator"]["name"]["first_name"]
    grouped = (
        f"{national_id[0]}-{national_id[1:5]}-{national_id[5:10]}-{national_id[10:12]}-{national_id[12]}"
    )
    for query in (reference, reference.rsplit("-", 1)[1], grouped, first_name):
        page = text_of(clerk.get(f"/{town.slug}/admin/", query_string={"q": query}))
        assert reference in page, query
        assert foreign not in page, "never another municipality's"
    nothing = text_of(clerk.get(f"/{town.slug}/admin/", query_string={"q": "ไม่มีชื่อนี้แน่นอน"}))
    assert reference not in nothing
