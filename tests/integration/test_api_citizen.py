"""The citizens' journey over the API, as a municipality's app or a LINE mini-app walks it.

A food-premises notification is begun as a draft, answered step by step (a wrong answer
refused with the portal's own Thai and English messages, the other answers kept), resumed on
another device with its secret, given files uploaded on their own, submitted, tracked with
the applicant's actions, approved and paid at the counter by officers through the same API,
and its signed certificate listed and downloaded byte for byte. A garbage account's bills
come with their Thai QR payloads and PNG images.
"""

from __future__ import annotations

import copy
import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image

from engine import jsonpointer
from engine.definitions import ServiceDefinition
from engine.forms.rules import find_step, page_fields
from engine.payments import promptpay
from engine.services import accounts, billing_runs, payments, tenants
from engine.services.effects import run_pending
from engine.store.models import Attachment, Bill, Draft, FeeAccount, IssuedDocument
from signing.pki import DevPkiServer, Officer, ensure_dev_pki
from tests.conftest import EXAMPLES, read
from tests.integration.test_billing import WORK_LIMIT, direct_accounts, make_tenant
from tests.integration.test_portal import Citizen
from tests.uploads import SAMPLES
from tests.walks import first_input, passable, paths_to
from thongthin.runners import runners_for

pytestmark = pytest.mark.db

FOOD = "food-premises-notification"
EXAMPLE = read(EXAMPLES / FOOD / "valid-noodle-shop-person.json")
PASSWORD = "pw-citizen-api-1"
# The portal's test of per-field errors types exactly this on the operator's page.
BAD_OPERATOR = {
    "name": {"prefix": "นาง", "first_name": "สุนีย์"},
    "national_id": "3100601234565",
    "phone": "08123",
    "address": {
        "house_no": "55/2",
        "province": "เชียงใหม่",
        "district": "เมืองเชียงใหม่",
        "subdistrict": "แม่เหียะ",
        "postcode": "50100",
    },
}
BAD_OPERATOR_FORM = {
    "/operator/name/prefix": "นาง",
    "/operator/name/first_name": "สุนีย์",
    "/operator/national_id": "3100601234565",
    "/operator/phone": "08123",
    "/operator/address/house_no": "55/2",
    "/operator/address/province": "เชียงใหม่",
    "/operator/address/district": "เมืองเชียงใหม่",
    "/operator/address/subdistrict": "แม่เหียะ",
    "/operator/address/postcode": "50100",
}


@dataclass
class Town:
    slug: str
    definition: ServiceDefinition
    tokens: dict[str, str]  # role -> an officer's bearer token

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def drafts(self) -> str:
        return f"/api/v1/tenants/{self.slug}/services/{FOOD}/drafts"


