"""An analyst builds a service in the studio in Chromium, and a municipality runs it to a signed permit.

No file is edited by hand: "ขอใช้อาคารสถานที่สาธารณะ" (booking a public hall) is made from a
copy of the general petition with a date, a condition, a fee, a permit document and an approval
by the mayor; previewed; published as 1.0.0; enabled by maehia's administrator; applied for by a
citizen on a phone; approved by the officers; its permit issued, signed and verifiable.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from engine.services.effects import run_pending
from engine.store.models import IssuedDocument
from signing.pki import DevPkiServer, Officer, ensure_dev_pki
from signing.verify import verify_pdf
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, shot
from tests.e2e.test_reaching_citizens import _context, _continue, _officer, accessible
from thongthin import demo
from thongthin.runners import runners_for

pytestmark = pytest.mark.db


@pytest.fixture
def browser(sync_playwright: Any) -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def submit(page: Any, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).first.click()
    page.wait_for_load_state("domcontentloaded")


def no_problems(page: Any) -> None:
    problems = page.locator("[data-problems] li").all_inner_texts()
    assert page.locator("[data-problems-none]").count() == 1, problems


def build_hall_booking(page: Any, live_server: str, service_id: str) -> None:
    page.goto(f"{live_server}/studio/login")
    page.fill("#username", demo.OPERATOR_USERNAME)
    page.fill("#password", demo.DEMO_PASSWORD)
    submit(page, "เข้าสู่ระบบ")
    assert page.locator("h1").inner_text() == "แคตตาล็อกบริการ"
    accessible(page, "studio-catalog")
    page.fill("#new-id", service_id)
    page.select_option("#copy-of", "general-petition")
    submit(page, "สร้างฉบับร่าง")
    no_problems(page)

    page.fill("#title_th", "ขอใช้อาคารสถานที่สาธารณะ")
    page.fill("#title_en", "Book a public hall")
    page.fill("#summary_th", "ขอใช้ห้องประชุมหรือลานกีฬาของเทศบาลเพื่อจัดกิจกรรม")
    page.fill("#summary_en", "Book a municipal hall or court for an event.")
    page.select_option("#category", "permit")
    page.locator("#service").get_by_role("button", name="บันทึก").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("h1").inner_text() == "ขอใช้อาคารสถานที่สาธารณะ"

    page.fill("#step_id", "booking")
    page.fill("#step_title_th", "การขอใช้สถานที่")
    page.fill("#step_title_en", "Your booking")
    submit(page, "เพิ่มหน้า")

    def add_field(**values: str) -> None:
        page.locator("#step-booking").get_by_role("link", name=re.compile("เพิ่มช่องข้อมูล")).click()
        page.wait_for_load_state("domcontentloaded")
        for name, value in values.items():
            if name in ("widget", "when_pointer"):
                page.select_option(f"#{name}", value)
            elif name == "required":
                page.check("#required")
            else:
                page.fill(f"#{name}", value)
        submit(page, "บันทึกช่องข้อมูล")
        assert page.locator(".error-summary").count() == 0, page.locator(".error-summary").inner_text()

    add_field(
        name="booking/date", widget="date", label_th="วันที่ขอใช้สถานที่", label_en="Date of use", required="yes"
    )
    add_field(
        name="booking/hall",
        widget="radio",
        label_th="สถานที่ที่ขอใช้",
        label_en="Hall",
        required="yes",
        options="meeting | ห้องประชุมเทศบาล | Council meeting room\ncourt | ลานกีฬาเอนกประสงค์ | Sports court",
    )
    add_field(
        name="booking/lights",
        widget="checkbox",
        label_th="ขอใช้ไฟส่องสว่างลานกีฬา",
        label_en="Use of the court's floodlights",
        when_pointer="/booking/hall",
        when_equals="court",
    )
    no_problems(page)

    # Dragged into place: the hall before the date, then the booking page first of all.
    def field_order() -> list[str]:
        return page.locator("#step-booking tbody > tr[data-field]").evaluate_all(
            "rows => rows.map(r => r.dataset.field)"
        )

    assert field_order() == ["/booking/date", "/booking/hall", "/booking/lights"]
    with page.expect_navigation():
        page.drag_and_drop(
            '#step-booking tr[data-field="/booking/hall"]',
            '#step-booking tr[data-field="/booking/date"]',
            target_position={"x": 20, "y": 3},
        )
    page.wait_for_load_state("domcontentloaded")
    assert field_order() == ["/booking/hall", "/booking/date", "/booking/lights"]

    def step_order() -> list[str]:
        return page.locator("#steps > [data-step]").evaluate_all("panels => panels.map(p => p.dataset.step)")

    before = step_order()
    assert before[-1] == "booking"
    viewport = page.viewport_size
    # Both places in view at once: a page that scrolls mid-drag picks up whatever is then under the mouse.
    page.set_viewport_size({"width": 1280, "height": 12000})
    page.evaluate("window.scrollTo(0, 0)")
    source = page.locator("#step-booking h3").bounding_box()
    target = page.locator(f"#step-{before[-2]} h3").bounding_box()
    with page.expect_navigation():
        page.mouse.move(source["x"] + 20, source["y"] + source["height"] / 2)
        page.mouse.down()
        page.mouse.move(target["x"] + 20, target["y"] + 2, steps=8)
        page.mouse.up()
    page.wait_for_load_state("domcontentloaded")
    page.set_viewport_size(viewport)
    assert step_order() == [*before[:-2], "booking", before[-2]]
    # Without dragging, the buttons move it back one place.
    page.locator("#step-booking").get_by_role("button", name=re.compile("เลื่อนหน้านี้ลง")).click()
    page.wait_for_load_state("domcontentloaded")
    assert step_order() == before
    no_problems(page)

    page.fill("#fee_id", "hall_fee")
    page.fill("#fee_title_th", "ค่าธรรมเนียมการใช้สถานที่")
    page.fill("#fee_title_en", "Hall fee")
    page.fill("#amount", "500")
    submit(page, "เพิ่มค่าธรรมเนียม")
    page.fill("#document_id", "permit")
    page.fill("#doc_title_th", "หนังสืออนุญาตให้ใช้สถานที่")
    page.fill("#doc_title_en", "Hall use permit")
    page.select_option("#signer_role", "mayor")
    page.fill("#position_th", "นายกเทศมนตรี")
    submit(page, "เพิ่มเอกสาร")

    page.fill("#state", "awaiting_mayor")
    page.fill("#state_title_th", "รอนายกเทศมนตรีพิจารณา")
    page.fill("#state_title_en", "Awaiting the mayor")
    page.fill("#message_th", "คำขอของท่านอยู่ระหว่างการพิจารณาของนายกเทศมนตรี")
    page.select_option("#assignees", ["mayor"])
    page.fill("#sla", "P3D")
    submit(page, "เพิ่มสถานะ")
    page.fill("#state", "permitted")
    page.fill("#state_title_th", "อนุญาตแล้ว")
    page.fill("#state_title_en", "Permitted")
    page.fill("#message_th", "เทศบาลอนุญาตให้ใช้สถานที่แล้ว ท่านดาวน์โหลดหนังสืออนุญาตได้")
    page.select_option("#outcome", "approved")
    submit(page, "เพิ่มสถานะ")

    page.fill("#action", "propose")
    page.fill("#tr_title_th", "เสนอนายกเทศมนตรีพิจารณา")
    page.fill("#tr_title_en", "Propose to the mayor")
    page.select_option("#from", ["submitted"])
    page.select_option("#to", "awaiting_mayor")
    page.select_option("#roles", ["clerk"])
    submit(page, "เพิ่มการดำเนินการ")
    page.fill("#action", "permit")
    page.fill("#tr_title_th", "อนุญาตให้ใช้สถานที่")
    page.fill("#tr_title_en", "Permit")
    page.select_option("#from", ["awaiting_mayor"])
    page.select_option("#to", "permitted")
    page.select_option("#roles", ["mayor"])
    page.select_option("#effect", "issue_document:permit")
    submit(page, "เพิ่มการดำเนินการ")
    no_problems(page)
    assert page.locator('[data-diagram] [data-state="awaiting_mayor"]').count() == 1
    accessible(page, "studio-draft")

    # The citizen's page through the real renderer: the new question, then the real messages.
    page.locator("#step-booking").get_by_role("link", name=re.compile("ดูตัวอย่างหน้านี้")).click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_text("วันที่ขอใช้สถานที่").count() >= 1
    assert page.input_value("#f-booking-date")  # filled from the example
    page.fill("#f-booking-date", "")
    submit(page, "ตรวจสอบคำตอบ")
    assert page.locator("[data-error-summary]").is_visible()
    accessible(page, "studio-preview-errors")
    page.get_by_role("link", name="ย้อนกลับ").click()
    page.wait_for_load_state("domcontentloaded")

    assert page.input_value("#version") == "1.0.0"
    page.fill("#changelog", "บริการใหม่: ขอใช้อาคารสถานที่สาธารณะ")
    submit(page, "เผยแพร่รุ่นนี้")
    assert page.locator(f'[data-service="{service_id}"][data-version="1.0.0"]').count() == 1
    shot(page, "studio-published")


def apply_for_the_hall(page: Any, live_server: str, service_id: str) -> str:
    """A citizen on a phone books the court with its lights; returns the reference."""
    page.goto(f"{live_server}/maehia/services/{service_id}")
    assert page.locator("h1").inner_text() == "ขอใช้อาคารสถานที่สาธารณะ"
    page.get_by_role("button", name=re.compile("เริ่มกรอกคำขอ")).click()
    page.wait_for_load_state("domcontentloaded")
    page.select_option("#f-petitioner-name-prefix", "นาย")
    page.fill("#f-petitioner-name-first_name", "อนันต์")
    page.fill("#f-petitioner-name-last_name", "ใจกว้าง")
    page.fill("#f-petitioner-national_id", "3-1012-00345-21-9")
    _continue(page)
    page.fill("#f-petitioner-address-house_no", "15")
    page.fill("#f-petitioner-address-province", "เชียงใหม่")
    page.fill("#f-petitioner-address-district", "เมืองเชียงใหม่")
    page.fill("#f-petitioner-address-subdistrict", "แม่เหียะ")
    page.fill("#f-petitioner-address-postcode", "50100")
    _continue(page)
    page.get_by_label("ขอสำเนาเอกสารหรือหนังสือรับรอง").check()
    page.fill("#f-petition-subject", "ขอใช้ลานกีฬาจัดการแข่งขันฟุตซอลเยาวชน")
    page.select_option("#f-petition-preferred_department", "secretary_office")
    _continue(page)
    page.fill("#f-petition-detail", "ขอใช้ลานกีฬาเอนกประสงค์จัดการแข่งขันฟุตซอลเยาวชนของหมู่บ้าน ช่วงเย็นถึงค่ำ")
    _continue(page)
    page.get_by_label("อีเมล", exact=True).first.check()
    page.fill("#f-petitioner-phone", "081 234 5678")
    page.fill("#f-petitioner-email", "anan@example.com")
    _continue(page)
    page.fill("#f-booking-date", "14")
    page.fill("#f-booking-date-month", "2")
    page.fill("#f-booking-date-year", "2570")
    page.get_by_label("ลานกีฬาเอนกประสงค์").check()
    page.get_by_label("ขอใช้ไฟส่องสว่างลานกีฬา").check()
    _continue(page)
    assert page.locator("h1").inner_text() == "ตรวจสอบข้อมูลก่อนส่ง"
    assert "ลานกีฬาเอนกประสงค์" in page.locator("main").inner_text()
    page.get_by_role("button", name="ยืนยันและส่งคำขอ").click()
    page.wait_for_load_state("domcontentloaded")
    return page.locator("[data-reference]").inner_text().strip()


def test_an_analyst_builds_a_hall_booking_that_a_municipality_runs_to_a_signed_permit(
    browser: Any, live_server: str, platform: Any
):
    service_id = f"hall-{uuid.uuid4().hex[:6]}"
    analyst = _context(browser, viewport={"width": 1280, "height": 900}).new_page()
    build_hall_booking(analyst, live_server, service_id)

    admin = _officer(browser, live_server, "maehia.admin")
    admin.goto(f"{live_server}/maehia/admin/console/services")
    admin.locator(f'tr[data-service="{service_id}"]').get_by_role(
        "button", name=re.compile("เปิดให้บริการ")
    ).click()
    admin.wait_for_load_state("domcontentloaded")
    assert "เปิดให้บริการ" in admin.locator(f'tr[data-service="{service_id}"]').inner_text()

    citizen = _context(browser, viewport=PHONE, is_mobile=True, device_scale_factor=2).new_page()
    reference = apply_for_the_hall(citizen, live_server, service_id)
    assert reference.startswith("MH-")

    clerk = _officer(browser, live_server, "maehia.clerk")
    clerk.goto(f"{live_server}/maehia/admin/submissions/{reference}")
    clerk.locator("#action-propose").get_by_role("button", name=re.compile("เสนอนายกเทศมนตรีพิจารณา")).click()
    clerk.wait_for_load_state("domcontentloaded")
    mayor = _officer(browser, live_server, "maehia.mayor")
    mayor.goto(f"{live_server}/maehia/admin/submissions/{reference}")
    assert "รอนายกเทศมนตรีพิจารณา" in mayor.locator("main").inner_text()
    mayor.locator("#action-permit").get_by_role("button", name=re.compile("อนุญาตให้ใช้สถานที่")).click()
    mayor.wait_for_load_state("domcontentloaded")

    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(
        platform.settings.data_dir / "pki",
        [Officer("maehia", "mayor", "นายณัฐพล วงศ์ใหญ่", demo.DEMO_TENANT["name_th"])],
        url=server.url,
    )
    server.start(pki)
    try:
        platform.db(run_pending(runners_for(platform), limit=10_000))
    finally:
        server.stop()
    [permit] = platform.db(IssuedDocument.filter(document_id="permit", submission__reference=reference))
    assert permit.status == "issued"
    # Playwright's own event loop runs on this thread; the validator runs one of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(verify_pdf, platform.blobs.get(permit.blob_key), pki.trust_roots()).result()
    assert report.status == "valid", report
    assert all(s.intact and s.trusted for s in report.signatures)
