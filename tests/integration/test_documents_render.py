"""Issued documents rendered from the catalog's templates and example data, checked as a person would.

Each template is rendered from every valid example; poppler-utils read the PDF back
(``pdftotext`` finds the holder, the number and the Thai text, ``pdffonts`` shows only
Sarabun, embedded) and ``pdftoppm`` writes page 1 as a PNG into tests/artifacts/documents/
for a person to look at.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner

from engine.definitions import ServiceDefinition, load_definition
from renderers.documents import (
    DocumentTenant,
    DocumentTooLong,
    ForbiddenResource,
    InvalidAmount,
    Payer,
    ReceiptItem,
    TemplateError,
    UnknownDocument,
    baht_text,
    decompose_sara_am,
    last_render_stats,
    number_words,
    receipt_signature_boxes,
    render_document,
    render_receipt,
    signature_boxes,
    signature_slots,
    valid_until,
)
from tests.conftest import EXAMPLES

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "documents"
POPPLER = ("pdftotext", "pdffonts", "pdftoppm", "pdfinfo")
A4_POINTS = (595.28, 841.89)

EMBLEM_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
    '<circle cx="50" cy="50" r="47" fill="none" stroke="#1d4f91" stroke-width="4"/>'
    '<circle cx="50" cy="50" r="38" fill="#e8eef7" stroke="#1d4f91" stroke-width="1.5"/>'
    '<path d="M50 20 L62 48 L50 80 L38 48 Z" fill="#1d4f91"/></svg>'
)
TENANT = DocumentTenant(
    name_th="เทศบาลเมืองแม่เหียะ",
    name_en="Mae Hia Town Municipality",
    address_th="เลขที่ 222 หมู่ 3 ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่ 50100",
    logo_data_uri="data:image/svg+xml;base64," + base64.b64encode(EMBLEM_SVG.encode()).decode(),
    kind="municipality",
)
ISSUED_ON = date(2026, 1, 15)
VERIFY_URL = "https://thongthin.example.go.th/verify/8f3c2a91-5b7e-4d0c-9a61-2e4f7b1c3d55"

DOCUMENTS = [("building-permit", "permit"), ("food-premises-notification", "certificate")]


def poppler() -> None:
    """Skip without poppler-utils on a developer's machine; in CI their absence is a failure."""
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if not missing:
        return
    message = f"poppler-utils missing ({', '.join(missing)}): apt-get install -y poppler-utils"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout


def searchable(text: str) -> str:
    """Text as the document's text layer spells it: no spaces, ำ decomposed as the renderer writes it."""
    text = decompose_sara_am(f"<body>{unicodedata.normalize('NFC', text)}</body>")[6:-7]
    return "".join(text.split())


def holder(service_id: str, data: dict[str, Any]) -> str:
    if service_id == "building-permit":
        name = data["applicant"]["name"]
    elif data["operator"]["kind"] == "juristic":
        return data["operator"]["company_name"]
    else:
        name = data["operator"]["name"]
    return f"{name['prefix']}{name['first_name']} {name['last_name']}"


def examples_of(service_id: str) -> list[Path]:
    return sorted((EXAMPLES / service_id).glob("valid-*.json"))


RENDER_CASES = [
    pytest.param(service_id, document_id, path, id=f"{service_id}/{path.stem}")
    for service_id, document_id in DOCUMENTS
    for path in examples_of(service_id)
]


def render(definition: ServiceDefinition, document_id: str, data: dict[str, Any], **options: Any) -> bytes:
    arguments: dict[str, Any] = {
        "tenant": TENANT,
        "number": "15/2569",
        "issued_on": ISSUED_ON,
        "verify_url": VERIFY_URL,
        "reference": "MH-2569-000123",
        "submitted_on": date(2025, 12, 20),
        **options,
    }
    return render_document(definition, document_id, data, **arguments)


