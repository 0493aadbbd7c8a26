"""Only the random tracking token opens an application; a phone number or national ID never does.

A phone number or national ID (known to family, neighbours, landlords and shops) with a
reference shows the status only and sends a fresh tracking link to the applicant's own phone
and e-mail on file; it never acts, never downloads a document. Every lookup is counted
before anything is compared, per reference and per client address, so however many wrong
tokens arrive at once, at most the limit is compared. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from engine.services import secrets, tenants, throttle, tracking
from engine.services.effects import default_runners, run_pending
from engine.services.errors import SubmissionNotFound
from engine.store.models import (
    AuditEntry,
    EffectJob,
    IssuedDocument,
    Notification,
    Submission,
    TrackingToken,
)
from tests.conftest import example_files, read
from tests.integration.test_issuing import SERVICE as FOOD
from tests.integration.test_issuing import approved_submission, town  # noqa: F401 (fixture)
from thongthin.runners import runners_for

pytestmark = pytest.mark.db

PETITION = "general-petition"
PHONE = "0891234567"
NATIONAL_ID = "3410200789121"
EMAIL = "boonsri.k@example.com"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/track/[A-Z]+-[0-9]+-[0-9]+/[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def petition_town(platform: Any) -> Any:
    slug = f"s{uuid.uuid4().hex[:8]}"

    async def setup() -> Any:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th="เทศบาลตำบลทดสอบรหัสติดตาม",
            name_en="Tracking Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="AS",
        )
        await tenants.enable_service(tenant, platform.catalog.get(PETITION))
        return tenant

    return platform.db(setup())


def new_address() -> str:
    """A client address of its own, so no other test's tries count against it."""
    octets = uuid.uuid4().bytes[:3]
    return "10." + ".".join(str(b) for b in octets)


def citizen(app: Any, address: str | None = None) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or new_address()
    return client


def petition_data(*, email: bool = True) -> dict[str, Any]:
    """The minimal petition: phone 089 123 4567, a national ID, an e-mail address, no files."""
    data = copy.deepcopy(
        read(example_files(PETITION, "valid")[0].with_name("valid-information-pickup-minimal.json"))
    )
    assert data["petitioner"]["phone"] == PHONE and data["petitioner"]["national_id"] == NATIONAL_ID
    if email:
        data["petitioner"]["email"] = EMAIL
    return data


def submitted(app: Any, tenant: Any, *, email: bool = True) -> dict[str, Any]:
    response = citizen(app).post(
        f"/api/v1/tenants/{tenant.slug}/services/{PETITION}/submissions", json=petition_data(email=email)
    )
    assert response.status_code == 201, response.json
    return response.json


def api_url(tenant: Any, reference: str) -> str:
    return f"/api/v1/tenants/{tenant.slug}/submissions/{reference}"


def ask_on_the_portal(client: Any, slug: str, reference: str, secret: str, **kwargs: Any) -> Any:
    """The tracking form, filled in and sent with its CSRF token."""
    token = CSRF.search(client.get(f"/{slug}/track", **kwargs).get_data(as_text=True)).group(1)
    return client.post(
        f"/{slug}/track", data={"reference": reference, "secret": secret, "csrf_token": token}, **kwargs
    )


def sent_links(platform: Any, tenant_id: int, reference: str) -> list[EffectJob]:
    """The queued messages that carry a fresh tracking link to the applicant of ``reference``."""
    jobs = platform.db(
        EffectJob.filter(tenant_id=tenant_id, submission__reference=reference, type="notify").order_by("id")
    )
    return [job for job in jobs if job.params.get("purpose") == "tracking_link"]


def link_in(job: EffectJob) -> str:
    """The link of a queued message (the same in its Thai and English texts)."""
    [thai] = LINK.findall(job.params["message"]["th"])
    [english] = LINK.findall(job.params["message"]["en"])
    assert thai == english
    return thai


