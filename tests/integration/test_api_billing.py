"""The console's fees and payments over the API, each answer set beside the console page it stands for.

An administrator starts a billing run and follows it, sets the biller ID and the notification
secret, and reads the fee report; a finance officer imports a bank statement and resolves what
it left for review. The same people are let in as on the pages, and no one else: a clerk is
refused, another municipality's administrator too, and a bad period, an oversized statement or
an unknown payment is a 4xx in Thai and English.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from engine.services import billing, billing_runs, payments
from engine.services.statements import MAX_BYTES
from engine.store.models import Bill, FeeAccount, Payment, StatementImport, Tenant
from tests.integration.test_admin import make_town, officer_client, text_of
from tests.integration.test_admin_billing import (
    DEFAULT_RATE,
    GARBAGE,
    billed_town,
    console,
    held_payment,
    statement,
    tx,
    work,
)
from tests.integration.test_admin_billing import upload as page_upload
from tests.integration.test_api_officer import token_of
from tests.integration.test_billing import GARBAGE_VERSION, direct_accounts

pytestmark = pytest.mark.db


def api(town: Any, path: str) -> str:
    return f"/api/v1/tenants/{town.slug}/{path}"


def bearer(client: Any, town: Any, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_of(client, town.slug, town.users[role])}"}


def thai_and_english(answer: Any, status: int, code: str) -> dict[str, Any]:
    """A refusal a person can read: the status and code, an English and a Thai message."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    body: dict[str, Any] = answer.json
    assert body["code"] == code, body
    assert body["message"] and re.search(r"[ก-๙]", body["message_th"]), body
    return body