def check_pdf(pdf: bytes, path: Path) -> str:
    """Write ``pdf`` to ``path`` and its page 1 as PNG next to it; check page count and fonts; its text."""
    poppler()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)
    info = run("pdfinfo", str(path))
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE), info
    assert "595.276 x 841.89 pts (A4)" in info
    fonts = [line.split() for line in run("pdffonts", str(path)).splitlines()[2:]]
    assert fonts, "no fonts in the PDF"
    for row in fonts:
        # name type... emb sub uni: every font is a Sarabun subset, embedded, with a Unicode map
        assert re.fullmatch(r"[A-Z]{6}\+Sarabun(-Bold)?", row[0]), row
        assert row[-5:-2] == ["yes", "yes", "yes"], row
    run(
        "pdftoppm",
        "-png",
        "-r",
        "100",
        "-f",
        "1",
        "-l",
        "1",
        "-singlefile",
        str(path),
        str(path.with_suffix("")),
    )
    assert path.with_suffix(".png").stat().st_size > 10_000
    return run("pdftotext", "-raw", str(path), "-")


# --- the documents of the catalog -----------------------------------------------------------


@pytest.mark.parametrize("service_id,document_id,example", RENDER_CASES)
def test_every_template_renders_each_valid_example_as_one_readable_page(service_id, document_id, example):
    definition = load_definition(service_id)
    data = json.loads(example.read_text(encoding="utf-8"))
    pdf = render(definition, document_id, data, signer_names={"building_official": "นายประเสริฐ ศรีสุข"})
    assert pdf.startswith(b"%PDF-")
    stats = last_render_stats()
    assert stats is not None and stats.body_size_pt >= 14.0, stats  # 16 pt, shrunk only as needed

    text = searchable(check_pdf(pdf, ARTIFACTS / f"{service_id}-{example.stem}.pdf"))
    assert searchable(holder(service_id, data)) in text
    assert searchable("ที่ 15/2569") in text
    assert searchable(definition.service.document(document_id).title.th.split(" (")[0][:20]) in text
    assert searchable("ออกให้ ณ วันที่ 15 มกราคม 2569") in text
    until = searchable("ใช้ได้จนถึงวันที่ 14 มกราคม 2570")
    assert (until in text) == (definition.service.document(document_id).validity is not None)
    assert searchable("ตรวจสอบความถูกต้องของเอกสารได้ที่") in text
    assert searchable(VERIFY_URL) in text
    for slot in signature_slots(definition, document_id):
        assert searchable(slot.position.th) in text


def test_the_permit_states_the_site_the_fees_and_the_conditions():
    definition = load_definition("building-permit")
    data = json.loads(
        (EXAMPLES / "building-permit" / "valid-new-house-owner.json").read_text(encoding="utf-8")
    )
    text = searchable(check_pdf(render(definition, "permit", data), ARTIFACTS / "permit-details.pdf"))
    for expected in (
        "แบบ อ.1",
        "ข้อ 1 ทำการก่อสร้างอาคาร",
        "โฉนดที่ดิน เลขที่ 45872",
        "พื้นที่รวม 128.50 ตารางเมตร",
        "แล้วเสร็จภายใน 240 วัน",
        "ที่บ้านเลขที่ 99/5 หมู่ที่ 3",
        "ข้อ 3 ผู้ได้รับใบอนุญาตต้องก่อสร้างอาคารให้เป็นไปตามแผนผังบริเวณ",
        "ซึ่งนายธนพล ศรีวงศ์ ผู้ได้รับใบอนุญาตประกอบวิชาชีพเลขที่ ภย. 18734 เป็นผู้ออกแบบ",
        "พระราชบัญญัติควบคุมอาคาร พ.ศ. 2522",
        "ตำแหน่ง นายกเทศมนตรีเมืองแม่เหียะ",
        "เจ้าพนักงานท้องถิ่น",
    ):
        assert searchable(expected) in text, expected
    assert searchable("นายช่างโยธา") not in text  # แบบ อ.1 is signed by the local official alone


def permit_data(**building: Any) -> dict[str, Any]:
    data = json.loads(
        (EXAMPLES / "building-permit" / "valid-new-house-owner.json").read_text(encoding="utf-8")
    )
    data["building"].update(building)
    return data


