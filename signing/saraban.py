"""Stamps and signature steps on official letters (e-Saraban): receive stamp, endorsements, watermark.

Every function takes the bytes of a PDF and returns them with one more *incremental update*
appended: the input is a byte-for-byte prefix of the output, so the SHA-256 of what arrived
stays provable and every signature already in the file keeps its signed byte range.

- :func:`stamp_receive`: the receive stamp (ตรารับหนังสือ, ข้อ 38.2) at the top-right corner of
  page 1: agency, เลขรับ, วันที่ (Buddhist Era), เวลา (Bangkok time).
- :func:`stamp_text`: lines printed into a box, e.g. the send number and date written into a
  draft right before its final signature (which then covers them).
- :func:`append_page`: an endorsement sheet (page 1 of another PDF) added at the end.
- :func:`sign_step` / :func:`async_sign_step`: one เกษียน/สั่งการ step, a new visible PAdES
  approval signature (never a certification, so more steps can follow) whose appearance
  shows the endorsement text, the officer's name, position and the date and time.
- :func:`typed_name_step`: the same appearance without a cryptographic signature, marked
  "(ลงชื่อโดยการพิมพ์ชื่อ)" (the typed-name signature ระเบียบฯ ฉบับที่ 4 allows inside an
  authenticated system).
- :func:`watermark`: the viewer's name and time diagonally across every page of a classified
  letter's download.
- :func:`image_to_pdf`: a scanned or photographed paper letter (JPEG/PNG) as a one-page A4 PDF.

Stamps are PDF annotations with their own appearance (a /Stamp, or a /Watermark), not edits
of the page's content stream: after an approval signature, viewers such as Acrobat accept
added annotations but report changed page content as an alteration. pyHanko's difference
analysis is stricter and calls any added annotation (or page) a change it cannot explain, and
a certification with DocMDP P=1 or P=2 forbids them; ``pdfsig`` (poppler) checks the signed
byte ranges only and keeps saying "Signature is Valid." with "Not total document signed".

Text is drawn in Sarabun shaped by HarfBuzz (vowels and tone marks stacked correctly), wrapped
at Thai word boundaries (PyThaiNLP's dictionary segmentation). Stamps on a page with /Rotate
are turned with the page, so they read upright in a viewer.

Page numbers are zero-based (0 is the first page) and boxes are ``(x1, y1, x2, y2)`` in PDF
points from the bottom-left corner of the unrotated page, as in :mod:`signing.signer`.
The synchronous functions are for worker threads; :func:`sign_step` runs its own event loop
(call :func:`async_sign_step` on a loop), the others do no I/O.
"""

from __future__ import annotations

import asyncio
import logging
import math
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

import uharfbuzz as hb
from PIL import Image, ImageOps, UnidentifiedImageError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.generic import pdf_date, pdf_name
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter, PageObject, PdfFileWriter
from pyhanko.stamp import BaseStamp, BaseStampStyle

from engine.thaidate import format_date, thai_digits
from signing.errors import (
    EncryptedPdf,
    EventLoopRunning,
    FieldExists,
    StampError,
    UnreadableImage,
    UnreadablePdf,
)
from signing.signer import BANGKOK, DEFAULT_FONT, Box, Signatory, SigningKey, SigningOptions, async_sign_pdf
from signing.signer import _int_box as int_box

log = logging.getLogger(__name__)

Align = Literal["left", "center"]
RGB = tuple[float, float, float]

# Text never shrinks below this (points): smaller print stops being legible on paper.
MIN_FONT_SIZE = 7.0
# Line geometry in ems, for Sarabun: Thai stacks a vowel and a tone mark above the letters
# and vowels below them, so lines need more room than Latin text.
LEADING = 1.32
ASCENT = 1.02
DESCENT = 0.34
ELLIPSIS = "…"
# Ink colours: a receive stamp in stamp-pad blue; endorsements in dark blue like the
# signature stamps of signing.signer; the watermark in light grey.
STAMP_INK: RGB = (0.05, 0.2, 0.6)
ENDORSEMENT_INK: RGB = (0.1, 0.2, 0.45)
BLACK: RGB = (0.0, 0.0, 0.0)
WATERMARK_GREY: RGB = (0.55, 0.55, 0.55)
WATERMARK_OPACITY = 0.35
# The receive stamp: distance from the page corner, font size, narrowest and widest box.
RECEIVE_MARGIN = 18.0
RECEIVE_SIZE = 12.0
RECEIVE_MIN_WIDTH = 150.0
RECEIVE_MAX_SHARE = 0.45
SIGNED_MARK = "ลงลายมือชื่ออิเล็กทรอนิกส์"
TYPED_MARK = "(ลงชื่อโดยการพิมพ์ชื่อ)"
# Annotation flags (ISO 32000-1, 12.5.3): printed, and neither movable nor editable in a viewer.
PRINT, LOCKED, LOCKED_CONTENTS = 4, 128, 512
A4 = (595.28, 841.89)


