"""The e-Saraban PDFs as a reader sees them: poppler reads the text and where each word is.

The empty boxes the signing step fills (number, date, signatures, endorsements) must lie on
the page and hold no printed word; the urgency must come out red and big.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image

from engine.saraban.vocabulary import KINDS, register_columns
from renderers.saraban import (
    DESTRUCTION_COLUMNS,
    HANDOVER_COLUMNS,
    CommitteeMember,
    DestructionListDocument,
    InvalidSarabanInput,
    LayoutOverflow,
    LetterDocument,
    Placement,
    render_destruction_list,
    render_handover_list,
    render_letter,
    render_register,
    render_routing_sheet,
)

MM = 72 / 25.4
PARAGRAPH = (
    "ด้วยเทศบาลตำบลแม่เหียะมีโครงการก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่ 3 ซึ่งแนวเขตทางบางส่วน"
    "อยู่ติดกับที่สาธารณประโยชน์ จึงจำเป็นต้องตรวจสอบแนวเขตให้ถูกต้องก่อนดำเนินการก่อสร้าง"
)
DRAFT = LetterDocument(
    kind="external",
    agency_name="เทศบาลตำบลแม่เหียะ",
    agency_address="ถนนเชียงใหม่-ฮอด ตำบลแม่เหียะ\nอำเภอเมืองเชียงใหม่ เชียงใหม่ 50100",
    unit_name="กองช่าง",
    letter_code="ชม 52101.3",
    subject="ขอความอนุเคราะห์ตรวจสอบแนวเขตทางสาธารณประโยชน์",
    recipient="นายอำเภอสารภี",
    references=("หนังสืออำเภอสารภี ที่ ชม 0318/ว 1234 ลงวันที่ 5 มกราคม 2569",),
    enclosures=("สำเนาแผนที่แนวเขต จำนวน 1 ชุด",),
    body=(PARAGRAPH, "จึงเรียนมาเพื่อโปรดพิจารณาให้ความอนุเคราะห์"),
    signer_name="นายสมชาย ใจดี",
    signer_position="นายกเทศมนตรีตำบลแม่เหียะ",
    contact=("โทร. 0 5312 3456",),
)


def poppler() -> None:
    """Skip without poppler-utils on a developer's machine; in CI their absence is a failure."""
    missing = [tool for tool in ("pdftotext", "pdftoppm", "pdfinfo") if shutil.which(tool) is None]
    if not missing:
        return
    message = f"poppler-utils missing ({', '.join(missing)}): apt-get install -y poppler-utils"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# The marks above and below a Thai letter (vowels, tone marks, nikhahit): poppler writes ำ as
# ํ + า and may put these in another order or drop them, so texts are compared without them.
THAI_MARKS = frozenset(
    "\u0e31" + "".join(map(chr, range(0x0E34, 0x0E3B))) + "".join(map(chr, range(0x0E47, 0x0E4F)))
)


def fold(text: str) -> str:
    """Text as compared: without spaces and Thai marks (see THAI_MARKS), ำ as า."""
    text = unicodedata.normalize("NFKC", text).replace("\u0e33", "\u0e32")
    return "".join(ch for ch in text if not ch.isspace() and ch not in THAI_MARKS)


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    box: tuple[float, float, float, float]  # PDF points from the bottom-left, as Placement

    def overlaps(self, other: tuple[float, float, float, float], slack: float = 1.0) -> bool:
        return not (
            self.box[2] <= other[0] + slack
            or self.box[0] >= other[2] - slack
            or self.box[3] <= other[1] + slack
            or self.box[1] >= other[3] - slack
        )


@dataclass(frozen=True)
class Read:
    path: Path
    pages: list[tuple[float, float]]
    words: list[Word]
    raw_pages: list[str]  # in the order the PDF draws the text: a table cell's lines stay together

    def text(self, page: int | None = None) -> str:
        return fold("".join(self.raw_pages if page is None else self.raw_pages[page]))

    def inside(self, placement: Placement) -> list[Word]:
        return [w for w in self.words if w.page == placement.page and w.overlaps(placement.box)]