def test_a_site_without_a_house_number_is_placed_by_its_title_deed_and_tambon():
    definition = load_definition("building-permit")
    data = permit_data()
    del data["site"]["address"]["house_no"]
    raw = check_pdf(render(definition, "permit", data), ARTIFACTS / "permit-no-house-number.pdf")
    text = searchable(raw)
    clause_1 = text[text.index(searchable("ข้อ 1")) : text.index(searchable("ข้อ 2"))]
    assert searchable("ในที่ดินโฉนดที่ดิน เลขที่ 45872 เลขที่ดิน 312 ตั้งอยู่ หมู่ที่ 3") in clause_1
    assert searchable("ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่") in clause_1
    assert searchable("บ้านเลขที่") not in clause_1 and "99/5" not in clause_1
    assert searchable("บ้านเลขที่ 0") not in text
    # The applicant's own address keeps its house number.
    assert searchable("อยู่บ้านเลขที่ 99/1") in text


def test_clause_5_lists_each_fee_with_the_total_in_figures_and_words_and_the_receipt():
    definition = load_definition("building-permit")
    pdf = render(definition, "permit", permit_data(), receipt_numbers=["42/2569"])
    text = searchable(check_pdf(pdf, ARTIFACTS / "permit-fees.pdf"))
    clause_5 = text[text.index(searchable("ข้อ 5")) : text.index(searchable("ใบอนุญาตฉบับนี้ให้ใช้ได้"))]
    for expected in (
        "ผู้ได้รับใบอนุญาตได้ชำระค่าธรรมเนียมแล้ว ดังนี้",
        "(1) ค่าธรรมเนียมใบอนุญาตก่อสร้าง เป็นเงิน 20.00 บาท",
        "(2) ค่าธรรมเนียมการตรวจแบบแปลนก่อสร้าง เป็นเงิน 64.25 บาท",
        "รวมเป็นเงินทั้งสิ้น 84.25 บาท (แปดสิบสี่บาทยี่สิบห้าสตางค์)",
        "ตามใบเสร็จรับเงินเลขที่ 42/2569",
    ):
        assert searchable(expected) in clause_5, expected


@pytest.mark.parametrize(
    "use,units,counted",
    [("shop_house", 3, "จำนวน 3 คูหา"), ("row_house", 4, "จำนวน 4 คูหา"), ("detached_house", 1, "จำนวน 1 หลัง")],
)
def test_row_houses_are_counted_in_khuha(use, units, counted):
    definition = load_definition("building-permit")
    pdf = render(definition, "permit", permit_data(use=use, units=units))
    text = searchable(check_pdf(pdf, ARTIFACTS / f"permit-{use}.pdf"))
    assert searchable(counted) in text
    if use != "detached_house":
        assert searchable(f"จำนวน {units} หลัง") not in text


@pytest.mark.parametrize(
    "name,kind,position",
    [
        ("เทศบาลเมืองแม่เหียะ", "municipality", "นายกเทศมนตรีเมืองแม่เหียะ"),
        ("เทศบาลตำบลสันผักหวาน", "municipality", "นายกเทศมนตรีตำบลสันผักหวาน"),
        ("องค์การบริหารส่วนตำบลหนองควาย", "subdistrict", "นายกองค์การบริหารส่วนตำบลหนองควาย"),
        ("องค์การบริหารส่วนจังหวัดเชียงใหม่", "provincial", "นายกองค์การบริหารส่วนจังหวัดเชียงใหม่"),
    ],
)
def test_the_signers_position_follows_the_administration(name, kind, position):
    assert DocumentTenant(name, "-", kind=kind).executive_th == position


def test_thai_digits_when_the_tenant_writes_them():
    definition = load_definition("food-premises-notification")
    data = json.loads(
        (EXAMPLES / "food-premises-notification" / "valid-noodle-shop-person.json").read_text(
            encoding="utf-8"
        )
    )
    pdf = render(definition, "certificate", data, thai_numerals=True)
    text = searchable(check_pdf(pdf, ARTIFACTS / "food-premises-notification-thai-digits.pdf"))
    assert searchable("ออกให้ ณ วันที่ ๑๕ มกราคม ๒๕๖๙") in text
    assert searchable("ที่ ๑๕/๒๕๖๙") in text
    assert searchable("พื้นที่ประกอบกิจการ ๔๕ ตารางเมตร") in text
    assert searchable("๑๐๐.๐๐ บาท (หนึ่งร้อยบาทถ้วน)") in text
    assert searchable("15 มกราคม 2569") not in text
    assert searchable(VERIFY_URL) in text  # a URL keeps its digits