@pytest.fixture(scope="module")
def town(app: Any, platform: Any) -> Any:
    """A municipality offering the food service, an officer per role, signing keys in a development PKI."""
    slug = f"c{uuid.uuid4().hex[:8]}"
    definition = platform.catalog.get(FOOD)
    acting = {r for t in definition.workflow.transitions for r in t.roles}
    signing = {s.role for d in definition.service.documents for s in d.signers}
    roles = sorted((acting | signing) - {"applicant", "system"})

    async def setup() -> dict[str, Any]:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th="เทศบาลตำบลทดสอบแอป",
            name_en="App Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="CA",
            address_th="ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่",
        )
        await tenants.enable_service(tenant, definition)
        return {
            role: await accounts.create_user(tenant, f"{slug}.{role}", PASSWORD, f"สมศรี {role}", [role])
            for role in roles
        }

    users = platform.db(setup())
    server = DevPkiServer(port=0)
    officers = [
        Officer(slug, s.role, users[s.role].display_name, "เทศบาลตำบลทดสอบแอป")
        for d in definition.service.documents
        for s in d.signers
    ]
    server.start(ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url))
    client = app.test_client()
    tokens = {}
    for role in roles:
        answer = client.post(
            "/api/v1/auth/token", json={"tenant": slug, "username": f"{slug}.{role}", "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.json
        tokens[role] = answer.json["token"]
    try:
        yield Town(slug, definition, tokens)
    finally:
        server.stop()


def secret_of(secret: str) -> dict[str, str]:
    return {"X-Draft-Secret": secret}


def upload(client: Any, town: Town, attachment_id: str, count: int) -> list[dict[str, Any]]:
    """Files uploaded on their own, as an app does before it lists them in a step's answers."""
    spec = town.definition.service.attachment(attachment_id)
    assert spec is not None
    name, content = SAMPLES[next(t for t in spec.accept if t in SAMPLES)]
    described = []
    for _ in range(min(count, spec.max_files)):
        response = client.post(
            f"/api/v1/tenants/{town.slug}/services/{FOOD}/attachments/{attachment_id}",
            data={"file": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.json
        described.append(response.json)
    return described


def answers_of(client: Any, town: Town, step_id: str, data: Any) -> dict[str, Any]:
    """The step's answers taken from ``data``; its files uploaded first."""
    step = find_step(town.definition, step_id)
    assert step is not None
    answers: dict[str, Any] = {}
    for ui_field in page_fields(step, data):
        value = jsonpointer.resolve(data, ui_field.pointer, None)
        if value is None:
            continue
        if ui_field.widget == "file":
            value = upload(client, town, ui_field.attachment or "", len(value))
        jsonpointer.set_value(answers, ui_field.pointer, copy.deepcopy(value))
    return answers


def put_step(client: Any, town: Town, draft: dict[str, Any], secret: str, step_id: str, answers: Any) -> Any:
    return client.put(
        f"{town.drafts()}/{draft['id']}/steps/{step_id}", json={"answers": answers}, headers=secret_of(secret)
    )


def fill(client: Any, town: Town, draft: dict[str, Any], secret: str, data: Any) -> dict[str, Any]:
    """Answer each next step from ``data`` until the draft is ready; returns the draft."""
    for _ in range(len(town.definition.ui.steps) + 1):
        if draft["next_step"] is None:
            return draft
        step_id = draft["next_step"]
        response = put_step(client, town, draft, secret, step_id, answers_of(client, town, step_id, data))
        assert response.status_code == 200, (step_id, response.json)
        draft = response.json
    raise AssertionError(f"never ready: {draft['steps']}")


def new_draft(client: Any, town: Town) -> tuple[dict[str, Any], str]:
    response = client.post(town.drafts())
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"{town.drafts()}/{response.json['id']}"
    return response.json, response.json["secret"]


def test_the_whole_journey_from_draft_to_signed_certificate(app: Any, platform: Any, town: Town):
    client = app.test_client()
    draft, secret = new_draft(client, town)
    assert [s["id"] for s in draft["steps"]][:2] == ["operator-kind", "operator"]
    assert draft["next_step"] == "operator-kind" and not draft["ready"]
    assert draft["answers"] == {} and len(secret) >= 20

    # The first step, then a wrong operator: refused with the messages per field, nothing stored.
    response = put_step(client, town, draft, secret, "operator-kind", {"operator": {"kind": "person"}})
    assert response.status_code == 200, response.json
    assert response.json["next_step"] == "operator"
    assert "company" not in [s["id"] for s in response.json["steps"]], "a person is asked no company"
    refused = put_step(client, town, draft, secret, "operator", {"operator": BAD_OPERATOR})
    assert refused.status_code == 422
    assert refused.json["code"] == "invalid_step" and refused.json["message_th"]
    by_pointer = {e["pointer"]: e for e in refused.json["errors"]}
    assert set(by_pointer) == {"/operator/name/last_name", "/operator/phone"}
    assert "กรุณากรอกนามสกุล" in by_pointer["/operator/name/last_name"]["message_th"]
    assert "Enter last name" in by_pointer["/operator/name/last_name"]["message_en"]
    assert "หมายเลขโทรศัพท์ไม่ถูกต้อง" in by_pointer["/operator/phone"]["message_th"]
    assert refused.json["answers"] == {"operator": {"kind": "person"}}, "the other answers are kept"
    assert client.get(f"{town.drafts()}/{draft['id']}", headers=secret_of(secret)).json["answers"] == {
        "operator": {"kind": "person"}
    }

    # Fixed; then every other step, its files uploaded on their own and listed in its answers.
    fixed = put_step(client, town, draft, secret, "operator", answers_of(client, town, "operator", EXAMPLE))
    assert fixed.status_code == 200, fixed.json
    assert fixed.json["answers"]["operator"]["name"]["last_name"] == "แก้วมณี"
    assert fixed.json["answers"]["operator"]["kind"] == "person", "answers of other steps stay"
    assert [s["complete"] for s in fixed.json["steps"]][:2] == [True, True]
    draft = fill(client, town, fixed.json, secret, EXAMPLE)
    assert draft["ready"] and all(s["complete"] for s in draft["steps"])

    # The files are the draft's now: they live as long as it does.
    listed = draft["answers"]["attachments"]["id_card"]
    assert listed[0]["sha256"] and listed[0]["content_type"] in SAMPLES
    owner = platform.db(Attachment.get(id=listed[0]["id"]))
    assert owner.draft_id == draft["id"] and owner.submission_id is None

    # Read back on another device with the secret: answers and the check-your-answers summary.
    other_device = app.test_client()
    resumed = other_device.get(f"{town.drafts()}/{draft['id']}", headers=secret_of(secret))
    assert resumed.status_code == 200
    assert resumed.json["answers"] == draft["answers"] and resumed.json["ready"]
    assert "secret" not in resumed.json, "the secret is shown once"
    summary = {s["step_id"]: s for s in resumed.json["summary"]}
    operator = {a["pointer"]: a for a in summary["operator"]["answers"]}
    assert (
        operator["/operator/national_id"]["label"]["en"] and operator["/operator/national_id"]["label"]["th"]
    )
    assert operator["/operator/name/last_name"]["text"] == {"th": "แก้วมณี", "en": "แก้วมณี"}
    assert "company" not in summary

    # A wrong secret is "no such draft", as for a draft that never was; a secret in the URL is refused.
    wrong = other_device.get(f"{town.drafts()}/{draft['id']}", headers=secret_of(secret[:-2] + "xx"))
    assert wrong.status_code == 404 and wrong.json["code"] == "draft_not_found"
    assert other_device.get(f"{town.drafts()}/{draft['id']}").status_code == 401
    leaked = other_device.get(f"{town.drafts()}/{draft['id']}?secret={secret}", headers=secret_of(secret))
    assert leaked.status_code == 400 and leaked.json["code"] == "draft_secret_in_query"

    # Submitted: the receipt of POST …/submissions, and the draft is gone.
    submitted = client.post(f"{town.drafts()}/{draft['id']}/submit", headers=secret_of(secret))
    assert submitted.status_code == 201, submitted.json
    reference, tracking = submitted.json["reference"], submitted.json["tracking_token"]
    assert reference.startswith("CA-") and submitted.json["status"] == "submitted"
    assert client.get(f"{town.drafts()}/{draft['id']}", headers=secret_of(secret)).status_code == 404
    assert platform.db(Attachment.get(id=listed[0]["id"])).submission_id is not None

    # Tracked with the tracking token: the applicant may withdraw (as on the portal's tracking page).
    applicant = {"X-Tracking-Token": tracking}
    tracked = client.get(f"/api/v1/tenants/{town.slug}/submissions/{reference}", headers=applicant)
    assert tracked.status_code == 200 and tracked.json["status"] == "submitted"
    assert [(a["action"], a["ends_application"]) for a in tracked.json["actions"]] == [("withdraw", True)]
    documents_url = f"/api/v1/tenants/{town.slug}/submissions/{reference}/documents"
    assert client.get(documents_url, headers=applicant).json == {"documents": []}

    # Officers take it to "issued" through the same API; the worker signs the certificate.
    definition = town.definition
    final = next(s for s, st in definition.workflow.states.items() if st.final and st.outcome == "approved")
    path = next(p for p in paths_to(definition, final) if passable(p, EXAMPLE, {"payment": "none"}))
    tracking_url = f"/api/v1/tenants/{town.slug}/submissions/{reference}"
    for transition in path:
        role = next(r for r in transition.roles if r in town.tokens)
        response = client.post(
            f"{tracking_url}/transitions",
            json={"action": transition.action, "input": first_input(transition) or {}},
            headers=town.auth(role),
        )
        assert response.status_code == 200, (transition.action, response.json)
        platform.db(run_pending(runners_for(platform), limit=WORK_LIMIT))
        if response.json["status"] == "awaiting_payment":
            # The fee to pay, as the tracking page shows it: its Thai QR for what is owed.
            [fee] = client.get(tracking_url, headers=applicant).json["bills"]
            assert fee["status"] == "unpaid" and Decimal(fee["owed"]) > 0
            assert crc_valid(fee["qr_payload"]) and fee["ref1"] in fee["qr_payload"]
    [fee] = client.get(tracking_url, headers=applicant).json["bills"]
    assert fee["status"] == "paid" and fee["qr_payload"] is None

    listed_docs = client.get(documents_url, headers=applicant)
    assert listed_docs.status_code == 200
    [document] = listed_docs.json["documents"]
    stored = platform.db(IssuedDocument.get(public_id=document["public_id"]))
    assert document["title"] == {"th": stored.title_th, "en": stored.title_en}
    assert document["number"] == stored.number and document["issued_at"]
    assert document["download_url"] == f"{documents_url}/{stored.public_id}.pdf"
    pdf = client.get(document["download_url"], headers=applicant)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and pdf.data == platform.blobs.get(stored.blob_key)
    assert hashlib.sha256(pdf.data).hexdigest() == stored.sha256
    assert "attachment" in pdf.headers["Content-Disposition"]

    # An officer of the municipality lists them too; the wrong token and other applications see nothing.
    assert client.get(documents_url, headers=town.auth("clerk")).json == listed_docs.json
    assert client.get(documents_url, headers={"X-Tracking-Token": "X" * 32}).status_code == 404
    other, other_secret = new_draft(client, town)
    fill(client, town, other, other_secret, EXAMPLE)
    second = client.post(f"{town.drafts()}/{other['id']}/submit", headers=secret_of(other_secret)).json
    crossed = client.get(
        f"/api/v1/tenants/{town.slug}/submissions/{second['reference']}/documents/{stored.public_id}.pdf",
        headers={"X-Tracking-Token": second["tracking_token"]},
    )
    assert crossed.status_code == 404 and crossed.json["code"] == "document_not_found"


def test_a_step_refuses_answers_it_does_not_ask_and_files_that_are_not_the_applicants(
    app: Any, platform: Any, town: Town
):
    client = app.test_client()
    draft, secret = new_draft(client, town)
    stray = put_step(
        client,
        town,
        draft,
        secret,
        "operator-kind",
        {"operator": {"kind": "person"}, "business": {"name": "x"}},
    )
    assert stray.status_code == 422
    assert [e["pointer"] for e in stray.json["errors"]] == ["/business/name"]
    assert stray.json["errors"][0]["message_en"] == "This step does not ask for this answer"
    assert client.get(f"{town.drafts()}/{draft['id']}", headers=secret_of(secret)).json["answers"] == {}

    unknown = put_step(client, town, draft, secret, "no-such-step", {})
    assert unknown.status_code == 404 and unknown.json["code"] == "step_not_found"

    files = answers_of(client, town, "attachments", EXAMPLE)
    files["attachments"]["id_card"] = [{**files["attachments"]["id_card"][0], "id": "A" * 24}]
    foreign = put_step(client, town, draft, secret, "attachments", files)
    assert foreign.status_code == 422
    assert [e["pointer"] for e in foreign.json["errors"]] == ["/attachments/id_card/0"]
    assert "แนบไฟล์อีกครั้ง" in foreign.json["errors"][0]["message_th"]

    # Saved as the portal's "save and come back later": stored with its problems listed.
    kept = client.put(
        f"{town.drafts()}/{draft['id']}/steps/operator",
        json={"answers": {"operator": BAD_OPERATOR}, "keep_invalid": True},
        headers=secret_of(secret),
    )
    assert kept.status_code == 200 and kept.json["answers"]["operator"]["phone"] == "08123"
    assert {e["pointer"] for e in kept.json["errors"]} == {"/operator/name/last_name", "/operator/phone"}

    # The same secret is the portal's resume link: a browser continues where the app stopped.
    browser = app.test_client().get(f"/{town.slug}/resume/{secret}")
    assert browser.status_code == 302 and urlsplit(browser.location).path.endswith("/apply/operator")

    # Submitting it now stores nothing and says which step asks each answer.
    early = client.post(f"{town.drafts()}/{draft['id']}/submit", headers=secret_of(secret))
    assert early.status_code == 422 and early.json["code"] == "invalid_submission"
    steps = {e["pointer"]: e["step_id"] for e in early.json["errors"]}
    assert steps["/operator/phone"] == "operator"
    assert client.get(f"{town.drafts()}/{draft['id']}", headers=secret_of(secret)).status_code == 200

    # Discarded with its files.
    gone = client.delete(f"{town.drafts()}/{draft['id']}", headers=secret_of(secret))
    assert gone.status_code == 204
    assert platform.db(Draft.filter(id=draft["id"]).exists()) is False
    assert client.get(f"{town.drafts()}/{draft['id']}", headers=secret_of(secret)).status_code == 404


def test_a_draft_of_another_municipality_is_not_found(app: Any, platform: Any, town: Town):
    client = app.test_client()
    draft, secret = new_draft(client, town)
    other = platform.db(make_tenant(platform))  # offers the food service too
    elsewhere = client.get(
        f"/api/v1/tenants/{other.slug}/services/{FOOD}/drafts/{draft['id']}", headers=secret_of(secret)
    )
    assert elsewhere.status_code == 404 and elsewhere.json["code"] == "draft_not_found"
    mine, _mine_secret = new_draft(client, town)
    swapped = client.get(f"{town.drafts()}/{mine['id']}", headers=secret_of(secret))
    assert swapped.status_code == 404, "one draft's secret opens no other draft"


def test_the_api_gives_the_messages_the_portal_shows_for_the_same_input(app: Any, town: Town):
    """The portal's page and the API refuse the same operator with the same words."""
    client = app.test_client()
    draft, secret = new_draft(client, town)
    put_step(client, town, draft, secret, "operator-kind", {"operator": {"kind": "person"}})
    refused = put_step(client, town, draft, secret, "operator", {"operator": BAD_OPERATOR}).json["errors"]

    citizen = Citizen(app.test_client(), town.slug)
    first = citizen.start(FOOD)
    citizen.post(first, {"/operator/kind": "person", "action": "continue"})
    operator = urlsplit(citizen.location).path
    for language, key in (("th", "message_th"), ("en", "message_en")):
        citizen.get(f"{operator}?lang={language}")
        citizen.post(operator, {**BAD_OPERATOR_FORM, "action": "continue"})
        assert citizen.status == 200
        page = citizen.page.text
        for error in refused:
            assert error[key] in page, (language, error[key])


# --- bills ------------------------------------------------------------------------------------

PERIODS = ("2570-01", "2570-02")
PAID_PERIOD = "2569-12"
PHONE = "0812345678"


def _paid(bill: Bill, amount: Decimal) -> payments.Reported:
    return payments.Reported(
        transaction_id=f"T{uuid.uuid4().hex[:16]}",
        ref1=bill.ref1,
        ref2=bill.ref2,
        amount=amount,
        paid_at=datetime.now(UTC),
    )


@pytest.fixture(scope="module")
def billed(platform: Any) -> Any:
    """A garbage account billed for three months: the first paid (its e-receipt signed by the
    finance officer's key in a development PKI), the second partly paid, the third not at all."""
    tenant = platform.db(make_tenant(platform))
    server = DevPkiServer(port=0)
    officers = [Officer(tenant.slug, "finance_officer", "สมศรี การเงิน", "เทศบาลทดสอบ")]
    server.start(ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url))

    async def setup() -> tuple[Any, FeeAccount]:
        await direct_accounts(tenant, 1)
        await FeeAccount.filter(tenant=tenant).update(holder="นางสมพร ใจดี", phone=PHONE)
        account = await FeeAccount.get(tenant=tenant)
        for period in (PAID_PERIOD, *PERIODS):
            await billing_runs.run_billing(tenant, period, catalog=platform.catalog)
        paid = await Bill.get(account=account, period=PAID_PERIOD)
        await payments.record_payment(tenant, _paid(paid, paid.amount))
        first = await Bill.get(account=account, period=PERIODS[0])
        await payments.record_payment(tenant, _paid(first, Decimal("10.00")))
        await run_pending(runners_for(platform), limit=WORK_LIMIT)
        return tenant, account

    try:
        yield platform.db(setup())
    finally:
        server.stop()


def crc_valid(payload: str) -> bool:
    return promptpay.crc16(payload[:-4]) == payload[-4:]


def test_an_accounts_bills_carry_their_thai_qr_and_references(client: Any, billed: Any):
    tenant, account = billed
    number = account.number
    response = client.get(f"/api/v1/tenants/{tenant.slug}/bills/{number.lower().replace('-', ' ')}")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["account"]["number"] == number
    assert body["account"]["holder"] == "นางสมพร ใ…", "the holder is masked, as on the portal"
    first, second = body["unpaid"]
    assert [first["period"], second["period"]] == list(PERIODS)
    assert first["status"] == "partial" and first["amount"] == "25.00" and first["owed"] == "15.00"
    assert second["status"] == "unpaid" and second["owed"] == "25.00"
    assert body["arrears"] == "40.00"
    assert first["due_date"] == "2027-02-28" and second["due_date"] == "2027-03-31"
    for row in (first, second):
        assert crc_valid(row["qr_payload"]), row["qr_payload"]
        assert row["ref1"] and row["ref2"] and row["ref1"] in row["qr_payload"]
        assert row["description"]["th"] and row["description"]["en"]
    assert "15.00" in first["qr_payload"] and crc_valid(body["arrears_qr_payload"])

    # The PNG scans to the same payload.
    for url, payload in (
        (first["qr_png_url"], first["qr_payload"]),
        (body["arrears_qr_png_url"], body["arrears_qr_payload"]),
    ):
        png = client.get(url)
        assert png.status_code == 200 and png.mimetype == "image/png"
        assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
        assert code.text == payload

    # Nothing owed for a period, an unknown account, another municipality's: 404.
    assert client.get(f"/api/v1/tenants/{tenant.slug}/bills/{number}/qr/2560-01.png").status_code == 404
    missing = client.get(f"/api/v1/tenants/{tenant.slug}/bills/GB-0000001")
    assert missing.status_code == 404 and missing.json["code"] == "account_not_found"


def test_receipts_need_the_phone_number_registered_with_the_account(platform: Any, client: Any, billed: Any):
    tenant, account = billed
    url = f"/api/v1/tenants/{tenant.slug}/bills/{account.number}"
    [paid] = client.get(url).json["paid"]
    assert paid["period"] == PAID_PERIOD and paid["status"] == "paid" and "receipt" not in paid

    wrong = client.get(url, headers={"X-Account-Phone": "0899999999"})
    assert wrong.status_code == 403 and wrong.json["code"] == "account_phone_wrong"
    assert wrong.json["message_th"] == "หมายเลขโทรศัพท์ไม่ตรงกับที่ลงทะเบียนไว้ ตรวจสอบแล้วลองอีกครั้ง"

    [paid] = client.get(url, headers={"X-Account-Phone": "081-234-5678"}).json["paid"]
    receipt = paid["receipt"]
    stored = platform.db(IssuedDocument.get(public_id=receipt["public_id"]))
    pdf = client.get(receipt["download_url"], headers={"X-Account-Phone": PHONE})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and pdf.data == platform.blobs.get(stored.blob_key)
    assert client.get(receipt["download_url"]).status_code == 401


def test_the_new_routes_are_in_the_openapi_document(client: Any):
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    for path in (
        "/api/v1/tenants/{tenant}/services/{service_id}/drafts",
        "/api/v1/tenants/{tenant}/services/{service_id}/drafts/{draft_id}",
        "/api/v1/tenants/{tenant}/services/{service_id}/drafts/{draft_id}/steps/{step_id}",
        "/api/v1/tenants/{tenant}/services/{service_id}/drafts/{draft_id}/submit",
        "/api/v1/tenants/{tenant}/submissions/{reference}/documents",
        "/api/v1/tenants/{tenant}/submissions/{reference}/documents/{public_id}.pdf",
        "/api/v1/tenants/{tenant}/bills/{account}",
        "/api/v1/tenants/{tenant}/bills/{account}/qr/{period}.png",
        "/api/v1/tenants/{tenant}/bills/{account}/receipts/{public_id}.pdf",
    ):
        assert path in spec["paths"], path
