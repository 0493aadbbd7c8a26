"""Citizens find their fee bills, pay them by Thai QR and print them, through Flask's test client.

A municipality bills two garbage accounts for three months: a registered household (its
holder's name and address come from the registration) and a shop migrated straight into
the table. The household paid part of its first bill; the shop paid two bills, and the
receipt of the first was issued (signed by the worker with a development PKI) while the
second's is still queued. The printed bill is read back the way a bank counter and a
banking app would: its text with pdftotext, its QR code and Code 128 barcode from a
200 dpi rendering of the page.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from engine.payments import promptpay
from engine.services import billing, billing_runs, payments
from engine.services.effects import run_pending
from engine.store.models import Bill, FeeAccount, IssuedDocument, Tenant
from renderers.bills import due_date, masked_holder, public_address
from renderers.documents import qr_svg
from signing.pki import DevPkiServer, Officer, ensure_dev_pki
from tests.integration.test_billing import WORK_LIMIT, direct_accounts, make_tenant, walk_to
from tests.signing_fixtures import need_tool
from thongthin.runners import runners_for

PERIODS = ("2570-01", "2570-02", "2570-03")
RATE = Decimal("25.00")  # test_billing's make_tenant sets the household rate to 25
SHOP_HOLDER = "ร้านป้าแดงก๋วยเตี๋ยว"
SHOP_PHONE = "0899998888"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
QR, CODE128 = zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128
PAYLOAD = re.compile(r'data-qr-payload="([^"]*)"')


@dataclass
class Town:
    tenant: Tenant
    household: FeeAccount  # three unpaid bills, the first partly paid
    shop: FeeAccount  # two paid bills (one with its receipt issued), one unpaid
    other: Tenant  # another municipality, with accounts of its own


def _paid(bill: Bill, amount: Decimal) -> payments.Reported:
    return payments.Reported(
        transaction_id=f"T{uuid.uuid4().hex[:16]}",
        ref1=bill.ref1,
        ref2=bill.ref2,
        amount=amount,
        paid_at=datetime.now(UTC),
    )


@pytest.fixture(scope="module")
def town(platform: Any) -> Any:
    tenant = platform.db(make_tenant(platform))
    # The worker signs receipts for the municipality's finance officer with a development PKI.
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(
        platform.settings.data_dir / "pki",
        [Officer(tenant.slug, "finance_officer", "สมศรี การเงิน", "เทศบาลทดสอบ")],
        url=server.url,
    )
    server.start(pki)

    async def setup() -> Town:
        tenant.address_th = "ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่"
        await tenant.save()
        await walk_to(platform, tenant, "garbage-fee", "valid-household", "account_opened")
        await run_pending(runners_for(platform), limit=WORK_LIMIT)
        household = await FeeAccount.get(tenant=tenant)
        await direct_accounts(tenant, 1)
        version = platform.catalog.get("garbage-fee").version
        await FeeAccount.filter(tenant=tenant, holder="").update(
            holder=SHOP_HOLDER, service_version=version, phone=SHOP_PHONE
        )
        shop = await FeeAccount.get(tenant=tenant, holder=SHOP_HOLDER)
        for period in PERIODS:
            await billing_runs.run_billing(tenant, period, catalog=platform.catalog)

        first = await Bill.get(account=household, period=PERIODS[0])
        await payments.record_payment(tenant, _paid(first, Decimal("10.00")))
        shop_first = await Bill.get(account=shop, period=PERIODS[0])
        await payments.record_payment(tenant, _paid(shop_first, RATE))
        await run_pending(runners_for(platform), limit=WORK_LIMIT)  # issues that bill's receipt
        shop_second = await Bill.get(account=shop, period=PERIODS[1])
        await payments.record_payment(tenant, _paid(shop_second, RATE))  # its receipt stays queued

        other = await make_tenant(platform)
        await direct_accounts(other, 2)
        await billing_runs.run_billing(other, PERIODS[0], catalog=platform.catalog)
        return Town(tenant, household, shop, other)

    try:
        yield platform.db(setup())
    finally:
        server.stop()


def page(client: Any, town: Town, account: str, *, lang: str = "th", tenant: Tenant | None = None) -> str:
    slug = (tenant or town.tenant).slug
    response = client.get(f"/{slug}/bills", query_string={"account": account, "lang": lang})
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def payloads(html: str) -> list[dict[str, Any]]:
    """The Thai QR payloads a page carries, read back (the CRC is checked)."""
    return [promptpay.parse(p) for p in PAYLOAD.findall(html)]


def test_the_portal_home_links_to_the_bills_page(client: Any, town: Town):
    html = client.get(f"/{town.tenant.slug}/").get_data(as_text=True)
    assert f'href="/{town.tenant.slug}/bills"' in html
    form = client.get(f"/{town.tenant.slug}/bills").get_data(as_text=True)
    assert "ค้นหาใบแจ้งหนี้" in form and 'name="account"' in form and "error-summary" not in form


def test_an_account_is_found_by_its_number_in_any_spelling_and_by_reference_1(
    platform: Any, client: Any, town: Town
):
    number = town.household.number
    digits = number.split("-")[1]
    thai_digits = digits.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    for spelling in (number, number.lower(), number.replace("-", ""), f" gb {digits} ", f"GB-{thai_digits}"):
        assert f"ใบแจ้งหนี้ บัญชี {number}" in page(client, town, spelling), spelling
    printed = platform.db(Bill.get(account=town.shop, period=PERIODS[2]))
    assert f"ใบแจ้งหนี้ บัญชี {town.shop.number}" in page(client, town, printed.ref1)


def test_an_unknown_account_gets_the_form_again_with_the_error(client: Any, town: Town):
    html = page(client, town, "GB-999999")
    assert "error-summary" in html and 'aria-invalid="true"' in html
    assert html.count("ไม่พบเลขที่บัญชีนี้ ตรวจสอบเลขที่บัญชีจากใบแจ้งหนี้") == 2  # summary and field
    assert 'href="#bills-account"' in html and 'value="GB-999999"' in html
    english = page(client, town, "GB-999999", lang="en")
    assert "We could not find this account number" in english
    assert "กรอกเลขที่บัญชี" in page(client, town, "  ")


def test_another_municipalitys_account_is_not_found_here(client: Any, town: Town):
    html = page(client, town, town.household.number, tenant=town.other)
    assert "ไม่พบเลขที่บัญชีนี้" in html and town.household.number not in html.split("</form>")[1]
    response = client.get(f"/{town.other.slug}/bills/{town.household.number}/bill.pdf")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_each_unpaid_bill_has_its_own_qr_and_one_qr_pays_all_arrears(platform: Any, client: Any, town: Town):
    html = page(client, town, town.household.number)
    bills = platform.db(Bill.filter(account=town.household).order_by("period"))
    owed = [Decimal("15.00"), RATE, RATE]  # 10 baht of the first bill paid
    arrears, *each = payloads(html)  # the arrears QR comes first, then the bills, oldest first
    assert [p["30"]["02"] for p in each] == [b.ref1 for b in bills]
    assert [p["30"]["03"] for p in each] == [b.ref2 for b in bills] == ["257001", "257002", "257003"]
    assert [Decimal(p["54"]) for p in each] == owed
    assert arrears["30"]["02"] == town.household.number.replace("-", "") and arrears["30"]["03"] == "0"
    assert Decimal(arrears["54"]) == sum(owed) == Decimal("65.00")
    assert "ค้างชำระ 3 งวด รวม 65.00 บาท" in html
    assert "ชำระแล้ว 10.00 บาท จาก 25.00 บาท" in html and "ชำระบางส่วน" in html
    for period in ("มกราคม 2570", "กุมภาพันธ์ 2570", "มีนาคม 2570"):
        assert f"ประจำเดือน {period}" in html
    # The QR images are the payloads' own, drawn on the server, and the page needs no inline style.
    for payload in PAYLOAD.findall(html):
        assert str(qr_svg(payload)) in html
    assert "สแกนเพื่อชำระเงินด้วยแอปธนาคารใดก็ได้ (Thai QR Payment)" in html and "style=" not in html
    english = page(client, town, town.household.number, lang="en")
    assert "For January 2027" in english and "Unpaid bills: 3 · total 65.00 baht" in english


def test_each_qr_can_be_saved_as_a_picture_that_scans_to_the_same_payment(client: Any, town: Town):
    import io

    from PIL import Image

    html = page(client, town, town.household.number)
    links = re.findall(r'href="([^"]+/qr/[^"]+\.png)" download', html)
    arrears, *each = PAYLOAD.findall(html)
    assert len(links) == 1 + len(each) == 4, "one picture per QR on the page"
    assert "บันทึก QR ของงวดมกราคม 2570 เป็นรูปภาพ" in html
    for link, payload in zip(links, [arrears, *each], strict=True):
        picture = client.get(link)
        assert picture.status_code == 200 and picture.mimetype == "image/png"
        assert "attachment" in picture.headers["Content-Disposition"]
        image = Image.open(io.BytesIO(picture.data))
        assert image.width >= 400, "large enough to scan from a gallery"
        [decoded] = zxingcpp.read_barcodes(image, formats=QR)
        assert decoded.text == payload
    account = town.household.number
    assert client.get(f"/{town.tenant.slug}/bills/{account}/qr/2499-01.png").status_code == 404
    assert client.get(f"/{town.tenant.slug}/bills/XX-999999/qr/all.png").status_code == 404


def test_one_unpaid_bill_gets_no_separate_arrears_qr(platform: Any, client: Any, town: Town):
    html = page(client, town, town.shop.number)
    (only,) = payloads(html)
    assert "data-arrears " not in html and "ค้างชำระ 1 งวด รวม 25.00 บาท" in html
    bill = platform.db(Bill.get(account=town.shop, period=PERIODS[2]))
    assert (only["30"]["02"], only["30"]["03"], only["54"]) == (bill.ref1, bill.ref2, "25.00")


def test_the_holder_is_masked_and_the_address_starts_at_the_subdistrict(client: Any, town: Town):
    assert town.household.holder == "นางสมพร ใจดี" and "89/12" in town.household.address
    html = page(client, town, town.household.number)
    assert "นางสมพร ใ…" in html and "ใจดี" not in html
    assert "ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่ 50100" in html
    assert "89/12" not in html and "สวนทองวิลล่า" not in html


def test_receipts_open_to_whoever_gives_the_registered_phone_number(
    app: Any, platform: Any, client: Any, town: Town
):
    before, app.config["WTF_CSRF_ENABLED"] = app.config.get("WTF_CSRF_ENABLED", True), True
    try:
        check_receipts(platform, client, town)
    finally:
        app.config["WTF_CSRF_ENABLED"] = before


def check_receipts(platform: Any, client: Any, town: Town) -> None:
    receipts = platform.db(IssuedDocument.filter(tenant=town.tenant, document_id="receipt", status="issued"))
    (receipt,) = receipts
    shop_bills = {b.id: b.period for b in platform.db(Bill.filter(account=town.shop))}
    assert shop_bills[receipt.bill_id] == PERIODS[0]
    link = f"/{town.tenant.slug}/bills/{town.shop.number}/receipts/{receipt.public_id}"

    # Receipts carry the full name and address: a guessed account number does not open them.
    html = page(client, town, town.shop.number)
    paid = html.split('<h2 id="receipts">ชำระแล้ว</h2>')[1]
    assert paid.count("data-paid-bill") == 2 and "data-receipt" not in paid
    assert f"ออกใบเสร็จรับเงินเลขที่ {receipt.number} แล้ว" in paid
    assert client.get(link).status_code == 404
    prove = f"/{town.tenant.slug}/bills/{town.shop.number}/receipts"
    token = CSRF.search(html).group(1)
    assert client.post(prove, data={"phone": SHOP_PHONE}).status_code == 400, "no CSRF token, no answer"
    wrong = client.post(prove, data={"phone": "0811111111", "csrf_token": token})
    assert wrong.status_code == 400
    shown = unescape(wrong.get_data(as_text=True))
    assert "หมายเลขโทรศัพท์ไม่ตรงกับที่ลงทะเบียนไว้" in shown and 'href="#receipts-phone"' in shown
    assert client.get(link).status_code == 404

    right = client.post(prove, data={"phone": "089-999-8888", "csrf_token": token})
    assert right.status_code == 302
    paid = page(client, town, town.shop.number).split('<h2 id="receipts">ชำระแล้ว</h2>')[1]
    assert paid.count("data-receipt") == 1 and "ใบเสร็จรับเงินอยู่ระหว่างจัดทำ" in paid
    assert f'href="{link}"' in paid and f"ใบเสร็จรับเงิน เลขที่ {receipt.number}" in paid
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and "attachment" in response.headers["Content-Disposition"]
    # Not under another account, nor another municipality.
    assert (
        client.get(
            f"/{town.tenant.slug}/bills/{town.household.number}/receipts/{receipt.public_id}"
        ).status_code
        == 404
    )
    other_number = platform.db(FeeAccount.filter(tenant=town.other).first()).number
    assert (
        client.get(f"/{town.other.slug}/bills/{other_number}/receipts/{receipt.public_id}").status_code == 404
    )
    # The household has paid nothing in full: no receipts listed.
    assert "data-paid-bill" not in page(client, town, town.household.number)


def test_guessing_the_phone_number_stops_after_a_few_tries(app: Any, client: Any, town: Town):
    before, app.config["WTF_CSRF_ENABLED"] = app.config.get("WTF_CSRF_ENABLED", True), True
    try:
        html = page(client, town, town.shop.number)
        token = CSRF.search(html).group(1)
        prove = f"/{town.tenant.slug}/bills/{town.shop.number}/receipts"
        for guess in range(5):
            client.post(prove, data={"phone": f"08100000{guess:02d}", "csrf_token": token})
        # A fresh browser session gets no fresh tries: the count is kept per account, not per cookie.
        fresh = app.test_client()
        token = CSRF.search(page(fresh, town, town.shop.number)).group(1)
        final = fresh.post(prove, data={"phone": SHOP_PHONE, "csrf_token": token})
        assert final.status_code == 400, "even the right number is refused once the tries are used up"
        shown = unescape(final.get_data(as_text=True))
        assert 'id="receipts-phone"' not in shown and "กรุณารอ 1 ชั่วโมง" in shown
    finally:
        app.config["WTF_CSRF_ENABLED"] = before


def pdf_text(pdf: bytes, folder: Path) -> str:
    path = folder / "bill.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def pdf_codes(pdf: bytes, folder: Path) -> dict[zxingcpp.BarcodeFormat, str]:
    """What a scanner reads off the page printed at 200 dpi, by symbology."""
    path = folder / "bill.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-singlefile", str(path), str(folder / "page")], check=True
    )
    with Image.open(folder / "page.png") as image:
        return {code.format: code.text for code in zxingcpp.read_barcodes(image)}


def test_the_printable_bill_carries_the_arrears_qr_and_the_bank_barcode(
    platform: Any, client: Any, town: Town, tmp_path: Path
):
    need_tool("pdftotext", "pdftoppm")
    response = client.get(f"/{town.tenant.slug}/bills/{town.household.number}/bill.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = response.data
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert town.household.number in text and "65.00" in text
    assert "หกสิบห้าบาทถ้วน" in flat  # the total in Thai words
    words = flat.replace("\u0e4d\u0e32", "\u0e33")  # pdftotext writes ำ as ํ + า
    assert "หากท่านชำระแล้วขออภัยมาณ" in words and "โปรดละเว้น" not in words
    assert "นางสมพรใ…" in flat and "ใจดี" not in flat and "89/12" not in text
    ref1 = town.household.number.replace("-", "")
    assert f"Ref. 1) {ref1}" in text or ref1 in text
    codes = pdf_codes(pdf, tmp_path)
    arrears = platform.db(billing.statement(town.tenant, town.household)).arrears_payload
    assert codes[QR] == arrears
    assert codes[CODE128] == f"|{billing.DEMO_BILLER_ID}\r{ref1}\r0\r6500"
    assert f"| {billing.DEMO_BILLER_ID} {ref1} 0 6500" in text


def test_a_bill_with_one_unpaid_month_carries_that_bills_own_references(
    platform: Any, client: Any, town: Town, tmp_path: Path
):
    need_tool("pdftoppm")
    pdf = client.get(f"/{town.tenant.slug}/bills/{town.shop.number}/bill.pdf").data
    bill = platform.db(Bill.get(account=town.shop, period=PERIODS[2]))
    codes = pdf_codes(pdf, tmp_path)
    assert codes[QR] == bill.qr_payload
    assert codes[CODE128] == f"|{billing.DEMO_BILLER_ID}\r{bill.ref1}\r{bill.ref2}\r2500"


def test_an_unknown_account_has_no_bill(client: Any, town: Town):
    response = client.get(f"/{town.tenant.slug}/bills/GB-999999/bill.pdf")
    assert response.status_code == 404 and "ไม่พบ" in response.get_data(as_text=True)


# --- the masking rule and the due date --------------------------------------------------------


@pytest.mark.parametrize(
    "name,shown",
    [
        ("นางสมพร ใจดี", "นางสมพร ใ…"),
        ("นายสมชาย  ศรีสุข", "นายสมชาย ศ…"),
        ("Mr. John Smith", "Mr. J…"),
        (SHOP_HOLDER, SHOP_HOLDER),
        ("", ""),
    ],
)
def test_masked_holder_keeps_the_first_name_and_the_surnames_first_letter(name: str, shown: str):
    assert masked_holder(name) == shown


@pytest.mark.parametrize(
    "address,shown",
    [
        (
            "89/12 หมู่ 4 หมู่บ้านสวนทองวิลล่า ถนนเชียงใหม่-หางดง ต.แม่เหียะ อ.เมืองเชียงใหม่ จ.เชียงใหม่ 50100",
            "ต.แม่เหียะ อ.เมืองเชียงใหม่ จ.เชียงใหม่ 50100",
        ),
        ("12 แขวงบางรัก เขตบางรัก กรุงเทพมหานคร 10500", "แขวงบางรัก เขตบางรัก กรุงเทพมหานคร 10500"),
        ("5 อ.สารภี จ.เชียงใหม่", "อ.สารภี จ.เชียงใหม่"),
        ("99 ถนนนิมมานเหมินท์", ""),
        ("", ""),
    ],
)
def test_public_address_leaves_out_everything_below_the_subdistrict(address: str, shown: str):
    """Accounts opened before addresses were kept as answered: the line is read from its markers."""
    assert public_address(SimpleNamespace(address=address, address_parts={})) == shown


def test_public_address_of_an_address_kept_as_answered():
    parts = {
        "house_no": "89/12",
        "moo": 4,
        "road": "เชียงใหม่-หางดง",
        "subdistrict": "แม่เหียะ",
        "district": "เมืองเชียงใหม่",
        "province": "เชียงใหม่",
        "postcode": "50100",
    }
    account = SimpleNamespace(address="ignored", address_parts=parts)
    assert public_address(account) == "ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่ 50100"


def test_a_bill_is_due_at_the_end_of_the_month_after_its_latest_period():
    assert due_date(["2569-01", "2569-03"]) == date(2026, 4, 30)
    assert due_date(["2569-12"]) == date(2027, 1, 31)
    assert due_date(["2571-01"]) == date(2028, 2, 29)
    assert due_date([]) is None


def test_a_bill_without_a_due_date_does_not_promise_one(platform: Any, town: Town, tmp_path: Path):
    import dataclasses
    from datetime import date

    from renderers import bills
    from renderers.documents import DocumentTenant

    need_tool("pdftotext")
    statement = platform.db(billing.statement(town.tenant, town.household))
    definition = platform.definition(town.household.service_id, town.household.service_version)
    sheet = dataclasses.replace(bills.bill_sheet(town.tenant, statement, definition), due_on=None)
    pdf = bills.render_bill(
        sheet, tenant=DocumentTenant("เทศบาลทดสอบ", "Test", "-"), issued_on=date(2027, 4, 1)
    )
    words = re.sub(r"\s+", "", pdf_text(pdf, tmp_path)).replace("\u0e4d\u0e32", "\u0e33")
    assert "โปรดชำระโดยสแกนQR" in words and "ภายในวันที่" not in words