def noodle_shop() -> dict[str, Any]:
    path = EXAMPLES / "food-premises-notification" / "valid-noodle-shop-person.json"
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def test_the_food_certificate_states_the_yearly_fee_and_no_term():
    """A notification certificate under the Public Health Act has no term: the fee recurs, not the paper."""
    definition = load_definition("food-premises-notification")
    assert definition.service.document("certificate").validity is None
    text = searchable(check_pdf(render(definition, "certificate", noodle_shop()), ARTIFACTS / "food-fee.pdf"))
    assert searchable("(5) ค่าธรรมเนียมรายปีตามข้อบัญญัติท้องถิ่น ปีละ 100.00 บาท (หนึ่งร้อยบาทถ้วน)") in text
    assert (
        searchable("ชำระค่าธรรมเนียมรายปีตามอัตราและภายในกำหนดเวลาที่ข้อบัญญัติท้องถิ่นกำหนดทุกปีตลอดเวลาที่ดำเนินกิจการ")
        in text
    )
    for term in ("ใช้ได้จนถึง", "ใช้ได้ถึง", "หมดอายุ", "มีอายุ", "ต่ออายุ", "14 มกราคม 2570"):
        assert searchable(term) not in text, term


@pytest.mark.parametrize(
    "name,kind,position",
    [
        ("เทศบาลเมืองแม่เหียะ", "municipality", "นายกเทศมนตรีเมืองแม่เหียะ"),
        ("องค์การบริหารส่วนตำบลหนองควาย", "subdistrict", "นายกองค์การบริหารส่วนตำบลหนองควาย"),
    ],
)
def test_the_food_certificate_is_signed_by_the_local_official_in_the_executives_position(
    name, kind, position
):
    definition = load_definition("food-premises-notification")
    tenant = replace(TENANT, name_th=name, kind=kind)
    pdf = render(definition, "certificate", noodle_shop(), tenant=tenant)
    text = searchable(check_pdf(pdf, ARTIFACTS / f"food-signature-{kind}.pdf"))
    signature = text[text.index(searchable("ออกให้ ณ วันที่")) : text.index(searchable("ตรวจสอบความถูกต้อง"))]
    assert searchable(f"ตำแหน่ง {position}") in signature
    assert signature.endswith(searchable("เจ้าพนักงานท้องถิ่น"))
    assert searchable("เจ้าพนักงานสาธารณสุข") not in text
    assert "/" not in signature


def test_the_text_layer_spells_sara_am_and_sara_aa_apart():
    """One glyph draws า and the า of ำ: without care the PDF's text says อำศัย for อาศัย."""
    definition = load_definition("food-premises-notification")
    data = json.loads(
        (EXAMPLES / "food-premises-notification" / "valid-noodle-shop-person.json").read_text(
            encoding="utf-8"
        )
    )
    text = check_pdf(render(definition, "certificate", data), ARTIFACTS / "sara-am.pdf")
    assert "อาศัยอ\u0e4d\u0e32นาจตามความ" in text
    assert "น\u0e4d\u0e49\u0e32ตก" in text  # น้ำตก: nikhahit, tone mark, sara aa
    assert "อำ" not in text and "อ้ำ" not in text


def test_sara_am_is_decomposed_in_the_body_only():
    html = "<html><head><title>น้ำ ทำ</title></head><body><p>น้ำ ทำ ค่ำ</p></body></html>"
    assert decompose_sara_am(html) == (
        "<html><head><title>น้ำ ทำ</title></head>"
        "<body><p>น\u0e4d\u0e49\u0e32 ท\u0e4d\u0e32 ค\u0e4d\u0e48\u0e32</p></body></html>"
    )


