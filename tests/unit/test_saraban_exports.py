"""The e-Saraban exports and the letter's HTML, without laying out a page (see the integration tests for PDFs)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime

import pytest
from openpyxl import load_workbook

from engine.saraban.vocabulary import BOOKS, register_columns
from renderers.saraban import (
    InputTooLarge,
    InvalidSarabanInput,
    LetterDocument,
    SarabanPdfError,
    deadline_text,
    letter_html,
    register_csv,
    register_xlsx,
)

LETTER = LetterDocument(
    kind="external",
    agency_name="เทศบาลตำบลแม่เหียะ",
    subject="ขอความอนุเคราะห์ตรวจสอบแนวเขตทาง",
    body=("ด้วยเทศบาลตำบลแม่เหียะมีโครงการก่อสร้างถนน",),
    signer_name="นายสมชาย ใจดี",
    signer_position="นายกเทศมนตรีตำบลแม่เหียะ",
    letter_code="ชม 52101.3",
    recipient="นายอำเภอสารภี",
)


def row_for(book: str, subject: str = "ขอเชิญประชุม") -> tuple[str, ...]:
    values = {"เรื่อง": subject, "ที่": "ชม 0318/ว 1234", "จาก": "อำเภอสารภี"}
    return tuple(values.get(column, "1") for column in register_columns(book))


@pytest.mark.parametrize("book", list(BOOKS))
def test_csv_header_is_exactly_the_official_columns(book: str) -> None:
    text = register_csv(book, [row_for(book)])
    assert text.startswith("\ufeff"), "Excel needs the byte-order mark to read Thai"
    header, row = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(header) == register_columns(book)
    assert row[register_columns(book).index("เรื่อง")] == "ขอเชิญประชุม"


@pytest.mark.parametrize("book", ["receive", "send", "order"])
def test_xlsx_has_the_title_then_exactly_the_official_header(book: str) -> None:
    data = register_xlsx(book, 2569, "เทศบาลตำบลแม่เหียะ", [row_for(book), row_for(book, "ประกาศรับสมัคร")])
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [tuple(cell for cell in row if cell is not None) for row in sheet.iter_rows(values_only=True)]
    assert BOOKS[book].th in rows[0][0] and "ประจำปี พ.ศ. 2569" in rows[0][0]
    assert rows[1] == register_columns(book)
    assert [row[register_columns(book).index("เรื่อง")] for row in rows[2:]] == ["ขอเชิญประชุม", "ประกาศรับสมัคร"]


def test_spreadsheet_exports_never_run_a_formula_from_a_subject() -> None:
    hostile = '=HYPERLINK("http://evil.example","x")'
    text = register_csv("receive", [row_for("receive", hostile)])
    assert f"'{hostile}" in next(iter(csv.reader(io.StringIO(text.splitlines()[1]))))
    sheet = load_workbook(
        io.BytesIO(register_xlsx("receive", 2569, "", [row_for("receive", hostile)]))
    ).active
    assert sheet.cell(row=3, column=7).value == f"'{hostile}"
    assert sheet.cell(row=3, column=7).data_type == "s"


def test_rows_of_the_wrong_width_and_unknown_books_are_refused() -> None:
    with pytest.raises(InvalidSarabanInput, match="row 1 has 2 values"):
        register_csv("send", [("a", "b")])
    with pytest.raises(InvalidSarabanInput, match="unknown book"):
        register_csv("diary", [])


def test_hostile_text_is_escaped_in_the_letter() -> None:
    html, _ = letter_html(
        replace(LETTER, subject="<script>alert(1)</script> & บริษัท", recipient='"><img src=x>')
    )
    assert "<script>" not in html and "<img src=x>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; บริษัท" in html


def test_the_urgency_is_printed_with_its_deadline() -> None:
    html, _ = letter_html(replace(LETTER, urgency="most_urgent", due_at=datetime(2026, 1, 20, 14, 30)))
    assert "ด่วนที่สุด" in html
    assert "ด่วนภายใน 20 มกราคม 2569 เวลา 14.30 น." in html
    assert deadline_text(datetime(2026, 1, 20, 9, 5), True) == "ด่วนภายใน ๒๐ มกราคม ๒๕๖๙ เวลา ๐๙.๐๕ น."


def test_secrecy_marks_go_to_the_page_margins_of_every_page() -> None:
    _, css = letter_html(replace(LETTER, secrecy="confidential"))
    assert "@top-center" in css and "@bottom-center" in css
    _, plain = letter_html(LETTER)
    assert "@bottom-center" not in plain


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"kind": "memo"}, InvalidSarabanInput),
        ({"urgency": "asap"}, InvalidSarabanInput),
        ({"secrecy": "hush"}, InvalidSarabanInput),
        ({"subject": "ก" * 501}, InputTooLarge),
        ({"body": ("ข" * 9_000,) * 8}, InputTooLarge),
        ({"body": ("ค",) * 301}, InputTooLarge),
        ({"logo": "https://example.com/garuda.png"}, InvalidSarabanInput),
        ({"logo": "file:///etc/passwd"}, InvalidSarabanInput),
    ],
)
def test_letters_no_form_can_print_are_refused(change: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        letter_html(replace(LETTER, **change))  # type: ignore[arg-type]
    assert isinstance(raised.value, SarabanPdfError)