def fresh_link(client: Any, platform: Any, tenant: Any, reference: str, contact: str) -> str:
    """What a citizen who lost the link does: ask with a phone number, open the link that arrives (its path)."""
    asked = ask_on_the_portal(client, tenant.slug, reference, contact)
    assert asked.status_code == 200 and 'data-link-outcome="sent"' in asked.get_data(as_text=True)
    return urlsplit(link_in(sent_links(platform, tenant.id, reference)[-1])).path


# --- a phone number or ID is not a secret --------------------------------------------------------


def test_a_phone_number_or_national_id_neither_reads_nor_acts_through_the_api(
    app: Any, platform: Any, petition_town: Any
):
    receipt = submitted(app, petition_town)
    reference = receipt["reference"]
    url = api_url(petition_town, reference)
    client = citizen(app)
    for secret in (PHONE, NATIONAL_ID, "089-123-4567"):
        looked = client.get(url, headers={"X-Tracking-Token": secret})
        assert looked.status_code == 404 and looked.json["code"] == "submission_not_found", secret
        acted = client.post(
            url + "/transitions", json={"action": "withdraw"}, headers={"X-Tracking-Token": secret}
        )
        assert acted.status_code == 404, (secret, acted.json)
    submission = platform.db(Submission.get(reference=reference, tenant=petition_town))
    assert submission.state == "submitted" and submission.version == 1
    assert platform.db(AuditEntry.filter(submission=submission).count()) == 1, "nothing fired"
    # The tracking token itself still reads and acts.
    token = {"X-Tracking-Token": receipt["tracking_token"]}
    assert client.get(url, headers=token).json["status"] == "submitted"
    withdrawn = client.post(url + "/transitions", json={"action": "withdraw"}, headers=token)
    assert (
        withdrawn.status_code == 200 and withdrawn.json["fired"] and withdrawn.json["status"] == "withdrawn"
    )


def test_the_tracking_token_in_the_query_string_is_refused(app: Any, platform: Any, petition_town: Any):
    receipt = submitted(app, petition_town)
    url = api_url(petition_town, receipt["reference"])
    client = citizen(app)
    query = f"?tracking_token={receipt['tracking_token']}"
    for response in (
        client.get(url + query),
        client.get(url + query, headers={"X-Tracking-Token": receipt["tracking_token"]}),
        client.post(url + "/transitions" + query, json={"action": "withdraw"}),
    ):
        assert response.status_code == 400 and response.json["code"] == "tracking_token_in_query"
        assert "X-Tracking-Token" in response.json["message"]
    assert (
        platform.db(Submission.get(reference=receipt["reference"], tenant=petition_town)).state == "submitted"
    )


