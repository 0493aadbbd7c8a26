"""Messages that arrive: e-mail read back from a real SMTP server on loopback, SMS through an HTTP
gateway stand-in, LINE pushes and webhook replies through a stand-in of LINE's API; retries
when a provider is down, refusals, the stop link, officers' e-mail, the LINE Official Account."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from engine.messaging import (
    ChannelRegistry,
    LinePushChannel,
    SmsGatewayChannel,
    SmtpChannel,
    TrackingPageChannel,
)
from engine.services import accounts, line, messages, submissions, tenants
from engine.services.effects import run_pending
from engine.store.models import Delivery, LineLink, RoleGrant, Submission, User
from tests.conftest import example_files, read
from tests.messaging_servers import Mailbox, StandIn, http_stand_in, smtp_server
from tests.uploads import with_stored_files
from thongthin.runners import credentials_for, runners_for

PETITION = "general-petition"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[str, Mailbox]]:
    yield from smtp_server()


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, StandIn]]:
    yield from http_stand_in()


@pytest.fixture
def channels(
    platform: Any, smtp: tuple[str, Mailbox], provider: tuple[str, StandIn]
) -> Iterator[ChannelRegistry]:
    """The platform sends through the loopback servers for the test."""
    registry = ChannelRegistry()
    registry.register(TrackingPageChannel())
    registry.register(SmtpChannel.from_url(smtp[0], "เทศบาลทดสอบ <saraban@example.go.th>"))
    registry.register(SmsGatewayChannel(provider[0] + "/sms", "gateway-key", "TESTTOWN"))
    registry.register(LinePushChannel(provider[0]))
    before = platform.__dict__.get("channels")
    platform.channels = registry
    provider[1].failures = 0
    yield registry
    if before is None:
        del platform.channels
    else:
        platform.channels = before


@pytest.fixture(scope="module")
def town(platform: Any) -> Any:
    slug = f"m{uuid.uuid4().hex[:8]}"

    async def setup() -> Any:
        tenant = await tenants.ensure_tenant(
            slug, name_th="เทศบาลตำบลทดสอบข้อความ", name_en="Messages test town",
            kind="municipality", province="เชียงใหม่", reference_prefix="MS",
        )  # fmt: skip
        for definition in platform.catalog:
            await tenants.enable_service(tenant, definition)
        return tenant

    return platform.db(setup())


def _petition(platform: Any, tenant: Any, example: str = "valid-certificate-copy-email") -> tuple[Any, str]:
    definition = platform.catalog.get(PETITION)
    data = read(next(p for p in example_files(PETITION, "valid") if p.stem == example))
    data = platform.db(with_stored_files(platform, tenant, definition, data))
    receipt = platform.db(submissions.submit(tenant, definition, data))
    return definition, receipt.reference


def _work(platform: Any, *, later: timedelta = timedelta(0)) -> messages.DeliveryReport:
    platform.db(run_pending(runners_for(platform), limit=10_000))
    now = messages.now_utc() + later
    return platform.db(
        messages.deliver_due(
            platform.channels, credential_for=credentials_for(platform), now=now, limit=10_000
        )
    )


def _next_reference(platform: Any, tenant: Any) -> str:
    """The reference the next application of ``tenant`` gets (the tests of a town run one at a time)."""
    latest = platform.db(Submission.filter(tenant=tenant).order_by("-id").first())
    number = int(latest.reference.rsplit("-", 1)[1]) + 1 if latest else 1
    year = latest.reference.split("-")[1] if latest else str(messages.now_utc().year + 543)
    return f"{tenant.reference_prefix}-{year}-{number:06d}"


def _deliveries(platform: Any, tenant: Any, reference: str) -> list[Delivery]:
    submission = platform.db(Submission.get(tenant=tenant, reference=reference))
    return platform.db(messages.deliveries_of(submission))


def test_the_receipt_arrives_by_email_and_sms(
    platform: Any, town: Any, channels: Any, smtp: Any, provider: Any
):
    _definition, reference = _petition(platform, town)
    _work(platform)
    [mail] = [m for m in smtp[1].to("pimchanok.s@example.com") if reference in m["Subject"]]
    assert mail["From"] == "เทศบาลทดสอบ <saraban@example.go.th>"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert reference in text and "หน่วยงานได้รับคำขอของท่านแล้ว" in text
    assert re.search(rf"/{town.slug}/track/{reference}/\S+", text), "a tracking link"
    assert f"/{town.slug}/messages/stop/" in text and "stop" in html
    sms = [r for r in provider[1].posted("/sms") if reference in r.body["text"]]
    assert len(sms) == 1 and sms[0].body["to"] == "053123456"
    assert sms[0].headers["Authorization"] == "Bearer gateway-key"
    assert sms[0].headers["Idempotency-Key"] == sms[0].body["reference"]
    log = {d.channel: d.status for d in _deliveries(platform, town, reference)}
    assert log == {"email": "sent", "sms": "sent", "page": "sent"}


def test_a_provider_outage_delays_messages_and_loses_none(
    platform: Any, town: Any, channels: Any, provider: Any
):
    reference = _next_reference(platform, town)
    provider[1].failures, provider[1].failing_for = 2, reference
    _definition, submitted = _petition(platform, town, "valid-street-light-repair-sms")
    assert submitted == reference
    report = _work(platform)
    [sms] = [d for d in _deliveries(platform, town, reference) if d.channel == "sms"]
    assert sms.status == "queued" and sms.attempts == 1 and "503" in sms.last_error
    assert report.retried >= 1
    _work(platform)  # not due yet: nothing is tried
    assert platform.db(Delivery.get(id=sms.id)).attempts == 1
    _work(platform, later=timedelta(minutes=2))
    _work(platform, later=timedelta(minutes=10))
    sent = platform.db(Delivery.get(id=sms.id))
    assert sent.status == "sent" and sent.attempts == 3 and sent.last_error == ""
    texts = [r for r in provider[1].posted("/sms") if reference in r.body["text"]]
    assert len(texts) == 3 and len({r.headers["Idempotency-Key"] for r in texts}) == 1


def test_a_refused_address_is_not_tried_again(platform: Any, town: Any, channels: Any, smtp: Any):
    smtp[1].refuse.add("pimchanok.s@example.com")
    try:
        _definition, reference = _petition(platform, town)
        _work(platform)
        _work(platform, later=timedelta(hours=3))
    finally:
        smtp[1].refuse.clear()
    [mail] = [d for d in _deliveries(platform, town, reference) if d.channel == "email"]
    assert mail.status == "failed" and mail.attempts == 1 and "refused" in mail.last_error


def test_a_channel_the_installation_lacks_is_logged_as_unavailable(platform: Any, town: Any):
    registry = ChannelRegistry()
    registry.register(TrackingPageChannel())
    platform.channels = registry
    try:
        _definition, reference = _petition(platform, town)
        _work(platform)
    finally:
        del platform.channels
    log = {d.channel: (d.status, d.masked) for d in _deliveries(platform, town, reference)}
    assert log["email"] == ("unavailable", "p***@example.com")
    assert log["sms"] == ("unavailable", "05-xxx-3456")


def test_the_stop_link_stops_that_channel(app: Any, platform: Any, town: Any, channels: Any, provider: Any):
    definition, reference = _petition(platform, town, "valid-street-light-repair-sms")
    _work(platform)
    [sms] = [d for d in _deliveries(platform, town, reference) if d.channel == "sms"]
    stop = re.search(r"/messages/stop/(\S+)", sms.text)
    assert stop and stop.group(1) == sms.key
    client = app.test_client()
    page = client.get(f"/{town.slug}/messages/stop/{sms.key}")
    assert page.status_code == 200 and "ใช่หรือไม่" in page.get_data(as_text=True)
    assert platform.db(Submission.get(tenant=town, reference=reference)).stopped_channels == []
    token = CSRF.search(page.get_data(as_text=True))
    assert token
    done = client.post(f"/{town.slug}/messages/stop/{sms.key}", data={"csrf_token": token.group(1)})
    assert done.status_code == 200 and "เราจะไม่ส่ง SMS" in done.get_data(as_text=True)
    assert platform.db(Submission.get(tenant=town, reference=reference)).stopped_channels == ["sms"]
    before = len(provider[1].posted("/sms"))
    platform.db(
        submissions.transition(
            town, definition, reference, "route", {"clerk"}, input={"department": "finance"}
        )
    )
    platform.db(
        submissions.transition(
            town,
            definition,
            reference,
            "request_info",
            {"department_officer"},
            input={"message": "กรุณาระบุปีที่ได้รับใบอนุญาต"},
        )
    )
    _work(platform)
    assert len(provider[1].posted("/sms")) == before, "no SMS after stopping"
    statuses = [d.status for d in _deliveries(platform, town, reference) if d.channel == "sms"]
    assert statuses[-1] == "stopped"
    assert client.get(f"/{town.slug}/messages/stop/not-a-key").status_code == 404


def test_officers_of_the_role_are_emailed(platform: Any, town: Any, channels: Any, smtp: Any):
    definition, reference = _petition(platform, town, "valid-information-pickup-minimal")
    officer = platform.db(
        accounts.create_user(
            town, f"eng{uuid.uuid4().hex[:6]}", "Somchai Engineer", "a long passphrase for tests 1"
        )
    )
    platform.db(User.filter(id=officer.id).update(email="somchai.eng@example.go.th"))
    platform.db(RoleGrant.create(tenant=town, user=officer, role="department_officer"))
    platform.db(
        submissions.transition(
            town, definition, reference, "route", {"clerk"}, input={"department": "engineering"}
        )
    )
    _work(platform)
    [mail] = [m for m in smtp[1].to("somchai.eng@example.go.th") if reference in m["Subject"]]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "มีคำร้องทั่วไปส่งถึงกองของท่าน" in body
    assert f"/{town.slug}/admin/submissions/{reference}" in body
    assert "/track/" not in body, "officers get the desk, not the applicant's tracking link"


@pytest.fixture
def line_town(platform: Any, town: Any, channels: Any) -> Iterator[Any]:
    key = platform.settings.secret_key
    platform.db(
        line.connect(
            town, key, channel_secret="line-secret-1", access_token="line-token-1", basic_id="@testtown"
        )
    )
    yield town
    platform.db(line.disconnect(town))


def _webhook(app: Any, tenant: Any, events: list[dict[str, Any]], secret: str = "line-secret-1") -> Any:
    body = json.dumps({"destination": "U0", "events": events}).encode()
    return app.test_client().post(
        f"/api/v1/tenants/{tenant.slug}/line/webhook",
        data=body,
        headers={"X-Line-Signature": line.signature_of(secret, body), "Content-Type": "application/json"},
    )


def _said(user: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "replyToken": uuid.uuid4().hex,
        "source": {"type": "user", "userId": user},
        "message": {"type": "text", "id": "1", "text": text},
    }


def _replies(provider: Any, token: str) -> list[str]:
    return [
        m["text"]
        for r in provider[1].posted("/v2/bot/message/reply")
        if r.body["replyToken"] == token
        for m in r.body["messages"]
    ]


def test_line_links_an_application_and_pushes_its_news(
    app: Any, platform: Any, line_town: Any, provider: Any
):
    definition, reference = _petition(platform, line_town, "valid-information-pickup-minimal")
    submission = platform.db(Submission.get(tenant=line_town, reference=reference))
    command = line.link_command(platform.settings.secret_key, submission)
    user = "U" + uuid.uuid4().hex
    forged = _webhook(app, line_town, [_said(user, command)], secret="not-the-secret")
    assert forged.status_code == 401
    wrong = _said(user, f"ผูก {reference} ZZZZZZZZ")
    linking = _said(user, command)
    answer = _webhook(app, line_town, [wrong, linking])
    assert answer.status_code == 200 and answer.get_json() == {"queued": 2}
    _work(platform)
    assert "รหัสผูกบัญชีไม่ถูกต้อง" in _replies(provider, wrong["replyToken"])[0]
    assert reference in _replies(provider, linking["replyToken"])[0]
    assert platform.db(LineLink.filter(submission_id=submission.id, line_user_id=user).count()) == 1
    reply_auth = provider[1].posted("/v2/bot/message/reply")[-1].headers["Authorization"]
    assert reply_auth == "Bearer line-token-1"

    platform.db(
        submissions.transition(
            line_town, definition, reference, "route", {"clerk"}, input={"department": "finance"}
        )
    )
    platform.db(
        submissions.transition(
            line_town, definition, reference, "request_info", {"department_officer"},
            input={"message": "กรุณาระบุปีที่ได้รับใบอนุญาต"},
        )
    )  # fmt: skip
    _work(platform)
    pushes = [r for r in provider[1].posted("/v2/bot/message/push") if r.body["to"] == user]
    assert pushes, "the request for information reached LINE"
    assert "เจ้าหน้าที่ขอข้อมูลเพิ่มเติม" in pushes[-1].body["messages"][0]["text"]
    uuid.UUID(pushes[-1].headers["X-Line-Retry-Key"])  # LINE's idempotency key is a UUID

    status = _said(user, "ติดตาม")
    _webhook(app, line_town, [status])
    _work(platform)
    assert f"คำขอเลขที่ {reference}: " in _replies(provider, status["replyToken"])[0]


def test_line_answers_questions_from_the_catalog(app: Any, platform: Any, line_town: Any, provider: Any):
    user = "U" + uuid.uuid4().hex
    food = _said(user, "ต่อใบอนุญาตร้านอาหารต้องใช้เอกสารอะไรบ้าง")
    weather = _said(user, "วันนี้อากาศดีไหม")
    _webhook(app, line_town, [food, weather])
    _work(platform)
    [about_food] = _replies(provider, food["replyToken"])
    title = platform.catalog.get("food-premises-notification").service.title.th
    assert title in about_food and "เอกสารที่ต้องใช้" in about_food
    assert f"/{line_town.slug}/services/food-premises-notification" in about_food
    [unsure] = _replies(provider, weather["replyToken"])
    assert "ยังไม่พบบริการที่ตรงกับคำถาม" in unsure


def test_a_saved_form_sends_its_link_to_the_citizens_own_phone(
    app: Any, platform: Any, town: Any, channels: Any, provider: Any
):
    from tests.integration.test_portal import citizen_of

    citizen = citizen_of(app, town)
    citizen.start(PETITION)
    saved = f"/{town.slug}/services/{PETITION}/saved"
    citizen.get(saved)
    assert "ส่งลิงก์ให้ฉัน" in citizen.html
    citizen.post(saved, {"contact": "02-123-4567"})  # a landline takes no SMS
    assert citizen.status == 422 and "หมายเลขโทรศัพท์มือถือ 10 หลัก" in citizen.html
    assert 'value="02-123-4567"' in citizen.html, "what was typed is kept"
    citizen.post(saved, {"contact": "081-234-5678"})
    assert citizen.status == 200 and "08x-xxx-5678" in citizen.page.text
    _work(platform)
    [sms] = [
        r for r in provider[1].posted("/sms") if r.body["to"] == "0812345678" and "/resume/" in r.body["text"]
    ]
    link = re.search(r"https?://\S+/resume/\S+", sms.body["text"])
    assert link, sms.body["text"]
    stranger = citizen_of(app, town)
    resumed = stranger.get(urlsplit(link.group(0)).path)
    assert resumed.status == 302 and "/apply/" in resumed.location, "the link opens the saved form anywhere"
    for _ in range(2):
        citizen.post(saved, {"contact": "081-234-5678"})
    citizen.post(saved, {"contact": "081-234-5678"})
    assert citizen.status == 429 and "หลายครั้งแล้ว" in citizen.html


def test_the_delivery_log_over_the_api_and_the_command_line(
    app: Any, platform: Any, town: Any, channels: Any
):
    import subprocess

    from tests.e2e.test_serve import THONGTHIN, clean_environ

    _definition, reference = _petition(platform, town, "valid-street-light-repair-sms")
    _work(platform)
    officer = platform.db(
        accounts.create_user(
            town, f"clerk{uuid.uuid4().hex[:6]}", "a long passphrase for tests 2", "Clerk", ["clerk"]
        )
    )
    token = platform.db(accounts.issue_token(officer))
    client = app.test_client()
    url = f"/api/v1/tenants/{town.slug}/submissions/{reference}/messages"
    log = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert log.status_code == 200
    assert {(m["channel"], m["to"], m["status"]) for m in log.get_json()["messages"]} >= {
        ("sms", "08x-xxx-5678", "sent")
    }
    assert client.get(url).status_code == 401
    unknown = client.get(
        f"/api/v1/tenants/{town.slug}/submissions/NO-2569-000001/messages",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert unknown.status_code == 404
    environ = clean_environ(
        DATABASE_URL=platform.settings.database_url, THONGTHIN_DATA=str(platform.settings.data_dir)
    )
    printed = subprocess.run(
        [THONGTHIN, "messages", "log", town.slug, reference],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    assert "sms" in printed.stdout and "08x-xxx-5678" in printed.stdout and "sent" in printed.stdout