# --- the public functions ---------------------------------------------------------------------


def stamp_receive(
    pdf: bytes,
    *,
    agency_name: str,
    number: str,
    received_at: datetime,
    thai_numerals: bool = False,
) -> bytes:
    """The receive stamp (ตรารับหนังสือ) at the top-right corner of page 1, as an incremental update.

    A bordered box, a little in from the corner of the visible page (its CropBox, as the page
    is shown when /Rotate turns it), with the agency name, "เลขรับ <number>", "วันที่ <date,
    Buddhist Era>" and "เวลา <HH.MM> น." in Bangkok time (a naive ``received_at`` is taken as
    Bangkok time). The box grows with the text up to 45% of the page width; a longer agency
    name wraps. ``thai_numerals`` writes the digits as ๐–๙.

    Raises UnreadablePdf (not a PDF, damaged, no page), EncryptedPdf, or StampError.
    """
    moment = _bangkok(received_at)
    when = f"เวลา {moment:%H.%M} น."
    day = f"วันที่ {format_date(moment.date(), 'th')}"
    receipt = f"เลขรับ {number}"
    if thai_numerals:
        receipt, day, when = thai_digits(receipt), thai_digits(day), thai_digits(when)
    paragraphs = (
        _Para(agency_name, "center"),
        _Para(receipt, keep=True),
        _Para(day, keep=True),
        _Para(when, keep=True),
    )
    style = _BlockStyle(
        paragraphs=paragraphs,
        size=RECEIVE_SIZE,
        padding=5.0,
        text_color=STAMP_INK,
        border_width=1,
        border_color=STAMP_INK,
    )
    text = "\n".join(p.text for p in paragraphs)

    def add(writer: IncrementalPdfFileWriter) -> None:
        page_ref = _page_ref(writer, 0)
        page = _PageGeometry.of(page_ref.get_object())
        measure = _measurer(style.font_path)
        widest = max(measure(p.text, style.size) for p in paragraphs) + 2 * style.padding + 2
        width = min(max(widest, RECEIVE_MIN_WIDTH), page.width * RECEIVE_MAX_SHARE)
        lines, _size, _cut = _layout(paragraphs, width, math.inf, style)
        height = _block_height(len(lines), style.size) + 2 * style.padding
        rect = page.visual_corner_box(width, height, RECEIVE_MARGIN)
        _annotate(writer, page_ref, page, rect, style, subtype="/Stamp", contents=text)

    return _update(pdf, add)


def stamp_retention(pdf: bytes, *, text: str) -> bytes:
    """The retention mark (ตรากำหนดเก็บหนังสือ, ข้อ 55.1) at the bottom-right corner of page 1, as an
    incremental update: "เก็บถึง พ.ศ. …" or "ห้ามทำลาย", in the stamp's blue ink, smaller than 24 pt.

    Raises UnreadablePdf, EncryptedPdf, or StampError.
    """
    paragraphs = (_Para(text, "center", keep=True),)
    style = _BlockStyle(
        paragraphs=paragraphs, size=RECEIVE_SIZE + 2, padding=4.0, text_color=STAMP_INK,
        border_width=1, border_color=STAMP_INK,
    )  # fmt: skip

    def add(writer: IncrementalPdfFileWriter) -> None:
        page_ref = _page_ref(writer, 0)
        page = _PageGeometry.of(page_ref.get_object())
        width = _measurer(style.font_path)(text, style.size) + 2 * style.padding + 4
        height = _block_height(1, style.size) + 2 * style.padding
        rect = page.visual_corner_box(width, height, RECEIVE_MARGIN, bottom=True)
        _annotate(writer, page_ref, page, rect, style, subtype="/Stamp", contents=text)

    return _update(pdf, add)


