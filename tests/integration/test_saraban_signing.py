"""Official letters: receive stamp, endorsement steps, typed names, appended sheets, watermarks.

Everything is an incremental update, so the tests check that the input stays a byte-for-byte
prefix and that ``pdfsig`` (poppler, an implementation independent of pyHanko) still finds
every earlier signature valid; the text is read back with ``pdftotext``. The development PKI
(TSA, OCSP) runs on loopback once per session. pdfsig's certificate check through NSS is not
asserted here: with one certificate in several signatures of a file it sometimes reports "Unknown
issue with Certificate"; pyHanko's validator (:func:`signing.verify_pdf`) checks trust instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import re
import subprocess
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pytest

import tests.signing_fixtures as fixtures
from signing import Signatory, SigningOptions, sign_pdf, verify_pdf
from signing.errors import (
    EncryptedPdf,
    EventLoopRunning,
    FieldExists,
    StampError,
    UnreadableImage,
    UnreadablePdf,
)
from signing.pki import DevPki
from signing.saraban import (
    append_page,
    image_to_pdf,
    sign_step,
    stamp_receive,
    stamp_text,
    typed_name_step,
    watermark,
)
from signing.signer import BANGKOK, DEFAULT_FONT
from tests.signing_fixtures import ARTIFACTS, need_tool, officer_key, pdfsig

dev_pki = fixtures.dev_pki
nss_db = fixtures.nss_db

AGENCY = "สำนักปลัดเทศบาล เทศบาลเมืองแม่เหียะ"
RECEIVED = datetime(2026, 1, 5, 10, 30, tzinfo=BANGKOK)
STEPS = [
    ("Endorse1", "engineer", "B-LT", (60.0, 60.0, 290.0, 200.0), ["เรียน ปลัดเทศบาล", "เพื่อโปรดพิจารณา"]),
    (
        "Endorse2",
        "building_official",
        "B-LT",
        (305.0, 60.0, 535.0, 200.0),
        ["เรียน นายกเทศมนตรี", "เห็นควรอนุมัติ"],
    ),
    ("Order3", "engineer", "B-T", (305.0, 210.0, 535.0, 350.0), ["อนุมัติ", "มอบกองช่างดำเนินการ"]),
]


def letter_pdf(title: str = "บันทึกข้อความ", body: str = "เรื่อง ขออนุมัติจัดซื้อครุภัณฑ์สำนักงาน") -> bytes:
    weasyprint = pytest.importorskip("weasyprint")
    html = f"""<html lang="th"><head><style>
      @font-face {{ font-family: Thai; src: url("{DEFAULT_FONT.as_uri()}"); }}
      @page {{ size: A4; margin: 2cm; }}
      body {{ font-family: Thai; font-size: 16pt; }}
    </style></head><body><h1>{title}</h1><p>{body}</p></body></html>"""
    return bytes(weasyprint.HTML(string=html).write_pdf())


def options(pki: DevPki, level: str = "B-T") -> SigningOptions:
    return SigningOptions(tsa_url=pki.tsa_url, level=level, trust_roots=tuple(pki.trust_roots()))  # type: ignore[arg-type]


def text_of(data: bytes, tmp_path: Path, *, bbox: bool = False) -> str:
    """pdftotext's text, with ำ put back together (poppler splits it into ํ + า)."""
    need_tool("pdftotext")
    path = tmp_path / "text.pdf"
    path.write_bytes(data)
    args = ["pdftotext", *(["-bbox"] if bbox else []), str(path), "-"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return out.replace("\u0e4d\u0e32", "\u0e33")


def signatures(data: bytes, tmp_path: Path, database: str) -> str:
    need_tool("pdfsig")
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    return pdfsig(path, database)


def page_pdf(width: float, height: float, rotate: int = 0) -> bytes:
    """A blank page of any size and rotation, like a scanner's output."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    writer = PdfFileWriter()
    page = PageObject(
        contents=writer.add_object(generic.StreamObject(stream_data=b"")),
        media_box=generic.ArrayObject(generic.FloatObject(v) for v in (0, 0, width, height)),
    )
    if rotate:
        page["/Rotate"] = generic.NumberObject(rotate)
    writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def words(bbox_html: str, text: str) -> list[tuple[float, float, float, float]]:
    """The boxes (xMin, yMin, xMax, yMax; from the top-left of the shown page) of words with ``text``."""
    found = []
    for match in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', bbox_html
    ):
        # Each stamp line is one span of text (ActualText), so pdftotext reports it as one word.
        if text in match.group(5):
            found.append(tuple(float(match.group(i)) for i in range(1, 5)))
    return found  # type: ignore[return-value]


def page_size(bbox_html: str) -> tuple[float, float]:
    match = re.search(r'<page width="([\d.]+)" height="([\d.]+)">', bbox_html)
    assert match, bbox_html[:300]
    return float(match.group(1)), float(match.group(2))


def annotation_rects(data: bytes, page: int = 0) -> list[list[float]]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(data))
    page_obj = reader.root["/Pages"]["/Kids"][page]
    return [[float(v) for v in a.get_object()["/Rect"]] for a in page_obj.get("/Annots", [])]


@pytest.fixture(scope="module")
def letter() -> bytes:
    return letter_pdf()


@pytest.fixture(scope="module")
def chain(letter: bytes, dev_pki: DevPki) -> list[bytes]:
    """The letter after each of three endorsement steps (two officers, B-T and B-LT)."""
    revisions = [letter]
    for field_name, role, level, box, lines in STEPS:
        revisions.append(
            sign_step(
                revisions[-1],
                key=officer_key(dev_pki, role),
                options=options(dev_pki, level),
                page=0,
                box=box,
                lines=lines,
                signer_name="นายสมชาย ใจดี" if role == "engineer" else "นางสาวกิ่งแก้ว ศรีสุข",
                position="ผู้อำนวยการกองช่าง" if role == "engineer" else "ปลัดเทศบาล",
                field_name=field_name,
            )
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "saraban-chain.pdf").write_bytes(revisions[-1])
    return revisions


def pdfsig_fields(output: str) -> list[str]:
    return re.findall(r"Signature Field Name: (\S+)", output)


# --- endorsement steps ------------------------------------------------------------------------


def test_three_steps_are_three_valid_signatures_in_order(
    chain: list[bytes], dev_pki: DevPki, nss_db: str, tmp_path: Path
) -> None:
    for before, after in itertools.pairwise(chain):
        assert after.startswith(before)
    output = signatures(chain[-1], tmp_path, nss_db)
    assert pdfsig_fields(output) == ["Endorse1", "Endorse2", "Order3"], output
    assert output.count("Signature Validation: Signature is Valid.") == 3, output
    assert output.count("Signature Type: ETSI.CAdES.detached") == 3, output
    report = verify_pdf(chain[-1], dev_pki.trust_roots())
    assert report.status == "valid", report.lines()
    assert [s.field_name for s in report.signatures] == ["Endorse1", "Endorse2", "Order3"]
    assert not any(s.certification for s in report.signatures)
    assert [s.pades_level for s in report.signatures][:2] == ["B-LT", "B-LT"]
    assert all(s.timestamp_trusted for s in report.signatures)


def test_the_steps_show_the_endorsement_name_position_and_thai_date(
    chain: list[bytes], tmp_path: Path
) -> None:
    text = text_of(chain[-1], tmp_path)
    for needle in ("เรียน ปลัดเทศบาล", "เพื่อโปรดพิจารณา", "เห็นควรอนุมัติ", "มอบกองช่างดำเนินการ"):
        assert needle in text, text
    assert "(นายสมชาย ใจดี)" in text and "(นางสาวกิ่งแก้ว ศรีสุข)" in text
    assert text.count("ลงลายมือชื่ออิเล็กทรอนิกส์") == 3
    assert re.search(r"25[6-9]\d เวลา \d\d\.\d\d น\.", text), text


def test_a_field_name_already_used_is_refused(chain: list[bytes], dev_pki: DevPki) -> None:
    with pytest.raises(FieldExists):
        sign_step(
            chain[1],
            key=officer_key(dev_pki, "engineer"),
            options=options(dev_pki),
            page=0,
            box=(60.0, 400.0, 290.0, 500.0),
            lines=["ทราบ"],
            signer_name="นายสมชาย ใจดี",
            position="ผู้อำนวยการกองช่าง",
            field_name="Endorse1",
        )


def test_sign_step_refuses_a_missing_page_and_a_running_event_loop(letter: bytes, dev_pki: DevPki) -> None:
    arguments = dict(
        key=officer_key(dev_pki, "engineer"),
        options=options(dev_pki),
        box=(60.0, 400.0, 290.0, 500.0),
        lines=["ทราบ"],
        signer_name="นายสมชาย ใจดี",
        position="ผู้อำนวยการกองช่าง",
        field_name="Late",
    )
    with pytest.raises(StampError):
        sign_step(letter, page=3, **arguments)  # type: ignore[arg-type]

    async def inside_a_loop() -> None:
        sign_step(letter, page=0, **arguments)  # type: ignore[arg-type]

    with pytest.raises(EventLoopRunning):
        asyncio.run(inside_a_loop())


def test_a_typed_name_step_is_marked_and_not_a_signature(letter: bytes, tmp_path: Path) -> None:
    stamped = typed_name_step(
        letter,
        page=0,
        box=(305.0, 60.0, 535.0, 200.0),
        lines=["เรียน ปลัดเทศบาล", "เพื่อโปรดทราบ"],
        signer_name="นายสมชาย ใจดี",
        position="ผู้อำนวยการกองช่าง",
        at=datetime(2026, 1, 5, 14, 5),
    )
    assert stamped.startswith(letter)
    text = text_of(stamped, tmp_path)
    assert "(ลงชื่อโดยการพิมพ์ชื่อ)" in text and "(นายสมชาย ใจดี)" in text
    assert "5 มกราคม 2569 เวลา 14.05 น." in text
    assert verify_pdf(stamped, []).status == "not_signed"


def test_text_too_long_for_its_box_shrinks_then_is_cut(letter: bytes, tmp_path: Path) -> None:
    long_text = "ขอให้ดำเนินการตรวจสอบเอกสารประกอบการขออนุญาตให้ครบถ้วนตามระเบียบ " * 12
    stamped = stamp_text(letter, page=0, box=(72.0, 500.0, 272.0, 540.0), lines=[long_text])
    text = text_of(stamped, tmp_path)
    assert "…" in text
    assert "ขอให้ดำเนินการตรวจสอบ" in text


# --- receive stamp ----------------------------------------------------------------------------


def test_the_receive_stamp_is_at_the_top_right_of_page_1(letter: bytes, tmp_path: Path) -> None:
    stamped = stamp_receive(letter, agency_name=AGENCY, number="1234", received_at=RECEIVED)
    assert stamped.startswith(letter)
    text = text_of(stamped, tmp_path)
    assert "เลขรับ 1234" in text and "วันที่ 5 มกราคม 2569" in text and "เวลา 10.30 น." in text
    assert "สำนักปลัดเทศบาล" in text
    layout = text_of(stamped, tmp_path, bbox=True)
    width, height = page_size(layout)
    (box,) = words(layout, "1234")
    assert box[0] > width / 2 and box[3] < height / 5, box
    thai = stamp_receive(letter, agency_name=AGENCY, number="12", received_at=RECEIVED, thai_numerals=True)
    assert "เลขรับ ๑๒" in text_of(thai, tmp_path) and "เวลา ๑๐.๓๐ น." in text_of(thai, tmp_path)


def test_the_receive_stamp_keeps_an_earlier_signature_valid(
    letter: bytes, dev_pki: DevPki, nss_db: str, tmp_path: Path
) -> None:
    for certify in (False, True):
        signer = Signatory(officer_key(dev_pki, "engineer"), "นายผู้ส่ง หนังสือ", "ผู้อำนวยการ", (60, 60, 290, 140))
        chosen = dataclasses.replace(options(dev_pki), certify=certify)
        signed = sign_pdf(letter, [signer], chosen).data
        stamped = stamp_receive(signed, agency_name=AGENCY, number="7", received_at=RECEIVED)
        assert stamped.startswith(signed)
        output = signatures(stamped, tmp_path, nss_db)
        # pdfsig checks the signed byte range: still valid, and no longer the whole file.
        assert "Signature Validation: Signature is Valid." in output, output
        assert "Not total document signed" in output, output
        assert "เลขรับ 7" in text_of(stamped, tmp_path)


def test_a_scanned_jpeg_becomes_a_one_page_a4_pdf_that_can_be_received(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw
    from pyhanko.pdf_utils.reader import PdfFileReader

    scan = Image.new("RGB", (1240, 1754), "white")
    ImageDraw.Draw(scan).rectangle((100, 100, 1140, 300), outline="black", width=8)
    jpeg = BytesIO()
    scan.save(jpeg, "JPEG", quality=80)
    pdf = image_to_pdf(jpeg.getvalue())
    reader = PdfFileReader(BytesIO(pdf))
    assert int(reader.root["/Pages"]["/Count"]) == 1
    page = reader.root["/Pages"]["/Kids"][0]
    assert [round(float(v)) for v in page["/MediaBox"]] == [0, 0, 595, 842]
    image = page["/Resources"]["/XObject"]["/Scan"]
    assert image["/Filter"] == "/DCTDecode" and image.encoded_data == jpeg.getvalue()
    stamped = stamp_receive(pdf, agency_name=AGENCY, number="99", received_at=RECEIVED)
    assert stamped.startswith(pdf) and "เลขรับ 99" in text_of(stamped, tmp_path)
    # A landscape PNG with transparency: landscape A4, flattened onto white.
    png = BytesIO()
    Image.new("RGBA", (800, 500), (0, 0, 0, 0)).save(png, "PNG")
    landscape = PdfFileReader(BytesIO(image_to_pdf(png.getvalue()))).root["/Pages"]["/Kids"][0]
    assert [round(float(v)) for v in landscape["/MediaBox"]] == [0, 0, 842, 595]
    with pytest.raises(UnreadableImage):
        image_to_pdf(b"not an image at all")


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_the_receive_stamp_follows_the_shown_page(rotate: int, tmp_path: Path) -> None:
    letter_size = page_pdf(612, 792, rotate)
    stamped = stamp_receive(letter_size, agency_name=AGENCY, number="55", received_at=RECEIVED)
    ((x1, y1, x2, y2),) = annotation_rects(stamped)
    # The shown top-right corner, in the page's own (unrotated) coordinates.
    corner = {0: (612, 792), 90: (0, 792), 180: (0, 0), 270: (612, 0)}[rotate]
    assert min(abs(corner[0] - x1), abs(corner[0] - x2)) == pytest.approx(18, abs=1)
    assert min(abs(corner[1] - y1), abs(corner[1] - y2)) == pytest.approx(18, abs=1)
    layout = text_of(stamped, tmp_path, bbox=True)
    width, height = page_size(layout)
    (box,) = words(layout, "55")
    assert box[0] > width / 2 and box[3] < height / 4, (rotate, box, width, height)


def test_encrypted_and_broken_pdfs_are_refused(letter: bytes) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(BytesIO(letter)))
    writer.encrypt("owner-secret", "user-secret")
    encrypted = BytesIO()
    writer.write(encrypted)
    with pytest.raises(EncryptedPdf):
        stamp_receive(encrypted.getvalue(), agency_name=AGENCY, number="1", received_at=RECEIVED)
    for broken in (b"%PDF-1.7 not really", letter[: len(letter) // 2], b""):
        with pytest.raises(UnreadablePdf):
            stamp_receive(broken, agency_name=AGENCY, number="1", received_at=RECEIVED)
    assert issubclass(EncryptedPdf, StampError) and issubclass(UnreadablePdf, StampError)


# --- appended sheets and watermarks on signed letters -------------------------------------------


def test_an_appended_sheet_keeps_the_signatures_valid(
    chain: list[bytes], nss_db: str, tmp_path: Path
) -> None:
    sheet = letter_pdf("ใบแนบเกษียนหนังสือ", "ความเห็นเพิ่มเติมของผู้บังคับบัญชา")
    longer = append_page(chain[-1], sheet)
    assert longer.startswith(chain[-1])
    output = signatures(longer, tmp_path, nss_db)
    assert output.count("Signature Validation: Signature is Valid.") == 3, output
    from pyhanko.pdf_utils.reader import PdfFileReader

    assert int(PdfFileReader(BytesIO(longer)).root["/Pages"]["/Count"]) == 2
    assert "ใบแนบเกษียนหนังสือ" in text_of(longer, tmp_path)


def test_the_watermark_is_on_every_page_and_keeps_the_signatures_valid(
    chain: list[bytes], nss_db: str, tmp_path: Path
) -> None:
    two_pages = append_page(chain[-1], letter_pdf("หน้า ๒", "ต่อ"))
    marked = watermark(two_pages, text="นายผู้อ่าน ทดสอบ\n5 มกราคม 2569 เวลา 16.45 น.")
    assert marked.startswith(two_pages)
    output = signatures(marked, tmp_path, nss_db)
    assert output.count("Signature Validation: Signature is Valid.") == 3, output
    text = text_of(marked, tmp_path)
    assert text.count("นายผู้อ่าน") == 2, text
    assert len(annotation_rects(marked, 1)) == 1
    with pytest.raises(StampError):
        watermark(two_pages, text="  ")