def test_the_worst_case_data_still_fits_one_page_in_a_smaller_size():
    definition = load_definition("food-premises-notification")
    data = json.loads(
        (EXAMPLES / "food-premises-notification" / "valid-frozen-food-store-company.json").read_text(
            encoding="utf-8"
        )
    )
    data["business"]["food_description"] = ("อาหารแช่แข็งพร้อมรับประทาน ผักและผลไม้แช่แข็ง " * 20)[:500]
    data["business"]["name"] = ("คลังสินค้าห้องเย็นล้านนาโฟรเซ่นฟู้ดสาขาแม่เหียะ " * 5)[:200]
    data["operator"]["company_name"] = ("บริษัท ล้านนาโฟรเซ่นฟู้ดอินเตอร์เนชั่นแนลโฮลดิ้ง " * 5)[:200]
    data["premises"]["address"]["road"] = "สมโภชเชียงใหม่เจ็ดร้อยปี" * 4
    text = searchable(check_pdf(render(definition, "certificate", data), ARTIFACTS / "worst-case.pdf"))
    stats = last_render_stats()
    assert stats is not None and stats.body_size_pt < 16
    assert searchable("ออกให้ ณ วันที่ 15 มกราคม 2569") in text
    assert searchable("เจ้าพนักงานท้องถิ่น") in text


def test_receipt_writes_the_total_in_words():
    pdf = render_receipt(
        tenant=TENANT,
        number="R-2569-000045",
        issued_on=date(2026, 1, 20),
        payer=Payer("นายสมชาย ใจดี", "99/1 หมู่ที่ 3 ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่ 50100"),
        items=[
            ReceiptItem("ค่าธรรมเนียมใบอนุญาตก่อสร้าง", Decimal("20.00")),
            ReceiptItem(
                "ค่าธรรมเนียมการตรวจแบบแปลนก่อสร้าง", Decimal("64.25"), "128.50 ตารางเมตร ตารางเมตรละ 0.50 บาท"
            ),
        ],
        verify_url=VERIFY_URL,
        reference="MH-2569-000123",
        service_title="ขออนุญาตก่อสร้างอาคาร",
        payment_method="QR พร้อมเพย์",
    )
    text = searchable(check_pdf(pdf, ARTIFACTS / "receipt.pdf"))
    for expected in (
        "ใบเสร็จรับเงิน",
        "เลขที่ R-2569-000045",
        "วันที่ 20 มกราคม 2569",
        "ได้รับเงินจาก นายสมชาย ใจดี",
        "รวมเงิน (แปดสิบสี่บาทยี่สิบห้าสตางค์) 84.25",
        "เจ้าหน้าที่การเงิน ผู้รับเงิน",
    ):
        assert searchable(expected) in text, expected


def test_a_receipt_refuses_a_negative_item():
    with pytest.raises(InvalidAmount):
        render_receipt(
            tenant=TENANT,
            number="R-1",
            issued_on=ISSUED_ON,
            payer=Payer("นายสมชาย ใจดี"),
            items=[ReceiptItem("คืนเงิน", Decimal("-5"))],
            verify_url=VERIFY_URL,
        )


# --- where the signatures go ----------------------------------------------------------------


@pytest.mark.parametrize(
    "service_id,document_id,signers",
    [("building-permit", "permit", 1), ("food-premises-notification", "certificate", 1)],
)
def test_each_signer_has_a_box_of_its_own_low_on_page_one(service_id, document_id, signers):
    definition = load_definition(service_id)
    boxes = signature_boxes(definition, document_id)
    assert len(boxes) == signers == len(definition.service.document(document_id).signers)
    for x1, y1, x2, y2 in boxes:
        assert 85.0 <= x1 < x2 <= A4_POINTS[0] - 56.0  # within 3 cm left and 2 cm right margins
        assert 150.0 < y1 < y2 < A4_POINTS[1] / 2  # the lower half, above the footer
        assert x2 - x1 >= 150 and y2 - y1 >= 50  # room for a name, a position and a time
    for (_, _, right, _), (left, _, _, _) in itertools.pairwise(boxes):
        assert right < left  # side by side, no overlap
    assert [s.field_name for s in signature_slots(definition, document_id)] == [
        f"sig{i + 1}-{signer.role}"
        for i, signer in enumerate(definition.service.document(document_id).signers)
    ]