def stamp_text(
    pdf: bytes,
    *,
    page: int,
    box: Box,
    lines: Sequence[str],
    size: float = 14,
) -> bytes:
    """``lines`` printed in black in ``box`` on ``page``, as an incremental update.

    Lines wider than the box wrap at word boundaries; when they do not fit its height the
    font shrinks down to 7 pt, and below that the last line that fits is cut with "…".

    Raises UnreadablePdf, EncryptedPdf, StampError (no such page), SignerConfigError (an
    empty box).
    """
    x1, y1, x2, y2 = int_box(box)
    paragraphs = tuple(_Para(line) for line in lines)
    style = _BlockStyle(paragraphs=paragraphs, size=size, padding=1.0, text_color=BLACK, border_width=0)

    def add(writer: IncrementalPdfFileWriter) -> None:
        page_ref = _page_ref(writer, page)
        geometry = _PageGeometry.of(page_ref.get_object())
        _annotate(
            writer, page_ref, geometry, (x1, y1, x2, y2), style, subtype="/Stamp", contents="\n".join(lines)
        )

    return _update(pdf, add)


def append_page(pdf: bytes, page_pdf: bytes) -> bytes:
    """Page 1 of ``page_pdf`` added after the last page of ``pdf``, as an incremental update.

    The page's content comes in as one form XObject with its fonts and images (its links and
    other annotations do not); its size and /Rotate are kept.

    Raises UnreadablePdf (either file), EncryptedPdf (either file) or StampError.
    """

    source = _reader(page_pdf)

    def add(writer: IncrementalPdfFileWriter) -> None:
        source_ref, _resources = source.find_page_for_modification(0)
        geometry = _PageGeometry.of(source_ref.get_object())
        xobject = writer.import_page_as_xobject(source, 0)
        x1, y1, x2, y2 = geometry.media
        page = PageObject(
            contents=writer.add_object(generic.StreamObject(stream_data=b"q /Sheet Do Q")),
            media_box=generic.ArrayObject([generic.FloatObject(v) for v in (x1, y1, x2, y2)]),
            resources=generic.DictionaryObject(
                {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Sheet"): xobject})}
            ),
        )
        if geometry.crop != geometry.media:
            page[pdf_name("/CropBox")] = generic.ArrayObject([generic.FloatObject(v) for v in geometry.crop])
        if geometry.rotation:
            page[pdf_name("/Rotate")] = generic.NumberObject(geometry.rotation)
        writer.insert_page(page)

    return _update(pdf, add)


def sign_step(
    pdf: bytes,
    *,
    key: SigningKey,
    options: SigningOptions,
    page: int,
    box: Box,
    lines: Sequence[str],
    signer_name: str,
    position: str,
    field_name: str,
    size: float = 12,
) -> bytes:
    """One endorsement or signature step, signed; see :func:`async_sign_step`.

    Raises EventLoopRunning on a thread that runs an event loop, and what
    :func:`async_sign_step` raises.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(
            async_sign_step(
                pdf,
                key=key,
                options=options,
                page=page,
                box=box,
                lines=lines,
                signer_name=signer_name,
                position=position,
                field_name=field_name,
                size=size,
            )
        )
    raise EventLoopRunning("sign_step called on a thread with a running event loop; await async_sign_step")


async def async_sign_step(
    pdf: bytes,
    *,
    key: SigningKey,
    options: SigningOptions,
    page: int,
    box: Box,
    lines: Sequence[str],
    signer_name: str,
    position: str,
    field_name: str,
    size: float = 12,
) -> bytes:
    """A new signature field ``field_name`` at ``box`` on ``page``, signed as its own revision.

    The appearance shows ``lines`` (e.g. "เรียน ปลัดเทศบาล", "เพื่อโปรดพิจารณา", free text),
    then "ลงลายมือชื่ออิเล็กทรอนิกส์", "(<signer_name>)", ``position`` and the date (Buddhist
    Era) and time in Bangkok when the step was made (the RFC 3161 timestamp in the signature
    is the authoritative time). Text wraps at Thai word boundaries; when it does not fit the
    box, the font shrinks from ``size`` down to 7 pt, and then the endorsement text is cut
    with "…" (the name, position and time are kept whole as far as the box allows).

    The signature is PAdES (``options.level``: B-T, or B-LT with B-T fallback per
    ``options.fallback_to_bt``), timestamped by ``options.tsa_url`` and always an approval
    signature, never a certification, so later steps can add their own fields.

    Raises FieldExists (``field_name`` already used), UnreadablePdf, EncryptedPdf, StampError
    (no such page), and what :func:`signing.signer.async_sign_pdf` raises: SignerConfigError,
    SignerNotTrusted, TimestampUnavailable, RevocationInfoUnavailable, SigningError (e.g. a
    certification that forbids any change).
    """
    reader = _reader(pdf)
    _check_page(reader, page)
    if field_name in _field_names(reader):
        raise FieldExists(f"the document already has a form field named {field_name!r}")
    int_box(box)
    style = _endorsement_style(
        lines,
        signer_name,
        position,
        datetime.now(BANGKOK),
        mark=SIGNED_MARK,
        size=size,
        font_path=options.font_path,
        thai_numerals=options.thai_numerals,
    )
    signatory = Signatory(
        key, signer_name, position, box, page=page, field_name=field_name, stamp_style=style
    )
    signed = await async_sign_pdf(pdf, [signatory], replace(options, certify=False))
    return signed.data


def typed_name_step(
    pdf: bytes,
    *,
    page: int,
    box: Box,
    lines: Sequence[str],
    signer_name: str,
    position: str,
    at: datetime,
    size: float = 12,
    thai_numerals: bool = False,
) -> bytes:
    """The appearance of :func:`sign_step` marked "(ลงชื่อโดยการพิมพ์ชื่อ)", with no signature.

    The typed-name alternative of ระเบียบฯ ฉบับที่ 4 inside an authenticated system: an
    incremental update with a stamp at ``box`` on ``page`` showing ``lines``, the mark,
    "(<signer_name>)", ``position`` and ``at`` (Buddhist Era, Bangkok time; naive = Bangkok).
    Wrapping, shrinking and cutting as in :func:`async_sign_step`.

    Raises UnreadablePdf, EncryptedPdf, StampError (no such page), SignerConfigError (an
    empty box).
    """
    x1, y1, x2, y2 = int_box(box)
    style = _endorsement_style(
        lines, signer_name, position, _bangkok(at), mark=TYPED_MARK, size=size, thai_numerals=thai_numerals
    )
    contents = "\n".join(p.text for p in style.paragraphs)

    def add(writer: IncrementalPdfFileWriter) -> None:
        page_ref = _page_ref(writer, page)
        geometry = _PageGeometry.of(page_ref.get_object())
        _annotate(writer, page_ref, geometry, (x1, y1, x2, y2), style, subtype="/Stamp", contents=contents)

    return _update(pdf, add)


def watermark(pdf: bytes, *, text: str) -> bytes:
    """``text`` (e.g. the viewer's name and the time) in light grey across every page.

    One /Watermark annotation per page, from corner to corner of the visible page as it is
    shown, translucent so the letter stays readable; lines of ``text`` stay lines, long ones
    wrap. An incremental update; pages of the same size share one appearance.

    Raises UnreadablePdf, EncryptedPdf or StampError.
    """
    paragraphs = tuple(_Para(line, "center") for line in text.splitlines() if line.strip())
    if not paragraphs:
        raise StampError("the watermark text is empty")

    def add(writer: IncrementalPdfFileWriter) -> None:
        shared: dict[tuple[float, float, int], generic.IndirectObject] = {}
        for index in range(_page_count(writer)):
            page_ref = _page_ref(writer, index)
            geometry = _PageGeometry.of(page_ref.get_object())
            width, height = geometry.visual_size
            diagonal = math.hypot(width, height)
            style = _BlockStyle(
                paragraphs=paragraphs,
                size=max(MIN_FONT_SIZE, min(44.0, diagonal / 22)),
                padding=0.0,
                text_color=WATERMARK_GREY,
                border_width=0,
                angle=math.degrees(math.atan2(height, width)),
                opacity=WATERMARK_OPACITY,
                # The text runs along the diagonal, in a band a third of the page high.
                frame=(diagonal * 0.8, min(width, height) / 3),
            )
            _annotate(
                writer,
                page_ref,
                geometry,
                geometry.crop,
                style,
                subtype="/Watermark",
                contents=text,
                shared=shared,
            )

    return _update(pdf, add)


def image_to_pdf(data: bytes) -> bytes:
    """A scanned or photographed page (JPEG, PNG, or anything Pillow reads) as a one-page A4 PDF.

    The image is turned upright per its EXIF orientation and fitted, centred, to an A4 page
    (portrait, or landscape for a landscape image). An upright baseline RGB or greyscale JPEG
    goes in as it is (no loss); other images go in losslessly (Flate), photos re-encoded as
    JPEG. Transparency is flattened onto white paper; a multi-page TIFF gives its first page.

    Raises UnreadableImage.
    """

    try:
        image = Image.open(BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise UnreadableImage(f"the scan cannot be read as an image ({error})") from None
    orientation = image.getexif().get(0x0112, 1)
    if image.format == "JPEG" and orientation == 1 and image.mode in ("RGB", "L"):
        return _image_page(image.width, image.height, _jpeg_xobject(data, image.mode))
    upright = ImageOps.exif_transpose(image) or image
    flat = _flatten(upright)
    if image.format == "JPEG":
        out = BytesIO()
        flat.save(out, "JPEG", quality=90)
        return _image_page(flat.width, flat.height, _jpeg_xobject(out.getvalue(), flat.mode))
    return _image_page(flat.width, flat.height, flat)


# --- opening, checking and writing a revision --------------------------------------------------


def _reader(pdf: bytes) -> PdfFileReader:
    """A reader over ``pdf``; raises UnreadablePdf, or EncryptedPdf for an encrypted file."""

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=True)
        encrypted = reader.encrypted
        count = int(reader.root["/Pages"]["/Count"])
    except _READ_ERRORS as error:
        raise UnreadablePdf(f"the file is not a readable PDF ({error})") from error
    if encrypted:
        raise EncryptedPdf("the PDF is encrypted: ask the sender for an unprotected copy")
    if count < 1:
        raise UnreadablePdf("the PDF has no pages")
    return reader


def _update(pdf: bytes, add: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    """``pdf`` with one incremental update holding what ``add`` does to a writer over it."""

    reader = _reader(pdf)
    try:
        writer = IncrementalPdfFileWriter.from_reader(reader)
        add(writer)
        out = BytesIO()
        writer.write(out)
    except StampError:
        raise
    except _READ_ERRORS as error:
        raise UnreadablePdf(f"the PDF cannot be extended ({error})") from error
    result = out.getvalue()
    # The whole point of an incremental update: what came in is still there, byte for byte.
    if not result.startswith(pdf):
        raise StampError("the update did not keep the original bytes")
    return result


# Damaged files surface as pyHanko's errors, or as lookups in objects of the wrong shape.
_READ_ERRORS = (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError)


def _page_count(handler: Any) -> int:
    return int(handler.root["/Pages"]["/Count"])


def _check_page(handler: Any, page: int) -> None:
    count = _page_count(handler)
    if not 0 <= page < count:
        raise StampError(f"the document has no page {page} (pages 0 to {count - 1})")


def _page_ref(writer: IncrementalPdfFileWriter, page: int) -> generic.IndirectObject:
    _check_page(writer, page)
    page_ref, _resources = writer.find_page_for_modification(page)
    return page_ref


def _field_names(reader: PdfFileReader) -> set[str]:
    """The fully qualified names of every form field (a new signature field must not clash)."""
    names: set[str] = set()
    try:
        form = reader.root["/AcroForm"]
    except KeyError:
        return names
    pending = [(field, "") for field in form.get("/Fields", ())]
    while pending:
        node, prefix = pending.pop()
        node = node.get_object()
        partial = node.get("/T")
        name = f"{prefix}.{partial}" if prefix and partial is not None else str(partial or prefix)
        if partial is not None:
            names.add(name)
        pending.extend((kid, name) for kid in node.get("/Kids", ()))
    return names


def _bangkok(moment: datetime) -> datetime:
    return moment.replace(tzinfo=BANGKOK) if moment.tzinfo is None else moment.astimezone(BANGKOK)


# --- page geometry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PageGeometry:
    """Where a page is shown: its boxes in user space and its /Rotate (0, 90, 180, 270)."""

    media: Box
    crop: Box
    rotation: int

    @classmethod
    def of(cls, page: Any) -> _PageGeometry:
        media = _normalised(_inherited(page, "/MediaBox") or (0, 0, *A4))
        crop = _normalised(_inherited(page, "/CropBox") or media)
        # A CropBox reaching outside the MediaBox is clipped to it (ISO 32000-1, 14.11.2).
        crop = (
            max(crop[0], media[0]),
            max(crop[1], media[1]),
            min(crop[2], media[2]),
            min(crop[3], media[3]),
        )
        if crop[2] <= crop[0] or crop[3] <= crop[1]:
            crop = media
        rotate = int(_inherited(page, "/Rotate") or 0)
        # Only multiples of 90 are valid; anything else is shown unrotated by viewers.
        return cls(media, crop, rotate % 360 if rotate % 90 == 0 else 0)

    @property
    def width(self) -> float:
        return self.visual_size[0]

    @property
    def visual_size(self) -> tuple[float, float]:
        """Width and height of the visible page as a viewer shows it."""
        x1, y1, x2, y2 = self.crop
        return (x2 - x1, y2 - y1) if self.rotation in (0, 180) else (y2 - y1, x2 - x1)

    def to_user(self, u: float, v: float) -> tuple[float, float]:
        """A point of the shown page (from its bottom-left corner) in the page's user space."""
        x1, y1, x2, y2 = self.crop
        width, height = x2 - x1, y2 - y1
        # The viewer turns the page clockwise by /Rotate; undo that.
        p, q = {
            0: (u, v),
            90: (width - v, u),
            180: (width - u, height - v),
            270: (v, height - u),
        }[self.rotation]
        return x1 + p, y1 + q

    def visual_corner_box(self, width: float, height: float, margin: float, *, bottom: bool = False) -> Box:
        """The user-space rectangle of a ``width`` x ``height`` box at the shown top-right corner
        (``bottom``: the bottom-right one)."""
        shown_width, shown_height = self.visual_size
        u2 = shown_width - margin
        v2 = margin + height if bottom else shown_height - margin
        corners = [self.to_user(u, v) for u in (u2 - width, u2) for v in (v2 - height, v2)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))

    def matrix(self) -> list[float]:
        """The appearance matrix that turns upright text against the page's rotation."""
        angle = math.radians(self.rotation)
        cos, sin = round(math.cos(angle)), round(math.sin(angle))
        return [cos, sin, -sin, cos, 0, 0]


def _inherited(page: Any, key: str) -> Any:
    """A page attribute, looked up the page tree as ISO 32000-1 (7.7.3.4) lets pages inherit them."""
    node = page
    for _depth in range(64):  # a page tree deeper than this is a loop
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node["/Parent"]  # indexing resolves the reference
    return None


def _normalised(box: Any) -> Box:
    x1, y1, x2, y2 = (float(v) for v in box)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


# --- text: measuring, wrapping, fitting ----------------------------------------------------------


@dataclass(frozen=True)
class _Para:
    """A paragraph of a stamp; ``keep`` ones (name, position, time) are cut last."""

    text: str
    align: Align = "left"
    keep: bool = False


@dataclass(frozen=True)
class _Line:
    text: str
    align: Align


@lru_cache(maxsize=4)
def _hb_font(path: str) -> tuple[Any, int]:

    face = hb.Face(hb.Blob.from_file_path(path))
    return hb.Font(face), face.upem


def _measurer(font_path: Path) -> Callable[[str, float], float]:
    """Width in points of a line at a size, shaped the way pyHanko's font engine shapes it."""

    font, upem = _hb_font(str(font_path))

    def measure(text: str, size: float) -> float:
        if not text:
            return 0.0
        buffer = hb.Buffer()
        buffer.add_str(text)
        buffer.set_script_from_ot_tag("thai")
        buffer.set_language_from_ot_tag("THA ")
        buffer.guess_segment_properties()
        hb.shape(font, buffer, {})
        return sum(p.x_advance for p in buffer.glyph_positions) / upem * size

    return measure


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from pythainlp.tokenize import Tokenizer

    # Thai is written without spaces between words: break lines at dictionary word ends.
    return Tokenizer(engine="newmm")


# Thai vowels written after or above/below a consonant never begin a line; those written
# before it (เ แ โ ใ ไ) never end one.
_FOLLOWING = frozenset("\u0e30\u0e32\u0e33\u0e45")
_PRECEDING = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44")


def _clusters(word: str) -> list[str]:
    """``word`` in pieces that may be split between lines (a letter with its marks)."""
    pieces: list[str] = []
    for char in word:
        joins = unicodedata.category(char) == "Mn" or char in _FOLLOWING
        if pieces and (joins or pieces[-1][-1] in _PRECEDING):
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


def _wrap(text: str, width: float, fits: Callable[[str], bool]) -> list[str]:
    """``text`` in lines that fit ``width``; a word wider than a line is split between letters."""
    pieces: list[str] = []
    for token in _tokenizer().word_tokenize(text):
        if fits(token.strip()):
            pieces.append(token)
        else:
            pieces.extend(_clusters(token))
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if not current.strip() and not piece.strip():
            continue
        trial = current + piece
        if not current or fits(trial.rstrip()):
            current = trial
        else:
            lines.append(current.rstrip())
            current = piece.lstrip()
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def _block_height(lines: int, size: float) -> float:
    return 0.0 if lines == 0 else size * (ASCENT + DESCENT) + (lines - 1) * size * LEADING


def _layout(
    paragraphs: Sequence[_Para], width: float, height: float, style: _BlockStyle
) -> tuple[list[_Line], float, bool]:
    """The lines of ``paragraphs`` in a ``width`` x ``height`` box, the font size, and whether
    text had to be cut: the size shrinks to :data:`MIN_FONT_SIZE`, then lines are dropped
    (those not ``keep`` first) and the last shown one of them ends with "…"."""
    measure = _measurer(style.font_path)
    inner_width = max(width - 2 * style.padding, 1.0)
    inner_height = height - 2 * style.padding
    size = style.size
    while True:

        def fits(text: str, at: float = size) -> bool:
            return measure(text, at) <= inner_width

        wrapped = [(line, para) for para in paragraphs for line in _wrap(para.text, inner_width, fits)]
        if _block_height(len(wrapped), size) <= inner_height:
            return [_Line(text, para.align) for text, para in wrapped], size, False
        if size <= MIN_FONT_SIZE:
            break
        size = max(MIN_FONT_SIZE, size - 0.5)
    room = 0
    while _block_height(room + 1, size) <= inner_height:
        room += 1
    kept = [item for item in wrapped if item[1].keep]
    body = [item for item in wrapped if not item[1].keep]
    if len(kept) >= room:
        shown, cut_at = kept[:room], room - 1
    else:
        shown = body[: room - len(kept)] + kept
        cut_at = room - len(kept) - 1
    lines = [_Line(text, para.align) for text, para in shown]
    if 0 <= cut_at < len(lines):
        lines[cut_at] = _Line(_ellipsis(lines[cut_at].text, inner_width, size, measure), lines[cut_at].align)
    log.warning("stamp text cut to fit its box (%d of %d lines shown)", len(lines), len(wrapped))
    return lines, size, True


def _ellipsis(text: str, width: float, size: float, measure: Callable[[str, float], float]) -> str:
    pieces = _clusters(text)
    while pieces and measure("".join(pieces).rstrip() + ELLIPSIS, size) > width:
        pieces.pop()
    return "".join(pieces).rstrip() + ELLIPSIS


# --- drawing ---------------------------------------------------------------------------------------


def _endorsement_style(
    lines: Sequence[str],
    signer_name: str,
    position: str,
    at: datetime,
    *,
    mark: str,
    size: float,
    font_path: Path = DEFAULT_FONT,
    thai_numerals: bool = False,
) -> _BlockStyle:
    """เกษียน: the endorsement text, then where a pen signature would be, the name, position, time."""
    when = f"{format_date(at.date(), 'th')} เวลา {at:%H.%M} น."
    paragraphs = (
        *(_Para(line) for line in lines),
        _Para(mark, "center", keep=True),
        _Para(f"({signer_name})", "center", keep=True),
        _Para(position, "center", keep=True),
        _Para(thai_digits(when) if thai_numerals else when, "center", keep=True),
    )
    return _BlockStyle(
        paragraphs=paragraphs,
        size=size,
        padding=4.0,
        font_path=font_path,
        text_color=ENDORSEMENT_INK,
        border_width=1,
        border_color=ENDORSEMENT_INK,
    )


@dataclass(frozen=True)
class _BlockStyle(BaseStampStyle):
    """A pyHanko stamp style drawing paragraphs fitted to the box (signature widgets use it too)."""

    paragraphs: tuple[_Para, ...] = ()
    size: float = 12.0
    padding: float = 4.0
    font_path: Path = DEFAULT_FONT
    text_color: RGB = BLACK
    # Watermarks: the text is laid out in ``frame`` (width, height), turned by ``angle``
    # degrees about the centre of the box, and painted at ``opacity``.
    angle: float = 0.0
    opacity: float | None = None
    frame: tuple[float, float] | None = None

    def create_stamp(
        self, writer: BasePdfFileWriter, box: BoxConstraints, text_params: dict[str, Any]
    ) -> _BlockStamp:
        return _BlockStamp(writer, self, box)


class _BlockStamp(BaseStamp):
    style: _BlockStyle

    def _render_inner_content(self) -> list[bytes]:
        style = self.style
        width, height = style.frame or (self.box.width, self.box.height)
        lines, size, _cut = _layout(style.paragraphs, width, height, style)
        engine = GlyphAccumulatorFactory(
            str(style.font_path),
            font_size=round(size),
            ot_script_tag="thai",
            ot_language_tag="THA ",
            bcp47_lang_code="th",
        ).create_font_engine(self._ensure_writer)
        # The shaper's glyph offsets must use the size the text is set in (it may be fractional).
        engine.font_size = size  # type: ignore[assignment]
        self.set_resource(ResourceType.FONT, pdf_name("/F1"), engine.as_resource())
        ops = [b"q"]
        if style.opacity is not None:
            alpha = generic.FloatObject(style.opacity)
            self.set_resource(
                ResourceType.EXT_G_STATE,
                pdf_name("/Faint"),
                generic.DictionaryObject({pdf_name("/ca"): alpha, pdf_name("/CA"): alpha}),
            )
            ops.append(b"/Faint gs")
        if style.frame is not None:
            turn = math.radians(style.angle)
            cos, sin = math.cos(turn), math.sin(turn)
            ops.append(b"1 0 0 1 %g %g cm" % (self.box.width / 2, self.box.height / 2))
            ops.append(b"%g %g %g %g 0 0 cm" % (cos, sin, -sin, cos))
            ops.append(b"1 0 0 1 %g %g cm" % (-width / 2, -height / 2))
        ops.append(b"%g %g %g rg" % style.text_color)
        inner_height = height - 2 * style.padding
        top = style.padding + (inner_height + _block_height(len(lines), size)) / 2
        for index, line in enumerate(lines):
            shaped = engine.shape(line.text)
            advance = shaped.x_advance * size
            x = style.padding if line.align == "left" else (width - advance) / 2
            y = top - ASCENT * size - index * LEADING * size
            ops.append(b"BT /F1 %g Tf 1 0 0 1 %g %g Tm %s ET" % (size, x, y, shaped.graphics_ops))
        ops.append(b"Q")
        return ops


def _annotate(
    writer: IncrementalPdfFileWriter,
    page_ref: generic.IndirectObject,
    page: _PageGeometry,
    rect: Box,
    style: Any,
    *,
    subtype: str,
    contents: str,
    shared: dict[tuple[float, float, int], generic.IndirectObject] | None = None,
) -> None:
    """An annotation at ``rect`` (user space) showing ``style``, upright as the page is shown."""

    x1, y1, x2, y2 = rect
    # On a page turned by 90 or 270 degrees the box is shown with its sides swapped.
    width, height = (x2 - x1, y2 - y1) if page.rotation in (0, 180) else (y2 - y1, x2 - x1)
    key = (round(width), round(height), page.rotation)
    appearance = shared.get(key) if shared is not None else None
    if appearance is None:
        stamp = _BlockStamp(writer, style, BoxConstraints(width=width, height=height))
        xobject = stamp.as_form_xobject()
        if page.rotation:
            xobject[pdf_name("/Matrix")] = generic.ArrayObject(generic.NumberObject(v) for v in page.matrix())
        appearance = writer.add_object(xobject)
        if shared is not None:
            shared[key] = appearance
    annotation = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name(subtype),
            pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in rect),
            pdf_name("/F"): generic.NumberObject(PRINT | LOCKED | LOCKED_CONTENTS),
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): appearance}),
            pdf_name("/Contents"): generic.TextStringObject(contents),
            pdf_name("/NM"): generic.TextStringObject(str(uuid.uuid4())),
            pdf_name("/M"): generic.TextStringObject(pdf_date(datetime.now(BANGKOK))),
            pdf_name("/P"): page_ref,
        }
    )
    writer.register_annotation(page_ref, writer.add_object(annotation))


