"""The whole loop in a real browser: a citizen petitions, links LINE, the officer asks for more, the
citizen is told by e-mail (read back from an SMTP server on loopback) and on LINE (seen by a
stand-in of LINE's API), answers on the tracking page with a file, and the officer carries on.
axe-core checks every page on the way, citizen's and officer's, for accessibility violations.

Runs on SQLite and on PostgreSQL (the platform fixture's backend), in Debian's Chromium.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.messaging import ChannelRegistry, LinePushChannel, SmtpChannel, TrackingPageChannel
from engine.services import line, messages
from engine.services.effects import run_pending
from engine.store.models import LineLink, Submission, Tenant
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, shot
from tests.messaging_servers import Mailbox, StandIn, http_stand_in, smtp_server
from tests.uploads import TINY_PDF
from thongthin import demo
from thongthin.runners import credentials_for, runners_for

EMAIL = "pimchanok.s@example.com"
LINE_USER = "U4af4980629bd0ba6b2b5a1a0e2f0c3d1"
QUESTION = "กรุณาแนบสำเนาบันทึกแจ้งความเอกสารหาย และระบุปีที่ได้รับใบอนุญาต"


@pytest.fixture(scope="module")
def loopback(platform: Any) -> Iterator[tuple[Mailbox, StandIn]]:
    """The platform sends e-mail and LINE messages to servers of this test; maehia has a LINE account."""
    mail_servers = smtp_server()
    line_servers = http_stand_in()
    smtp_url, mailbox = next(mail_servers)
    line_url, stand_in = next(line_servers)
    registry = ChannelRegistry()
    registry.register(TrackingPageChannel())
    registry.register(SmtpChannel.from_url(smtp_url, "เทศบาลเมืองแม่เหียะ <saraban@maehia.go.th>"))
    registry.register(LinePushChannel(line_url))
    platform.channels = registry
    platform.db(demo.seed(platform.catalog))
    maehia = platform.db(Tenant.get(slug="maehia"))
    key = platform.settings.secret_key
    platform.db(
        line.connect(
            maehia, key, channel_secret="maehia-secret", access_token="maehia-token", basic_id="@maehia"
        )
    )
    yield mailbox, stand_in
    platform.db(line.disconnect(maehia))
    del platform.channels
    for servers in (mail_servers, line_servers):
        servers.close()


@pytest.fixture
def browser(sync_playwright: Any) -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _context(browser: Any, **options: Any) -> Any:
    # axe-core is injected as a script: the pages' own CSP (rightly) forbids that, so it is bypassed here.
    context = browser.new_context(locale="th-TH", bypass_csp=True, **options)
    context.set_default_timeout(15_000)
    return context


def accessible(page: Any, name: str) -> None:
    """axe-core finds no violation on the page as it stands (WCAG 2.1 A and AA rules)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    )
    violations = results.response["violations"]
    shot(page, f"reach-{name}")
    assert not violations, f"{name}: " + json.dumps(
        [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in violations],
        ensure_ascii=False,
    )


def _continue(page: Any) -> None:
    page.locator("div.button-group button[value=continue]").click()
    page.wait_for_load_state("domcontentloaded")


def _work(platform: Any) -> None:
    """One round of the worker: effects, then messages."""
    platform.db(run_pending(runners_for(platform), limit=10_000))
    platform.db(
        messages.deliver_due(platform.channels, credential_for=credentials_for(platform), limit=10_000)
    )


def _officer(browser: Any, live_server: str, username: str) -> Any:
    page = _context(browser, viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server}/maehia/admin/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_load_state("domcontentloaded")
    return page


