"""Payments end to end: a household is billed, pays by a signed notification and gets a signed receipt.

Runs on SQLite and (with ``-m db``) on PostgreSQL. Notifications go through the real API
with a real HMAC; the receipt is rendered, signed and verified like any issued document.
Duplicates, forgeries, unknown references, partial, excess and arrears payments, and
notifications that arrive before their bill each end as the module doc of
``engine.services.payments`` says.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from engine.payments import promptpay
from engine.services import accounts, billing, billing_runs, payments, submissions, tenants
from engine.services.effects import run_pending
from engine.store.models import (
    Bill,
    EffectJob,
    FeeAccount,
    IssuedDocument,
    Payment,
    PaymentAllocation,
    Submission,
)
from signing.pki import DevPkiServer, Officer, ensure_dev_pki
from signing.verify import verify_pdf
from tests.integration.test_billing import WORK_LIMIT, walk_to
from tests.signing_fixtures import need_tool
from thongthin.runners import runners_for

pytestmark = pytest.mark.db

RATE = Decimal("25.00")  # the town's household rate (the catalog default is 20)
TOWN_TH = "เทศบาลตำบลทดสอบการชำระเงิน"


@pytest.fixture(scope="module")
def town(platform: Any) -> dict[str, Any]:
    """A municipality with garbage and food services, a notification secret and a finance officer's key."""
    slug = f"p{uuid.uuid4().hex[:8]}"

    async def setup() -> dict[str, Any]:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th=TOWN_TH,
            name_en="Payment Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="PT",
            address_th="ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่",
        )
        await tenants.enable_service(
            tenant,
            platform.catalog.get("garbage-fee"),
            {"fees": {"garbage_monthly": {"rates": {"household": float(RATE), "shop": 40}}}},
        )
        food = platform.catalog.get("food-premises-notification")
        await tenants.enable_service(tenant, food)
        secret = await payments.rotate_secret(tenant)
        acting = {r for t in food.workflow.transitions for r in t.roles}
        signing = {s.role for d in food.service.documents for s in d.signers}
        roles = (acting | signing) - {"applicant", "system"}
        users = {
            role: await accounts.create_user(tenant, f"{slug}.{role}", "pw-" + slug, f"สมศรี {role}", [role])
            for role in roles | {"finance_officer"}
        }
        return {"tenant": tenant, "secret": secret, "users": users}

    made = platform.db(setup())
    food = platform.catalog.get("food-premises-notification")
    roles = {"finance_officer"} | {s.role for d in food.service.documents for s in d.signers}
    officers = [Officer(slug, role, made["users"][role].display_name, TOWN_TH) for role in sorted(roles)]
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield {**made, "pki": pki, "slug": slug}
    server.stop()


def work(platform: Any) -> None:
    platform.db(run_pending(runners_for(platform), limit=WORK_LIMIT))


def register_household(platform: Any, town: dict[str, Any]) -> FeeAccount:
    """A household registered online, approved; its account opened by the worker."""
    reference = platform.db(
        walk_to(platform, town["tenant"], "garbage-fee", "valid-household", "account_opened")
    )
    work(platform)
    submission = platform.db(Submission.get(tenant=town["tenant"], reference=reference))
    return platform.db(FeeAccount.get(tenant=town["tenant"], submission=submission))


def bill_of(platform: Any, account: FeeAccount, period: str) -> Bill:
    return platform.db(Bill.get(tenant_id=account.tenant_id, account=account, period=period))


def notify(client: Any, town: dict[str, Any], secret: str | None = None, **fields: Any) -> Any:
    """POST a signed payment notification as a bank would."""
    body = json.dumps({"tenant": town["slug"], "paid_at": "2026-01-10T09:15:00+07:00", **fields}).encode()
    signature = payments.signature(secret or town["secret"], body)
    return client.post(
        "/api/v1/payments/notify",
        data=body,
        headers={"Content-Type": "application/json", payments.SIGNATURE_HEADER: signature},
    )


def new_transaction() -> str:
    return "TX" + uuid.uuid4().hex[:16].upper()


