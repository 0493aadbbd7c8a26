"""The correspondence area's PDF side: :class:`engine.saraban.ports.PdfTools` with WeasyPrint and pyHanko.

Joins three adapters the engine must not know: the letter templates (:mod:`renderers.saraban`),
the incremental stamps and signatures (:mod:`signing.saraban`) and the tenant's signing profile
(:mod:`signing.services`). Every method blocks: the services call them on a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from engine.saraban.errors import LetterFileRefused
from engine.saraban.ports import CommitteeSeat, DraftLetter, Place, RenderedDraft, RenderedList, Stamp


def page_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(BytesIO(pdf), strict=False).root["/Pages"]["/Count"])


def _refused(error: Exception) -> LetterFileRefused:
    return LetterFileRefused(
        f"the letter's file cannot be read as a PDF ({error})",
        th="อ่านไฟล์หนังสือไม่ได้ ไฟล์อาจเสียหรือมีรหัสผ่าน โปรดสแกนหรือบันทึกเป็น PDF ใหม่แล้วแนบอีกครั้ง",
        field="file",
    )


@dataclass(frozen=True)
class LetterPdfTools:
    """PDF work for letters. ``data_dir`` and ``environ`` find the tenant's signing profile."""

    data_dir: Path
    environ: Any

    def image_to_pdf(self, data: bytes) -> bytes:
        from signing import saraban
        from signing.errors import SigningError

        try:
            return saraban.image_to_pdf(data)
        except (SigningError, OSError, ValueError) as error:
            raise _refused(error) from None

    def stamp_receive(
        self, pdf: bytes, *, agency_name: str, number: str, received_at: Any, thai_numerals: bool
    ) -> bytes:
        from signing import saraban
        from signing.errors import SigningError

        try:
            return saraban.stamp_receive(
                pdf,
                agency_name=agency_name,
                number=number,
                received_at=received_at,
                thai_numerals=thai_numerals,
            )
        except SigningError as error:
            raise _refused(error) from None

    def stamp_retention(self, pdf: bytes, text: str) -> bytes:
        from signing import saraban
        from signing.errors import SigningError

        try:
            return saraban.stamp_retention(pdf, text=text)
        except SigningError as error:
            raise _refused(error) from None

    def render_draft(self, letter: DraftLetter) -> RenderedDraft:
        from renderers.saraban import LetterDocument, render_letter

        rendered = render_letter(
            LetterDocument(
                kind=letter.kind,
                agency_name=letter.agency_name,
                agency_address=letter.agency_address,
                unit_name=letter.unit_name,
                letter_code=letter.letter_code,
                number=letter.number,
                circular=letter.circular,
                letter_date=letter.letter_date,
                subject=letter.subject,
                salutation=letter.salutation,
                recipient=letter.recipient,
                references=letter.references,
                enclosures=letter.enclosures,
                body=letter.body,
                signer_name=letter.signer_name,
                signer_position=letter.signer_position,
                contact=(letter.contact,) if letter.contact else (),
                urgency=letter.urgency,
                due_at=letter.due_at,
                secrecy=letter.secrecy,
                thai_numerals=letter.thai_numerals,
                verify_url=None,
                logo=None,
            )
        )
        return RenderedDraft(
            rendered.pdf,
            Place(rendered.number_box.page, rendered.number_box.box) if rendered.number_box else None,
            Place(rendered.date_box.page, rendered.date_box.box),
            Place(rendered.signature_box.page, rendered.signature_box.box),
        )

    def add_routing_sheet(
        self, pdf: bytes, *, agency_name: str, subject: str, number_text: str, thai_numerals: bool
    ) -> tuple[bytes, list[Place]]:
        from renderers.saraban import render_routing_sheet
        from signing import saraban

        sheet = render_routing_sheet(agency_name, subject, number_text, thai_numerals)
        first = page_count(pdf)
        appended = saraban.append_page(pdf, sheet.pdf)
        return appended, [Place(first + slot.page, slot.box) for slot in sheet.slots]

    def stamp_text(self, pdf: bytes, place: Place, lines: Sequence[str]) -> bytes:
        from signing import saraban

        return saraban.stamp_text(pdf, page=place.page, box=place.box, lines=lines)

    def _key_and_options(
        self, tenant: str, role: str, own_keys: Sequence[Any], level: str
    ) -> tuple[Any, Any]:
        """Raises SignerConfigError when the tenant has no usable key (a missing PKI included)."""
        from signing.errors import PkiError, SignerConfigError
        from signing.services import load_profile

        try:
            profile = load_profile(self.data_dir, tenant, self.environ, own_keys)
        except PkiError as error:
            raise SignerConfigError(f"{tenant}: no signing keys ({error})") from None
        return profile.key_for(role), profile.options(level, certify=False)  # type: ignore[arg-type]

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
        from signing import saraban

        key, options = self._key_and_options(tenant, role, own_keys, level)
        signed = saraban.sign_step(
            pdf,
            key=key,
            options=options,
            page=place.page,
            box=place.box,
            lines=stamp.lines,
            signer_name=stamp.signer_name,
            position=stamp.position,
            field_name=field_name,
        )
        return signed, options.level

    def typed_name(self, pdf: bytes, *, place: Place, stamp: Stamp) -> bytes:
        from signing import saraban

        return saraban.typed_name_step(
            pdf,
            page=place.page,
            box=place.box,
            lines=stamp.lines,
            signer_name=stamp.signer_name,
            position=stamp.position,
            at=stamp.at,
        )

    def watermark(self, pdf: bytes, text: str) -> bytes:
        from signing import saraban

        return saraban.watermark(pdf, text=text)

    def render_register(
        self,
        book: str,
        year: int,
        agency_name: str,
        rows: Sequence[Sequence[str]],
        *,
        thai_numerals: bool = False,
    ) -> bytes:
        from renderers.saraban import render_register

        return render_register(book, year, agency_name, rows, thai_numerals=thai_numerals)

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
        from renderers.saraban import CommitteeMember, DestructionListDocument, render_destruction_list

        rendered = render_destruction_list(
            DestructionListDocument(
                agency_name=agency_name,
                be_year=year,
                reference=reference,
                rows=tuple(tuple(row) for row in rows),
                committee=tuple(CommitteeMember(s.name, s.position, s.role) for s in committee),
                thai_numerals=thai_numerals,
            )
        )
        return RenderedList(
            rendered.pdf,
            tuple(Place(b.page, b.box) for b in rendered.signature_boxes),
        )

    def render_handover_list(
        self, *, agency_name: str, year: int, rows: Sequence[Sequence[str]], thai_numerals: bool
    ) -> bytes:
        from renderers.saraban import render_handover_list

        return render_handover_list(agency_name, year, rows, thai_numerals=thai_numerals)