def read(pdf: bytes) -> Read:
    poppler()
    path = Path(tempfile.mkdtemp()) / "out.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    pages: list[tuple[float, float]] = []
    words: list[Word] = []
    for chunk in re.split(r"(?=<page )", out)[1:]:
        size = re.match(r'<page width="([\d.]+)" height="([\d.]+)"', chunk)
        assert size
        width, height = float(size[1]), float(size[2])
        pages.append((width, height))
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', chunk
        ):
            x1, y1, x2, y2 = (float(m[i]) for i in range(1, 5))
            words.append(Word(len(pages) - 1, html.unescape(m[5]), (x1, height - y2, x2, height - y1)))
    raw = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return Read(path, pages, words, raw.split("\f")[: len(pages)])


def on_page(read_pdf: Read, placement: Placement) -> None:
    width, height = read_pdf.pages[placement.page]
    x1, y1, x2, y2 = placement.box
    assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height, placement


# --- letters ---------------------------------------------------------------------------------


def test_a_draft_leaves_number_and_date_blank_in_boxes_free_of_text() -> None:
    letter = render_letter(DRAFT)
    pdf = read(letter.pdf)
    text = pdf.text()
    for expected in ("ที่ ชม 52101.3/", DRAFT.subject, "เรียน นายอำเภอสารภี", "อ้างถึง", "สิ่งที่ส่งมาด้วย",
                     "ขอแสดงความนับถือ", "(นายสมชาย ใจดี)", "นายกเทศมนตรีตำบลแม่เหียะ", "กองช่าง"):  # fmt: skip
        assert fold(expected) in text, expected
    assert "2569" not in pdf.text(0).split(fold("อ้างถึง"))[0], "a draft has no date above the subject"
    assert letter.number_box is not None
    for box in (letter.number_box, letter.date_box, letter.signature_box):
        assert box.page == 0
        on_page(pdf, box)
        assert pdf.inside(box) == [], f"printed text inside {box}"
    # the signature goes in about 60 × 25 mm right above the printed name
    assert abs(letter.signature_box.width - 60 * MM) < 2 and abs(letter.signature_box.height - 25 * MM) < 2
    name = next(w for w in pdf.words if w.text.startswith("(นาย"))
    assert 0 <= letter.signature_box.box[1] - name.box[3] < 10 * MM
    # the number sits on the ที่ line, right after the letter code; the date below the agency's address
    code = next(w for w in pdf.words if w.text == "52101.3/")
    assert abs(code.box[1] - letter.number_box.box[1]) < 8 and code.box[2] <= letter.number_box.box[0] + 1
    assert letter.date_box.box[3] < code.box[1]


def test_a_numbered_letter_prints_number_and_date_in_the_same_boxes() -> None:
    draft = render_letter(DRAFT)
    final = render_letter(replace(DRAFT, number="123", letter_date=date(2026, 1, 15)))
    pdf = read(final.pdf)
    assert (final.number_box, final.date_box) == (draft.number_box, draft.date_box)
    assert final.number_box is not None
    assert fold("123") in fold("".join(w.text for w in pdf.inside(final.number_box)))
    assert fold("15 มกราคม 2569") == fold("".join(w.text for w in pdf.inside(final.date_box)))


def test_thai_numerals_and_circulars() -> None:
    final = render_letter(
        replace(DRAFT, number="45", circular=True, letter_date=date(2026, 1, 15), thai_numerals=True)
    )
    text = read(final.pdf).text()
    assert fold("ที่ ชม ๕๒๑๐๑.๓/ว ๔๕") in text
    assert fold("๑๕ มกราคม ๒๕๖๙") in text


def test_the_urgency_is_red_and_at_least_32_pt_with_its_deadline_under_it() -> None:
    letter = render_letter(replace(DRAFT, urgency="most_urgent", due_at=datetime(2026, 1, 20, 14, 30)))
    pdf = read(letter.pdf)
    # poppler gives the urgency's marks as words of their own: gather the big words of the line
    big = [w for w in pdf.words if w.page == 0 and w.box[3] - w.box[1] >= 32]
    assert fold("".join(w.text for w in big)) == fold("ด่วนที่สุด"), "the urgency is smaller than 32 pt"
    urgency = Word(0, "", (min(w.box[0] for w in big), min(w.box[1] for w in big),
                          max(w.box[2] for w in big), max(w.box[3] for w in big)))  # fmt: skip
    assert letter.number_box is not None and urgency.box[1] > letter.number_box.box[3], "above the ที่ line"
    assert urgency.box[0] < 120, "top-left"
    assert fold("ด่วนภายใน 20 มกราคม 2569 เวลา 14.30 น.") in pdf.text()
    # the urgency's ink is red
    subprocess.run(["pdftoppm", "-r", "72", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf.path),
                    str(pdf.path.with_suffix(""))], check=True, timeout=60)  # fmt: skip
    image = Image.open(pdf.path.with_suffix(".png")).convert("RGB")
    height = image.height
    x1, y1, x2, y2 = urgency.box
    rgb = image.crop((int(x1), int(height - y2), int(x2), int(height - y1))).tobytes()
    pixels = [tuple(rgb[i : i + 3]) for i in range(0, len(rgb), 3)]
    ink = [pixel for pixel in pixels if min(pixel) < 160]
    assert ink, "no ink where the urgency is"
    red = [p for p in ink if p[0] > 150 and p[1] < 90 and p[2] < 90]
    assert len(red) > 0.8 * len(ink)