def test_a_phone_number_on_the_portal_shows_the_status_only_and_queues_a_fresh_link(
    app: Any, platform: Any, petition_town: Any
):
    receipt = submitted(app, petition_town)
    reference = receipt["reference"]
    slug = petition_town.slug
    definition = platform.catalog.get(PETITION)
    initial = definition.workflow.states[definition.workflow.initial]
    client = citizen(app)
    # Sent to a forged host name: the link must still lead to the platform's public address.
    page = ask_on_the_portal(
        client, slug, reference.lower().replace("-", " "), "089-123-4567", base_url="http://evil.example"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert reference in html and initial.title.th in html and initial.applicant_message.th in html
    assert definition.service.title.th in html and re.search(r"[0-9]{1,2} [ก-๛]+ 25[0-9]{2}", html)
    assert "หมายเลขโทรศัพท์ 08x-xxx-4567 และอีเมล b***@example.com" in html
    assert "ระบบได้ส่งลิงก์ติดตามคำขอใหม่" in html
    # Nothing of the application itself: no answers, no documents, no actions, no payment.
    for private in ("บุญศรี", NATIONAL_ID, PHONE, EMAIL, "/documents/", "data-qr-payload", 'name="action"'):
        assert private not in html, private
    # And the browser was not let in.
    assert client.get(f"/{slug}/track/{reference}", base_url="http://evil.example").status_code == 302

    [job] = sent_links(platform, petition_town.id, reference)
    assert job.params["to"] == "applicant" and job.params["channels"] == ["sms", "email"]
    assert job.params["address_at"] == {"sms": "/petitioner/phone", "email": "/petitioner/email"}
    link = link_in(job)
    assert link.startswith(f"http://127.0.0.1:8000/{slug}/track/{reference}/")
    assert (
        "ใช้ได้ถึงวันที่" in job.params["message"]["th"]
        and "เทศบาลตำบลทดสอบรหัสติดตาม" in job.params["message"]["th"]
    )
    token = link.rsplit("/", 1)[-1]
    # (Messages to the applicant carry links of their own, purpose "message".)
    [stored] = platform.db(
        TrackingToken.filter(submission__reference=reference, tenant=petition_town, purpose="resent")
    )
    assert stored.token_hash != token
    assert timedelta(days=29) < stored.expires_at - stored.created_at <= timedelta(days=30)
    # The worker puts it in the outbox, for the delivery channels to send.
    platform.db(run_pending(default_runners(), limit=10_000))
    outbox = platform.db(Notification.get(job_id=job.id))
    assert (
        outbox.recipient == "applicant" and outbox.channels == ["sms", "email"] and link in outbox.message_en
    )

    # The applicant opens the link on their phone: the full status page.
    phone = citizen(app)
    opened = phone.get(urlsplit(link).path)
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/track/{reference}")
    full = phone.get(opened.headers["Location"]).get_data(as_text=True)
    assert reference in full and 'class="timeline"' in full
    # The token of the link works in the API too, for reading and acting.
    api = phone.get(api_url(petition_town, reference), headers={"X-Tracking-Token": token})
    assert api.status_code == 200 and any(a["action"] == "withdraw" for a in api.json["actions"])


def test_a_national_id_asks_for_a_link_too_and_a_wrong_one_is_only_not_found(
    app: Any, platform: Any, petition_town: Any
):
    receipt = submitted(app, petition_town)
    reference = receipt["reference"]
    answers = []
    for secret in ("3-4102-00789-12-1", "0899999999", "1111111111119", "not-the-token"):
        page = ask_on_the_portal(citizen(app), petition_town.slug, reference, secret)
        answers.append((page.status_code, "ไม่พบคำขอที่ตรงกับข้อมูลนี้" in page.get_data(as_text=True)))
    assert answers[0] == (200, False), "the national ID is one of the applicant's"
    assert answers[1:] == [(200, True)] * 3, "a wrong number looks like a wrong code"
    assert len(sent_links(platform, petition_town.id, reference)) == 1


def test_fresh_links_are_limited_and_the_page_says_so(app: Any, platform: Any, petition_town: Any):
    receipt = submitted(app, petition_town)
    reference = receipt["reference"]
    client = citizen(app)
    for _ in range(throttle.TRACKING_RESEND.tries):
        fresh_link(client, platform, petition_town, reference, PHONE)
    again = ask_on_the_portal(client, petition_town.slug, reference, PHONE)
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and 'data-link-outcome="sent_recently"' in html
    assert "ระบบได้ส่งลิงก์ติดตามคำขอไปยังหมายเลขโทรศัพท์ 08x-xxx-4567" in html
    assert "จึงไม่ส่งลิงก์ใหม่ในครั้งนี้" in html and "ขอลิงก์ใหม่ได้ตั้งแต่" in html
    assert len(sent_links(platform, petition_town.id, reference)) == throttle.TRACKING_RESEND.tries
    english = ask_on_the_portal(client, petition_town.slug, reference, PHONE, query_string={"lang": "en"})
    assert "so no new link is sent this time" in english.get_data(as_text=True)
    # Every link sent still works.
    for job in sent_links(platform, petition_town.id, reference):
        assert citizen(app).get(urlsplit(link_in(job)).path).status_code == 302


def test_the_api_sends_a_fresh_link_for_a_phone_number(app: Any, platform: Any, petition_town: Any):
    receipt = submitted(app, petition_town, email=False)
    reference = receipt["reference"]
    url = api_url(petition_town, reference) + "/tracking-link"
    client = citizen(app)
    sent = client.post(url, json={"contact": "089 123 4567"})
    assert sent.status_code == 202, sent.json
    body = sent.json
    assert body["reference"] == reference and body["status"] == "submitted"
    assert body["status_title"]["th"] and body["applicant_message"]["en"] and body["submitted_at"]
    assert body["link"] == {
        "sent": True,
        "outcome": "sent",
        "sent_to": [{"channel": "sms", "to": "08x-xxx-4567"}],
        "resend_after": None,
    }
    assert not {"data", "actions", "history", "version", "tracking_token"} & set(body)
    [job] = sent_links(platform, petition_town.id, reference)
    assert job.params["channels"] == ["sms"]
    token = link_in(job).rsplit("/", 1)[-1]
    assert (
        client.get(api_url(petition_town, reference), headers={"X-Tracking-Token": token}).status_code == 200
    )
    # A wrong number is not found; a malformed body is refused.
    wrong = client.post(url, json={"contact": "0899999999"})
    assert wrong.status_code == 404 and wrong.json["code"] == "submission_not_found"
    for bad in ({}, {"contact": 891234567}, {"contact": "0" * 65}):
        assert client.post(url, json=bad).status_code == 400
    # After the day's share of links, nothing more is sent, and the answer says until when.
    for _ in range(throttle.TRACKING_RESEND.tries - 1):
        assert client.post(url, json={"contact": PHONE}).status_code == 202
    held = client.post(url, json={"contact": PHONE})
    assert held.status_code == 200 and held.json["link"]["sent"] is False
    assert held.json["link"]["outcome"] == "sent_recently" and held.json["link"]["resend_after"]
    assert len(sent_links(platform, petition_town.id, reference)) == throttle.TRACKING_RESEND.tries


# --- documents ---------------------------------------------------------------------------------


def test_a_phone_number_never_downloads_the_certificate(app: Any, platform: Any, town: Any):  # noqa: F811
    submission = approved_submission(platform, town)
    # Every due job, however many other tests left queued, so this one's certificate is among them.
    platform.db(run_pending(runners_for(platform), limit=10_000))
    [document] = platform.db(IssuedDocument.filter(submission=submission, status="issued"))
    slug, reference = town["tenant"].slug, submission.reference
    phone = read(example_files(FOOD, "valid")[0])["operator"]["phone"]
    download = f"/{slug}/track/{reference}/documents/{document.public_id}"
    client = citizen(app)
    page = ask_on_the_portal(client, slug, reference, phone)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-link-outcome="sent"' in html
    assert document.number not in html and "/documents/" not in html
    refused = client.get(download)
    assert refused.status_code == 302 and "/track?reference=" in refused.headers["Location"]
    # The link sent to the applicant's phone opens it.
    assert client.get(fresh_link(client, platform, town["tenant"], reference, phone)).status_code == 302
    served = client.get(download)
    assert served.status_code == 200 and served.data == platform.blobs.get(document.blob_key)


# --- guessing limits ---------------------------------------------------------------------------


def test_of_sixty_wrong_tokens_at_once_at_most_ten_are_compared(app: Any, platform: Any, petition_town: Any):
    receipt = submitted(app, petition_town)
    url = api_url(petition_town, receipt["reference"])
    address = new_address()
    at_once = threading.Barrier(60)

    def guess(_: int) -> Any:
        client = citizen(app, address)
        at_once.wait()
        return client.get(url, headers={"X-Tracking-Token": secrets.new_token()})

    with ThreadPoolExecutor(60) as pool:
        answers = list(pool.map(guess, range(60)))
    codes = [a.status_code for a in answers]
    assert codes.count(404) == throttle.TRACKING.tries and codes.count(429) == 60 - throttle.TRACKING.tries
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json["code"] == "too_many_attempts"
    # Whole seconds, rounded up: a window another request opened a moment later may add one.
    assert 0 < int(refused.headers["Retry-After"]) <= throttle.TRACKING.window.total_seconds() + 1
    # The reference waits, whoever asks and whatever they give: not even the right token is compared.
    later = citizen(app).get(url, headers={"X-Tracking-Token": receipt["tracking_token"]})
    assert later.status_code == 429 and "Retry-After" in later.headers


def test_one_address_guessing_many_references_is_stopped(app: Any, platform: Any, petition_town: Any):
    receipt = submitted(app, petition_town)
    reference, token = receipt["reference"], receipt["tracking_token"]
    address = new_address()
    client = citizen(app, address)
    # Right tokens give their try back: they do not use up the address's limit.
    for _ in range(5):
        assert (
            client.get(api_url(petition_town, reference), headers={"X-Tracking-Token": token}).status_code
            == 200
        )
    for number in range(throttle.TRACKING_ADDRESS.tries):
        guessed = api_url(petition_town, f"AS-2500-{number:06d}")
        assert client.get(guessed, headers={"X-Tracking-Token": "guess"}).status_code == 404, number
    blocked = client.get(api_url(petition_town, reference), headers={"X-Tracking-Token": token})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    link = client.post(api_url(petition_town, reference) + "/tracking-link", json={"contact": PHONE})
    assert link.status_code == 429 and "Retry-After" in link.headers
    page = ask_on_the_portal(client, petition_town.slug, reference, token)
    assert page.status_code == 429 and "ท่านลองหลายครั้งเกินไป กรุณารอ" in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) > 0
    assert client.get(f"/{petition_town.slug}/track/{reference}/{token}").status_code == 429
    # Elsewhere the applicant is not held up.
    assert (
        citizen(app).get(api_url(petition_town, reference), headers={"X-Tracking-Token": token}).status_code
        == 200
    )


