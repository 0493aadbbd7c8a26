"""ใบบันทึกการเกษียนหนังสือ: the page appended to a letter before its first endorsement.

Paper letters carry their endorsements (เกษียน, สั่งการ) in the margins; a signed PDF has
no margin to spare, so the endorsements go on this sheet, each as a visible signature
(text, name, position, date) in one of its empty slots, in reading order.
"""

from __future__ import annotations

from renderers.saraban.model import RenderedSheet
from renderers.saraban.pdf import check_size, digits, find, layout, page_html

COLUMNS = 2
ROWS = 4
SLOT_WIDTH_MM = 86.0
SLOT_HEIGHT_MM = 55.0
COLUMN_GAP_MM = 8.0
ROW_GAP_MM = 3.0
# Below the title and the letter's number and subject (the content area starts 12 mm from the top).
SLOTS_TOP_MM = 40.0


def _slot_styles() -> list[str]:
    styles = []
    for row in range(ROWS):
        for column in range(COLUMNS):
            left = column * (SLOT_WIDTH_MM + COLUMN_GAP_MM)
            top = SLOTS_TOP_MM + row * (SLOT_HEIGHT_MM + ROW_GAP_MM)
            styles.append(f"left: {left}mm; top: {top}mm")
    return styles


def render_routing_sheet(
    agency_name: str, subject: str, number_text: str, thai_numerals: bool
) -> RenderedSheet:
    """One A4 page: the title, the letter's number and subject, and 2 × 4 empty endorsement slots.

    Each slot is 86 × 55 mm; ``slots`` are on page 0 of this sheet, left to right, top down.
    A subject too long for the two lines under the title is cut there (the letter itself
    has it whole). Raises :class:`InputTooLarge` for absurdly long text.
    """
    check_size("agency_name", agency_name, 500)
    check_size("subject", subject, 2_000)
    check_size("number_text", number_text, 200)
    context = {
        "agency": digits(agency_name, thai_numerals),
        "subject": digits(subject, thai_numerals),
        "number": digits(number_text, thai_numerals),
        "slots": _slot_styles(),
    }
    document = layout(page_html("routing.html.j2", context))
    slots = tuple(find(document, f"slot-{index}").placement() for index in range(COLUMNS * ROWS))
    return RenderedSheet(pdf=document.write_pdf(), slots=slots)