def test_a_long_classified_letter_flows_on_with_secrecy_on_every_page() -> None:
    letter = render_letter(replace(DRAFT, secrecy="secret", body=(PARAGRAPH,) * 9))
    pdf = read(letter.pdf)
    assert len(pdf.pages) == 2
    assert letter.signature_box.page == 1 and letter.number_box is not None and letter.number_box.page == 0
    on_page(pdf, letter.signature_box)
    assert pdf.inside(letter.signature_box) == []
    assert fold("(นายสมชาย ใจดี)") in pdf.text(1)
    assert fold("ชม 52101.3/") not in pdf.text(1), "the ที่ line is on page 1 only"
    for page, (width, height) in enumerate(pdf.pages):
        marks = [w for w in pdf.words if w.page == page and w.text == "ลับ"]
        assert any(w.box[1] > height - 20 * MM for w in marks), (
            f"no secrecy mark at the top of page {page + 1}"
        )
        assert any(w.box[3] < 20 * MM for w in marks), f"no secrecy mark at the bottom of page {page + 1}"
        assert all(abs((w.box[0] + w.box[2]) / 2 - width / 2) < 10 for w in marks)


def test_hostile_text_prints_as_text() -> None:
    pdf = read(render_letter(replace(DRAFT, subject="<script>alert(1)</script> & <b>บริษัท</b>")).pdf)
    assert fold("<script>alert(1)</script> & <b>บริษัท</b>") in pdf.text()


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_renders_its_form_with_boxes_free_of_text(kind: str) -> None:
    letter = render_letter(replace(DRAFT, kind=kind))
    pdf = read(letter.pdf)
    text = pdf.text()
    heading = {
        "internal": "บันทึกข้อความ",
        "order": "คำสั่งเทศบาลตำบลแม่เหียะ",
        "announcement": "ประกาศเทศบาลตำบลแม่เหียะ",
        "regulation": "ระเบียบเทศบาลตำบลแม่เหียะ",
        "certificate": "หนังสือรับรอง",
        "minutes": "รายงานการประชุม",
    }.get(kind)
    if heading:
        assert fold(heading) in text
    closing = {"order": "สั่ง ณ วันที่", "announcement": "ประกาศ ณ วันที่", "certificate": "ให้ไว้ ณ วันที่"}.get(kind)
    if closing:
        assert fold(closing) in text
    if kind == "stamped":
        assert fold("ตราชื่อส่วนราชการ") in text and fold("(นายสมชาย ใจดี)") not in text
    boxes = [letter.date_box, letter.signature_box] + ([letter.number_box] if letter.number_box else [])
    for box in boxes:
        on_page(pdf, box)
        assert pdf.inside(box) == [], (kind, box)
    assert (letter.number_box is None) == (
        kind in {"regulation", "bylaw", "announcement", "minutes", "record"}
    )


def test_what_does_not_fit_its_fixed_place_is_refused() -> None:
    with pytest.raises(LayoutOverflow, match="letter code"):
        render_letter(replace(DRAFT, letter_code="ชม 52101.3.4.5.6.7.8.9.10.11"))
    with pytest.raises(LayoutOverflow, match="address"):
        render_letter(replace(DRAFT, agency_address="\n".join(["หมู่ที่ 3 ตำบลแม่เหียะ"] * 5)))


# --- registers and lists ---------------------------------------------------------------------