def upload(
    client: Any, town: Any, headers: dict[str, str], content: bytes, name: str = "statement.csv"
) -> Any:
    return client.post(
        api(town, "payments/statements"),
        headers=headers,
        data={"statement": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


# --- billing runs -----------------------------------------------------------------------------


def test_a_billing_run_started_over_the_api_is_the_run_the_page_shows(app: Any, platform: Any, client: Any):
    town = make_town(platform, roles=["admin"])
    platform.db(direct_accounts(town.tenant, 3))
    admin = bearer(client, town, "admin")
    current = billing.current_period()

    listing = client.get(api(town, "billing/runs"), headers=admin)
    assert listing.status_code == 200 and listing.json["runs"] == []
    assert [o["period"] for o in listing.json["offered"]] == billing_runs.offered_periods()
    assert listing.json["offered"][0]["title"]["th"] == billing.period_title(current)

    key = {**admin, "Idempotency-Key": str(uuid.uuid4())}
    queued = client.post(api(town, "billing/runs"), headers=key, json={"period": current})
    assert queued.status_code == 202, queued.json
    assert queued.json["status"] == "queued" and queued.json["working"] is True
    assert queued.headers["Location"] == api(town, f"billing/runs/{current}")
    again = client.post(api(town, "billing/runs"), headers=key, json={"period": current})
    assert again.status_code == 202 and again.headers["Idempotency-Replayed"] == "true"
    assert again.json == queued.json
    other = client.post(
        api(town, "billing/runs"), headers=key, json={"period": billing_runs.offered_periods()[1]}
    )
    assert other.status_code == 422 and other.json["code"] == "idempotency_key_reused"
    assert platform.db(Bill.filter(tenant=town.tenant).count()) == 0, "the worker bills, not the request"

    work(platform)
    run = client.get(queued.headers["Location"], headers=admin)
    assert run.status_code == 200
    figures = run.json
    assert (figures["status"], figures["working"], figures["done"], figures["of"]) == (
        "completed",
        False,
        3,
        3,
    )
    page = text_of(officer_client(app, town, "admin").get(console(town, f"billing/run?period={current}")))
    assert f'id="run-created">{figures["created"]}<' in page and figures["created"] == 3
    assert f'id="run-existing">{figures["existing"]}<' in page
    assert f'id="run-skipped">{figures["skipped"]}<' in page
    assert f'id="run-total">{figures["total"]} บาท<' in page and figures["total"] == "60.00"
    assert figures["title"]["th"] in page

    listed = client.get(api(town, "billing/runs"), headers=admin)
    assert [r["period"] for r in listed.json["runs"]] == [current]
    assert listed.json["runs"][0] == figures
    billing_page = text_of(officer_client(app, town, "admin").get(console(town, "billing")))
    assert f'data-period="{current}"' in billing_page
    unchanged = client.get(
        api(town, "billing/runs"), headers={**admin, "If-None-Match": listed.headers["ETag"]}
    )
    assert unchanged.status_code == 304 and unchanged.get_data() == b""


def test_billing_runs_page_by_cursor_latest_first(app: Any, platform: Any, client: Any):
    town = make_town(platform, roles=["admin"])

    async def runs() -> None:
        await direct_accounts(town.tenant, 1)
        for period in ("2569-01", "2569-02", "2569-03"):
            await billing_runs.run_billing(town.tenant, period, catalog=platform.catalog)

    platform.db(runs())
    admin = bearer(client, town, "admin")
    seen, url = [], api(town, "billing/runs?limit=2")
    while url:
        answer = client.get(url, headers=admin)
        assert answer.status_code == 200, answer.json
        seen += [r["period"] for r in answer.json["runs"]]
        following = answer.json["next_cursor"]
        url = api(town, f"billing/runs?limit=2&cursor={following}") if following else ""
    assert seen == ["2569-03", "2569-02", "2569-01"]
    page = text_of(officer_client(app, town, "admin").get(console(town, "billing")))
    assert re.findall(r'<tr data-period="([0-9-]+)"', page) == seen

    bad = client.get(api(town, "billing/runs?cursor=not-a-cursor"), headers=admin)
    thai_and_english(bad, 400, "invalid_cursor")
    thai_and_english(client.get(api(town, "billing/runs?limit=0"), headers=admin), 400, "invalid_request")


def test_a_bad_period_is_refused_in_thai_and_english(app: Any, platform: Any, client: Any):
    town = make_town(platform, roles=["admin"])
    admin = bearer(client, town, "admin")
    for period in ("2026-13", "nonsense", "2700-12", "", 256903):
        refused = client.post(api(town, "billing/runs"), headers=admin, json={"period": period})
        body = thai_and_english(refused, 422, "invalid_period")
        assert body["message_th"] == "เลือกเดือนที่จะออกใบแจ้งหนี้", "the billing page's own words"
    thai_and_english(client.get(api(town, "billing/runs/nonsense"), headers=admin), 400, "invalid_period")
    thai_and_english(client.get(api(town, "billing/runs/2569-13"), headers=admin), 400, "invalid_period")
    thai_and_english(
        client.get(api(town, "billing/runs/2500-01"), headers=admin), 404, "billing_run_not_found"
    )
    not_json = client.post(
        api(town, "billing/runs"),
        headers=admin,
        data="period=2569-01",
        content_type="application/x-www-form-urlencoded",
    )
    assert not_json.status_code == 415
    assert client.get(api(town, "billing/runs/" + "9" * 500), headers=admin).status_code == 400


# --- payment settings -------------------------------------------------------------------------


def test_payment_settings_and_a_secret_shown_once(app: Any, platform: Any, client: Any):
    town = make_town(platform, roles=["admin"])
    admin = bearer(client, town, "admin")
    page_url = console(town, "billing/settings")
    settings = client.get(api(town, "billing/settings"), headers=admin)
    assert settings.status_code == 200 and settings.headers["Cache-Control"] == "no-store"
    assert settings.json["biller_id"] is None and settings.json["demo_biller"] is True
    assert settings.json["biller_id_in_use"] == billing.DEMO_BILLER_ID
    assert settings.json["has_secret"] is False and "secret" not in settings.json
    assert settings.json["notify_url"].endswith("/api/v1/payments/notify")

    for bad in ("12345", "0994000159804001", "09940001598ab", 994000159804, None):
        refused = client.put(api(town, "billing/settings"), headers=admin, json={"biller_id": bad})
        body = thai_and_english(refused, 422, "invalid_biller_id")
        assert body["field"] == "biller_id"
        assert body["message_th"].startswith("รหัสผู้รับชำระต้องเป็นตัวเลข 15 หลัก")
    saved = client.put(api(town, "billing/settings"), headers=admin, json={"biller_id": "0994000159804"})
    assert saved.status_code == 200 and saved.json["biller_id"] == "099400015980400"
    assert saved.json["demo_biller"] is False
    page = text_of(officer_client(app, town, "admin").get(page_url))
    assert f'id="current-biller">{saved.json["biller_id"]}<' in page

    created = client.post(api(town, "billing/settings/secret"), headers=admin)
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    secret = created.json["secret"]
    assert payments.tenant_secret(platform.db(Tenant.get(id=town.tenant.id))) == secret
    later = client.get(api(town, "billing/settings"), headers=admin)
    assert later.json["has_secret"] is True and secret not in later.get_data(as_text=True)
    assert "ตั้งค่าแล้ว" in text_of(officer_client(app, town, "admin").get(page_url))
    rotated = client.post(api(town, "billing/settings/secret"), headers=admin)
    assert rotated.json["secret"] != secret
    assert payments.tenant_secret(platform.db(Tenant.get(id=town.tenant.id))) == rotated.json["secret"]


# --- statements and payments to review --------------------------------------------------------


def test_a_statement_imported_over_the_api_reads_as_its_result_page(app: Any, platform: Any, client: Any):
    town, refs = billed_town(platform)
    finance = bearer(client, town, "finance_officer")
    exact, under, over, unknown = tx(), tx(), tx(), tx()
    content = statement(
        [
            f"{exact},05/03/2569,09:00,{refs[0]},256903,{DEFAULT_RATE},นางหนึ่ง",
            f"{under},05/03/2569,09:05,{refs[1]},256903,10.00,นายสอง",
            f"{over},06/03/2569,12:00,{refs[2]},256903,40.00,นางสาม",
            f"{unknown},06/03/2569,12:30,GB999999,256903,25.00,ไม่ทราบ",
        ]
    )
    queued = upload(client, town, finance, content, "มีนาคม.csv")
    assert queued.status_code == 202, queued.json
    assert (queued.json["status"], queued.json["finished"], queued.json["rows"]) == ("queued", False, 4)
    assert platform.db(Payment.filter(tenant_id=town.tenant.id).count()) == 0
    work(platform)
    result = client.get(queued.headers["Location"], headers=finance)
    assert result.status_code == 200
    done = result.json
    assert done["finished"] is True and done["filename"] == "มีนาคม.csv"
    assert done["counts"] == {"rows": 4, "applied": 1, "duplicates": 0, "to_review": 3}
    record_id = done["id"]
    html = text_of(
        officer_client(app, town, "finance_officer").get(
            console(town, f"payments/statements/result?id={record_id}")
        )
    )
    for name, count in done["counts"].items():
        if name == "to_review":
            name = "review"
        assert f'id="count-{name}">{count}<' in html, name
    for name, transaction in (
        ("held", unknown),
        ("underpaid", under),
        ("overpaid", over),
        ("applied", exact),
    ):
        assert [r["transaction_id"] for r in done["outcomes"][name]] == [transaction], name
        section = html[html.index(f'id="rows-{name}"') :]
        assert transaction in section[: section.index("</table>")], name

    # The same file again: every row a duplicate, and the earlier import named.
    repeat = client.post(
        api(town, "payments/statements?filename=again.csv"),
        headers={**finance, "Content-Type": "text/csv"},
        data=content,
    )
    assert repeat.status_code == 202 and repeat.json["filename"] == "again.csv"
    work(platform)
    second = client.get(repeat.headers["Location"], headers=finance).json
    assert second["counts"]["duplicates"] == 4 and second["earlier"]["id"] == record_id
    listed = client.get(f"/api/v1/tenants/{town.slug}/payments/statements", headers=finance).json["imports"]
    assert [i["filename"] for i in listed] == ["again.csv", "มีนาคม.csv"]

    # The payments left for review: the page's list, in the page's order.
    review = client.get(api(town, "payments"), headers=finance)
    assert review.status_code == 200
    found = review.json["payments"]
    page = text_of(officer_client(app, town, "finance_officer").get(console(town, "payments")))
    assert [str(p["id"]) for p in found] == re.findall(r'<tr data-payment="(\d+)"', page)
    assert {p["transaction_id"]: p["problem"] for p in found} == {
        under: "underpaid",
        over: "overpaid",
        unknown: "unknown_reference",
    }
    for p in found:
        assert p["problem_title"]["th"] in page
    held = client.get(api(town, "payments?status=held"), headers=finance).json["payments"]
    assert [p["transaction_id"] for p in held] == [unknown]

    first = client.get(api(town, "payments?limit=2"), headers=finance).json
    rest = client.get(api(town, f"payments?limit=2&cursor={first['next_cursor']}"), headers=finance).json
    assert [p["id"] for p in first["payments"] + rest["payments"]] == [p["id"] for p in found]
    assert rest["next_cursor"] is None
    wrong_filter = client.get(
        api(town, f"payments?status=held&cursor={first['next_cursor']}"), headers=finance
    )
    thai_and_english(wrong_filter, 400, "invalid_cursor")
    thai_and_english(client.get(api(town, "payments?status=paid"), headers=finance), 400, "invalid_request")

    tag = review.headers["ETag"]
    assert client.get(api(town, "payments"), headers={**finance, "If-None-Match": tag}).status_code == 304
    (over_payment,) = [p for p in found if p["transaction_id"] == over]
    closed = client.post(
        api(town, f"payments/{over_payment['id']}/decision"),
        headers=finance,
        json={"action": "close", "outcome": "refunded", "note": "โอนคืน 20 บาท"},
    )
    assert closed.status_code == 200 and closed.json["status"] == "refunded"
    changed = client.get(api(town, "payments"), headers={**finance, "If-None-Match": tag})
    assert changed.status_code == 200 and len(changed.json["payments"]) == 2


def test_a_statement_with_bad_rows_lists_every_problem_as_the_page_words_it(
    app: Any, platform: Any, client: Any
):
    town, refs = billed_town(platform, accounts=2)
    finance = bearer(client, town, "finance_officer")
    content = statement(
        [
            f"{tx()},05/03/2569,09:00,{refs[0]},256903,25.00,",
            f"{tx()},31/02/2569,09:00,{refs[1]},256903,25.00,",
            f"{tx()},05/03/2569,09:00,{refs[1]},256903,ยี่สิบห้า,",
        ]
    )
    refused = thai_and_english(upload(client, town, finance, content), 422, "invalid_statement")
    assert "ยังไม่ได้นำเข้ารายการใด" in refused["message_th"]
    texts = [p["message_th"] for p in refused["problems"]]
    assert texts[0].startswith("แถวที่ 3 (วันที่): วันที่หรือเวลาไม่ถูกต้อง (31/02/2569 09:00)")
    assert texts[1].startswith("แถวที่ 4 (จำนวนเงิน): จำนวนเงินไม่ถูกต้อง (ยี่สิบห้า)")
    assert [p["row"] for p in refused["problems"]] == [3, 4] and refused["more_problems"] == 0
    assert all(p["message"] and p["code"] for p in refused["problems"])
    page = text_of(page_upload(officer_client(app, town, "finance_officer"), town, content))
    for text in texts:
        assert text in page, "the page lists the same problems in the same words"

    missing = upload(client, town, finance, "วันที่,จำนวนเงิน\r\n05/03/2569,25\r\n".encode())
    body = thai_and_english(missing, 422, "invalid_statement")
    assert "ไม่พบคอลัมน์ เลขที่รายการ (transaction_id) ในแถวหัวตาราง" in [p["message_th"] for p in body["problems"]]

    too_large = b"x" * (MAX_BYTES + 1)
    thai_and_english(upload(client, town, finance, too_large), 413, "statement_too_large")
    raw = client.post(
        api(town, "payments/statements"), headers={**finance, "Content-Type": "text/csv"}, data=too_large
    )
    assert thai_and_english(raw, 413, "statement_too_large")["limit_bytes"] == MAX_BYTES
    huge = client.post(
        api(town, "payments/statements"), headers={**finance, "Content-Type": "text/csv"}, data=too_large * 2
    )
    assert huge.status_code == 413
    nothing = client.post(
        api(town, "payments/statements"), headers=finance, data={}, content_type="multipart/form-data"
    )
    assert thai_and_english(nothing, 400, "no_statement")["message_th"] == "เลือกไฟล์รายการเดินบัญชี (CSV)"
    assert client.post(api(town, "payments/statements"), headers=finance, json={}).status_code == 415
    assert platform.db(Payment.filter(tenant_id=town.tenant.id).count()) == 0
    assert platform.db(StatementImport.filter(tenant_id=town.tenant.id).count()) == 0
    for bad in ("abc", "0", "99999999999999", "-1"):
        thai_and_english(
            client.get(api(town, f"payments/statements/{bad}"), headers=finance), 404, "statement_not_found"
        )


def test_assigning_and_closing_payments_as_the_review_page_does(app: Any, platform: Any, client: Any):
    town, refs = billed_town(platform, accounts=2)
    payment = held_payment(platform, town.tenant, ref1="GB0000099", amount=DEFAULT_RATE)
    finance = bearer(client, town, "finance_officer")
    url = api(town, f"payments/{payment.id}")

    detail = client.get(url, headers=finance)
    assert detail.status_code == 200
    assert (detail.json["status"], detail.json["problem"], detail.json["can_assign"]) == (
        "held",
        "unknown_reference",
        True,
    )
    page = text_of(
        officer_client(app, town, "finance_officer").get(console(town, f"payments/payment?id={payment.id}"))
    )
    assert f'id="payment-amount">{detail.json["amount"]} บาท<' in page
    assert detail.json["problem_title"]["th"] in page and 'id="assign"' in page

    decide = f"{url}/decision"
    empty = client.post(decide, headers=finance, json={"action": "assign", "ref1": " ", "ref2": ""})
    assert thai_and_english(empty, 422, "invalid_payment")["message_th"] == "กรอกเลขที่บัญชีหรือเลขอ้างอิง 1"
    wrong = client.post(decide, headers=finance, json={"action": "assign", "ref1": "GB-777777"})
    assert thai_and_english(wrong, 422, "invalid_payment")["message_th"] == "ไม่พบใบแจ้งหนี้หรือบัญชีที่มีเลขอ้างอิงนี้"
    thai_and_english(client.post(decide, headers=finance, json={"action": "approve"}), 422, "invalid_request")
    long_note = client.post(
        decide, headers=finance, json={"action": "close", "outcome": "resolved", "note": "ก" * 5000}
    )
    thai_and_english(long_note, 422, "invalid_request")
    assert platform.db(Payment.get(id=payment.id)).status == "held", "a refused decision changes nothing"

    number = platform.db(FeeAccount.filter(tenant_id=town.tenant.id).order_by("id").first()).number
    assigned = client.post(
        decide, headers=finance, json={"action": "assign", "ref1": number, "note": "โทรยืนยันกับผู้ชำระ"}
    )
    assert assigned.status_code == 200, assigned.json
    after = assigned.json
    assert (after["status"], after["problem"], after["note"]) == ("applied", None, "โทรยืนยันกับผู้ชำระ")
    assert after["account"]["number"] == number and after["allocated"] == DEFAULT_RATE
    assert [(a["ref1"], a["bill_status"], a["amount"]) for a in after["allocations"]] == [
        (refs[0], "paid", DEFAULT_RATE)
    ]
    assert platform.db(Bill.get(tenant_id=town.tenant.id, ref1=refs[0])).status == "paid"
    shown = text_of(
        officer_client(app, town, "finance_officer").get(console(town, f"payments/payment?id={payment.id}"))
    )
    assert "ชำระแล้ว" in shown and 'id="assign"' not in shown

    # An overpaid one is closed with an outcome and a reason, once.
    over = platform.db(
        payments.record_payment(
            town.tenant,
            payments.Reported(tx(), refs[1], "256903", Decimal("40.00"), datetime(2026, 3, 5, tzinfo=UTC)),
        )
    ).payment
    close = api(town, f"payments/{over.id}/decision")
    no_outcome = client.post(close, headers=finance, json={"action": "close", "note": "x"})
    assert thai_and_english(no_outcome, 422, "invalid_payment")["message_th"] == "เลือกผลการตรวจสอบ"
    no_note = client.post(
        close, headers=finance, json={"action": "close", "outcome": "refunded", "note": "  "}
    )
    assert thai_and_english(no_note, 422, "invalid_payment")["message_th"] == "กรอกเหตุผล"
    closed = client.post(
        close, headers=finance, json={"action": "close", "outcome": "refunded", "note": "โอนคืน 20 บาท"}
    )
    assert (
        closed.status_code == 200
        and closed.json["status"] == "refunded"
        and closed.json["can_close"] is False
    )
    stored = platform.db(Payment.get(id=over.id))
    assert stored.resolved_by_id == town.ids[town.users["finance_officer"]]
    twice = client.post(close, headers=finance, json={"action": "close", "outcome": "resolved", "note": "ซ้ำ"})
    assert thai_and_english(twice, 409, "not_resolvable")["message_th"] == "รายการนี้ได้รับการตรวจสอบแล้ว"
    assert platform.db(Payment.get(id=over.id)).status == "refunded"


def test_an_unknown_or_another_municipalitys_payment_is_not_found(app: Any, platform: Any, client: Any):
    town, _ = billed_town(platform, accounts=1)
    other, _ = billed_town(platform, accounts=1)
    theirs = held_payment(platform, other.tenant)
    admin = bearer(client, town, "admin")
    for bad in (str(theirs.id), "abc", "-1", "99999999999999", "0"):
        thai_and_english(client.get(api(town, f"payments/{bad}"), headers=admin), 404, "payment_not_found")
    posted = client.post(
        api(town, f"payments/{theirs.id}/decision"),
        headers=admin,
        json={"action": "close", "outcome": "refunded", "note": "ไม่ใช่ของเรา"},
    )
    thai_and_english(posted, 404, "payment_not_found")
    assert platform.db(Payment.get(id=theirs.id)).status == "held"
    listed = client.get(api(town, "payments"), headers=admin).json["payments"]
    assert theirs.id not in [p["id"] for p in listed]


# --- who may ----------------------------------------------------------------------------------


def test_the_same_people_as_on_the_pages_and_no_one_else(app: Any, platform: Any, client: Any):
    town, _ = billed_town(platform, accounts=1)
    other = make_town(platform, roles=["admin"], prefix="BO")
    payment = held_payment(platform, town.tenant)
    admin_only = [
        ("get", "billing/runs", None),
        ("get", "billing/runs/2569-03", None),
        ("post", "billing/runs", {"period": billing.current_period()}),
        ("get", "billing/settings", None),
        ("put", "billing/settings", {"biller_id": "0994000159804"}),
        ("post", "billing/settings/secret", None),
        ("get", "reports/billing", None),
    ]
    finance_too = [
        ("get", "payments", None),
        ("get", f"payments/{payment.id}", None),
        ("post", f"payments/{payment.id}/decision", {"action": "close", "outcome": "refunded", "note": "x"}),
        ("get", "payments/statements", None),
        ("post", "payments/statements", {}),
    ]

    def call(method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
        return getattr(client, method)(api(town, path), headers=headers, json=body)

    as_admin = bearer(client, town, "admin")
    as_finance = bearer(client, town, "finance_officer")
    as_clerk = bearer(client, town, "clerk")
    as_other = bearer(client, other, "admin")
    for method, path, body in admin_only + finance_too:
        assert call(method, path, body, {}).status_code == 401, path
        refused = thai_and_english(call(method, path, body, as_clerk), 403, "forbidden")
        assert "ผู้ดูแลระบบ" in refused["message_th"], path
        elsewhere = call(method, path, body, as_other)
        assert elsewhere.status_code == 403 and elsewhere.json["code"] == "wrong_tenant", path
    for method, path, body in admin_only:
        assert thai_and_english(call(method, path, body, as_finance), 403, "forbidden"), path
    # Officers the page lets in get an answer (or a complaint about the body), never a refusal.
    for method, path, body in finance_too:
        assert call(method, path, body, as_finance).status_code not in (401, 403), path
    assert call("get", "payments", None, as_admin).status_code == 200
    assert platform.db(Payment.get(id=payment.id)).status == "refunded", "the finance officer closed it"
    assert client.get("/api/v1/tenants/no-such-town/payments", headers=as_admin).status_code == 404
    page_roles = officer_client(app, town, "finance_officer")
    assert page_roles.get(console(town, "reports")).status_code == 403
    assert page_roles.get(console(town, "payments")).status_code == 200


# --- the fee report ---------------------------------------------------------------------------


def test_the_fee_report_gives_the_report_page_figures(app: Any, platform: Any, client: Any):
    town = make_town(platform, roles=["admin"])
    tenant = town.tenant

    async def setup() -> list[FeeAccount]:
        await direct_accounts(tenant, 3)
        await FeeAccount.create(
            tenant=tenant,
            number=f"GB-8{uuid.uuid4().int % 10**6:06d}",
            service_id=GARBAGE,
            service_version=GARBAGE_VERSION,
            fee_id="garbage_monthly",
            rate_class="shop",
            holder="ร้านสมใจ",
            parameters={"inputs": {"/premises/rate_class": "shop"}},
        )
        for period in ("2569-01", "2569-02"):
            await billing_runs.run_billing(tenant, period, catalog=platform.catalog)
        return await FeeAccount.filter(tenant=tenant).order_by("id")

    accounts = platform.db(setup())
    for account, ref2, amount in ((accounts[0], "256901", "20.00"), (accounts[1], "256901", "5.00")):
        platform.db(
            payments.record_payment(
                tenant,
                payments.Reported(
                    tx(),
                    billing.reference_code(account.number),
                    ref2,
                    Decimal(amount),
                    datetime(2026, 2, 5, tzinfo=UTC),
                ),
            )
        )
    admin = bearer(client, town, "admin")
    answer = client.get(api(town, "reports/billing"), headers=admin)
    assert answer.status_code == 200, answer.json
    report = answer.json
    html = text_of(officer_client(app, town, "admin").get(console(town, "reports")))
    assert f'id="total-billed">{report["billed"]}<' in html and report["billed"] == "200.00"
    assert f'id="total-collected">{report["collected"]}<' in html and report["collected"] == "25.00"
    assert f'id="total-arrears">{report["arrears"]["outstanding"]}<' in html
    assert report["arrears"]["outstanding"] == "175.00" and report["arrears"]["accounts"] == 4
    assert [p["period"] for p in report["by_period"]] == ["2569-02", "2569-01"]
    january = report["by_period"][1]
    assert (january["bills"], january["paid_bills"], january["billed"], january["collected"]) == (
        4,
        1,
        "100.00",
        "25.00",
    )
    household = next(c for c in january["classes"] if c["rate_class"] == "household")
    assert household["class_title"]["th"] == "บ้านพักอาศัย" and household["class_title"]["th"] in html
    assert household["collected"] == "25.00" and household["title"]["th"] == "มกราคม 2569"
    arrears = html[html.index('<table class="table arrears"') :]
    shown = re.findall(r'<tr data-account="([^"]+)"', arrears)
    assert [row["account"] for row in report["arrears"]["shown"]] == shown
    assert (
        client.get(
            api(town, "reports/billing"), headers={**admin, "If-None-Match": answer.headers["ETag"]}
        ).status_code
        == 304
    )
    thai_and_english(
        client.get(api(town, "reports/billing?format=csv"), headers=admin), 406, "not_acceptable"
    )


def test_an_empty_report(app: Any, platform: Any, client: Any):
    town = make_town(platform, roles=["admin"])
    report = client.get(api(town, "reports/billing"), headers=bearer(client, town, "admin")).json
    assert report["by_period"] == [] and report["billed"] == "0.00"
    assert report["arrears"] == {"accounts": 0, "bills": 0, "outstanding": "0.00", "shown": []}
    html = text_of(officer_client(app, town, "admin").get(console(town, "reports")))
    assert "ยังไม่มีใบแจ้งหนี้รายเดือน" in html and "ไม่มีบัญชีค้างชำระ" in html