def test_a_receipt_has_the_cashiers_box():
    [(x1, y1, x2, y2)] = receipt_signature_boxes()
    assert x1 > A4_POINTS[0] / 3 and x2 - x1 >= 150 and y2 - y1 >= 50


def copy_with_template(definition: ServiceDefinition, document_id: str, tmp_path: Path, text: str) -> Any:
    template = tmp_path / definition.service.document(document_id).template
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text(text, encoding="utf-8")
    return definition.model_copy(update={"folder": tmp_path}), template


def test_a_template_that_moves_or_drops_a_signature_box_is_refused(tmp_path):
    definition = load_definition("food-premises-notification")
    data = json.loads(
        (EXAMPLES / "food-premises-notification" / "valid-noodle-shop-person.json").read_text(
            encoding="utf-8"
        )
    )
    original = (definition.folder / "templates" / "certificate.html.j2").read_text(encoding="utf-8")
    moved, _ = copy_with_template(
        definition,
        "certificate",
        tmp_path,
        original.replace('style="{{ signer.style }}"', 'style="left: 0; top: 0"'),
    )
    with pytest.raises(TemplateError, match="signature box of 'public_health_officer' is at"):
        render(moved, "certificate", data)
    dropped, _ = copy_with_template(
        definition, "certificate", tmp_path / "b", original.replace('class="signature-box"', 'class="box"')
    )
    with pytest.raises(TemplateError, match="no signature box"):
        render(dropped, "certificate", data)


# --- errors ---------------------------------------------------------------------------------


def test_an_unknown_document_says_which_there_are():
    with pytest.raises(UnknownDocument, match=r"declares no document 'licence' \(declared: permit\)"):
        render(load_definition("building-permit"), "licence", {})


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("<html>\n<body>\n{{ data.no_such_field.deeper }}\n</body></html>", 3, "no_such_field"),
        ("<html>\n{% if %}\n</html>", 2, ""),
        ("<html><body>\n\n\n\n{{ ''.__class__.__mro__ }}</body></html>", 5, ""),
    ],
    ids=["undefined", "syntax", "sandbox"],
)
def test_template_errors_name_the_file_and_line(tmp_path, text, line, message):
    definition, template = copy_with_template(load_definition("building-permit"), "permit", tmp_path, text)
    with pytest.raises(TemplateError) as raised:
        render(definition, "permit", {"building": {"work_kind": "new", "floor_area": 10}})
    assert raised.value.template == str(template)
    assert raised.value.line == line
    assert message in raised.value.message
    assert str(raised.value).startswith(f"{template}:{line}: ")


@pytest.mark.parametrize(
    "src", ["http://127.0.0.1:9/emblem.png", "https://example.com/emblem.png", "file:///etc/hostname"]
)
def test_a_document_never_fetches_from_the_network_or_outside_its_folders(tmp_path, src):
    definition, _ = copy_with_template(
        load_definition("building-permit"), "permit", tmp_path, f'<html><body><img src="{src}"></body></html>'
    )
    with pytest.raises(ForbiddenResource) as raised:
        render(definition, "permit", {"building": {"work_kind": "new", "floor_area": 10}})
    assert raised.value.urls == (src,)


def test_a_document_that_cannot_fit_one_page_says_so(tmp_path):
    definition, _ = copy_with_template(
        load_definition("building-permit"),
        "permit",
        tmp_path,
        "<html><body>" + "<p>ข้อความยาวมาก ซ้ำแล้วซ้ำอีก</p>" * 200 + "</body></html>",
    )
    with pytest.raises(DocumentTooLong, match="does not end above the signatures"):
        render(definition, "permit", {"building": {"work_kind": "new", "floor_area": 10}})


# --- words, numbers and dates ---------------------------------------------------------------