def test_a_register_is_landscape_with_its_header_and_number_on_every_page() -> None:
    columns = register_columns("receive")
    row = (
        "5 มกราคม 2569",
        "1",
        "ชม 0318/ว 1234",
        "3 มกราคม 2569",
        "อำเภอสารภี",
        "นายกเทศมนตรี",
        "ขอเชิญประชุม",
        "กองช่าง",
        "",
    )
    assert len(row) == len(columns)
    pdf = read(render_register("receive", 2569, "เทศบาลตำบลแม่เหียะ", [row] * 40))
    assert len(pdf.pages) >= 2
    assert all(width > height for width, height in pdf.pages)
    assert fold("ทะเบียนหนังสือรับ ประจำปี พ.ศ. 2569") in pdf.text(0)
    for page in range(len(pdf.pages)):
        text = pdf.text(page)
        assert all(fold(column) in text for column in columns), f"header missing on page {page + 1}"
        assert fold(f"หน้า {page + 1} / {len(pdf.pages)}") in text
    with pytest.raises(InvalidSarabanInput):
        render_register("receive", 2569, "", [row[:-1]])


COMMITTEE = (
    CommitteeMember("นายวิชัย ศรีสุข", "ปลัดเทศบาล", "ประธานกรรมการ"),
    CommitteeMember("นางสุดา แก้วมา", "หัวหน้าสำนักปลัดเทศบาล"),
    CommitteeMember("นายอนันต์ ทองดี", "นักจัดการงานทั่วไป", "กรรมการและเลขานุการ"),
)


def test_the_destruction_list_ends_with_a_signature_box_per_committee_member() -> None:
    rows = tuple(("ชม 52101/15", "3 มกราคม 2558", "ขออนุมัติจัดซื้อวัสดุ", "01-02", "ทำลาย", "") for _ in range(25))
    result = render_destruction_list(
        DestructionListDocument("เทศบาลตำบลแม่เหียะ", 2569, "ชม 52101/3", rows, COMMITTEE)
    )
    pdf = read(result.pdf)
    assert fold("บัญชีหนังสือขอทำลาย ประจำปี พ.ศ. 2569") in pdf.text(0)
    assert all(fold(column) in pdf.text(0) for column in DESTRUCTION_COLUMNS)
    assert fold("แผ่นที่ 1") in pdf.text(0)
    assert len(result.signature_boxes) == len(COMMITTEE)
    for member, box in zip(COMMITTEE, result.signature_boxes, strict=True):
        on_page(pdf, box)
        assert box.page == len(pdf.pages) - 1
        assert pdf.inside(box) == []
        name = [
            w
            for w in pdf.words
            if w.page == box.page and fold(member.name).startswith(fold(w.text.strip("(")))
        ]
        assert any(
            -2 <= box.box[1] - w.box[3] < 10 * MM and box.box[0] <= w.box[0] <= box.box[2] for w in name
        )
    with pytest.raises(InvalidSarabanInput, match="chair and at least two"):
        render_destruction_list(DestructionListDocument("เทศบาลตำบลแม่เหียะ", 2569, "", rows, COMMITTEE[:2]))


def test_the_handover_list_has_the_form_columns() -> None:
    pdf = read(
        render_handover_list(
            "เทศบาลตำบลแม่เหียะ", 2569, [("01-02", "ชม 52101/7", "3 มกราคม 2549", "ประกาศจัดตั้งตลาด", "")]
        )
    )
    text = pdf.text()
    assert fold("บัญชีส่งมอบหนังสือครบ 20 ปี ประจำปี พ.ศ. 2569") in text
    assert all(fold(column) in text for column in HANDOVER_COLUMNS)
    assert fold("ประกาศจัดตั้งตลาด") in text


def test_the_routing_sheet_has_eight_empty_slots_side_by_side() -> None:
    sheet = render_routing_sheet("เทศบาลตำบลแม่เหียะ", "ขอความอนุเคราะห์ตรวจสอบแนวเขต", "ชม 0318/ว 1234", False)
    pdf = read(sheet.pdf)
    assert len(pdf.pages) == 1
    assert fold("ใบบันทึกการเกษียนหนังสือ") in pdf.text() and fold("ชม 0318/ว 1234") in pdf.text()
    assert len(sheet.slots) >= 8
    for index, slot in enumerate(sheet.slots):
        assert slot.page == 0
        on_page(pdf, slot)
        assert abs(slot.width - 85 * MM) < 3 * MM and abs(slot.height - 55 * MM) < 2 * MM
        assert pdf.inside(slot) == []
        for other in sheet.slots[index + 1 :]:
            assert Word(0, "", slot.box).overlaps(other.box, slack=0) is False
    # reading order: left to right, then down
    assert sheet.slots[0].box[0] < sheet.slots[1].box[0] and sheet.slots[0].box[1] > sheet.slots[2].box[1]