# --- images ------------------------------------------------------------------------------------------


def _flatten(image: Any) -> Any:
    """RGB or greyscale, any transparency composited onto white paper."""

    grey = image.mode in ("1", "L", "LA", "I", "I;16", "F")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, rgba)
    if grey and image.mode in ("I", "I;16", "F"):
        # 16-bit and float scans: scale to 8 bits rather than clip.
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("L" if grey else "RGB")


def _jpeg_xobject(jpeg: bytes, mode: str) -> Any:
    """An image XObject holding JPEG bytes as they are (DCTDecode)."""

    with Image.open(BytesIO(jpeg)) as image:
        width, height = image.size
    return generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Image"),
            pdf_name("/Width"): generic.NumberObject(width),
            pdf_name("/Height"): generic.NumberObject(height),
            pdf_name("/ColorSpace"): pdf_name("/DeviceGray" if mode == "L" else "/DeviceRGB"),
            pdf_name("/BitsPerComponent"): generic.NumberObject(8),
            pdf_name("/Filter"): pdf_name("/DCTDecode"),
        },
        encoded_data=jpeg,
    )


def _image_page(width: int, height: int, image: Any) -> bytes:
    """A one-page A4 PDF showing ``image`` (a JPEG XObject or a Pillow image) fitted and centred."""

    page_width, page_height = A4 if height >= width else (A4[1], A4[0])
    scale = min(page_width / width, page_height / height)
    shown_width, shown_height = width * scale, height * scale
    x, y = (page_width - shown_width) / 2, (page_height - shown_height) / 2
    writer = PdfFileWriter()
    reference = (
        writer.add_object(image) if isinstance(image, generic.StreamObject) else pil_image(image, writer)
    )
    paint = b"q %g 0 0 %g %g %g cm /Scan Do Q" % (shown_width, shown_height, x, y)
    page = PageObject(
        contents=writer.add_object(generic.StreamObject(stream_data=paint)),
        media_box=generic.ArrayObject(generic.FloatObject(v) for v in (0, 0, page_width, page_height)),
        resources=generic.DictionaryObject(
            {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Scan"): reference})}
        ),
    )
    writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