def test_a_right_token_clears_the_references_count(platform: Any, petition_town: Any, app: Any):
    receipt = submitted(app, petition_town)
    reference, token = receipt["reference"], receipt["tracking_token"]
    address = new_address()
    for _ in range(2):
        for _ in range(throttle.TRACKING.tries - 1):
            with pytest.raises(SubmissionNotFound):
                platform.db(tracking.find_by_token(petition_town, reference, "guess", address=address))
        assert (
            platform.db(tracking.find_by_token(petition_town, reference, token, address=address)).reference
            == reference
        )
    # A right phone number gives nothing back: it must not buy more guesses of the token.
    for _ in range(throttle.TRACKING.tries - 1):
        with pytest.raises(SubmissionNotFound):
            platform.db(tracking.find_by_token(petition_town, reference, "guess", address=address))
    platform.db(
        tracking.request_link(
            petition_town,
            reference,
            PHONE,
            address=address,
            definition_of=platform.definition,
            link_for=lambda ref, tok: f"https://example.org/{ref}/{tok}",
        )
    )
    with pytest.raises(throttle.TooManyAttempts):
        platform.db(tracking.find_by_token(petition_town, reference, token, address=address))


def test_a_sent_link_expires_and_is_cleaned_up(platform: Any, petition_town: Any, app: Any):
    receipt = submitted(app, petition_town)
    reference = receipt["reference"]
    moment = datetime.now(UTC)
    address = new_address()

    def find(token: str, days: int) -> Submission:
        return platform.db(
            tracking.find_by_token(
                petition_town, reference, token, address=address, now=moment + timedelta(days=days)
            )
        )

    answer = platform.db(
        tracking.request_link(
            petition_town,
            reference,
            NATIONAL_ID,
            address=address,
            definition_of=platform.definition,
            link_for=lambda ref, tok: f"https://example.org/{petition_town.slug}/track/{ref}/{tok}",
            now=moment,
        )
    )
    assert answer.link_sent and answer.status.state == "submitted"
    token = link_in(sent_links(platform, petition_town.id, reference)[-1]).rsplit("/", 1)[-1]
    assert find(token, 29).reference == reference
    with pytest.raises(SubmissionNotFound):
        find(token, 31)
    assert find(receipt["tracking_token"], 31).reference == reference, "the receipt's token does not expire"
    assert platform.db(tracking.purge_expired_links(now=moment + timedelta(days=31))) >= 1
    assert not platform.db(TrackingToken.exists(submission__reference=reference, tenant=petition_town))


