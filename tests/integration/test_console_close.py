"""Closing a public service from the console asks first, without JavaScript: a page says what it
means for citizens and for the applications still open; only the confirmed post (CSRF checked) closes."""

from __future__ import annotations

import re
from typing import Any

from engine.services import tenants
from engine.store.models import EnabledService
from tests.integration.test_admin import (
    FOOD,
    csrf_on,  # noqa: F401 (the real CSRF check, module-wide)
    csrf_token,
    make_town,
    officer_client,
    post_form,
    submit_food,
    text_of,
)


def test_closing_a_service_asks_first_and_counts_the_open_applications(app: Any, platform: Any):
    town = make_town(platform, roles=["admin", "clerk"], prefix="CC")
    other = make_town(platform, roles=["admin"], prefix="CX")
    reference, _ = submit_food(platform, town)
    submit_food(platform, other)  # another municipality's application is not counted here
    assert platform.db(tenants.open_applications(town.tenant, FOOD)) == 1
    assert platform.db(tenants.open_applications(town.tenant, "complaint")) == 0

    def offered() -> bool:
        return platform.db(EnabledService.get(tenant_id=town.tenant.id, service_id=FOOD)).enabled

    admin = officer_client(app, town, "admin")
    services = f"/{town.slug}/admin/console/services"
    close = f"{services}/{FOOD}/disable"

    # The services page's button posts without confirm: the answer is the question, nothing closed.
    asked = post_form(admin, close, {}, page=services)
    page = text_of(asked)
    assert asked.status_code == 200 and offered()
    assert "ใช่หรือไม่" in page and "ประชาชนจะยื่นคำขอบริการนี้ทางออนไลน์ไม่ได้" in page
    assert "คำขอที่ยื่นไว้แล้วและยังไม่เสร็จสิ้น 1 รายการ" in page
    assert "ยืนยันปิดบริการ" in page and "ยกเลิก" in page
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    assert form and form.group(1) == close
    assert 'name="csrf_token"' in form.group(2) and 'name="confirm" value="yes"' in form.group(2)
    assert f'href="{services}"' in form.group(2), "cancel goes back to the services, changing nothing"

    english = text_of(post_form(admin, f"{close}?lang=en", {}, page=services))
    assert "Applications already made and still open: 1." in english

    # Confirmed but without the CSRF token: refused, still offered.
    assert admin.post(close, data={"confirm": "yes"}).status_code == 400 and offered()
    # Anything but "yes" only asks again.
    assert post_form(admin, close, {"confirm": "1"}, page=services).status_code == 200 and offered()

    closed = admin.post(close, data={"csrf_token": csrf_token(admin, services), "confirm": "yes"})
    assert closed.status_code == 302 and closed.headers["Location"].endswith(services)
    assert not offered()
    # The application already made stays on the desk.
    clerk = officer_client(app, town, "clerk")
    assert f'data-reference="{reference}"' in text_of(clerk.get(f"/{town.slug}/admin/"))