def _petition(page: Any, live_server: str) -> str:
    """Apply for a general petition on a phone; returns the reference of the confirmation page."""
    page.goto(f"{live_server}/maehia/services/general-petition")
    accessible(page, "service")
    page.get_by_role("button", name=re.compile("เริ่มกรอกคำขอ")).click()
    page.wait_for_load_state("domcontentloaded")
    _continue(page)  # nothing answered: the error summary, checked too
    assert page.locator("[data-error-summary]").is_visible()
    accessible(page, "step-errors")
    page.select_option("#f-petitioner-name-prefix", "นางสาว")
    page.fill("#f-petitioner-name-first_name", "พิมพ์ชนก")
    page.fill("#f-petitioner-name-last_name", "ศรีวงศ์")
    page.fill("#f-petitioner-national_id", "3-1012-00345-21-9")
    accessible(page, "step")
    # Switching language mid-form keeps what was typed (the header's button posts the form).
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.input_value("#f-petitioner-name-first_name") == "พิมพ์ชนก"
    page.get_by_role("button", name="ภาษาไทย").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.input_value("#f-petitioner-national_id").replace("-", "") == "3101200345219"
    _continue(page)
    page.fill("#f-petitioner-address-house_no", "15")
    page.fill("#f-petitioner-address-province", "เชียงใหม่")
    page.fill("#f-petitioner-address-district", "เมืองเชียงใหม่")
    page.fill("#f-petitioner-address-subdistrict", "แม่เหียะ")
    page.fill("#f-petitioner-address-postcode", "50100")
    _continue(page)
    page.get_by_label("ขอสำเนาเอกสารหรือหนังสือรับรอง").check()
    page.fill("#f-petition-subject", "ขอสำเนาใบอนุญาตก่อสร้างอาคารที่มีคำรับรองถูกต้อง")
    page.select_option("#f-petition-preferred_department", "engineering")
    _continue(page)
    page.fill(
        "#f-petition-detail",
        "ต้นฉบับใบอนุญาตก่อสร้างอาคารเลขที่ 15 หมู่ที่ 2 สูญหาย ขอสำเนาที่มีคำรับรองถูกต้องเพื่อใช้ยื่นขอสินเชื่อ",
    )
    assert "พิมพ์ได้อีก" in page.locator("[data-char-count]").inner_text()  # counts down as one types
    _continue(page)
    page.get_by_label("อีเมล", exact=True).first.check()
    page.fill("#f-petitioner-phone", "053 123 456")
    page.fill("#f-petitioner-email", EMAIL)
    _continue(page)
    assert page.locator("h1").inner_text() == "ตรวจสอบข้อมูลก่อนส่ง"
    accessible(page, "check")
    page.get_by_role("button", name="ยืนยันและส่งคำขอ").click()
    page.wait_for_load_state("domcontentloaded")
    return page.locator("[data-reference]").inner_text().strip()


