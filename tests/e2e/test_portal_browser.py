"""A citizen applies for a food-premises notification in a real browser (headless Chromium).

The portal runs on a live server (werkzeug in a thread, on a free loopback port) over the
test platform, seeded with the demo municipality. The browser is Debian's ``chromium``
driven by Playwright with ``executable_path`` (never a browser Playwright downloads), on a
390-pixel-wide phone screen. Screenshots go to ``tests/e2e/artifacts/`` (not committed).

Skipped with a message when /usr/bin/chromium or the playwright package is missing, except
in CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.e2e.browser import PHONE, shot
from tests.uploads import TINY_PDF, TINY_PNG
from thongthin import demo

FOOD = "food-premises-notification"


def continue_(page: Any) -> None:
    page.locator("div.button-group button[value=continue]").click()
    page.wait_for_load_state("domcontentloaded")


def test_a_citizen_applies_on_a_phone_and_tracks_it(page: Any, live_server: str, tmp_path: Path):
    pdf = tmp_path / "สัญญาเช่า.pdf"
    pdf.write_bytes(TINY_PDF)
    photo = tmp_path / "หน้าร้าน.png"
    photo.write_bytes(TINY_PNG)

    page.goto(f"{live_server}/maehia/")
    assert page.locator("h1").inner_text() == "บริการออนไลน์"
    page.get_by_role("link", name=re.compile("แจ้งจัดตั้งสถานที่จำหน่ายอาหาร")).click()
    assert "7 วันทำการ" in page.locator("main").inner_text()
    shot(page, "portal-service")
    page.get_by_role("button", name=re.compile("เริ่มกรอกคำขอ")).click()

    # 1. Continue without an answer: the error summary appears and takes the focus...
    assert "ขั้นตอนที่ 1 จาก 8" in page.locator(".progress").inner_text()
    continue_(page)
    summary = page.locator("[data-error-summary]")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert page.title().startswith("ข้อผิดพลาด:")
    shot(page, "portal-step-errors")
    # ... and its link moves the focus to the question.
    summary.get_by_role("link", name="กรุณาเลือกประเภทผู้แจ้ง").click()
    assert page.evaluate("document.activeElement.id") == "f-operator-kind"
    page.get_by_label("บุคคลธรรมดา").check()
    continue_(page)

    # 2. About you: a select, text, an ID typed with dashes, a phone, and an address with the picker.
    assert page.locator("h1").inner_text() == "ข้อมูลผู้แจ้ง"
    page.select_option("#f-operator-name-prefix", "นาง")
    page.fill("#f-operator-name-first_name", "สุนีย์")
    page.fill("#f-operator-name-last_name", "แก้วมณี")
    page.fill("#f-operator-national_id", "3-1006-01234-56-5")
    page.fill("#f-operator-phone", "084 123 9876")
    page.fill("#f-operator-address-house_no", "55/2")
    page.fill("#f-operator-address-moo", "2")
    province = page.locator("#f-operator-address-province")
    province.fill("เชียงใหม่")
    province.dispatch_event("change")
    # (Locators, not wait_for_function: the page's CSP forbids the eval it needs.)
    page.locator("#address-0-district option").first.wait_for(state="attached")
    page.fill("#f-operator-address-district", "เมืองเชียงใหม่")
    page.locator("#f-operator-address-district").dispatch_event("change")
    page.locator("#address-0-subdistrict option").first.wait_for(state="attached")
    page.fill("#f-operator-address-subdistrict", "แม่เหียะ")
    page.locator("#f-operator-address-subdistrict").dispatch_event("change")
    assert page.input_value("#f-operator-address-postcode") == "50100"  # filled in from the shipped data
    shot(page, "portal-address")
    continue_(page)

    # 3. The business.
    page.fill("#f-business-name", "ก๋วยเตี๋ยวเรือป้านีย์")
    page.get_by_label("สถานที่จำหน่ายอาหาร", exact=True).check()
    page.get_by_label("อาหารปรุงสำเร็จ").check()
    page.get_by_label("เครื่องดื่ม กาแฟ น้ำผลไม้").check()
    continue_(page)

    # 4. Size: numbers (the seats are asked because it sells food).
    page.fill("#f-business-area_sqm", "45")
    page.fill("#f-business-seats", "24")
    page.fill("#f-business-food_handlers", "3")
    continue_(page)

    # 5. Premises: address, the map pin falls back to latitude and longitude without tiles.
    assert page.locator("h1").inner_text() == "สถานที่ประกอบกิจการ"
    page.fill("#f-premises-address-house_no", "120/4")
    page.fill("#f-premises-address-province", "เชียงใหม่")
    page.fill("#f-premises-address-district", "เมืองเชียงใหม่")
    page.fill("#f-premises-address-subdistrict", "แม่เหียะ")
    page.fill("#f-premises-address-postcode", "50100")
    page.fill("#f-premises-location", "18.7468")
    page.fill("#f-premises-location-lon", "98.9661")
    page.get_by_label("เช่า", exact=True).check()
    page.wait_for_selector("[data-map-note]:not([hidden])", timeout=20_000)  # no tiles offline: said so
    shot(page, "portal-map-fallback")
    continue_(page)

    # 6. Opening hours.
    for day in ("จันทร์", "อังคาร", "พุธ"):
        page.get_by_label(day, exact=True).check()
    page.fill("#f-opening_hours-opens", "07:30")
    page.fill("#f-opening_hours-closes", "15:00")
    continue_(page)

    # 7. Documents: real files, uploaded at once and listed with a remove button.
    assert page.locator("h1").inner_text() == "แนบเอกสาร"
    page.set_input_files("#f-attachments-id_card", str(pdf))
    page.locator("button[value='upload:/attachments/id_card']").click()
    page.wait_for_load_state("domcontentloaded")
    assert "สัญญาเช่า.pdf" in page.locator(".file-list").first.inner_text()
    assert page.get_by_role("button", name="ลบไฟล์ สัญญาเช่า.pdf").is_visible()
    page.set_input_files("#f-attachments-premises_document", str(pdf))
    page.set_input_files("#f-attachments-premises_photos", str(photo))
    shot(page, "portal-uploads")
    continue_(page)

    # 8. Declaration, then check your answers.
    page.get_by_label(re.compile("ข้าพเจ้าขอรับรองว่าข้อมูลเป็นความจริง")).check()
    continue_(page)
    assert page.locator("h1").inner_text() == "ตรวจสอบข้อมูลก่อนส่ง"
    main = page.locator("main").inner_text()
    assert "3-1006-01234-56-5" in main and "หน้าร้าน.png" in main and "100 บาท ต่อปี" in main
    shot(page, "portal-check")
    page.get_by_role("button", name="ยืนยันและส่งคำขอ").click()
    page.wait_for_load_state("domcontentloaded")

    # The confirmation panel with the reference number.
    panel = page.locator(".panel-confirmation")
    assert "ส่งคำขอเรียบร้อยแล้ว" in panel.inner_text()
    reference = page.locator("[data-reference]").inner_text().strip()
    assert re.fullmatch(r"MH-25[0-9]{2}-[0-9]{6}", reference), reference
    confirmation = shot(page, "portal-confirmation")
    assert confirmation.stat().st_size > 10_000

    # Tracking with the reference and the tracking code of the confirmation page.
    code = page.locator("[data-tracking-token]").inner_text().strip()
    page.get_by_role("link", name="ติดตามเรื่อง").first.click()
    page.fill("#track-reference", reference)
    page.fill("#track-secret", code)
    page.get_by_role("button", name="ตรวจสอบสถานะ").click()
    page.wait_for_load_state("domcontentloaded")
    status = page.locator("[data-status]").inner_text()
    assert status and reference in page.locator("h1").inner_text()
    assert page.locator("[data-applicant-message]").inner_text()
    assert re.search(r"25[0-9]{2}", page.locator(".timeline").inner_text())  # Buddhist Era
    shot(page, "portal-tracking")
    # A 390-pixel screen shows the page without sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not [e for e in page.console_errors if "Content Security Policy" in e]  # type: ignore[attr-defined]


def test_the_map_pin_fills_in_latitude_and_longitude(page: Any, live_server: str):
    # Map tiles come from the internet; here every tile is a small picture served by the test.
    page.route(
        "https://tile.openstreetmap.org/**",
        lambda route: route.fulfill(body=TINY_PNG, content_type="image/png"),
    )
    page.goto(f"{live_server}/maehia/services/complaint")
    page.get_by_role("button", name=re.compile("เริ่มกรอกคำขอ")).click()
    page.goto(f"{live_server}/maehia/services/complaint/apply/location")
    canvas = page.locator(".map-canvas")
    canvas.wait_for(state="visible")
    assert page.locator("[data-map-hint]").is_visible()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2 - 30)
    latitude = float(page.input_value("#f-location-point"))
    longitude = float(page.input_value("#f-location-point-lon"))
    assert 18.6 < latitude < 19.0 and 98.8 < longitude < 99.2  # around the default centre, Chiang Mai
    assert page.locator(".leaflet-marker-icon").count() == 1
    shot(page, "portal-map")
    page.fill("#f-location-place_description", "หน้าตลาดแม่เหียะ ฝั่งขาเข้าเมือง")
    continue_(page)
    assert "/apply/photos" in page.url
    assert not [e for e in page.console_errors if "Content Security Policy" in e]  # type: ignore[attr-defined]


def test_a_household_finds_its_bills_and_sees_a_scannable_qr_for_each(
    page: Any, live_server: str, platform: Any
):
    """The demo town's market stall GB-000007 owes two months or more: a QR per bill and one for all."""
    from engine.store.models import Bill

    async def unpaid() -> list[Bill]:
        return await Bill.filter(ref1="GB000007", status="unpaid", tenant__slug="maehia")

    owed = platform.db(unpaid())
    total = sum(Decimal(str(b.amount)) for b in owed)
    page.goto(f"{live_server}/maehia/")
    page.get_by_role("link", name=re.compile("ค้นหาใบแจ้งหนี้")).click()
    page.get_by_label(re.compile("เลขที่บัญชี")).fill("zz 123")
    page.get_by_role("button", name="ค้นหา").click()
    assert "ไม่พบเลขที่บัญชีนี้" in page.locator("[data-error-summary]").inner_text()
    page.get_by_label(re.compile("เลขที่บัญชี")).fill("gb 000007")  # as a phone keyboard types it
    page.get_by_role("button", name="ค้นหา").click()
    assert "GB-000007" in page.locator("h1").inner_text()
    bills = page.locator("[data-bill]")
    assert bills.count() == len(owed) >= 2
    for index in range(bills.count()):
        box = bills.nth(index).locator("figure.bill-qr svg").bounding_box()
        assert box is not None and box["width"] >= 150, "a QR small enough to miss on a cheap phone camera"
    arrears = page.locator("[data-arrears]")
    assert arrears.is_visible() and f"{total:,.2f}" in arrears.inner_text()
    assert page.get_by_role("link", name=re.compile("ดาวน์โหลดใบแจ้งหนี้")).is_visible()
    shot(page, "portal-bills")
    assert not [e for e in page.console_errors if "Content Security Policy" in e]  # type: ignore[attr-defined]


def test_the_billing_button_shows_progress_and_the_page_updates_itself(
    page: Any, live_server: str, platform: Any
):
    """Without JavaScript: the run page refreshes itself until the worker has billed every account."""
    from engine.services.effects import run_pending
    from thongthin.runners import runners_for

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/maehia/admin/login")
    page.locator("#username").fill("maehia.admin")
    page.locator("#password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.goto(f"{live_server}/maehia/admin/console/billing")
    page.locator("#period").select_option(index=1)  # next month: nothing billed for it yet
    page.get_by_role("button", name="ออกใบแจ้งหนี้ประจำเดือน").click()
    assert page.locator("#run-status").inner_text() != "เสร็จแล้ว", (
        "queued for the worker, not billed in the request"
    )
    assert page.locator("progress#run-progress").count() == 1
    platform.db(run_pending(runners_for(platform), limit=10_000))  # the worker
    status = page.locator("#run-status")
    status.filter(has_text="เสร็จแล้ว").wait_for(timeout=15_000)  # the page reloaded by itself
    assert "8" in page.locator("#run-count").inner_text()
    shot(page, "console-billing-run")
    assert not [e for e in page.console_errors if "Content Security Policy" in e]  # type: ignore[attr-defined]
