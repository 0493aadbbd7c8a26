"""The administrator keeps the municipality's own details: names, office, letter code, digits, seal."""

from __future__ import annotations

import io
from typing import Any

import pytest

from engine.store.models import Tenant
from tests.integration.test_admin import csrf_on, make_town, officer_client, text_of  # noqa: F401
from tests.uploads import TINY_PDF, TINY_PNG
from thongthin.runners import document_tenant

pytestmark = pytest.mark.db


def post(client: Any, url: str, **data: Any) -> Any:
    from tests.integration.test_admin import csrf_token

    return client.post(url, data={"csrf_token": csrf_token(client, url.rsplit("/seal", 1)[0]), **data})


def test_the_administrator_keeps_the_details_and_the_seal(app: Any, platform: Any):
    town = make_town(platform, roles=["admin", "clerk"], prefix="DE")
    client = officer_client(app, town, "admin")
    url = f"/{town.slug}/admin/console/details"
    page = client.get(url)
    assert page.status_code == 200 and f"เทศบาลทดสอบ {town.slug}" in text_of(page)

    wrong = post(
        client,
        url,
        name_th="เทศบาลตำบลแม่เหียะใหม่",
        name_en="",
        address_th="",
        phone="12345",
        letter_code="CM52101",
    )
    html = text_of(wrong)
    assert wrong.status_code == 422
    assert "หมายเลขโทรศัพท์ไม่ถูกต้อง" in html and "รหัสหนังสือราชการต้องเป็นอักษรย่อจังหวัด" in html
    assert 'value="เทศบาลตำบลแม่เหียะใหม่"' in html, "what was typed is kept"
    assert platform.db(Tenant.get(id=town.tenant.id)).name_th == f"เทศบาลทดสอบ {town.slug}", "nothing stored"

    saved = post(
        client,
        url,
        name_th="เทศบาลตำบลแม่เหียะใหม่",
        name_en="Mae Hia Mai",
        address_th="222 หมู่ 3 ตำบลแม่เหียะ",
        phone="053 123 456",
        letter_code="ชม 52101",
        thai_numerals="yes",
    )
    assert saved.status_code == 302
    stored = platform.db(Tenant.get(id=town.tenant.id))
    assert (stored.name_th, stored.address_th) == ("เทศบาลตำบลแม่เหียะใหม่", "222 หมู่ 3 ตำบลแม่เหียะ")
    assert stored.settings["letter_code"] == "ชม 52101" and stored.settings["thai_numerals"] is True

    seal_url = f"{url}/seal"
    refused = post(client, seal_url, seal=(io.BytesIO(TINY_PDF), "seal.png"))
    assert refused.status_code == 422 and "ไฟล์ต้องเป็น" in text_of(refused)
    kept = post(client, seal_url, seal=(io.BytesIO(TINY_PNG), "seal.png"))
    assert kept.status_code == 302
    stored = platform.db(Tenant.get(id=town.tenant.id))
    assert platform.blobs.get(stored.logo_blob) == TINY_PNG
    assert document_tenant(platform, stored).logo_data_uri.startswith("data:image/png;base64,")

    clerk = officer_client(app, town, "clerk")
    assert clerk.get(url).status_code == 403