def receipt_jobs(platform: Any, bill: Bill) -> int:
    jobs = platform.db(EffectJob.filter(tenant_id=bill.tenant_id, type="issue_receipt"))
    return sum(job.params.get("bill") == bill.id for job in jobs)


def receipts(platform: Any, bill: Bill) -> list[IssuedDocument]:
    return platform.db(IssuedDocument.filter(bill_id=bill.id))


def test_a_household_billed_pays_by_notification_and_gets_a_signed_receipt(
    platform: Any, town: dict[str, Any], client: Any, tmp_path: Path
):
    account = register_household(platform, town)
    platform.db(billing_runs.run_billing(town["tenant"], "2570-01", catalog=platform.catalog))
    bill = bill_of(platform, account, "2570-01")
    fields = promptpay.parse(bill.qr_payload)
    assert fields["30"]["02"] == bill.ref1 and fields["30"]["03"] == "257001" and fields["54"] == "25.00"

    transaction = new_transaction()
    answer = notify(client, town, transaction_id=transaction, ref1=bill.ref1, ref2=bill.ref2, amount="25.00")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "applied" and body["problem"] is None and body["duplicate"] is False
    bill = bill_of(platform, account, "2570-01")
    assert bill.status == "paid" and Decimal(str(bill.paid_amount)) == RATE and bill.settled_at is not None

    assert receipts(platform, bill) == [], "the receipt is issued after the commit, by the worker"
    work(platform)
    [receipt] = receipts(platform, bill)
    assert (
        receipt.status == "issued" and receipt.document_id == "receipt" and receipt.holder == account.holder
    )
    pdf = platform.blobs.get(receipt.blob_key)
    report = verify_pdf(pdf, town["pki"].trust_roots())
    assert report.status == "valid" and len(report.signatures) == 1, report
    need_tool("pdftotext")
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "ใบเสร็จรับเงิน" in text and receipt.number.split("/")[0] in text
    # (pdftotext moves Thai tone marks about, so the words are checked where it keeps them whole)
    assert "ห้าบาทถ้วน" in text and "25.00" in text and "มกราคม 2570" in text and account.number in text
    assert transaction in text, "the receipt says how it was paid"
    # Anyone can check it like any document: by its public ID (the QR on the page leads there).
    checked = client.get(f"/api/v1/documents/{receipt.public_id}").get_json()
    assert checked["genuine"] is True and checked["in_register"] is True
    # The worker running again issues no second receipt.
    work(platform)
    assert len(receipts(platform, bill)) == 1


def test_the_same_transaction_twice_is_recorded_once(platform: Any, town: dict[str, Any], client: Any):
    account = register_household(platform, town)
    platform.db(billing_runs.run_billing(town["tenant"], "2570-01", catalog=platform.catalog))
    bill = bill_of(platform, account, "2570-01")
    transaction = new_transaction()
    fields = {"transaction_id": transaction, "ref1": bill.ref1, "ref2": bill.ref2, "amount": "25.00"}
    first = notify(client, town, **fields).get_json()
    again = notify(client, town, **fields)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert again.get_json()["payment_id"] == first["payment_id"]
    assert platform.db(Payment.filter(tenant=town["tenant"], transaction_id=transaction).count()) == 1
    bill = bill_of(platform, account, "2570-01")
    assert Decimal(str(bill.paid_amount)) == RATE, "paid once, not twice"
    assert receipt_jobs(platform, bill) == 1
    # The same ID with another amount is not a retry but a mistake: refused, nothing changes.
    conflict = notify(client, town, **{**fields, "amount": "30.00"})
    assert conflict.status_code == 409 and conflict.get_json()["code"] == "transaction_conflict"
    assert Decimal(str(bill_of(platform, account, "2570-01").paid_amount)) == RATE


