"""Signed webhooks end to end on SQLite and PostgreSQL: an admin subscribes through the API, an
application submitted through the API reaches a real HTTP receiver on the loopback after the worker
runs, signed and verifiable; a receiver that is down gets the same event later, once. Filters,
tenant isolation, refusals, the delivery log and the console page; addresses inside a network
refused when subscribing and when delivering, pausing and resuming, rotating the secret, and the
delivery log's clean-up.

The receiver listens on 127.0.0.1 over plain http, which only an installation with
``THONGTHIN_WEBHOOKS_ALLOW_PRIVATE`` accepts: :func:`private_allowed` turns it on for every test
here, and the tests of the guard turn it off again."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from engine.effects.builtin import WEBHOOK
from engine.services import accounts, tenants, webhooks
from engine.services.effects import Runners, run_pending
from engine.store.models import EffectJob, WebhookSubscription
from engine.workflow.sla import BANGKOK
from tests.conftest import EXAMPLES, SERVICE_IDS, read
from tests.integration.test_admin import (
    csrf_on,  # noqa: F401 (the real CSRF check for the console's posts)
    make_town,
    officer_client,
    post_form,
    text_of,
)
from tests.uploads import with_uploaded_files
from thongthin.demo import DEMO_PASSWORD

pytestmark = pytest.mark.db

COMPLAINT = "complaint"
# Where nothing listens: an event queued for it, if the worker gets to it, is refused at once.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def private_allowed(platform: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The setting the loopback receiver needs; undone after each test."""
    monkeypatch.setitem(platform.settings.environ, webhooks.ALLOW_PRIVATE_SETTING, "1")


def guarded(platform: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The installation's default: https and public addresses only."""
    monkeypatch.delitem(platform.settings.environ, webhooks.ALLOW_PRIVATE_SETTING)


@dataclass
class Office:
    slug: str
    tenant: Any
    admin: dict[str, str]
    clerk: dict[str, str]


def make_office(platform: Any, client: Any) -> Office:
    """A municipality offering the catalog's services, with an admin and a clerk logged in through the API."""
    slug = f"w{uuid.uuid4().hex[:8]}"

    async def setup() -> Any:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th="เทศบาลทดสอบ",
            name_en="Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="WH",
        )
        for service_id in SERVICE_IDS:
            await tenants.enable_service(tenant, platform.catalog.get(service_id))
        for role in ("admin", "clerk"):
            await accounts.create_user(tenant, f"{slug}.{role}", DEMO_PASSWORD, f"เจ้าหน้าที่ {role}", [role])
        return tenant

    tenant = platform.db(setup())
    headers = {}
    for role in ("admin", "clerk"):
        answer = client.post(
            "/api/v1/auth/token",
            json={"tenant": slug, "username": f"{slug}.{role}", "password": DEMO_PASSWORD},
        )
        assert answer.status_code == 200, answer.json
        headers[role] = {"Authorization": f"Bearer {answer.json['token']}"}
    return Office(slug, tenant, headers["admin"], headers["clerk"])


@pytest.fixture(scope="module")
def office(app: Any, platform: Any) -> Office:
    return make_office(platform, app.test_client())


