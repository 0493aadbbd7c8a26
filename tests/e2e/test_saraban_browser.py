"""In Chromium: the registry clerk registers a scanned letter, and the mayor endorses it.

The clerk of เทศบาลเมืองแม่เหียะ uploads a phone photo of a paper letter (a JPEG) on the ลงรับ
page, is told the receive number, and sends it to the mayor for consideration; the mayor finds it
in the inbox, marked ด่วนที่สุด and due, and assigns it to the engineering division with an
order. The letter's PDF then carries the receive stamp and two signed endorsements, which
poppler's ``pdfsig`` validates, and the receive register lists it. Both officers' pages, the
search results and the retention page pass axe-core's WCAG 2.1 AA rules.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.services.saraban.organisation import SIGNING_ROLES
from engine.store.models import Letter, RegisterEntry, Tenant
from signing.pki import DevPki, DevPkiServer, Officer, ensure_dev_pki
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_reaching_citizens import _officer, accessible
from tests.signing_fixtures import need_tool, pdfsig, trusting_nss_db
from thongthin import demo, demo_saraban

pytestmark = pytest.mark.db
FONT = Path(__file__).resolve().parents[2] / "renderers" / "fonts" / "Sarabun-Regular.ttf"
SUBJECT = "ขอความร่วมมือประชาสัมพันธ์การฉีดวัคซีนป้องกันโรคพิษสุนัขบ้า"


@pytest.fixture
def browser(sync_playwright: Any) -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def town(platform: Any, live_server: str) -> Iterator[DevPki]:
    """maehia's units and letter code, and its officers' keys served by the development PKI."""
    tenant = platform.db(Tenant.get(slug=demo.DEMO_TENANT["slug"]))
    platform.db(demo_saraban.seed_organisation(tenant))
    officers = [Officer(tenant.slug, role, f"เจ้าหน้าที่ {role}", tenant.name_th) for role in SIGNING_ROLES]
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)
    yield pki
    server.stop()


def scanned_letter() -> bytes:
    """A phone photo of a paper letter: a JPEG of a page with Thai text on it."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), 40)
    lines = ["ที่ ชม 0027.4/ว 321", "สำนักงานปศุสัตว์จังหวัดเชียงใหม่", f"เรื่อง {SUBJECT}", "เรียน นายกเทศมนตรีเมืองแม่เหียะ"]
    for i, line in enumerate(lines):
        draw.text((120, 200 + i * 80), line, fill="black", font=font)
    out = io.BytesIO()
    page.save(out, "JPEG", quality=80)
    return out.getvalue()


def submit(page: Any, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).first.click()
    page.wait_for_load_state("domcontentloaded")


def test_the_clerk_registers_a_scan_and_the_mayor_endorses_it(
    platform: Any, live_server: str, town: DevPki, browser: Any, tmp_path: Path
) -> None:
    slug = demo.DEMO_TENANT["slug"]
    scan = tmp_path / "scan.jpg"
    scan.write_bytes(scanned_letter())

    clerk = _officer(browser, live_server, f"{slug}.saraban_clerk")
    clerk.goto(f"{live_server}/{slug}/admin/saraban/receive")
    accessible(clerk, "saraban-receive")
    clerk.set_input_files("#file", str(scan))
    clerk.fill("#letter_number", "ชม 0027.4/ว 321")
    clerk.fill("#letter_date", "01/12/2569")
    clerk.fill("#sender", "สำนักงานปศุสัตว์จังหวัดเชียงใหม่")
    clerk.fill("#recipient", "นายกเทศมนตรีเมืองแม่เหียะ")
    clerk.fill("#subject", SUBJECT)
    clerk.select_option("#urgency", "most_urgent")
    submit(clerk, "ลงรับหนังสือ")
    banner = clerk.get_by_text(re.compile("เลขทะเบียนรับ")).first.inner_text()
    number = re.search(r"เลขทะเบียนรับ\s*(\S+)", banner)
    assert number, banner
    assert clerk.locator("h1").inner_text().strip() == SUBJECT
    accessible(clerk, "saraban-letter-clerk")
    clerk.select_option("#route-action", "for_consideration")
    clerk.select_option("#route-target", "role:mayor")
    clerk.fill("#route-text", "เรื่องด่วนที่สุด เสนอเพื่อโปรดพิจารณา")
    submit(clerk, "เกษียนและส่งต่อ")
    assert "เกษียนหนังสือแล้ว" in clerk.content()

    mayor = _officer(browser, live_server, f"{slug}.mayor")
    mayor.goto(f"{live_server}/{slug}/admin/saraban/")
    accessible(mayor, "saraban-inbox-mayor")
    row = mayor.locator("tr", has_text=SUBJECT).first
    assert "ด่วนที่สุด" in row.inner_text()
    row.get_by_role("link").first.click()
    mayor.wait_for_load_state("domcontentloaded")
    assert "เรื่องด่วนที่สุด เสนอเพื่อโปรดพิจารณา" in mayor.content()
    mayor.select_option("#route-action", "assign")
    mayor.select_option("#route-target", "unit:engineering")
    mayor.fill("#route-text", "ให้กองช่างประสานสำนักงานปศุสัตว์และรายงานภายใน 7 วัน")
    submit(mayor, "เกษียนและส่งต่อ")
    steps = (
        mayor.locator("#steps-title + *").inner_text()
        if mayor.locator("#steps-title + *").count()
        else mayor.content()
    )
    assert "ให้กองช่างประสานสำนักงานปศุสัตว์และรายงานภายใน 7 วัน" in steps

    public_id = mayor.url.rstrip("/").split("/letters/")[1].split("/")[0].split("?")[0]
    response = mayor.request.get(f"{live_server}/{slug}/admin/saraban/letters/{public_id}/pdf")
    assert response.status == 200 and response.headers["content-type"].startswith("application/pdf")
    pdf = response.body()
    letter = platform.db(Letter.get(public_id=public_id))
    assert pdf == platform.blobs.get(letter.blob_key)
    need_tool("pdfsig", "certutil")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    checked = pdfsig(path, trusting_nss_db(town.root_cert_path, tmp_path / "nss"))
    assert checked.count("Signature is Valid.") == 2, checked
    entry = platform.db(RegisterEntry.get(letter_id=letter.id))
    assert (entry.book, entry.number_text) == ("receive", number.group(1))
    clerk.goto(f"{live_server}/{slug}/admin/saraban/registers?book=receive&year={entry.year}")
    assert SUBJECT in clerk.content() and "ส่ง กองช่าง" in clerk.content()
    accessible(clerk, "saraban-register")
    clerk.goto(f"{live_server}/{slug}/admin/saraban/search?q=วัคซีน")
    assert SUBJECT in clerk.locator("[data-letter]").first.inner_text()
    accessible(clerk, "saraban-search")
    clerk.goto(f"{live_server}/{slug}/admin/saraban/retention")
    accessible(clerk, "saraban-retention")