def test_concurrent_deliveries_of_one_transaction_record_it_once(platform: Any, town: dict[str, Any]):
    account = register_household(platform, town)
    platform.db(billing_runs.run_billing(town["tenant"], "2570-01", catalog=platform.catalog))
    bill = bill_of(platform, account, "2570-01")
    reported = payments.Reported(
        transaction_id=new_transaction(),
        ref1=bill.ref1,
        ref2=bill.ref2,
        amount=RATE,
        paid_at=payments.parse_time("2026-01-10T09:15:00+07:00"),
    )

    async def deliver_twice() -> list[Any]:
        return await asyncio.gather(
            payments.record_payment(town["tenant"], reported),
            payments.record_payment(town["tenant"], reported),
        )

    results = platform.db(deliver_twice())
    assert sorted(r.duplicate for r in results) == [False, True]
    assert Decimal(str(bill_of(platform, account, "2570-01").paid_amount)) == RATE


def test_two_payments_of_one_bill_at_once_both_count(platform: Any, town: dict[str, Any]):
    account = register_household(platform, town)
    platform.db(billing_runs.run_billing(town["tenant"], "2570-01", catalog=platform.catalog))
    bill = bill_of(platform, account, "2570-01")

    def half() -> payments.Reported:
        return payments.Reported(
            transaction_id=new_transaction(),
            ref1=bill.ref1,
            ref2=bill.ref2,
            amount=Decimal("12.50"),
            paid_at=payments.parse_time("2026-01-10T09:15:00+07:00"),
        )

    async def both() -> None:
        await asyncio.gather(
            payments.record_payment(town["tenant"], half()), payments.record_payment(town["tenant"], half())
        )

    platform.db(both())
    bill = bill_of(platform, account, "2570-01")
    assert bill.status == "paid" and Decimal(str(bill.paid_amount)) == RATE
    assert receipt_jobs(platform, bill) == 1


