"""The food-premises certificate reads as a document displayed in public: its lists and times
written as Thai documents write them, and neither a phone number nor a national ID."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from renderers.documents import DocumentTenant, render_document
from tests.conftest import example_files
from tests.integration.test_bill_pages import pdf_text
from tests.signing_fixtures import need_tool

SERVICE = "food-premises-notification"


def certificate_words(catalog: Any, data: dict[str, Any], folder: Path) -> str:
    pdf = render_document(
        catalog.get(SERVICE),
        "certificate",
        data,
        tenant=DocumentTenant("เทศบาลตำบลแม่เหียะ", "Mae Hia", "ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่"),
        number="12/2570",
        issued_on=date(2027, 3, 1),
        verify_url="https://example.org/verify",
        reference="MH-2570-000012",
        submitted_on=date(2027, 2, 20),
    )
    text = pdf_text(pdf, folder)
    # pdftotext writes ำ as ํ + า and may put a tone mark before its vowel: compare letters only.
    return re.sub(r"\s+", "", text).replace("\u0e4d\u0e32", "\u0e33")


def test_the_certificate_lists_foods_and_days_and_writes_times_as_documents_do(catalog: Any, tmp_path: Path):
    need_tool("pdftotext")
    example = next(p for p in example_files(SERVICE, "valid") if "noodle" in p.name)
    data = json.loads(example.read_text(encoding="utf-8"))
    words = certificate_words(catalog, data, tmp_path)
    # (The options read อาหารปรุงสำเร็จ, เครื่องดื่ม กาแฟ น้ำผลไม้, เบเกอรี่ ขนม ของหวาน.)
    assert "อาหารปรุงสำเร็จและเครื่องดื่ม" in words
    assert "เวลา07.30–15.00น." in words
    assert data["operator"]["phone"] not in words and "โทรศัพท์" not in words
    # Displayed at the premises: the owner is named, their national ID stays in the office's register.
    assert data["operator"]["name"]["last_name"] in words
    assert data["operator"]["national_id"] not in words and "เลขประจำตัวประชาชน" not in words

    some_days = copy.deepcopy(data)
    some_days["business"]["food_types"] = ["cooked_food", "beverages", "bakery_desserts"]
    some_days["opening_hours"]["days"] = ["mon", "wed", "fri"]
    words = certificate_words(catalog, some_days, tmp_path)
    assert "วันจันทร์,วันพุธและวันศุกร์" in words
    assert "อาหารปรุงสำเร็จ,เครื่องดื่ม" in words and "และเบเกอรี่" in words
