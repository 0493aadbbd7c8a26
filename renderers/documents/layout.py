"""The A4 page of an issued document, and the fixed places where its signers sign."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.definitions.model import DocumentSpec, ServiceDefinition, Signer, Text
from renderers.documents.errors import UnknownDocument

# --- the page and where signatures go ---------------------------------------------------------

MM_TO_PT = 72 / 25.4
PX_TO_PT = 0.75  # WeasyPrint lays out in CSS pixels (96 per inch)
PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
# งานสารบรรณ: 3 cm left, 2 cm right; the top leaves room for the emblem as on a letterhead.
MARGIN_TOP_MM = 15.0
MARGIN_RIGHT_MM = 20.0
MARGIN_LEFT_MM = 30.0
MARGIN_BOTTOM_MM = 10.0
CONTENT_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM
# The lower part of page 1 is reserved for the signatures and the footer, which have fixed
# places: the flowing text must end above them (checked on every render), so a long address
# can never push a signature box away from where the signing step puts the signature field.
SIGNATURE_TOP_MM = 217.0
SIGNATURE_HEIGHT_MM = 20.0
SIGNATURE_MAX_WIDTH_MM = 66.0
FLOW_BOTTOM_MM = SIGNATURE_TOP_MM - 3.0
FOOTER_TOP_MM = 258.0
QR_SIZE_MM = 22.0
BODY_SIZES_PT = (16.0, 15.0, 14.0, 13.0, 12.0, 11.0)  # tried in turn until the text fits on one page
# Where a box may be off by rounding before the renderer calls it a template bug.
BOX_TOLERANCE_PT = 0.5


@dataclass(frozen=True)
class SignatureSlot:
    """Where one signer signs on page 1: an empty box, and under it the name and position.

    Millimetres from the page's top-left corner; the block is the signer's column (the text
    under the box may be as wide as it), the box is centred in it.
    """

    index: int
    role: str
    position: Text
    block_left_mm: float
    block_width_mm: float
    left_mm: float
    top_mm: float
    width_mm: float
    height_mm: float

    @property
    def field_name(self) -> str:
        """A stable name for the PDF signature field of this slot, e.g. ``sig1-engineer``."""
        return f"sig{self.index + 1}-{self.role}"

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """``(x1, y1, x2, y2)`` in PDF points, origin at the bottom-left of the page (as pyHanko wants)."""
        x1 = self.left_mm * MM_TO_PT
        x2 = (self.left_mm + self.width_mm) * MM_TO_PT
        y2 = (PAGE_HEIGHT_MM - self.top_mm) * MM_TO_PT
        y1 = (PAGE_HEIGHT_MM - self.top_mm - self.height_mm) * MM_TO_PT
        return (round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2))

    @property
    def style(self) -> str:
        """Inline CSS placing the signer's block, relative to the page's content area."""
        return (
            f"left: {self.block_left_mm - MARGIN_LEFT_MM:.2f}mm; top: {self.top_mm - MARGIN_TOP_MM:.2f}mm; "
            f"width: {self.block_width_mm:.2f}mm"
        )

    @property
    def box_style(self) -> str:
        """Inline CSS sizing the box inside the block."""
        return (
            f"margin-left: {self.left_mm - self.block_left_mm:.2f}mm; width: {self.width_mm:.2f}mm; "
            f"height: {self.height_mm:.2f}mm"
        )


def _slots(signers: Sequence[Signer]) -> list[SignatureSlot]:
    """Signers side by side; a lone signer signs right of centre, as on Thai official forms."""
    count = len(signers)
    if count == 0:
        return []
    if count == 1:
        columns = [(MARGIN_LEFT_MM + CONTENT_WIDTH_MM * 0.45, CONTENT_WIDTH_MM * 0.55)]
    else:
        width = CONTENT_WIDTH_MM / count
        columns = [(MARGIN_LEFT_MM + i * width, width) for i in range(count)]
    slots = []
    for index, (signer, (column_left, column_width)) in enumerate(zip(signers, columns, strict=True)):
        box_width = min(SIGNATURE_MAX_WIDTH_MM, column_width - 6.0)
        slots.append(
            SignatureSlot(
                index=index,
                role=signer.role,
                position=signer.position,
                block_left_mm=round(column_left, 2),
                block_width_mm=round(column_width, 2),
                left_mm=round(column_left + (column_width - box_width) / 2, 2),
                top_mm=SIGNATURE_TOP_MM,
                width_mm=box_width,
                height_mm=SIGNATURE_HEIGHT_MM,
            )
        )
    return slots


def document_spec(definition: ServiceDefinition, document_id: str) -> DocumentSpec:
    """The document ``document_id`` of ``definition``; raises :class:`UnknownDocument`."""
    spec = definition.service.document(document_id)
    if spec is None:
        raise UnknownDocument(definition.id, document_id, [d.id for d in definition.service.documents])
    return spec


def signature_slots(definition: ServiceDefinition, document_id: str) -> list[SignatureSlot]:
    """The signature slots of a document, in signing order; raises :class:`UnknownDocument`."""
    return _slots(document_spec(definition, document_id).signers)


def signature_boxes(
    definition: ServiceDefinition, document_id: str
) -> list[tuple[float, float, float, float]]:
    """Each signer's box on page 1 as ``(x1, y1, x2, y2)`` PDF points, in the order of service.json.

    Raises :class:`UnknownDocument`.
    """
    return [slot.rect for slot in signature_slots(definition, document_id)]


RECEIPT_SIGNERS = (
    Signer(role="finance_officer", position=Text(th="เจ้าหน้าที่การเงิน ผู้รับเงิน", en="Finance officer, cashier")),
)


def receipt_signature_slots() -> list[SignatureSlot]:
    return _slots(RECEIPT_SIGNERS)


def receipt_signature_boxes() -> list[tuple[float, float, float, float]]:
    """The cashier's box on page 1 of a receipt, as for :func:`signature_boxes`."""
    return [slot.rect for slot in receipt_signature_slots()]