def test_the_citizen_is_told_and_answers_the_office(
    browser: Any, live_server: str, platform: Any, loopback: tuple[Mailbox, StandIn], tmp_path: Path
):
    mailbox, line_api = loopback
    citizen = _context(browser, viewport=PHONE, is_mobile=True, device_scale_factor=2).new_page()
    reference = _petition(citizen, live_server)

    # The confirmation says where the reference went, and how to follow it on LINE.
    sent_to = citizen.locator("[data-sent-to]").inner_text()
    assert "05-xxx-3456" not in sent_to and "p***@example.com" in sent_to  # no SMS gateway here: not claimed
    command = citizen.locator("[data-line-command]").inner_text().strip()
    assert command.startswith(f"ผูก {reference} ")
    accessible(citizen, "confirmation")

    # The citizen sends the command to the municipality's Official Account (LINE calls the webhook).
    event = {
        "type": "message",
        "replyToken": "reply-link-1",
        "source": {"type": "user", "userId": LINE_USER},
        "message": {"type": "text", "id": "1", "text": command},
    }
    body = json.dumps({"destination": "Ubot", "events": [event]}, ensure_ascii=False).encode()
    client = platform_app_client(live_server)
    answer = client(
        "/api/v1/tenants/maehia/line/webhook",
        body,
        {"X-Line-Signature": line.signature_of("maehia-secret", body)},
    )
    assert answer == 200
    _work(platform)
    submission = platform.db(Submission.get(tenant__slug="maehia", reference=reference))
    assert platform.db(LineLink.filter(submission_id=submission.id, line_user_id=LINE_USER).exists())
    assert any(r.body["replyToken"] == "reply-link-1" for r in line_api.posted("/reply"))
    receipts = [m for m in mailbox.to(EMAIL) if reference in m["Subject"]]
    assert receipts, "the receipt e-mail"

    # The clerk routes it; the engineering officer asks for more information.
    clerk = _officer(browser, live_server, "maehia.clerk")
    clerk.goto(f"{live_server}/maehia/admin/submissions/{reference}")
    accessible(clerk, "desk-submission")
    route = clerk.locator("#action-route")
    assert route.locator("select").input_value() == "engineering", (
        "preselected: the department the citizen chose"
    )
    route.get_by_role("button", name=re.compile("ส่งเรื่องให้กอง")).click()
    clerk.wait_for_load_state("domcontentloaded")
    officer = _officer(browser, live_server, "maehia.department_officer")
    officer.goto(f"{live_server}/maehia/admin/submissions/{reference}")
    form = officer.locator("#action-request_info")
    form.locator("textarea").fill("สั้น")  # too short: the desk's refusal, checked too
    form.get_by_role("button", name=re.compile("ขอข้อมูลเพิ่มเติม")).click()
    officer.wait_for_load_state("domcontentloaded")
    assert officer.locator(".error-summary").is_visible()
    accessible(officer, "desk-errors")
    form = officer.locator("#action-request_info")
    form.locator("textarea").fill(QUESTION)
    form.get_by_role("button", name=re.compile("ขอข้อมูลเพิ่มเติม")).click()
    officer.wait_for_load_state("domcontentloaded")
    _work(platform)

    # Told by e-mail and on LINE.
    [asked] = [
        m
        for m in mailbox.to(EMAIL)
        if reference in m["Subject"] and "ขอข้อมูลเพิ่มเติม" in m.get_body(preferencelist=("plain",)).get_content()
    ]
    text = asked.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"https?://\S+/maehia/track/{reference}/\S+", text)
    assert link, text
    pushes = [r for r in line_api.posted("/v2/bot/message/push") if r.body["to"] == LINE_USER]
    assert pushes and reference in pushes[-1].body["messages"][0]["text"]

    # The citizen opens the e-mail's link, reads the question and answers with a file.
    citizen.goto(link.group(0).replace("http://127.0.0.1:8000", live_server))
    citizen.wait_for_load_state("domcontentloaded")
    assert QUESTION in citizen.locator("[data-office-said]").inner_text()
    accessible(citizen, "tracking-asked")
    scan = tmp_path / "บันทึกแจ้งความ.pdf"
    scan.write_bytes(TINY_PDF)
    reply = citizen.locator("[data-applicant-action=provide_info]")
    reply.locator("textarea").fill("ได้รับใบอนุญาตเมื่อปี 2562 แนบบันทึกแจ้งความมาด้วยแล้ว")
    reply.locator("input[type=file]").set_input_files(str(scan))
    reply.get_by_role("button", name="ส่งข้อมูลเพิ่มเติม").click()
    citizen.wait_for_load_state("domcontentloaded")
    assert "ส่งถึงเจ้าหน้าที่เรียบร้อยแล้ว" in citizen.locator("main").inner_text()
    accessible(citizen, "tracking-answered")
    # Withdrawing would be confirmed first (the confirmation page is checked, nothing is withdrawn).
    citizen.locator("[data-applicant-action=withdraw]").get_by_role("button", name="ถอนคำร้อง").click()
    citizen.wait_for_load_state("domcontentloaded")
    assert "ใช่หรือไม่" in citizen.locator("h1").inner_text()
    accessible(citizen, "confirm-withdraw")
    assert platform.db(Submission.get(id=submission.id)).state == "in_department"
    stop = re.search(r"/maehia/messages/stop/\S+", text)
    assert stop
    citizen.goto(live_server + stop.group(0))
    assert "ใช่หรือไม่" in citizen.locator("main").inner_text()
    accessible(citizen, "stop-messages")

    # The officer sees the answer and its file, and carries on.
    officer.goto(f"{live_server}/maehia/admin/submissions/{reference}")
    main = officer.locator("main").inner_text()
    assert "ได้รับใบอนุญาตเมื่อปี 2562" in main and "บันทึกแจ้งความ.pdf" in main
    assert officer.locator("[data-delivery-log]").is_visible()
    accessible(officer, "desk-answered")
    officer.goto(f"{live_server}/maehia/admin/account/notifications")
    accessible(officer, "desk-notifications")
    admin = _officer(browser, live_server, "maehia.admin")
    admin.goto(f"{live_server}/maehia/admin/console/line")
    accessible(admin, "console-line")
    officer.goto(f"{live_server}/maehia/admin/submissions/{reference}")
    draft = officer.locator("#action-draft_answer")
    draft.locator("textarea").fill("กองช่างได้จัดทำสำเนาใบอนุญาตก่อสร้างที่มีคำรับรองถูกต้องแล้ว รับได้ที่ศูนย์บริการร่วม")
    draft.get_by_role("button", name=re.compile("จัดทำร่างคำตอบ")).click()
    officer.wait_for_load_state("domcontentloaded")
    assert platform.db(Submission.get(id=submission.id)).state == "awaiting_approval"


def platform_app_client(live_server: str) -> Any:
    """POST raw bytes to the live server, as LINE does; returns the status code."""
    import urllib.error
    import urllib.request

    def post(path: str, body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(
            live_server + path,
            data=body,
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    return post
