"""The books as tables on landscape A4: the registers (แบบที่ 12, 14), the destruction list (แบบที่ 25)
and the list of letters handed to the National Archives at 20 years (แบบที่ 21).

The registers also go out as an Excel workbook and as CSV, with exactly the official
column headers, for the offices that keep working in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from engine.saraban.vocabulary import BOOKS, register_columns
from renderers.saraban.errors import InvalidSarabanInput
from renderers.saraban.model import DestructionListDocument, Placement, RenderedList
from renderers.saraban.pdf import check_count, check_size, css_string, digits, find, layout, page_html

DESTRUCTION_COLUMNS = ("ลำดับที่", "ที่", "ลงวันที่", "เรื่อง", "รหัสแฟ้ม", "การพิจารณา", "หมายเหตุ")
HANDOVER_COLUMNS = ("ลำดับที่", "รหัสแฟ้ม", "ที่", "ลงวันที่", "เรื่อง", "หมายเหตุ")
# Relative column widths (percent of the landscape page's width): the subject gets the room.
REGISTER_WIDTHS = (9, 7, 11, 9, 12, 12, 22, 10, 8)
DESTRUCTION_WIDTHS = (5, 13, 10, 34, 9, 17, 12)
HANDOVER_WIDTHS = (6, 11, 15, 11, 42, 15)

# A year's book of a local administration has a few thousand rows; a PDF of more is an export job.
MAX_PDF_ROWS = 5_000
MAX_EXPORT_ROWS = 200_000
MAX_CELL_CHARS = 2_000
MAX_COMMITTEE = 15


def _book_title(book: str, be_year: int) -> str:
    if book not in BOOKS:
        raise InvalidSarabanInput(f"unknown book {book!r} (known: {', '.join(BOOKS)})")
    return f"{BOOKS[book].th} ประจำปี พ.ศ. {be_year}"


def _checked_rows(rows: Sequence[Sequence[str]], width: int, limit: int) -> list[tuple[str, ...]]:
    """The rows as tuples of strings; raises when one has the wrong number of cells or too much text."""
    check_count("rows", rows, limit)
    checked = []
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise InvalidSarabanInput(f"row {number} has {len(row)} values, the table has {width} columns")
        for cell in row:
            check_size(f"a value of row {number}", cell, MAX_CELL_CHARS)
        checked.append(tuple(str(cell) for cell in row))
    return checked


def _page_css(sheet_label: str, thai_numerals: bool, top: bool) -> str:
    """Every page numbered (``หน้า 2 / 5`` or ``แผ่นที่ 2``); the table's header repeats by itself."""
    style = "font-family: Sarabun; font-size: 12pt;"
    if top:
        counter = "counter(page, thai)" if thai_numerals else "counter(page)"
        return f"@page landscape {{ @top-right {{ content: {css_string(sheet_label)} ' ' {counter}; {style} }} }}"
    counters = (
        "counter(page, thai) ' / ' counter(pages, thai)"
        if thai_numerals
        else "counter(page) ' / ' counter(pages)"
    )
    return f"@page landscape {{ @bottom-right {{ content: {css_string(sheet_label)} ' ' {counters}; {style} }} }}"


def _sheet_pdf(
    *,
    title: str,
    agency: str,
    columns: Sequence[str],
    widths: Sequence[int],
    rows: Sequence[Sequence[str]],
    thai_numerals: bool,
    counted: bool,
    page_css: str,
    reference: str = "",
    committee: Sequence[object] = (),
) -> tuple[bytes, list[Placement]]:
    context = {
        "title": digits(title, thai_numerals),
        "agency": agency,
        "reference": digits(reference, thai_numerals),
        "columns": columns,
        "widths": widths,
        "rows": [[digits(cell, thai_numerals) for cell in row] for row in rows],
        "counted": counted,
        "committee": committee,
    }
    document = layout(page_html("sheet.html.j2", context), page_css)
    boxes = [find(document, f"member-{index}").placement() for index in range(len(committee))]
    return document.write_pdf(), boxes


def render_register(
    book: str, be_year: int, agency_name: str, rows: Sequence[Sequence[str]], *, thai_numerals: bool = False
) -> bytes:
    """The register ``book`` of year ``be_year`` (พ.ศ.) as landscape A4 PDF, the header on every page.

    ``rows`` hold one string per column of ``register_columns(book)``. Raises
    :class:`InvalidSarabanInput` (unknown book, a row of the wrong width) and
    :class:`InputTooLarge` (more than ``MAX_PDF_ROWS`` rows, a value over ``MAX_CELL_CHARS``).
    """
    title = _book_title(book, be_year)
    columns = register_columns(book)
    checked = _checked_rows(rows, len(columns), MAX_PDF_ROWS)
    check_size("agency_name", agency_name, 500)
    pdf, _ = _sheet_pdf(
        title=title,
        agency=agency_name,
        columns=columns,
        widths=REGISTER_WIDTHS,
        rows=checked,
        thai_numerals=thai_numerals,
        counted=False,
        page_css=_page_css("หน้า", thai_numerals, top=False),
    )
    return pdf