@pytest.fixture(scope="module")
def other_office(app: Any, platform: Any) -> Office:
    return make_office(platform, app.test_client())


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that keeps what it was sent and answers ``status``."""

    port: int
    got: list[Received] = field(default_factory=list)
    status: int = 204
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/thongthin"

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.got.append(Received(dict(self.headers.items()), body))
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(free_port())
    found.start()
    yield found
    found.stop()


def work(platform: Any, now: datetime | None = None) -> Any:
    """What ``thongthin worker`` does for webhook jobs, at ``now``."""
    runners = Runners({webhooks.JOB: (webhooks.Deliverer(platform), WEBHOOK.retry)})
    return platform.db(run_pending(runners, limit=100, now=now))


def subscribe(
    client: Any, office: Office, url: str, events: list[str], services: list[str] | None = None
) -> Any:
    body: dict[str, Any] = {"url": url, "events": events}
    if services is not None:
        body["services"] = services
    return client.post(f"/api/v1/tenants/{office.slug}/webhooks", json=body, headers=office.admin)


def submit_complaint(client: Any, platform: Any, office: Office) -> str:
    definition = platform.catalog.get(COMPLAINT)
    data = with_uploaded_files(
        client, office.slug, definition, read(EXAMPLES / COMPLAINT / "valid-stray-dogs-anonymous.json")
    )
    answer = client.post(f"/api/v1/tenants/{office.slug}/services/{COMPLAINT}/submissions", json=data)
    assert answer.status_code == 201, answer.json
    return str(answer.json["reference"])


def sent_to(receiver: Receiver, slug: str) -> list[Received]:
    """What ``receiver`` got from one municipality (jobs of earlier tests may reach a reused port)."""
    return [r for r in receiver.got if json.loads(r.body)["tenant"] == slug]


def jobs_for(platform: Any, subscription_id: int) -> list[EffectJob]:
    jobs = platform.db(EffectJob.filter(type=webhooks.JOB).order_by("id"))
    return [j for j in jobs if j.params.get("subscription") == subscription_id]


def test_round_trip_signed_then_receiver_down_then_delivered_once(
    client: Any, platform: Any, app: Any, receiver: Receiver
):
    office = make_office(platform, app.test_client())
    created = subscribe(client, office, receiver.url, ["submission.created"])
    assert created.status_code == 201, created.json
    secret = created.json["secret"]
    assert secret and created.json["events"] == ["submission.created"] and created.json["services"] == []

    reference = submit_complaint(client, platform, office)
    assert receiver.got == []  # nothing is sent in the request: the worker sends it
    assert work(platform).done == 1
    assert len(receiver.got) == 1
    first = receiver.got[0]
    webhooks.verify_signature(secret, first.headers, first.body, datetime.now(UTC))
    event = json.loads(first.body)
    assert event["type"] == "submission.created" and event["tenant"] == office.slug
    assert event["data"]["reference"] == reference and event["data"]["service"] == COMPLAINT
    assert first.headers["Webhook-Id"] == event["id"]
    # A copy replayed after the window, a body changed in transit, another secret: all refused.
    with pytest.raises(webhooks.BadSignature):
        webhooks.verify_signature(secret, first.headers, first.body, datetime.now(UTC) + timedelta(minutes=6))
    with pytest.raises(webhooks.BadSignature):
        webhooks.verify_signature(
            secret, first.headers, first.body.replace(b"WH-", b"XX-"), datetime.now(UTC)
        )
    with pytest.raises(webhooks.BadSignature):
        webhooks.verify_signature("whsec_other", first.headers, first.body, datetime.now(UTC))

    # The receiver goes down: the event waits in the queue and is tried again later.
    receiver.stop()
    second_reference = submit_complaint(client, platform, office)
    start = datetime.now(UTC)
    report = work(platform, start)
    assert (report.done, report.retried) == (0, 1)
    assert work(platform, start + timedelta(seconds=5)).retried == 0  # not due yet: backoff
    log = client.get(
        f"/api/v1/tenants/{office.slug}/webhooks/{created.json['id']}/deliveries", headers=office.admin
    )
    failed = log.json["deliveries"][0]
    assert failed["delivered"] is False and failed["status_code"] is None and failed["error"]

    receiver.start()  # up again, on the same port
    assert work(platform, start + timedelta(minutes=2)).done == 1
    assert work(platform, start + timedelta(days=3)).done == 0  # nothing left to send
    assert len(receiver.got) == 2
    later = receiver.got[1]
    webhooks.verify_signature(secret, later.headers, later.body, datetime.now(UTC))
    assert json.loads(later.body)["data"]["reference"] == second_reference
    assert later.headers["Webhook-Id"] == failed["event_id"]  # the same event id as the failed attempt

    log = client.get(
        f"/api/v1/tenants/{office.slug}/webhooks/{created.json['id']}/deliveries", headers=office.admin
    )
    attempts = log.json["deliveries"]
    assert [(d["event_id"], d["attempt"], d["delivered"]) for d in attempts] == [
        (failed["event_id"], 2, True),
        (failed["event_id"], 1, False),
        (event["id"], 1, True),
    ]
    assert attempts[0]["status_code"] == 204 and attempts[0]["type"] == "submission.created"


def test_a_receiver_answering_an_error_is_tried_again(
    client: Any, platform: Any, office: Office, receiver: Receiver
):
    receiver.status = 500
    created = subscribe(client, office, receiver.url, ["submission.created"], [COMPLAINT])
    submit_complaint(client, platform, office)
    start = datetime.now(UTC)
    assert work(platform, start).retried == 1
    receiver.status = 200
    assert work(platform, start + timedelta(minutes=2)).done == 1
    ids = {r.headers["Webhook-Id"] for r in receiver.got}
    assert len(receiver.got) == 2 and len(ids) == 1
    log = client.get(
        f"/api/v1/tenants/{office.slug}/webhooks/{created.json['id']}/deliveries", headers=office.admin
    )
    assert [d["status_code"] for d in log.json["deliveries"]] == [200, 500]
    assert (
        client.delete(
            f"/api/v1/tenants/{office.slug}/webhooks/{created.json['id']}", headers=office.admin
        ).status_code
        == 204
    )


def test_events_and_services_filter_what_is_queued(client: Any, platform: Any, app: Any):
    office = make_office(platform, app.test_client())
    url = f"{NOWHERE}/hooks"
    every = subscribe(client, office, url, ["submission.created"]).json["id"]
    complaints = subscribe(client, office, url, ["submission.created"], [COMPLAINT]).json["id"]
    permits = subscribe(client, office, url, ["submission.created"], ["building-permit"]).json["id"]
    payments = subscribe(client, office, url, ["payment.recorded"]).json["id"]
    submit_complaint(client, platform, office)
    assert len(jobs_for(platform, every)) == 1
    assert len(jobs_for(platform, complaints)) == 1
    assert jobs_for(platform, permits) == []
    assert jobs_for(platform, payments) == []
    # One event, one id, for every subscription that wanted it.
    assert (
        jobs_for(platform, every)[0].params["event"]["id"]
        == jobs_for(platform, complaints)[0].params["event"]["id"]
    )


def test_a_municipality_without_subscriptions_queues_nothing(
    client: Any, platform: Any, other_office: Office
):
    office = other_office  # subscribes to nothing in this module
    before = platform.db(EffectJob.filter(type=webhooks.JOB).count())
    submit_complaint(client, platform, office)
    assert platform.db(EffectJob.filter(type=webhooks.JOB).count()) == before


def test_secret_is_shown_once_and_listing_hides_it(client: Any, platform: Any, office: Office):
    created = subscribe(client, office, f"{NOWHERE}/in", ["document.issued", "submission.created"])
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    assert created.json["events"] == ["submission.created", "document.issued"]
    secret = created.json["secret"]
    one = client.get(f"/api/v1/tenants/{office.slug}/webhooks/{created.json['id']}", headers=office.admin)
    listed = client.get(f"/api/v1/tenants/{office.slug}/webhooks", headers=office.admin)
    assert one.status_code == 200 and listed.status_code == 200
    assert "secret" not in one.json and all("secret" not in w for w in listed.json["webhooks"])
    assert secret not in one.get_data(as_text=True) + listed.get_data(as_text=True)
    assert created.json["id"] in [w["id"] for w in listed.json["webhooks"]]
    stored = platform.db(WebhookSubscription.get(id=created.json["id"]))
    assert secret not in stored.secret_sealed  # kept sealed, not as given


@pytest.mark.parametrize(
    "url,code",
    [
        ("ftp://erp.example.go.th/in", "invalid_webhook_url"),
        ("file:///etc/passwd", "invalid_webhook_url"),
        ("https://user:pass@erp.example.go.th/in", "invalid_webhook_url"),
        ("https://token@erp.example.go.th/in", "invalid_webhook_url"),
        ("erp.example.go.th/in", "invalid_webhook_url"),
        ("https://erp.example.go.th:99999/in", "invalid_webhook_url"),
        ("", "invalid_webhook_url"),
    ],
)
def test_bad_urls_are_refused_with_a_clear_error(client: Any, office: Office, url: str, code: str):
    answer = subscribe(client, office, url, ["submission.created"])
    assert answer.status_code == 400
    assert answer.json["code"] == code and answer.json["field"] == "url"
    assert answer.json["message"] and answer.json["message_th"]


def test_unknown_events_and_services_are_refused(client: Any, office: Office):
    answer = subscribe(client, office, f"{NOWHERE}/in", ["submission.deleted"])
    assert answer.status_code == 400 and answer.json["code"] == "unknown_event"
    assert "submission.deleted" in answer.json["message"]
    answer = subscribe(client, office, f"{NOWHERE}/in", [])
    assert answer.status_code == 400 and answer.json["code"] == "unknown_event"
    answer = subscribe(client, office, f"{NOWHERE}/in", ["submission.created"], ["no-such-service"])
    assert answer.status_code == 400 and answer.json["code"] == "unknown_service"


def test_only_the_municipalitys_admins_manage_webhooks(client: Any, office: Office, other_office: Office):
    url = f"/api/v1/tenants/{office.slug}/webhooks"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=office.clerk).status_code == 403
    assert (
        client.post(
            url, json={"url": "https://a.example/", "events": ["submission.created"]}, headers=office.clerk
        ).status_code
        == 403
    )
    assert client.get(url, headers=other_office.admin).json["code"] == "wrong_tenant"
    mine = subscribe(client, office, f"{NOWHERE}/mine", ["submission.created"]).json["id"]
    # Another municipality's admin, on their own municipality's path, does not find it.
    theirs = f"/api/v1/tenants/{other_office.slug}/webhooks/{mine}"
    for answer in (
        client.get(theirs, headers=other_office.admin),
        client.delete(theirs, headers=other_office.admin),
        client.get(f"{theirs}/deliveries", headers=other_office.admin),
        client.post(f"{theirs}/test", headers=other_office.admin),
        client.post(f"{theirs}/pause", headers=other_office.admin),
        client.post(f"{theirs}/resume", headers=other_office.admin),
        client.post(f"{theirs}/secret", headers=other_office.admin),
    ):
        assert answer.status_code == 404 and answer.json["code"] == "webhook_not_found"
    assert all(
        w["id"] != mine
        for w in client.get(f"/api/v1/tenants/{other_office.slug}/webhooks", headers=other_office.admin).json[
            "webhooks"
        ]
    )
    assert client.get(f"{url}/{mine}", headers=office.admin).json["active"] is True  # not paused by them
    assert client.post(f"{url}/{mine}/pause", headers=office.clerk).status_code == 403
    assert client.post(f"{url}/{mine}/secret", headers=office.clerk).status_code == 403
    assert client.get(f"{url}/nonsense", headers=office.admin).status_code == 404


def test_events_of_another_municipality_are_not_sent(
    client: Any, platform: Any, office: Office, other_office: Office
):
    mine = subscribe(client, office, f"{NOWHERE}/iso", ["submission.created"]).json["id"]
    before = len(jobs_for(platform, mine))
    submit_complaint(client, platform, other_office)
    assert len(jobs_for(platform, mine)) == before


def test_send_test_event_and_remove(client: Any, platform: Any, office: Office, receiver: Receiver):
    created = subscribe(client, office, receiver.url, ["payment.recorded"], ["garbage-fee"]).json
    base = f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}"
    queued = client.post(f"{base}/test", headers=office.admin)
    assert queued.status_code == 202 and queued.json["type"] == "webhook.test"
    work(platform)
    got = [r for r in receiver.got if r.headers["Webhook-Id"] == queued.json["event_id"]]
    assert len(got) == 1
    webhooks.verify_signature(created["secret"], got[0].headers, got[0].body)
    assert json.loads(got[0].body)["type"] == "webhook.test"
    log = client.get(f"{base}/deliveries", headers=office.admin).json["deliveries"]
    assert log[0]["type"] == "webhook.test" and log[0]["delivered"] and log[0]["duration_ms"] >= 0
    # Removed: gone from the list, and a test queued before removal is dropped unsent.
    client.post(f"{base}/test", headers=office.admin)
    assert client.delete(base, headers=office.admin).status_code == 204
    assert client.get(base, headers=office.admin).status_code == 404
    sent = len(receiver.got)
    work(platform)
    assert len(receiver.got) == sent


def test_console_page_creates_a_subscription_and_shows_the_secret_once(
    app: Any, platform: Any, receiver: Receiver
):
    town = make_town(platform, roles=["admin", "clerk"])
    admin = officer_client(app, town, "admin")
    page = f"/{town.slug}/admin/console/webhooks"
    listing = admin.get(page)
    assert listing.status_code == 200
    html = text_of(listing)
    assert "การแจ้งเหตุการณ์" in html and 'name="events"' in html and 'name="url"' in html
    assert "console/webhooks" in text_of(
        admin.get(f"/{town.slug}/admin/console/services")
    )  # in the navigation

    refused = post_form(
        admin, page, {"url": "https://u:p@erp.example.go.th/", "events": ["submission.created"]}
    )
    assert refused.status_code == 422
    assert "ต้องไม่มีชื่อผู้ใช้หรือรหัสผ่าน" in text_of(refused)

    created = post_form(
        admin,
        page,
        {"url": receiver.url, "events": ["submission.created", "payment.recorded"], "services": [COMPLAINT]},
    )
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    subscription = platform.db(WebhookSubscription.get(tenant=town.tenant))
    assert subscription.url == receiver.url and subscription.services == [COMPLAINT]
    assert subscription.events == ["submission.created", "payment.recorded"]
    shown = text_of(created)
    secret = shown.split('id="webhook-secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("whsec_")
    detail = admin.get(f"{page}/{subscription.id}")
    assert detail.status_code == 200 and secret not in text_of(detail) and receiver.url in text_of(detail)
    assert secret not in text_of(admin.get(page))

    # The test button: queued, delivered by the worker, signed with the secret shown, in the log.
    tested = post_form(admin, f"{page}/{subscription.id}/test", {}, page=f"{page}/{subscription.id}")
    assert tested.status_code == 302
    work(platform)
    mine = [r for r in receiver.got if json.loads(r.body)["tenant"] == town.slug]
    assert len(mine) == 1
    webhooks.verify_signature(secret, mine[0].headers, mine[0].body)
    log = text_of(admin.get(f"{page}/{subscription.id}"))
    assert "webhook.test" in log and "HTTP 204" in log
    # Moments in Bangkok time and the Buddhist Era, as on every page of the desk.
    be_year = str(datetime.now(UTC).astimezone(BANGKOK).year + 543)
    assert be_year in log and "UTC" not in log and be_year in text_of(admin.get(page))

    clerk = officer_client(app, town, "clerk")
    assert clerk.get(page).status_code == 403
    removed = post_form(admin, f"{page}/{subscription.id}/delete", {}, page=f"{page}/{subscription.id}")
    assert removed.status_code == 302
    assert platform.db(WebhookSubscription.filter(tenant=town.tenant).count()) == 0


def test_the_command_adds_lists_and_removes(platform: Any, office: Office):
    from tests.integration.test_backup import source_environment, thongthin

    env = source_environment(platform)
    url = "https://erp.example.go.th/cli"
    added = thongthin(
        "webhooks",
        "add",
        "--tenant",
        office.slug,
        "--url",
        url,
        "--event",
        "payment.recorded",
        environment=env,
    )
    assert added.returncode == 0, added.stderr
    number = int(added.stdout.splitlines()[0].split()[-1])
    assert "whsec_" in added.stdout
    listed = thongthin("webhooks", "list", "--tenant", office.slug, environment=env)
    assert f"{number}\t{url}\tpayment.recorded\tall services" in listed.stdout
    assert "whsec_" not in listed.stdout
    first_secret = added.stdout.split("(shown once): ", 1)[1].split()[0]

    paused = thongthin("webhooks", "pause", "--tenant", office.slug, str(number), environment=env)
    assert paused.returncode == 0, paused.stderr
    assert platform.db(WebhookSubscription.get(id=number)).active is False
    resumed = thongthin("webhooks", "resume", "--tenant", office.slug, str(number), environment=env)
    assert resumed.returncode == 0, resumed.stderr
    assert platform.db(WebhookSubscription.get(id=number)).active is True
    rotated = thongthin("webhooks", "rotate", "--tenant", office.slug, str(number), environment=env)
    assert rotated.returncode == 0, rotated.stderr
    new_secret = rotated.stdout.split("(shown once): ", 1)[1].split()[0]
    assert new_secret.startswith("whsec_") and new_secret != first_secret
    assert "the old secret also signs until" in rotated.stdout
    keys = webhooks.keys_of(platform.db(WebhookSubscription.get(id=number)), platform.settings.secret_key)
    assert (keys.current, keys.previous) == (new_secret, first_secret)
    # Another municipality's number is not found from this one.
    elsewhere = thongthin("webhooks", "pause", "--tenant", office.slug, "999999", environment=env)
    assert elsewhere.returncode != 0 and "999999" in elsewhere.stderr
    # Without the installation's setting, an address inside a network is refused with the reason.
    inside = thongthin(
        "webhooks",
        "add",
        "--tenant",
        office.slug,
        "--url",
        "https://127.0.0.1/in",
        "--event",
        "payment.recorded",
        environment=env,
    )
    assert inside.returncode != 0 and "inside a network" in inside.stderr

    removed = thongthin("webhooks", "remove", "--tenant", office.slug, str(number), environment=env)
    assert removed.returncode == 0, removed.stderr
    assert platform.db(WebhookSubscription.filter(id=number).count()) == 0


def test_transitions_and_payments_are_announced(client: Any, platform: Any, app: Any, receiver: Receiver):
    from decimal import Decimal

    from engine.services import payments, submissions

    office = make_office(platform, app.test_client())
    created = subscribe(client, office, receiver.url, ["submission.transitioned", "payment.recorded"]).json
    reference = submit_complaint(client, platform, office)
    platform.db(
        submissions.transition(
            office.tenant,
            platform.catalog.get(COMPLAINT),
            reference,
            "assign",
            {"complaint_officer"},
            input={"department": "engineering"},
        )
    )
    reported = payments.Reported(
        transaction_id=f"TX{uuid.uuid4().hex[:10]}",
        ref1="NOSUCHBILL",
        ref2="",
        amount=Decimal("150.00"),
        paid_at=datetime.now(UTC),
    )
    platform.db(payments.record_payment(office.tenant, reported))
    assert work(platform).done == 2
    events = {}
    for got in receiver.got:
        webhooks.verify_signature(created["secret"], got.headers, got.body)
        event = json.loads(got.body)
        events[event["type"]] = event["data"]
    assert set(events) == {"submission.transitioned", "payment.recorded"}  # not submission.created
    moved = events["submission.transitioned"]
    assert (moved["reference"], moved["action"], moved["from_state"], moved["to_state"]) == (
        reference,
        "assign",
        "received",
        "in_progress",
    )
    paid = events["payment.recorded"]
    assert paid["transaction_id"] == reported.transaction_id and paid["amount"] == "150.00"
    assert paid["status"] == "held"  # no bill has that reference: held for an officer


def test_a_document_issued_is_announced_once(client: Any, platform: Any, office: Office):
    from engine.services import documents, submissions
    from engine.store.models import IssuedDocument

    created = subscribe(client, office, f"{NOWHERE}/docs", ["document.issued"], [COMPLAINT]).json
    reference = submit_complaint(client, platform, office)

    async def issue_twice() -> str:
        submission = await submissions.find(office.tenant, reference)
        record = await IssuedDocument.create(
            public_id=f"d{uuid.uuid4().hex[:12]}",
            tenant=office.tenant,
            submission=submission,
            document_id="acknowledgement",
            number="1/2569",
            title_th="หนังสือตอบรับ",
            title_en="Acknowledgement",
            holder="ผู้ร้อง",
        )
        for _ in range(2):  # a worker that re-runs the job signs again; the event is not sent again
            await documents.mark_issued(record, blob_key="k", sha256="0" * 64, pades_level="B-T")
        return record.public_id

    public_id = platform.db(issue_twice())
    queued = jobs_for(platform, created["id"])
    assert len(queued) == 1
    data = queued[0].params["event"]["data"]
    assert (data["public_id"], data["reference"], data["service"]) == (public_id, reference, COMPLAINT)
    assert data["title"] == {"th": "หนังสือตอบรับ", "en": "Acknowledgement"} and data["receipt"] is False


# --- the guard against requests into the platform's own network ----------------------------------


@pytest.mark.parametrize(
    "url,shown",
    [
        ("https://127.0.0.1/hooks", "127.0.0.1"),
        ("https://10.1.2.3/hooks", "10.1.2.3"),
        ("https://192.168.1.20:8443/hooks", "192.168.1.20"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("https://0.0.0.0/hooks", "0.0.0.0"),
        ("https://224.0.0.1/hooks", "224.0.0.1"),
        ("https://[::1]/hooks", "::1"),
        ("https://[fe80::1]/hooks", "fe80::1"),
        ("https://[fd00::5]/hooks", "fd00::5"),
        ("https://[::ffff:127.0.0.1]/hooks", "::ffff:7f00:1"),
        ("https://[::ffff:10.0.0.1]/hooks", "::ffff:a00:1"),
        ("https://2130706433/hooks", "127.0.0.1"),  # 127.0.0.1 as one number, as resolvers read it
        ("https://localhost/hooks", "127.0.0.1"),  # a name: refused for what it resolves to
    ],
)
def test_an_internal_address_is_refused_when_subscribing(
    client: Any, platform: Any, office: Office, monkeypatch: pytest.MonkeyPatch, url: str, shown: str
):
    guarded(platform, monkeypatch)
    if "localhost" in url:
        monkeypatch.setattr(webhooks, "resolve", lambda host, port: ["127.0.0.1"])
    before = platform.db(WebhookSubscription.filter(tenant=office.tenant).count())
    answer = subscribe(client, office, url, ["submission.created"])
    assert answer.status_code == 400, answer.json
    assert (answer.json["code"], answer.json["field"]) == ("webhook_url_not_public", "url")
    assert shown in answer.json["message"] and "inside a network" in answer.json["message"]
    assert "ที่อยู่ภายในเครือข่าย" in answer.json["message_th"] and shown in answer.json["message_th"]
    assert platform.db(WebhookSubscription.filter(tenant=office.tenant).count()) == before


def test_http_and_internal_addresses_are_refused_on_the_console_too(
    app: Any, client: Any, platform: Any, office: Office, monkeypatch: pytest.MonkeyPatch
):
    guarded(platform, monkeypatch)
    plain = subscribe(client, office, "http://erp.example.go.th/in", ["submission.created"])
    assert plain.status_code == 400 and plain.json["field"] == "url"
    assert "https://" in plain.json["message"] and "https://" in plain.json["message_th"]

    town = make_town(platform, roles=["admin"])
    admin = officer_client(app, town, "admin")
    page = f"/{town.slug}/admin/console/webhooks"
    api_answer = subscribe(client, office, "https://[::1]/in", ["submission.created"])
    refused = post_form(admin, page, {"url": "https://[::1]/in", "events": ["submission.created"]})
    assert refused.status_code == 422
    # The same Thai sentence on the page as in the API's answer, next to the URL field.
    field = text_of(refused).split('id="url-error"', 1)[1].split("</span>", 1)[0]
    assert api_answer.json["message_th"] in field.replace("&#34;", '"')
    assert platform.db(WebhookSubscription.filter(tenant=town.tenant).count()) == 0


def test_a_name_that_resolves_inside_the_network_is_refused_at_delivery(
    client: Any, platform: Any, app: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
):
    """DNS rebinding: public when subscribing, 127.0.0.1 when the worker sends. The HTTP server is
    real and listening; only the name lookup is replaced."""
    office = make_office(platform, app.test_client())
    guarded(platform, monkeypatch)
    answers = {"rebind.example.com": ["93.184.216.34"]}
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: answers[host])
    url = f"https://rebind.example.com:{receiver.port}/hooks/thongthin"
    created = subscribe(client, office, url, ["submission.created"])
    assert created.status_code == 201, created.json

    answers["rebind.example.com"] = ["127.0.0.1"]
    submit_complaint(client, platform, office)
    work(platform)
    assert receiver.got == []  # never connected to
    log = client.get(
        f"/api/v1/tenants/{office.slug}/webhooks/{created.json['id']}/deliveries", headers=office.admin
    ).json["deliveries"]
    assert log[0]["delivered"] is False and log[0]["status_code"] is None
    assert "127.0.0.1" in log[0]["error"] and "refused" in log[0]["error"]

    # A name with one public and one internal address is refused too, whichever comes first.
    answers["rebind.example.com"] = ["93.184.216.34", "::ffff:127.0.0.1"]
    work(platform, datetime.now(UTC) + timedelta(minutes=2))
    assert receiver.got == []
    log = client.get(
        f"/api/v1/tenants/{office.slug}/webhooks/{created.json['id']}/deliveries", headers=office.admin
    ).json["deliveries"]
    assert [d["attempt"] for d in log] == [2, 1] and "::ffff:127.0.0.1" in log[0]["error"]


def test_the_address_checked_is_the_address_connected_to(
    client: Any, platform: Any, app: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
):
    """With the setting on, a name only our resolver knows reaches the receiver: the worker
    connects to the address it resolved, not to whatever a second lookup would say."""
    office = make_office(platform, app.test_client())
    looked_up: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(webhooks, "resolve", resolver)
    url = f"http://hooks.invalid:{receiver.port}/in?from=thongthin"
    created = subscribe(client, office, url, ["submission.created"]).json
    submit_complaint(client, platform, office)
    work(platform)
    assert looked_up == ["hooks.invalid"]  # once, by the worker (the setting skips the subscribe check)
    got = sent_to(receiver, office.slug)
    assert len(got) == 1
    assert got[0].headers["Host"] == f"hooks.invalid:{receiver.port}"
    webhooks.verify_signature(created["secret"], got[0].headers, got[0].body)


def test_a_redirect_is_not_followed(client: Any, platform: Any, office: Office, receiver: Receiver):
    receiver.status = 307
    created = subscribe(client, office, receiver.url, ["submission.created"]).json
    client.post(f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}/test", headers=office.admin)
    assert work(platform).retried >= 1
    assert len(sent_to(receiver, office.slug)) == 1  # the redirect answer is an answer, not a place to go
    log = client.get(
        f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}/deliveries", headers=office.admin
    ).json["deliveries"]
    assert (log[0]["status_code"], log[0]["delivered"]) == (307, False)
    client.delete(f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}", headers=office.admin)


# --- pause and resume ---------------------------------------------------------------------------------


def test_a_paused_subscription_is_sent_nothing_and_resuming_does_not_replay(
    client: Any, platform: Any, app: Any, receiver: Receiver
):
    office = make_office(platform, app.test_client())
    created = subscribe(client, office, receiver.url, ["submission.created"]).json
    base = f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}"

    # An event queued before the pause, not yet sent, is dropped too.
    submit_complaint(client, platform, office)
    paused = client.post(f"{base}/pause", headers=office.admin)
    assert paused.status_code == 200 and paused.json["active"] is False
    assert client.post(f"{base}/pause", headers=office.admin).json["active"] is False  # again: no change
    assert client.get(base, headers=office.admin).json["active"] is False
    during = submit_complaint(client, platform, office)
    assert len(jobs_for(platform, created["id"])) == 1  # only the one from before the pause
    work(platform)
    assert sent_to(receiver, office.slug) == []
    tested = client.post(f"{base}/test", headers=office.admin)
    assert tested.status_code == 409 and tested.json["code"] == "webhook_paused"
    assert tested.json["message_th"]

    resumed = client.post(f"{base}/resume", headers=office.admin)
    assert resumed.status_code == 200 and resumed.json["active"] is True
    work(platform)
    assert sent_to(receiver, office.slug) == []  # nothing of the pause is replayed
    after = submit_complaint(client, platform, office)
    work(platform)
    assert [json.loads(r.body)["data"]["reference"] for r in sent_to(receiver, office.slug)] == [after]
    assert during != after
    assert client.get(f"{base}/deliveries", headers=office.admin).json["deliveries"][0]["delivered"]


def test_the_console_pauses_and_resumes_as_the_api_shows(app: Any, client: Any, platform: Any):
    town = make_town(platform, roles=["admin"])
    admin = officer_client(app, town, "admin")
    page = f"/{town.slug}/admin/console/webhooks"
    created = post_form(admin, page, {"url": f"{NOWHERE}/hooks", "events": ["submission.created"]})
    assert created.status_code == 201
    subscription = platform.db(WebhookSubscription.get(tenant=town.tenant))
    detail = f"{page}/{subscription.id}"
    assert 'data-webhook-state="active"' in text_of(admin.get(detail))

    # Without the page's CSRF token the button does nothing.
    assert admin.post(f"{detail}/pause", data={}).status_code in (400, 403)
    assert platform.db(WebhookSubscription.get(id=subscription.id)).active is True

    assert post_form(admin, f"{detail}/pause", {}, page=detail).status_code == 302
    shown = text_of(admin.get(detail))
    assert 'data-webhook-state="paused"' in shown and "ไม่ส่งย้อนหลัง" in shown
    assert f"{detail}/resume" in shown and f"{detail}/test" not in shown
    assert 'data-webhook-state="paused"' in text_of(admin.get(page))
    stored = platform.db(WebhookSubscription.get(id=subscription.id))
    assert stored.active is False
    assert platform.db(webhooks.announce(town.tenant, "submission.created", COMPLAINT, {})) == 0

    assert post_form(admin, f"{detail}/resume", {}, page=detail).status_code == 302
    assert 'data-webhook-state="active"' in text_of(admin.get(detail))
    assert platform.db(WebhookSubscription.get(id=subscription.id)).active is True


# --- rotating the secret ------------------------------------------------------------------------------


def test_after_rotation_deliveries_verify_with_the_old_and_the_new_secret(
    client: Any, platform: Any, app: Any, receiver: Receiver
):
    office = make_office(platform, app.test_client())
    created = subscribe(client, office, receiver.url, ["submission.created"]).json
    assert created["previous_secret_until"] is None
    old = created["secret"]
    base = f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}"
    rotated = client.post(f"{base}/secret", headers=office.admin)
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    new = rotated.json["secret"]
    assert new.startswith("whsec_") and new != old
    until = datetime.fromisoformat(rotated.json["previous_secret_until"])
    assert timedelta(hours=23, minutes=59) < until - datetime.now(UTC) <= timedelta(hours=24)
    shown = client.get(base, headers=office.admin)
    assert shown.json["previous_secret_until"] == rotated.json["previous_secret_until"]
    assert new not in shown.get_data(as_text=True) and old not in shown.get_data(as_text=True)

    submit_complaint(client, platform, office)
    work(platform)
    got = sent_to(receiver, office.slug)[0]
    assert len(got.headers["Webhook-Signature"].split(" ")) == 2
    webhooks.verify_signature(new, got.headers, got.body)  # a receiver that switched already
    webhooks.verify_signature(old, got.headers, got.body)  # and one that has not yet
    with pytest.raises(webhooks.BadSignature):
        webhooks.verify_signature("whsec_neither", got.headers, got.body)

    # Rotated again: the newest and the one before it sign; the first secret no longer does.
    newest = client.post(f"{base}/secret", headers=office.admin).json["secret"]
    client.post(f"{base}/test", headers=office.admin)
    work(platform)
    again = sent_to(receiver, office.slug)[1]
    webhooks.verify_signature(newest, again.headers, again.body)
    webhooks.verify_signature(new, again.headers, again.body)
    with pytest.raises(webhooks.BadSignature):
        webhooks.verify_signature(old, again.headers, again.body)


def test_after_the_overlap_only_the_new_secret_signs(
    client: Any, platform: Any, office: Office, receiver: Receiver
):
    created = subscribe(client, office, receiver.url, ["submission.created"]).json
    long_ago = datetime.now(UTC) - webhooks.ROTATION_OVERLAP - timedelta(minutes=1)
    rotated = platform.db(
        webhooks.rotate_secret(
            office.tenant, created["id"], platform_key=platform.settings.secret_key, now=long_ago
        )
    )
    base = f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}"
    assert client.get(base, headers=office.admin).json["previous_secret_until"] is None
    event_id = client.post(f"{base}/test", headers=office.admin).json["event_id"]
    work(platform)
    got = next(r for r in receiver.got if r.headers["Webhook-Id"] == event_id)
    assert " " not in got.headers["Webhook-Signature"]
    webhooks.verify_signature(rotated.secret, got.headers, got.body)
    with pytest.raises(webhooks.BadSignature):
        webhooks.verify_signature(created["secret"], got.headers, got.body)
    client.delete(base, headers=office.admin)


def test_a_secret_sealed_with_another_key_is_replaced_by_rotating(
    client: Any, platform: Any, office: Office, receiver: Receiver
):
    from engine.services import sealing

    created = subscribe(client, office, receiver.url, ["submission.created"]).json
    stored = platform.db(WebhookSubscription.get(id=created["id"]))
    stored.secret_sealed = sealing.seal("an-earlier-platform-key", webhooks.SEAL_PURPOSE, "whsec_lost")
    platform.db(stored.save())
    rotated = client.post(
        f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}/secret", headers=office.admin
    )
    assert rotated.status_code == 200 and rotated.json["previous_secret_until"] is None
    event_id = client.post(
        f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}/test", headers=office.admin
    ).json["event_id"]
    work(platform)
    got = next(r for r in receiver.got if r.headers["Webhook-Id"] == event_id)
    webhooks.verify_signature(rotated.json["secret"], got.headers, got.body)
    client.delete(f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}", headers=office.admin)


def test_the_console_rotates_and_shows_the_new_secret_once(app: Any, platform: Any, receiver: Receiver):
    town = make_town(platform, roles=["admin"])
    admin = officer_client(app, town, "admin")
    page = f"/{town.slug}/admin/console/webhooks"
    first = post_form(admin, page, {"url": receiver.url, "events": ["submission.created"]})
    old = text_of(first).split('id="webhook-secret">', 1)[1].split("<", 1)[0]
    subscription = platform.db(WebhookSubscription.get(tenant=town.tenant))
    detail = f"{page}/{subscription.id}"
    rotated = post_form(admin, f"{detail}/secret", {}, page=detail)
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    new = text_of(rotated).split('id="webhook-secret">', 1)[1].split("<", 1)[0]
    assert new.startswith("whsec_") and new != old
    assert "รหัสลับเดิมยังใช้ลงลายมือชื่อควบคู่กันจนถึง" in text_of(rotated)
    shown = text_of(admin.get(detail))
    assert new not in shown and "data-previous-secret-until" in shown
    keys = webhooks.keys_of(
        platform.db(WebhookSubscription.get(id=subscription.id)), platform.settings.secret_key
    )
    assert (keys.current, keys.previous) == (new, old)


# --- the delivery log's clean-up --------------------------------------------------------------------


def test_housekeeping_deletes_old_delivery_rows_only(
    client: Any, platform: Any, office: Office, monkeypatch: pytest.MonkeyPatch
):
    from engine.store.models import WebhookDelivery
    from thongthin.runners import housekeeping_for

    created = subscribe(client, office, f"{NOWHERE}/log", ["submission.created"]).json
    subscription = platform.db(WebhookSubscription.get(id=created["id"]))
    now = datetime.now(UTC)

    def row(days: float) -> int:
        made = platform.db(
            WebhookDelivery.create(
                subscription=subscription,
                tenant_id=subscription.tenant_id,
                event_id=f"evt_{uuid.uuid4().hex[:12]}",
                type="webhook.test",
                attempt=1,
                at=now - timedelta(days=days),
                status_code=204,
                delivered=True,
            )
        )
        return int(made.id)

    old, recent, fresh = row(31), row(29), row(0)
    chores = housekeeping_for(platform)
    assert "webhook_deliveries" in [task.name for task in chores.tasks]
    done = platform.db(chores.run_due(now=now))
    assert done["webhook_deliveries"] >= 1
    left = {d.id for d in platform.db(WebhookDelivery.filter(subscription=subscription))}
    assert left == {recent, fresh}
    shown = client.get(
        f"/api/v1/tenants/{office.slug}/webhooks/{created['id']}/deliveries", headers=office.admin
    ).json["deliveries"]
    assert len(shown) == 2 and old not in left

    # A shorter log when the installation says so.
    monkeypatch.setitem(platform.settings.environ, webhooks.LOG_DAYS_SETTING, "7")
    platform.db(housekeeping_for(platform).run_due(now=now))
    assert {d.id for d in platform.db(WebhookDelivery.filter(subscription=subscription))} == {fresh}
    monkeypatch.setitem(platform.settings.environ, webhooks.LOG_DAYS_SETTING, "seven")
    with pytest.raises(ValueError, match="THONGTHIN_WEBHOOKS_LOG_DAYS"):
        housekeeping_for(platform)
