"""What the correspondence services need from the PDF side, which the engine does not implement.

The composition root passes an implementation (rendering with WeasyPrint, stamping and signing
with pyHanko). Every method is blocking: the services call them on a worker thread. Each PDF
operation returns the whole new file, of which the input is a byte-for-byte prefix (an
incremental revision), so earlier signatures stay valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Place:
    """A rectangle on a page: 0-based page index, PDF points from the bottom-left corner."""

    page: int
    box: Box

    def as_json(self) -> dict[str, Any]:
        return {"page": self.page, "box": list(self.box)}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Place:
        x1, y1, x2, y2 = (float(v) for v in value["box"])
        return cls(int(value["page"]), (x1, y1, x2, y2))


@dataclass(frozen=True)
class DraftLetter:
    """What a drafted letter prints; ``number`` and ``letter_date`` stay blank until signing."""

    kind: str
    agency_name: str
    agency_address: str
    unit_name: str
    letter_code: str
    circular: bool
    subject: str
    salutation: str
    recipient: str
    references: tuple[str, ...]
    enclosures: tuple[str, ...]
    body: tuple[str, ...]
    signer_name: str
    signer_position: str
    contact: str
    urgency: str
    due_at: datetime | None
    secrecy: str
    thai_numerals: bool
    number: str | None = None
    letter_date: date | None = None


@dataclass(frozen=True)
class RenderedDraft:
    """The draft and its blanks; ``number`` is None for kinds whose form prints no number (ประกาศ, ระเบียบ…)."""

    pdf: bytes
    number: Place | None
    date: Place
    signature: Place


@dataclass(frozen=True)
class Stamp:
    """A visible step on the letter: the endorsement's lines, then who and when."""

    lines: tuple[str, ...]
    signer_name: str
    position: str
    at: datetime


@dataclass(frozen=True)
class CommitteeSeat:
    """A seat of the destruction committee as the list prints it under its signature box."""

    name: str
    position: str
    role: str  # ประธานกรรมการ | กรรมการ


@dataclass(frozen=True)
class RenderedList:
    """A list's PDF and, in the committee's order, the empty box where each member signs."""

    pdf: bytes
    signature_boxes: tuple[Place, ...]


class PdfTools(Protocol):
    def image_to_pdf(self, data: bytes) -> bytes:
        """A scanned JPEG or PNG as a one-page A4 PDF; raises LetterFileRefused when unreadable."""
        ...

    def stamp_receive(
        self, pdf: bytes, *, agency_name: str, number: str, received_at: datetime, thai_numerals: bool
    ) -> bytes:
        """The receive stamp (เลขรับ, วันที่, เวลา) at the top right of page 1; raises LetterFileRefused."""
        ...

    def stamp_retention(self, pdf: bytes, text: str) -> bytes:
        """The retention mark ("เก็บถึง พ.ศ. …" or "ห้ามทำลาย") at the bottom right of page 1."""
        ...

    def render_draft(self, letter: DraftLetter) -> RenderedDraft:
        """The drafted letter as PDF, with where its number, date and signature go."""
        ...

    def add_routing_sheet(
        self, pdf: bytes, *, agency_name: str, subject: str, number_text: str, thai_numerals: bool
    ) -> tuple[bytes, list[Place]]:
        """``pdf`` with an endorsement sheet appended; the sheet's empty slots, in order."""
        ...

    def stamp_text(self, pdf: bytes, place: Place, lines: Sequence[str]) -> bytes:
        """``lines`` printed into ``place`` (the number and date of a letter being signed)."""
        ...

    def sign(
        self,
        pdf: bytes,
        *,
        tenant: str,
        role: str,
        place: Place,
        stamp: Stamp,
        field_name: str,
        own_keys: Sequence[Any] = (),
        level: str = "B-T",
    ) -> tuple[bytes, str]:
        """A visible PAdES signature with the tenant's key of ``role`` (``own_keys``: the keys its
        administrator set, over the platform's) at PAdES ``level`` (B-LT falls back to B-T when the
        revocation services cannot be reached); returns the PDF and the level it got.

        Raises the signing side's errors when the key or the timestamp service is unusable.
        """
        ...

    def typed_name(self, pdf: bytes, *, place: Place, stamp: Stamp) -> bytes:
        """The same stamp drawn with the typed name (ฉบับที่ 4), no cryptographic signature."""
        ...

    def watermark(self, pdf: bytes, text: str) -> bytes:
        """``text`` across every page (the viewer and the time, for a classified letter's download)."""
        ...

    def render_register(
        self,
        book: str,
        year: int,
        agency_name: str,
        rows: Sequence[Sequence[str]],
        *,
        thai_numerals: bool = False,
    ) -> bytes:
        """The register of ``book`` and ``year`` as PDF in the official layout."""
        ...

    def render_destruction_list(
        self,
        *,
        agency_name: str,
        year: int,
        reference: str,
        rows: Sequence[Sequence[str]],
        committee: Sequence[CommitteeSeat],
        thai_numerals: bool,
    ) -> RenderedList:
        """บัญชีหนังสือขอทำลาย (แบบที่ 25) of Buddhist-Era ``year``; each row holds ที่, ลงวันที่, เรื่อง,
        รหัสแฟ้ม, การพิจารณา, หมายเหตุ. ``committee`` is the chair first, then the members (at least
        three seats); their signature boxes come back in that order."""
        ...

    def render_handover_list(
        self, *, agency_name: str, year: int, rows: Sequence[Sequence[str]], thai_numerals: bool
    ) -> bytes:
        """บัญชีส่งมอบหนังสือครบ 20 ปี (แบบที่ 21) of Buddhist-Era ``year``; each row holds รหัสแฟ้ม, ที่,
        ลงวันที่, เรื่อง, หมายเหตุ."""
        ...
