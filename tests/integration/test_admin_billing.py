"""The console's fees and payments through the Flask test client, CSRF on, on SQLite and PostgreSQL.

An admin sets the ordinance's rates, presses the billing button and watches the run's
progress; sets the biller ID and the notification secret; a finance officer imports a bank
statement and resolves what it left for review; the reports add up to the bills. Officers
without the roles are refused, and another municipality's payments are not found.
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
from engine.services.effects import run_pending
from engine.store.models import Bill, BillingRun, FeeAccount, Payment, StatementImport, Tenant
from tests.integration.test_admin import (
    Town,
    csrf_on,  # noqa: F401 (the real CSRF check for this module's posts)
    csrf_token,
    make_town,
    officer_client,
    post_form,
    text_of,
)
from tests.integration.test_billing import GARBAGE_VERSION, WORK_LIMIT, Interrupted, direct_accounts
from thongthin.runners import runners_for

GARBAGE = "garbage-fee"
HOUSEHOLD_RATE = 35  # the ordinance's household rate, set through the console
DEFAULT_RATE = "20.00"  # the catalog's household rate, where the municipality kept it
THAI_HEADER = "รหัสรายการ,วันที่,เวลา,เลขอ้างอิง 1,เลขอ้างอิง 2,จำนวนเงิน,ผู้ชำระ"


def console(town: Town, page: str) -> str:
    return f"/{town.slug}/admin/console/{page}"


def tx() -> str:
    return f"TX{uuid.uuid4().hex[:12].upper()}"


def statement(lines: list[str]) -> bytes:
    return ("\r\n".join([THAI_HEADER, *lines]) + "\r\n").encode("utf-8-sig")


def upload(client: Any, town: Town, content: bytes, filename: str = "statement.csv") -> Any:
    url = console(town, "payments/statements")
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "statement": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def work(platform: Any) -> None:
    platform.db(run_pending(runners_for(platform), limit=WORK_LIMIT))


def billed_town(platform: Any, accounts: int = 4, period: str = "2569-03") -> tuple[Town, list[str]]:
    """A municipality with an admin, a finance officer and a clerk, and household accounts billed for ``period``."""
    town = make_town(platform, roles=["admin", "finance_officer", "clerk"])

    async def run() -> list[str]:
        await direct_accounts(town.tenant, accounts)
        await billing_runs.run_billing(town.tenant, period, catalog=platform.catalog)
        numbers = await FeeAccount.filter(tenant=town.tenant).order_by("id").values_list("number", flat=True)
        return [billing.reference_code(n) for n in numbers]

    return town, platform.db(run())


def held_payment(platform: Any, tenant: Tenant, ref1: str = "ZZ0000001", amount: str = "20.00") -> Payment:
    recorded = platform.db(
        payments.record_payment(
            tenant, payments.Reported(tx(), ref1, "", Decimal(amount), datetime(2026, 3, 5, 3, tzinfo=UTC))
        )
    )
    return recorded.payment


def assert_safe_page(html: str, url: str) -> None:
    """No inline script or style (the CSP forbids them) and a CSRF token in every POST form."""
    assert not re.search(r"\sstyle=", html), url
    assert not re.search(r"\son[a-z]+=", html), url
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), url
    for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
        assert 'name="csrf_token"' in form, (url, form[:80])


# --- billing ----------------------------------------------------------------------------------


def test_the_billing_button_bills_every_account_at_the_ordinance_rates(app: Any, platform: Any):
    town = make_town(platform, roles=["admin"])
    platform.db(direct_accounts(town.tenant, 3))
    admin = officer_client(app, town, "admin")

    page = text_of(admin.get(console(town, "billing")))
    assert "ออกใบแจ้งหนี้ประจำเดือน" in page
    rates_url = console(town, f"services/{GARBAGE}")
    assert f'href="{rates_url}"' in page, "the ordinance's rates are one click away"
    current = billing.current_period()
    assert f'<option value="{current}" selected>{billing.period_title(current)}</option>' in page

    # The municipality sets its own monthly rates per class; the bills use them.
    fee = platform.catalog.get(GARBAGE).service.fee("garbage_monthly")
    rates = {f"fee.garbage_monthly.rates.{name}": str(amount) for name, amount in fee.rates.items()}
    rates["fee.garbage_monthly.rates.household"] = str(HOUSEHOLD_RATE)
    assert post_form(admin, rates_url, rates).status_code == 302

    queued = post_form(admin, console(town, "billing"), {"period": current})
    assert queued.status_code == 302
    run_url = console(town, f"billing/run?period={current}")
    assert queued.headers["Location"].endswith(run_url)
    waiting = text_of(admin.get(run_url))
    assert '<meta http-equiv="refresh" content="2">' in waiting and "<progress" in waiting
    assert "รอคิว" in waiting
    assert platform.db(Bill.filter(tenant=town.tenant).count()) == 0, "the worker bills, not the request"

    work(platform)
    done = text_of(admin.get(run_url))
    assert 'http-equiv="refresh"' not in done, "a finished run stops refreshing"
    assert '<progress id="run-progress" value="3" max="3">' in done
    assert "ตรวจแล้ว 3 จาก 3 บัญชี" in done
    assert 'id="run-created">3<' in done and 'id="run-existing">0<' in done
    assert f'id="run-total">{3 * HOUSEHOLD_RATE}.00 บาท<' in done
    amounts = platform.db(Bill.filter(tenant=town.tenant, period=current).values_list("amount", flat=True))
    assert [Decimal(str(a)) for a in amounts] == [Decimal(HOUSEHOLD_RATE)] * 3

    # Pressing the button again for the month bills nobody twice.
    assert post_form(admin, console(town, "billing"), {"period": current}).status_code == 302
    work(platform)
    again = text_of(admin.get(run_url))
    assert 'id="run-created">0<' in again and 'id="run-existing">3<' in again
    assert platform.db(Bill.filter(tenant=town.tenant).count()) == 3
    listing = text_of(admin.get(console(town, "billing")))
    assert f'data-period="{current}"' in listing and "เสร็จแล้ว" in listing
    assert billing.period_title(current) in listing

    bad = post_form(admin, console(town, "billing"), {"period": "2026-13"}, page=console(town, "billing"))
    assert bad.status_code == 422 and "เลือกเดือนที่จะออกใบแจ้งหนี้" in text_of(bad)
    assert admin.get(console(town, "billing/run?period=2500-01")).status_code == 404
    assert admin.get(console(town, "billing/run?period=nonsense")).status_code == 404


def test_an_interrupted_run_shows_why_and_runs_again_without_duplicates(app: Any, platform: Any):
    town = make_town(platform, roles=["admin"])
    platform.db(direct_accounts(town.tenant, 5))
    period = billing.current_period()

    def crash(done: int, total: int) -> None:
        raise Interrupted("the worker was stopped")

    with pytest.raises(Interrupted):
        platform.db(billing_runs.run_billing(town.tenant, period, progress=crash, batch=2))
    admin = officer_client(app, town, "admin")
    run_url = console(town, f"billing/run?period={period}")
    page = text_of(admin.get(run_url))
    assert "หยุดกลางคัน" in page and "Interrupted: the worker was stopped" in page
    assert '<progress id="run-progress" value="2" max="5">' in page, "the first batch was billed"
    assert 'http-equiv="refresh"' not in page
    assert 'name="period" value="' + period + '"' in page

    assert post_form(admin, console(town, "billing"), {"period": period}, page=run_url).status_code == 302
    work(platform)
    done = text_of(admin.get(run_url))
    assert 'id="run-created">3<' in done and 'id="run-existing">2<' in done
    bills = platform.db(Bill.filter(tenant=town.tenant, period=period).values_list("account_id", flat=True))
    assert len(bills) == len(set(bills)) == 5
    assert platform.db(BillingRun.get(tenant=town.tenant, period=period)).status == "completed"


# --- payment settings -------------------------------------------------------------------------


def test_biller_id_is_validated_and_saved(app: Any, platform: Any):
    town = make_town(platform, roles=["admin"])
    admin = officer_client(app, town, "admin")
    url = console(town, "billing/settings")
    page = text_of(admin.get(url))
    assert billing.DEMO_BILLER_ID in page and 'id="demo-biller"' in page
    for bad in ("12345", "0994000159804001", "09940001598ab"):
        refused = post_form(admin, url, {"biller_id": bad})
        assert refused.status_code == 422
        assert "รหัสผู้รับชำระต้องเป็นตัวเลข 15 หลัก" in text_of(refused) and 'href="#biller_id"' in text_of(refused)
    assert post_form(admin, url, {"biller_id": "0994000159804"}).status_code == 302
    tenant = platform.db(Tenant.get(id=town.tenant.id))
    assert tenant.settings["biller_id"] == "099400015980400"
    assert 'id="current-biller">099400015980400<' in text_of(admin.get(url))


def test_a_new_notification_secret_is_shown_once(app: Any, platform: Any):
    town = make_town(platform, roles=["admin"])
    admin = officer_client(app, town, "admin")
    url = console(town, "billing/settings")
    assert "ยังไม่ได้ตั้งค่า" in text_of(admin.get(url))
    created = post_form(admin, console(town, "billing/settings/secret"), {}, page=url)
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="payment-secret">([^<]+)<', text_of(created)).group(1)
    assert payments.tenant_secret(platform.db(Tenant.get(id=town.tenant.id))) == secret
    assert "X-Thongthin-Signature" in text_of(created) and "/api/v1/payments/notify" in text_of(created)
    later = text_of(admin.get(url))
    assert secret not in later and "ตั้งค่าแล้ว" in later

    rotated = post_form(admin, console(town, "billing/settings/secret"), {}, page=url)
    new = re.search(r'id="payment-secret">([^<]+)<', text_of(rotated)).group(1)
    assert new != secret and payments.tenant_secret(platform.db(Tenant.get(id=town.tenant.id))) == new
    assert admin.get(console(town, "billing/settings/secret")).status_code == 405, "never shown on a GET"


# --- who may do what --------------------------------------------------------------------------


def test_fee_pages_are_for_admins_and_finance_officers_only(app: Any, platform: Any):
    town, _ = billed_town(platform, accounts=1)
    payment = held_payment(platform, town.tenant)
    admin_pages = ["billing", "billing/run?period=2569-03", "billing/settings", "reports"]
    finance_pages = ["payments", f"payments/payment?id={payment.id}", "payments/statements"]

    admin = officer_client(app, town, "admin")
    for page in admin_pages + finance_pages:
        response = admin.get(console(town, page))
        assert response.status_code == 200, page
        assert_safe_page(text_of(response), page)
    assert 'href="' + console(town, "billing") + '">ค่าธรรมเนียมและการชำระเงิน<' in text_of(
        admin.get(f"/{town.slug}/admin/")
    )

    finance = officer_client(app, town, "finance_officer")
    for page in finance_pages:
        assert finance.get(console(town, page)).status_code == 200, page
    for page in admin_pages:
        assert finance.get(console(town, page)).status_code == 403, page
    inbox = text_of(finance.get(f"/{town.slug}/admin/"))
    assert 'href="' + console(town, "payments") + '">ค่าธรรมเนียมและการชำระเงิน<' in inbox

    clerk = officer_client(app, town, "clerk")
    for page in admin_pages + finance_pages:
        assert clerk.get(console(town, page)).status_code == 403, page
    refused = clerk.post(
        console(town, f"payments/payment?id={payment.id}"),
        data={
            "csrf_token": csrf_token(clerk, f"/{town.slug}/admin/"),
            "action": "close",
            "outcome": "refunded",
            "note": "x",
        },
    )
    assert refused.status_code == 403
    assert upload(clerk, town, statement([f"{tx()},05/03/2569,,GB1,,25,"])).status_code == 403
    assert platform.db(Payment.get(id=payment.id)).status == "held"
    assert "ค่าธรรมเนียมและการชำระเงิน" not in text_of(clerk.get(f"/{town.slug}/admin/"))


def test_another_municipalitys_payment_is_not_found(app: Any, platform: Any):
    town, _ = billed_town(platform, accounts=1)
    other, _ = billed_town(platform, accounts=1)
    theirs = held_payment(platform, other.tenant)
    admin = officer_client(app, town, "admin")
    url = console(town, f"payments/payment?id={theirs.id}")
    assert admin.get(url).status_code == 404
    posted = admin.post(
        url,
        data={
            "csrf_token": csrf_token(admin, console(town, "payments")),
            "action": "close",
            "outcome": "refunded",
            "note": "ไม่ใช่ของเรา",
        },
    )
    assert posted.status_code == 404
    assert platform.db(Payment.get(id=theirs.id)).status == "held"
    assert theirs.transaction_id not in text_of(admin.get(console(town, "payments")))
    for bad in ("", "abc", "-1", "99999999999999"):
        assert admin.get(console(town, f"payments/payment?id={bad}")).status_code == 404


# --- statements and review --------------------------------------------------------------------


def test_finance_officer_imports_a_statement_and_sees_what_needs_review(app: Any, platform: Any):
    town, refs = billed_town(platform)
    finance = officer_client(app, town, "finance_officer")
    exact, under, over, unknown = tx(), tx(), tx(), tx()
    content = statement(
        [
            f"{exact},05/03/2569,09:00,{refs[0]},256903,{DEFAULT_RATE},นางหนึ่ง",
            f"{under},05/03/2569,09:05,{refs[1]},256903,10.00,นายสอง",
            f"{over},06/03/2569,12:00,{refs[2]},256903,40.00,นางสาม",
            f"{unknown},06/03/2569,12:30,GB999999,256903,25.00,ไม่ทราบ",
        ]
    )
    queued = upload(finance, town, content, "มีนาคม.csv")
    assert queued.status_code == 302, "checked whole, then recorded by the worker"
    waiting = finance.get(queued.headers["Location"])
    assert 'id="statement-progress"' in text_of(waiting) and 'http-equiv="refresh"' in text_of(waiting)
    assert platform.db(Payment.filter(tenant_id=town.tenant.id).count()) == 0
    work(platform)
    result = finance.get(queued.headers["Location"])
    assert result.status_code == 200
    html = text_of(result)
    assert 'http-equiv="refresh"' not in html
    assert_safe_page(html, "result")
    assert 'id="count-rows">4<' in html and 'id="count-applied">1<' in html and 'id="count-review">3<' in html
    for name, transaction in (
        ("held", unknown),
        ("underpaid", under),
        ("overpaid", over),
        ("applied", exact),
    ):
        section = html[html.index(f'id="rows-{name}"') :]
        section = section[: section.index("</table>")]
        assert transaction in section, name
    assert "5 มีนาคม 2569 09:00 น." in html, "Buddhist-Era dates in Bangkok time"
    record = platform.db(StatementImport.get(tenant_id=town.tenant.id))
    assert (record.rows, record.applied, record.held, record.filename) == (4, 3, 1, "มีนาคม.csv")

    repeat = upload(finance, town, content)
    work(platform)
    again = text_of(finance.get(repeat.headers["Location"]))
    assert 'id="imported-before"' in again and 'id="count-duplicates">4<' in again
    assert platform.db(Payment.filter(tenant_id=town.tenant.id).count()) == 4

    review = text_of(finance.get(console(town, "payments")))
    for transaction, words in ((under, "ชำระไม่ครบ"), (over, "ชำระเกิน"), (unknown, "ไม่พบเลขอ้างอิง")):
        row = re.search(
            rf'<tr data-payment="\d+">(?:(?!</tr>).)*{transaction}(?:(?!</tr>).)*</tr>', review, re.S
        )
        assert row and words in row.group(0), transaction
    assert exact not in review
    assert "มีนาคม.csv" in text_of(finance.get(console(town, "payments/statements")))


def test_a_statement_with_bad_rows_shows_every_row_and_imports_nothing(app: Any, platform: Any):
    town, refs = billed_town(platform, accounts=2)
    finance = officer_client(app, town, "finance_officer")
    response = upload(
        finance,
        town,
        statement(
            [
                f"{tx()},05/03/2569,09:00,{refs[0]},256903,25.00,",
                f"{tx()},31/02/2569,09:00,{refs[1]},256903,25.00,",
                f"{tx()},05/03/2569,09:00,{refs[1]},256903,ยี่สิบห้า,",
            ]
        ),
    )
    assert response.status_code == 422
    html = text_of(response)
    assert 'class="error-summary"' in html
    assert "แถวที่ 3 (วันที่): วันที่หรือเวลาไม่ถูกต้อง (31/02/2569 09:00)" in html
    assert "แถวที่ 4 (จำนวนเงิน): จำนวนเงินไม่ถูกต้อง (ยี่สิบห้า)" in html
    assert "ยังไม่ได้นำเข้ารายการใด" in html
    assert platform.db(Payment.filter(tenant_id=town.tenant.id).count()) == 0
    assert platform.db(StatementImport.filter(tenant_id=town.tenant.id).count()) == 0

    missing = text_of(upload(finance, town, "วันที่,จำนวนเงิน\r\n05/03/2569,25\r\n".encode()))
    assert "ไม่พบคอลัมน์ เลขที่รายการ (transaction_id) ในแถวหัวตาราง" in missing
    nothing = post_form(finance, console(town, "payments/statements"), {})
    assert nothing.status_code == 422 and "เลือกไฟล์รายการเดินบัญชี" in text_of(nothing)


def test_assigning_a_held_payment_settles_the_bill(app: Any, platform: Any):
    town, refs = billed_town(platform, accounts=2)
    payment = held_payment(platform, town.tenant, ref1="GB0000099", amount=DEFAULT_RATE)
    finance = officer_client(app, town, "finance_officer")
    url = console(town, f"payments/payment?id={payment.id}")
    page = text_of(finance.get(url))
    assert "ไม่พบเลขอ้างอิง" in page and 'id="assign"' in page

    empty = post_form(finance, url, {"action": "assign", "ref1": "", "ref2": ""})
    assert empty.status_code == 422 and "กรอกเลขที่บัญชีหรือเลขอ้างอิง 1" in text_of(empty)
    wrong = post_form(finance, url, {"action": "assign", "ref1": "GB-777777", "ref2": ""})
    assert wrong.status_code == 422 and "ไม่พบใบแจ้งหนี้หรือบัญชีที่มีเลขอ้างอิงนี้" in text_of(wrong)
    assert platform.db(Payment.get(id=payment.id)).status == "held", "a failed assignment changes nothing"

    number = platform.db(FeeAccount.filter(tenant_id=town.tenant.id).order_by("id").first()).number
    assigned = post_form(
        finance, url, {"action": "assign", "ref1": number, "ref2": "", "assign_note": "โทรยืนยันกับผู้ชำระ"}
    )
    assert assigned.status_code == 302
    bill = platform.db(Bill.get(tenant_id=town.tenant.id, ref1=refs[0]))
    assert bill.status == "paid" and Decimal(str(bill.paid_amount)) == Decimal(DEFAULT_RATE)
    settled = platform.db(Payment.get(id=payment.id))
    assert settled.status == "applied" and settled.problem == "" and settled.note == "โทรยืนยันกับผู้ชำระ"
    after = text_of(finance.get(url))
    assert "ตัดชำระใบแจ้งหนี้แล้ว" in after and "ชำระแล้ว" in after and 'id="assign"' not in after
    assert payment.transaction_id not in text_of(finance.get(console(town, "payments")))


def test_closing_a_payment_needs_an_outcome_and_a_note(app: Any, platform: Any):
    town, refs = billed_town(platform, accounts=1)
    over = platform.db(
        payments.record_payment(
            town.tenant,
            payments.Reported(tx(), refs[0], "256903", Decimal("40.00"), datetime(2026, 3, 5, tzinfo=UTC)),
        )
    ).payment
    assert over.problem == "overpaid"
    finance = officer_client(app, town, "finance_officer")
    url = console(town, f"payments/payment?id={over.id}")
    assert 'id="assign"' not in text_of(finance.get(url)), "only held payments are assigned"

    missing = post_form(finance, url, {"action": "close", "outcome": "", "note": "  "})
    assert missing.status_code == 422
    assert "เลือกผลการตรวจสอบ" in text_of(missing) and "กรอกเหตุผล" in text_of(missing)
    assert 'href="#note"' in text_of(missing) and 'href="#outcome"' in text_of(missing)
    assert platform.db(Payment.get(id=over.id)).status == "applied"

    closed = post_form(finance, url, {"action": "close", "outcome": "refunded", "note": "โอนคืน 15 บาท"})
    assert closed.status_code == 302
    payment = platform.db(Payment.get(id=over.id))
    assert payment.status == "refunded" and payment.note == "โอนคืน 15 บาท"
    assert payment.resolved_by_id == town.ids[town.users["finance_officer"]]
    page = text_of(finance.get(url))
    assert "ปิดรายการแล้ว: คืนเงินแล้ว" in page and "โอนคืน 15 บาท" in page and 'id="close"' not in page
    twice = post_form(finance, url, {"action": "close", "outcome": "resolved", "note": "ซ้ำ"})
    assert twice.status_code == 302 and "ได้รับการตรวจสอบแล้ว" in text_of(finance.get(url))
    assert platform.db(Payment.get(id=over.id)).status == "refunded"


# --- reports ----------------------------------------------------------------------------------


def test_reports_add_up_to_the_bills_and_list_the_arrears(app: Any, platform: Any):
    town = make_town(platform, roles=["admin"])
    tenant = town.tenant

    async def setup() -> list[FeeAccount]:
        await direct_accounts(tenant, 3)
        shop = f"GB-8{uuid.uuid4().int % 10**6:06d}"
        await FeeAccount.create(
            tenant=tenant,
            number=shop,
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
    households, shop = accounts[:3], accounts[3]
    # The catalog's default rates: household 20, shop 40.
    paid = [
        (households[0], "256901", "20.00"),  # January paid in full
        (households[1], "256901", "5.00"),  # January underpaid
        (shop, "256901", "40.00"),
        (households[0], "256902", "20.00"),
    ]
    for account, ref2, amount in paid:
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

    from engine.services import billing_reports

    report = platform.db(billing_reports.collected_vs_billed(tenant, 12))
    by_key = {(r.period, r.rate_class): r for r in report.rows}
    assert by_key[("2569-01", "household")].billed == Decimal("60.00")
    assert by_key[("2569-01", "household")].collected == Decimal("25.00")
    assert (by_key[("2569-01", "household")].bills, by_key[("2569-01", "household")].paid_bills) == (3, 1)
    assert by_key[("2569-01", "shop")].collected == Decimal("40.00") == by_key[("2569-01", "shop")].billed
    assert by_key[("2569-02", "household")].collected == Decimal("20.00")
    assert [p.period for p in report.periods] == ["2569-02", "2569-01"]
    assert (report.billed, report.collected) == (Decimal("200.00"), Decimal("85.00"))

    owing = platform.db(billing_reports.arrears(tenant, 100))
    assert (owing.accounts, owing.bills, owing.outstanding) == (3, 5, Decimal("115.00"))
    assert [(r.number, r.outstanding, r.bills, r.oldest_period) for r in owing.rows] == [
        (households[2].number, Decimal("40.00"), 2, "2569-01"),  # ties: the older account first
        (shop.number, Decimal("40.00"), 1, "2569-02"),
        (households[1].number, Decimal("35.00"), 2, "2569-01"),  # January partly paid
    ]

    admin = officer_client(app, town, "admin")
    html = text_of(admin.get(console(town, "reports")))
    assert_safe_page(html, "reports")
    assert 'id="total-billed">200.00<' in html and 'id="total-collected">85.00<' in html
    assert 'id="total-arrears">115.00<' in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and 'data-key="2569-01"' in svg and 'data-key="2569-02"' in svg
    assert ">100.00</text>" in svg and ">65.00</text>" in svg, "January billed and collected"
    table = html[html.index('<table class="table collection"') :]
    table = table[: table.index("</table>")]
    assert "มกราคม 2569" in table and "บ้านพักอาศัย" in table
    assert '<tr class="subtotal" data-key="2569-01"' in table
    arrears = html[html.index('<table class="table arrears"') :]
    assert shop.number in arrears and "ร้านสมใจ" in arrears and households[0].number not in arrears
    assert 'id="arrears-shown-total">115.00<' in arrears


def test_an_empty_report_says_so(app: Any, platform: Any):
    town = make_town(platform, roles=["admin"])
    html = text_of(officer_client(app, town, "admin").get(console(town, "reports")))
    assert "ยังไม่มีใบแจ้งหนี้รายเดือน" in html and "ไม่มีบัญชีค้างชำระ" in html