def test_an_application_without_phone_or_email_says_where_to_turn(
    app: Any, platform: Any, petition_town: Any
):
    receipt = submitted(app, petition_town, email=False)
    reference = receipt["reference"]
    # The applicant's number removed from the data (as when it was anonymised): nowhere to send a link.
    submission = platform.db(Submission.get(reference=reference, tenant=petition_town))
    data = copy.deepcopy(submission.data)
    del data["petitioner"]["phone"]
    platform.db(Submission.filter(id=submission.id).update(data=data))
    page = ask_on_the_portal(citizen(app), petition_town.slug, reference, NATIONAL_ID)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-link-outcome="no_contact"' in html
    assert "คำขอนี้ไม่มีหมายเลขโทรศัพท์หรืออีเมล" in html and "เทศบาลตำบลทดสอบรหัสติดตาม" in html
    assert not sent_links(platform, petition_town.id, reference)


def test_odd_references_are_simply_not_found(app: Any, petition_town: Any):
    client = citizen(app)
    for reference in ("AS-2569-" + "0" * 40, "%E0%B8%81", "AS-2569-000001%0A"):
        url = api_url(petition_town, reference)
        assert client.get(url, headers={"X-Tracking-Token": "guess"}).status_code == 404, reference
        assert client.post(url + "/tracking-link", json={"contact": PHONE}).status_code == 404, reference
    page = ask_on_the_portal(client, petition_town.slug, "9" * 100, PHONE)
    assert page.status_code == 200 and "ไม่พบคำขอที่ตรงกับข้อมูลนี้" in page.get_data(as_text=True)
    # A NUL anywhere in a URL or a form is refused before any lookup.
    nul = client.get(api_url(petition_town, "%00"), headers={"X-Tracking-Token": "guess"})
    assert nul.status_code == 400
    assert ask_on_the_portal(client, petition_town.slug, "\x00" + "9" * 10, PHONE).status_code == 400


def test_masks_show_enough_to_recognise_and_not_to_call():
    assert tracking.mask_phone("0812345678") == "08x-xxx-5678"
    assert tracking.mask_phone("053123456") == "05-xxx-3456"
    assert tracking.mask_email("somsri@example.com") == "s***@example.com"
    assert tracking.looks_like_contact("๐๘๙-๑๒๓-๔๕๖๗") and tracking.looks_like_contact("+66 89 123 4567")
    assert tracking.normalise_contact("+66 89 123 4567") == PHONE
    assert not tracking.looks_like_contact(secrets.new_token())


def test_an_ipv6_client_is_counted_by_its_network(app: Any):
    """Rotating addresses within one /64 does not buy more tries; another network counts apart."""
    from thongthin.app import client_address

    def seen_as(remote: str) -> str:
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": remote}):
            return client_address()

    assert seen_as("2001:db8:1:2::1") == seen_as("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert seen_as("2001:db8:1:3::1") != seen_as("2001:db8:1:2::1")
    assert seen_as("::ffff:203.0.113.7") == seen_as("203.0.113.7") == "203.0.113.7"
