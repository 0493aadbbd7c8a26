"""What the e-Saraban renderers take and give back: plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# PDF points from the bottom-left corner of the page: (x1, y1, x2, y2), as pyHanko wants a field's box.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Placement:
    """Where an empty box is on the rendered PDF: a 0-based page index and its rectangle in points."""

    page: int
    box: Box

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclass(frozen=True)
class LetterDocument:
    """A letter of one of the kinds of ``engine.saraban.vocabulary.KINDS``, as it is printed.

    ``number`` is the running part of the ที่ line ("123", "ว 45"; for an order "12" or
    "12/2569") and ``letter_date`` its date; both are None in a draft, and the renderer then
    leaves their boxes empty for the signing step to stamp. ``logo`` is a ``data:image/...``
    URI of the Garuda or the agency's emblem.
    """

    kind: str
    agency_name: str
    subject: str
    body: tuple[str, ...]
    signer_name: str
    signer_position: str
    agency_address: str = ""
    unit_name: str = ""
    letter_code: str = ""
    number: str | None = None
    circular: bool = False
    letter_date: date | None = None
    salutation: str = "เรียน"
    recipient: str = ""
    references: tuple[str, ...] = ()
    enclosures: tuple[str, ...] = ()
    closing: str = "ขอแสดงความนับถือ"
    contact: tuple[str, ...] = ()
    urgency: str = "normal"
    due_at: datetime | None = None
    secrecy: str = "normal"
    thai_numerals: bool = False
    verify_url: str | None = None
    logo: str | None = None


@dataclass(frozen=True)
class RenderedLetter:
    """The letter's PDF and the empty boxes the signing step fills.

    ``number_box`` is None for the kinds whose form carries no number (ระเบียบ, ข้อบังคับ,
    ประกาศ, บันทึก, รายงานการประชุม).
    """

    pdf: bytes
    number_box: Placement | None
    date_box: Placement
    signature_box: Placement
    pages: int


@dataclass(frozen=True)
class CommitteeMember:
    """A member of the destruction committee: the chair comes first."""

    name: str
    position: str
    role: str = "กรรมการ"


@dataclass(frozen=True)
class DestructionListDocument:
    """บัญชีหนังสือขอทำลาย (แบบที่ 25).

    Each row holds the values of ``DESTRUCTION_COLUMNS[1:]`` (ที่, ลงวันที่, เรื่อง, รหัสแฟ้ม,
    การพิจารณา, หมายเหตุ); the ลำดับที่ is counted by the renderer. ``reference`` is the
    list's own number, printed under the heading.
    """

    agency_name: str
    be_year: int
    reference: str
    rows: tuple[tuple[str, ...], ...]
    committee: tuple[CommitteeMember, ...]
    thai_numerals: bool = False


@dataclass(frozen=True)
class RenderedList:
    """A list's PDF and, in the committee's order, the empty box where each member signs."""

    pdf: bytes
    signature_boxes: tuple[Placement, ...]


@dataclass(frozen=True)
class RenderedSheet:
    """The endorsement sheet: one page, and its empty slots in reading order (left to right, top down)."""

    pdf: bytes
    slots: tuple[Placement, ...]