def register_xlsx(book: str, be_year: int, agency_name: str, rows: Sequence[Sequence[str]]) -> bytes:
    """The register as an Excel workbook: a title row, the official header row, then the rows as text.

    Raises as :func:`render_register` (the row limit is ``MAX_EXPORT_ROWS``).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    title = _book_title(book, be_year)
    columns = register_columns(book)
    checked = _checked_rows(rows, len(columns), MAX_EXPORT_ROWS)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = BOOKS[book].th[:31]  # Excel refuses longer sheet names
    sheet.append([f"{title} {agency_name}".strip()])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(list(columns))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in checked:
        # Values that look like formulas stay text: a register row must never compute anything.
        sheet.append([f"'{cell}" if cell.startswith(("=", "+", "-", "@")) else cell for cell in row])
    sheet.freeze_panes = "A3"
    for letter, width in zip("ABCDEFGHI", REGISTER_WIDTHS, strict=False):
        sheet.column_dimensions[letter].width = width * 2.2
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def register_csv(book: str, rows: Sequence[Sequence[str]]) -> str:
    """The register as CSV: a UTF-8 byte-order mark (so Excel reads the Thai), the official header, the rows.

    Cells that a spreadsheet would run as a formula get a leading apostrophe. Raises as
    :func:`register_xlsx`.
    """
    _book_title(book, 0)
    columns = register_columns(book)
    checked = _checked_rows(rows, len(columns), MAX_EXPORT_ROWS)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in checked:
        writer.writerow([f"'{cell}" if cell.startswith(("=", "+", "-", "@")) else cell for cell in row])
    return buffer.getvalue()


def render_destruction_list(document: DestructionListDocument) -> RenderedList:
    """บัญชีหนังสือขอทำลาย (แบบที่ 25) with the committee's signature boxes, in the committee's order.

    Raises :class:`InvalidSarabanInput` (a row without the six values of
    ``DESTRUCTION_COLUMNS[1:]``, a committee of fewer than three: a chair and two members)
    and :class:`InputTooLarge`.
    """
    if not 3 <= len(document.committee) <= MAX_COMMITTEE:
        raise InvalidSarabanInput(
            f"the committee has {len(document.committee)} members; it needs a chair and at least two members"
        )
    for member in document.committee:
        check_size("a committee member", member.name + member.position + member.role, 600)
    check_size("agency_name", document.agency_name, 500)
    check_size("reference", document.reference, 500)
    checked = _checked_rows(document.rows, len(DESTRUCTION_COLUMNS) - 1, MAX_PDF_ROWS)
    pdf, boxes = _sheet_pdf(
        title=f"บัญชีหนังสือขอทำลาย ประจำปี พ.ศ. {document.be_year}",
        agency=document.agency_name,
        reference=f"ที่ {document.reference}" if document.reference else "",
        columns=DESTRUCTION_COLUMNS,
        widths=DESTRUCTION_WIDTHS,
        rows=[(str(index), *row) for index, row in enumerate(checked, start=1)],
        thai_numerals=document.thai_numerals,
        counted=True,
        page_css=_page_css("แผ่นที่", document.thai_numerals, top=True),
        committee=document.committee,
    )
    return RenderedList(pdf=pdf, signature_boxes=tuple(boxes))


def render_handover_list(
    agency_name: str, be_year: int, rows: Sequence[Sequence[str]], *, thai_numerals: bool = False
) -> bytes:
    """บัญชีส่งมอบหนังสือครบ 20 ปี (แบบที่ 21), for the National Archives.

    Each row holds the values of ``HANDOVER_COLUMNS[1:]`` (รหัสแฟ้ม, ที่, ลงวันที่, เรื่อง,
    หมายเหตุ); the ลำดับที่ is counted here. Raises :class:`InvalidSarabanInput` and
    :class:`InputTooLarge` as :func:`render_register`.
    """
    check_size("agency_name", agency_name, 500)
    checked = _checked_rows(rows, len(HANDOVER_COLUMNS) - 1, MAX_PDF_ROWS)
    pdf, _ = _sheet_pdf(
        title=f"บัญชีส่งมอบหนังสือครบ 20 ปี ประจำปี พ.ศ. {be_year}",
        agency=agency_name,
        columns=HANDOVER_COLUMNS,
        widths=HANDOVER_WIDTHS,
        rows=[(str(index), *row) for index, row in enumerate(checked, start=1)],
        thai_numerals=thai_numerals,
        counted=True,
        page_css=_page_css("แผ่นที่", thai_numerals, top=True),
    )
    return pdf