@pytest.mark.parametrize(
    "amount,words",
    [
        ("0", "ศูนย์บาทถ้วน"),
        ("1", "หนึ่งบาทถ้วน"),
        ("10", "สิบบาทถ้วน"),
        ("11", "สิบเอ็ดบาทถ้วน"),
        ("20", "ยี่สิบบาทถ้วน"),
        ("21", "ยี่สิบเอ็ดบาทถ้วน"),
        ("101", "หนึ่งร้อยเอ็ดบาทถ้วน"),
        ("120", "หนึ่งร้อยยี่สิบบาทถ้วน"),
        ("1000", "หนึ่งพันบาทถ้วน"),
        ("100000", "หนึ่งแสนบาทถ้วน"),
        ("1000000", "หนึ่งล้านบาทถ้วน"),
        ("1000001", "หนึ่งล้านเอ็ดบาทถ้วน"),
        ("1000010", "หนึ่งล้านสิบบาทถ้วน"),
        ("11000000", "สิบเอ็ดล้านบาทถ้วน"),
        ("21000021", "ยี่สิบเอ็ดล้านยี่สิบเอ็ดบาทถ้วน"),
        ("1234567.89", "หนึ่งล้านสองแสนสามหมื่นสี่พันห้าร้อยหกสิบเจ็ดบาทแปดสิบเก้าสตางค์"),
        ("2000000000", "สองพันล้านบาทถ้วน"),
        ("1000000000000", "หนึ่งล้านล้านบาทถ้วน"),
        ("0.25", "ยี่สิบห้าสตางค์"),
        ("0.01", "หนึ่งสตางค์"),
        ("0.11", "สิบเอ็ดสตางค์"),
        ("0.21", "ยี่สิบเอ็ดสตางค์"),
        ("1.01", "หนึ่งบาทหนึ่งสตางค์"),
        ("10.50", "สิบบาทห้าสิบสตางค์"),
        ("84.25", "แปดสิบสี่บาทยี่สิบห้าสตางค์"),
        ("0.005", "หนึ่งสตางค์"),  # rounded half-up to the satang
        ("99.999", "หนึ่งร้อยบาทถ้วน"),
    ],
)
def test_baht_text(amount, words):
    assert baht_text(Decimal(amount)) == words


def test_baht_text_takes_whole_numbers_and_refuses_what_is_not_an_amount():
    assert baht_text(120) == "หนึ่งร้อยยี่สิบบาทถ้วน"
    assert number_words(0) == "ศูนย์" and number_words(31) == "สามสิบเอ็ด"
    for wrong in (Decimal("-1"), -1, 1.5, True, "abc", Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(InvalidAmount):
            baht_text(wrong)


@pytest.mark.parametrize(
    "issued,validity,until",
    [
        (date(2026, 1, 15), "P1Y", date(2027, 1, 14)),
        (date(2024, 2, 29), "P1Y", date(2025, 2, 28)),  # no 29 February: the month's last day
        (date(2026, 1, 31), "P1M", date(2026, 2, 28)),
        (date(2026, 1, 15), "P30D", date(2026, 2, 13)),
        (date(2026, 12, 15), "P1M", date(2027, 1, 14)),
        (date(2026, 1, 15), None, None),
    ],
)
def test_validity_ends_the_day_before_the_anniversary(issued, validity, until):
    assert valid_until(issued, validity) == until


# --- the command line -----------------------------------------------------------------------


def test_document_render_command_writes_a_pdf_and_refuses_to_fake_a_signature(tmp_path, monkeypatch):
    from thongthin.cli import main

    example = EXAMPLES / "building-permit" / "valid-new-house-owner.json"
    out = tmp_path / "permit.pdf"
    runner = CliRunner()
    result = runner.invoke(
        main, ["document", "render", "building-permit", str(example), "--out", str(out), "--thai-digits"]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")

    import signing

    monkeypatch.delattr(signing, "sign_with_demo_signer", raising=False)
    signed = tmp_path / "signed.pdf"
    result = runner.invoke(
        main, ["document", "render", "building-permit", str(example), "--out", str(signed), "--sign"]
    )
    assert result.exit_code == 1
    assert "signing is not available" in result.output and not signed.exists()

    invalid = EXAMPLES / "building-permit" / "invalid-storeys-over-2.json"
    result = runner.invoke(main, ["document", "render", "building-permit", str(invalid), "--out", str(out)])
    assert result.exit_code == 1 and "/building/storeys" in result.output