def test_a_forged_notification_changes_nothing(platform: Any, town: dict[str, Any], client: Any):
    account = register_household(platform, town)
    platform.db(billing_runs.run_billing(town["tenant"], "2570-01", catalog=platform.catalog))
    bill = bill_of(platform, account, "2570-01")
    transaction = new_transaction()
    fields = {"transaction_id": transaction, "ref1": bill.ref1, "ref2": bill.ref2, "amount": "25.00"}
    forged = notify(client, town, secret="not-the-secret", **fields)
    assert forged.status_code == 401 and forged.get_json()["code"] == "bad_signature"
    # A body changed after signing fails too.
    body = json.dumps({"tenant": town["slug"], "paid_at": "2026-01-10T09:15:00+07:00", **fields}).encode()
    tampered = body.replace(b'"25.00"', b'"2500.00"')
    answer = client.post(
        "/api/v1/payments/notify",
        data=tampered,
        headers={
            "Content-Type": "application/json",
            payments.SIGNATURE_HEADER: payments.signature(town["secret"], body),
        },
    )
    assert answer.status_code == 401
    unsigned = client.post("/api/v1/payments/notify", data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert platform.db(Payment.filter(tenant=town["tenant"], transaction_id=transaction).count()) == 0
    assert bill_of(platform, account, "2570-01").status == "unpaid"


def test_malformed_notifications_name_the_field(platform: Any, town: dict[str, Any], client: Any):
    for fields, field in (
        ({"transaction_id": new_transaction(), "ref1": "GB000001", "amount": "-5"}, "amount"),
        ({"transaction_id": new_transaction(), "ref1": "GB000001", "amount": "1.005"}, "amount"),
        ({"transaction_id": "", "ref1": "GB000001", "amount": "5"}, "transaction_id"),
        ({"transaction_id": new_transaction(), "amount": "5"}, "ref1"),
    ):
        answer = notify(client, town, **fields)
        assert answer.status_code == 422 and answer.get_json()["field"] == field, answer.get_json()
    stale = notify(
        client, town, transaction_id=new_transaction(), ref1="GB000001", amount="5", paid_at="10/01/2570"
    )
    assert stale.status_code == 422 and stale.get_json()["field"] == "paid_at"
    # Times no payment can have: far ahead (it would break every page listing payments), or of old.
    for moment in ("9999-12-31T23:59:59+00:00", "2999-01-01T00:00:00+07:00", "1970-01-01T00:00:00+00:00"):
        odd = notify(
            client, town, transaction_id=new_transaction(), ref1="GB000001", amount="5", paid_at=moment
        )
        assert odd.status_code == 422 and odd.get_json()["field"] == "paid_at", moment
    unknown_town = client.post(
        "/api/v1/payments/notify",
        data=json.dumps({"tenant": "no-such-town"}),
        content_type="application/json",
        headers={"X-Thongthin-Signature": "sha256=" + "0" * 64},
    )
    assert unknown_town.status_code == 404
    unsigned = client.post(
        "/api/v1/payments/notify",
        data=json.dumps({"tenant": town["tenant"].slug}),
        content_type="application/json",
    )
    assert unsigned.status_code == 401 and unsigned.get_json()["code"] == "signature_missing"


def test_an_unknown_reference_is_held_and_a_payment_before_its_bill_is_applied_after_the_run(
    platform: Any, town: dict[str, Any], client: Any
):
    account = register_household(platform, town)
    unknown = notify(client, town, transaction_id=new_transaction(), ref1="ZZ999999", ref2="0", amount="25")
    assert unknown.status_code == 200 and unknown.get_json()["status"] == "held"
    assert unknown.get_json()["problem"] == "unknown_reference"
    held = platform.db(payments.needing_review(town["tenant"]))
    assert unknown.get_json()["payment_id"] in [p.id for p in held], "held for an officer, never dropped"

    # February's bill is paid (a standing order, say) before February's billing run.
    code = billing.reference_code(account.number)
    early = notify(client, town, transaction_id=new_transaction(), ref1=code, ref2="257002", amount="25.00")
    assert early.get_json()["status"] == "held"
    platform.db(billing_runs.run_billing(town["tenant"], "2570-02", catalog=platform.catalog))
    february = bill_of(platform, account, "2570-02")
    assert february.status == "paid", "the held payment was matched once its bill existed"
    payment = platform.db(Payment.get(id=early.get_json()["payment_id"]))
    assert payment.status == "applied" and payment.problem == ""
    assert platform.db(Payment.get(id=unknown.get_json()["payment_id"])).status == "held"


def test_partial_payments_add_up_and_the_receipt_comes_once_paid(
    platform: Any, town: dict[str, Any], client: Any
):
    account = register_household(platform, town)
    platform.db(billing_runs.run_billing(town["tenant"], "2570-01", catalog=platform.catalog))
    bill = bill_of(platform, account, "2570-01")
    first = notify(
        client, town, transaction_id=new_transaction(), ref1=bill.ref1, ref2=bill.ref2, amount="10.00"
    )
    assert first.get_json()["problem"] == "underpaid"
    bill = bill_of(platform, account, "2570-01")
    assert bill.status == "partial" and billing.outstanding(bill) == Decimal("15.00")
    # The bill's QR now asks for what is left.
    assert promptpay.parse(billing.bill_payload(town["tenant"], bill))["54"] == "15.00"
    work(platform)
    assert receipts(platform, bill) == []
    rest = notify(
        client, town, transaction_id=new_transaction(), ref1=bill.ref1, ref2=bill.ref2, amount="15.00"
    )
    assert rest.get_json()["problem"] is None
    bill = bill_of(platform, account, "2570-01")
    assert bill.status == "paid"
    work(platform)
    assert len(receipts(platform, bill)) == 1


def test_paying_too_much_is_flagged_with_the_excess_kept(platform: Any, town: dict[str, Any], client: Any):
    account = register_household(platform, town)
    platform.db(billing_runs.run_billing(town["tenant"], "2570-01", catalog=platform.catalog))
    bill = bill_of(platform, account, "2570-01")
    answer = notify(
        client, town, transaction_id=new_transaction(), ref1=bill.ref1, ref2=bill.ref2, amount="40.00"
    )
    assert answer.get_json()["status"] == "applied" and answer.get_json()["problem"] == "overpaid"
    bill = bill_of(platform, account, "2570-01")
    assert bill.status == "paid" and Decimal(str(bill.paid_amount)) == Decimal("40.00")
    assert answer.get_json()["payment_id"] in [
        p.id for p in platform.db(payments.needing_review(town["tenant"]))
    ]


def test_one_arrears_payment_settles_the_oldest_bills_first(platform: Any, town: dict[str, Any], client: Any):
    account = register_household(platform, town)
    for period in ("2570-01", "2570-02", "2570-03"):
        platform.db(billing_runs.run_billing(town["tenant"], period, catalog=platform.catalog))
    found = platform.db(billing.statement(town["tenant"], account))
    assert found.arrears == RATE * 3 and len(found.unpaid) == 3
    arrears = promptpay.parse(found.arrears_payload)
    assert arrears["30"]["03"] == "0" and arrears["54"] == "75.00"
    # Two months' worth through the arrears QR: January and February are settled, March is not.
    answer = notify(
        client, town, transaction_id=new_transaction(), ref1=arrears["30"]["02"], ref2="0", amount="50.00"
    )
    assert answer.get_json()["status"] == "applied"
    assert [b["ref2"] for b in answer.get_json()["settled"]] == ["257001", "257002"]
    assert bill_of(platform, account, "2570-03").status == "unpaid"
    allocations = platform.db(PaymentAllocation.filter(payment_id=answer.get_json()["payment_id"]))
    assert sorted(Decimal(str(a.amount)) for a in allocations) == [RATE, RATE]
    work(platform)
    assert len(receipts(platform, bill_of(platform, account, "2570-01"))) == 1
    assert len(receipts(platform, bill_of(platform, account, "2570-02"))) == 1


def test_a_paid_one_off_fee_moves_the_application_on(platform: Any, town: dict[str, Any], client: Any):
    """The food-premises fee: the workflow waits in awaiting_payment until the bank says it is paid."""
    tenant = town["tenant"]
    reference = platform.db(
        walk_to(
            platform, tenant, "food-premises-notification", "valid-noodle-shop-person", "awaiting_payment"
        )
    )
    work(platform)  # request_payment creates the bill
    submission = platform.db(Submission.get(tenant=tenant, reference=reference))
    [bill] = platform.db(Bill.filter(tenant=tenant, submission=submission))
    assert bill.account_id is None and bill.status == "unpaid"
    assert platform.db(submissions.payment_status(submission)) == "unpaid"
    # The applicant's tracking page (opened with the link sent to their phone) shows what is owed,
    # with the QR to pay it; the status-only page of a phone number does not.
    from tests.integration.test_applicant_secret import ask_on_the_portal, link_in, sent_links

    asked = ask_on_the_portal(client, town["slug"], reference, "0841239876")
    assert asked.status_code == 200 and "data-qr-payload" not in asked.get_data(as_text=True)
    [sent] = sent_links(platform, tenant.id, reference)
    tracked = client.get(urlsplit(link_in(sent)).path)
    assert tracked.status_code == 302
    status_page = client.get(tracked.headers["Location"]).get_data(as_text=True)
    [payload] = re.findall(r'data-fee-bill data-qr-payload="([^"]+)"', status_page)
    fields = promptpay.parse(payload)
    assert fields["30"]["02"] == bill.ref1 and fields["54"] == f"{Decimal(str(bill.amount)):.2f}"
    answer = notify(
        client,
        town,
        transaction_id=new_transaction(),
        ref1=bill.ref1,
        ref2=bill.ref2,
        amount=str(bill.amount),
    )
    assert answer.status_code == 200 and answer.get_json()["status"] == "applied"
    submission = platform.db(Submission.get(id=submission.id))
    assert submission.state == "issued", "payment_received fired by the system"
    history = platform.db(submissions.history(submission))
    assert history[-1].action == "payment_received" and history[-1].role == "system"
    work(platform)  # the certificate and the receipt
    issued = platform.db(IssuedDocument.filter(submission=submission, status="issued"))
    assert sorted(d.document_id for d in issued) == ["certificate", "receipt"]
    status_page = client.get(tracked.headers["Location"]).get_data(as_text=True)
    assert "data-qr-payload" not in status_page and "ชำระแล้ว" in status_page
    receipt = next(d for d in issued if d.document_id == "receipt")
    downloaded = client.get(f"/{town['slug']}/track/{reference}/documents/{receipt.public_id}")
    assert downloaded.status_code == 200 and downloaded.data == platform.blobs.get(receipt.blob_key)


def test_a_fee_paid_at_the_counter_settles_the_bill_without_a_second_receipt(
    platform: Any, town: dict[str, Any]
):
    tenant = town["tenant"]
    definition = platform.catalog.get("food-premises-notification")
    reference = platform.db(
        walk_to(platform, tenant, definition.id, "valid-noodle-shop-person", "awaiting_payment")
    )
    work(platform)
    submission = platform.db(Submission.get(tenant=tenant, reference=reference))
    [bill] = platform.db(Bill.filter(tenant=tenant, submission=submission))
    platform.db(
        submissions.transition(
            tenant,
            definition,
            reference,
            "confirm_payment",
            {"finance_officer"},
            input={"receipt_no": "112/2570-0457"},
            actor=town["users"]["finance_officer"],
        )
    )
    work(platform)
    work(platform)  # a repeated job records nothing more
    bill = platform.db(Bill.get(id=bill.id))
    assert bill.status == "paid" and bill.paid_amount == bill.amount
    [payment] = platform.db(Payment.filter(tenant=tenant, ref1=bill.ref1))
    assert payment.source == "counter" and payment.received["receipt_no"] == "112/2570-0457"
    issued = platform.db(IssuedDocument.filter(submission_id=submission.id))
    assert [d.document_id for d in issued] == ["certificate"], "the counter's receipt book is the receipt"


def test_withdrawing_an_application_cancels_its_unpaid_fee_and_a_late_payment_is_held(
    platform: Any, town: dict[str, Any], client: Any
):
    tenant = town["tenant"]
    definition = platform.catalog.get("food-premises-notification")
    reference = platform.db(
        walk_to(platform, tenant, definition.id, "valid-noodle-shop-person", "awaiting_payment")
    )
    work(platform)
    submission = platform.db(Submission.get(tenant=tenant, reference=reference))
    [bill] = platform.db(Bill.filter(tenant=tenant, submission=submission))
    platform.db(submissions.transition(tenant, definition, reference, "withdraw", {"applicant"}))
    bill = platform.db(Bill.get(id=bill.id))
    assert bill.status == "cancelled"
    assert platform.db(billing.fees_of_submission(submission)).bills == [], (
        "no QR for a withdrawn application"
    )
    late = notify(
        client,
        town,
        transaction_id=new_transaction(),
        ref1=bill.ref1,
        ref2=bill.ref2,
        amount=str(bill.amount),
    )
    assert late.get_json()["status"] == "held", "money for a cancelled fee waits for an officer to refund it"
    assert platform.db(Bill.get(id=bill.id)).status == "cancelled"


def test_the_worker_moves_on_an_application_whose_payment_was_recorded_without_it(
    platform: Any, town: dict[str, Any]
):
    """As after a crash between the payment's commit and the transition: the worker's sweep catches it."""
    tenant = town["tenant"]
    definition = platform.catalog.get("food-premises-notification")
    reference = platform.db(
        walk_to(platform, tenant, definition.id, "valid-noodle-shop-person", "awaiting_payment")
    )
    work(platform)
    submission = platform.db(Submission.get(tenant=tenant, reference=reference))
    [bill] = platform.db(Bill.filter(tenant=tenant, submission=submission))
    reported = payments.Reported(
        transaction_id=new_transaction(),
        ref1=bill.ref1,
        ref2=bill.ref2,
        amount=Decimal(str(bill.amount)),
        paid_at=payments.parse_time("2026-01-10T09:15:00+07:00"),
    )
    platform.db(payments.record_payment(tenant, reported))  # no definitions: nothing moves it on
    assert platform.db(Submission.get(id=submission.id)).state == "awaiting_payment"
    platform.db(payments.advance_paid_submissions(platform.definition, limit=10_000))
    assert platform.db(Submission.get(id=submission.id)).state == "issued"
    # A second sweep leaves it alone: it moved on after the payment.
    assert platform.db(payments.advance_paid_submissions(platform.definition, limit=10_000)) == 0
