"""In Chromium: a letter from another municipality reaches เทศบาลเมืองแม่เหียะ's registry.

A neighbouring town signs a letter to แม่เหียะ and sends it; แม่เหียะ's clerk finds it among the
letters from other agencies, tries to reject it without a reason (the error summary), then
registers it; the sending town's letter page shows the delivery registered with its เลขรับ. The
arrivals list, the arrival page (with its error summary) and the letter page with its deliveries
pass axe-core's WCAG 2.1 AA rules.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from engine.services import accounts, tenants
from engine.services.saraban import agencies, exchange, letters, organisation
from engine.services.saraban.letters import Outgoing
from engine.store.models import Tenant
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_reaching_citizens import _context, _officer, accessible
from tests.e2e.test_saraban_browser import submit
from tests.integration.test_saraban_exchange import pump
from thongthin import demo, demo_saraban

pytestmark = pytest.mark.db
SUBJECT = "ขอความร่วมมือตรวจสอบแนวเขตถนนสาธารณะระหว่างเทศบาล"


@pytest.fixture
def browser(sync_playwright: Any) -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def neighbour(platform: Any) -> tuple[Tenant, str, str]:
    """A town of the same platform with its registry, an engineering division and a signed letter
    to แม่เหียะ already sent; its slug and the letter's public id."""
    maehia = platform.db(Tenant.get(slug=demo.DEMO_TENANT["slug"]))
    platform.db(demo_saraban.seed_organisation(maehia))
    maehia = platform.db(Tenant.get(id=maehia.id))
    platform.db(agencies.ensure_for_tenant(maehia))
    slug = f"n{uuid.uuid4().hex[:8]}"

    async def setup() -> tuple[Tenant, str]:
        tenant = await tenants.ensure_tenant(
            slug, name_th="เทศบาลตำบลสุเทพทดสอบ", name_en="Suthep test", kind="municipality",
            province="เชียงใหม่", reference_prefix="NB",
        )  # fmt: skip
        tenant.settings = {
            "saraban": {"letter_code": f"ชม {uuid.uuid4().int % 90000 + 10000}", "typed_name_signing": True}
        }
        await tenant.save()
        await agencies.ensure_for_tenant(tenant)
        people = {}
        for role in ("saraban_clerk", "department_head"):
            user = await accounts.create_user(
                tenant, f"{slug}.{role}", demo.DEMO_PASSWORD, f"สมศรี {role}", [role], position_th="เจ้าหน้าที่"
            )
            people[role] = user
        await organisation.put_unit(tenant, "engineering", "กองช่าง", letter_suffix=".3")
        await organisation.add_member(tenant, "engineering", people["department_head"].id, head=True)
        head = await organisation.actor(tenant, people["department_head"])
        files = platform.saraban_files
        code = str((maehia.settings or {})["saraban"]["letter_code"])
        draft = await letters.draft(
            tenant, head,
            Outgoing("external", SUBJECT, "นายกเทศมนตรีเมืองแม่เหียะ", "engineering",
                     body=("ด้วยเทศบาลขอความร่วมมือตรวจสอบแนวเขต จึงเรียนมาเพื่อโปรดพิจารณา",), addressees=(code,)),
            files,
        )  # fmt: skip
        signed = await letters.sign(
            tenant, head, draft.public_id, files, version=draft.version, typed_name=True
        )
        clerk = await organisation.actor(tenant, people["saraban_clerk"])
        await exchange.send(tenant, clerk, signed.public_id, platform.saraban_exchange)
        return tenant, signed.public_id

    tenant, public_id = platform.db(setup())
    return tenant, slug, public_id


def test_a_letter_from_a_neighbour_is_registered_and_the_pages_are_accessible(
    platform: Any, live_server: str, browser: Any
) -> None:
    pytest.importorskip("signing.saraban", reason="the receive stamp needs signing.saraban")
    _tenant, other, public_id = neighbour(platform)
    pump(platform)
    slug = demo.DEMO_TENANT["slug"]

    clerk = _officer(browser, live_server, f"{slug}.saraban_clerk")
    clerk.goto(f"{live_server}/{slug}/admin/saraban/arrivals")
    assert SUBJECT in clerk.content()
    accessible(clerk, "saraban-arrivals")
    clerk.locator("tr", has_text=SUBJECT).first.get_by_role("link").first.click()
    clerk.wait_for_load_state("domcontentloaded")
    assert clerk.locator("h1").inner_text().strip() == SUBJECT
    submit(clerk, "ปฏิเสธหนังสือ")
    assert clerk.locator(".error-summary").count() == 1 and "กรุณาระบุเหตุผล" in clerk.content()
    accessible(clerk, "saraban-arrival-refused")
    submit(clerk, "ลงรับหนังสือ")
    banner = clerk.get_by_text(re.compile("เลขรับ")).first.inner_text()
    number = re.search(r"เลขรับ\s*(\S+)", banner)
    assert number, banner
    pump(platform)

    sender = _context(browser, viewport={"width": 1280, "height": 900}).new_page()
    sender.goto(f"{live_server}/{other}/admin/login")
    sender.locator("#username").fill(f"{other}.saraban_clerk")
    sender.locator("#password").fill(demo.DEMO_PASSWORD)
    sender.get_by_role("button", name="เข้าสู่ระบบ").click()
    sender.wait_for_load_state("domcontentloaded")
    sender.goto(f"{live_server}/{other}/admin/saraban/letters/{public_id}")
    deliveries = sender.locator("#deliveries").inner_text()
    assert "ปลายทางลงรับแล้ว" in deliveries and number.group(1) in deliveries
    accessible(sender, "saraban-letter-deliveries")
