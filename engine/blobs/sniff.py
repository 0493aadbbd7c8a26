"""What an uploaded file really is, judged by its first bytes, and whether a service takes it.

We trust the content, never the name: a PDF called ``plan.jpg`` is a PDF and is accepted
where PDFs are, a program renamed ``plan.pdf`` is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.blobs.store import BlobError

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
HEIC = "image/heic"
AVIF = "image/avif"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc"})
# How a type is named to citizens ("The file must be a PDF, JPG or PNG").
_LABELS = {PDF: "PDF", JPEG: "JPG", PNG: "PNG", WEBP: "WEBP", HEIC: "HEIC", AVIF: "AVIF"}
_MIB = 1024 * 1024


class UploadRejected(BlobError):
    """An uploaded file the service does not take; the messages are for the citizen.

    ``reason_code`` is one of :attr:`EMPTY`, :attr:`TOO_LARGE`, :attr:`TYPE_NOT_ACCEPTED`,
    :attr:`TOO_MANY_PIXELS`, :attr:`DAMAGED` and :attr:`TOO_MANY_UPLOADS`.
    """

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    TYPE_NOT_ACCEPTED = "type_not_accepted"
    TOO_MANY_PIXELS = "too_many_pixels"
    DAMAGED = "damaged"
    TOO_MANY_UPLOADS = "too_many_uploads"

    def __init__(self, reason_code: str, message_th: str, message_en: str, *, filename: str | None = None):
        self.reason_code = reason_code
        self.message_th = message_th
        self.message_en = message_en
        self.filename = filename
        super().__init__(f"upload {filename!r} rejected ({reason_code}): {message_en}")

    def message(self, language: str) -> str:
        """The message in ``language`` (``"en"``; anything else gives Thai)."""
        return self.message_en if language == "en" else self.message_th


def _isobmff_type(data: bytes) -> str | None:
    """HEIC (or AVIF) from the ``ftyp`` box of an ISO base media file, else ``None``."""
    if len(data) < 12 or data[4:8] != b"ftyp":
        return None
    major = data[8:12]
    if major in _HEIC_BRANDS:
        return HEIC
    if major != b"mif1":
        return None
    # 'mif1' is the generic HEIF brand: AVIF files use it too, and say so among the
    # compatible brands that follow the major brand and its minor version.
    box_size = int.from_bytes(data[0:4], "big")
    end = min(len(data), box_size if box_size >= 16 else 16)
    compatible = {data[i : i + 4] for i in range(16, end - 3, 4)}
    if b"avif" in compatible and not compatible & _HEIC_BRANDS:
        return AVIF
    return HEIC


def sniff_content_type(data: bytes) -> str | None:
    """The content type the bytes announce, or ``None`` when they are none we know.

    Recognised: PDF (``%PDF-``), JPEG (``FF D8 FF``), PNG (its 8-byte signature), WEBP
    (``RIFF`` .... ``WEBP``) and HEIC/HEIF (``ftyp`` + ``heic``, ``heix``, ``hevc`` or
    ``mif1`` at offset 4; a ``mif1`` file that declares itself AVIF is ``image/avif``).
    Never raises.
    """
    head = bytes(data[:64])
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(_PNG_SIGNATURE):
        return PNG
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    return _isobmff_type(head)


def _size_text(max_bytes: int) -> str:
    """``10 MB``, ``2.5 MB``, ``512 KB`` (1 MB = 1024 × 1024 bytes, as phones count)."""
    value, unit = (max_bytes / _MIB, "MB") if max_bytes >= _MIB else (max_bytes / 1024, "KB")
    number = f"{value:.1f}".removesuffix(".0")
    return f"{number} {unit}"


def _alternatives(labels: Sequence[str], word_or: str) -> str:
    if len(labels) == 1:
        return labels[0]
    return f"{', '.join(labels[:-1])} {word_or} {labels[-1]}"


def check_upload(data: bytes, filename: str, accept: Sequence[str], max_bytes: int) -> str:
    """The content type of an upload the service accepts, judged by content, not by name.

    ``accept`` lists content types (``application/pdf``, ``image/jpeg``, ...), ``max_bytes``
    is the largest size allowed. ``filename`` is only carried on the error for the caller.

    Raises :class:`UploadRejected` with reason ``empty`` (no bytes), ``too_large`` (more than
    ``max_bytes``; the message gives the limit in MB) or ``type_not_accepted`` (the content is
    not one of ``accept``, whatever the file's extension says), ``too_many_pixels`` (an image
    whose header declares more pixels than any photo or scan needs: a decompression bomb) or
    ``damaged`` (an image header cut short), and :class:`ValueError` when
    ``accept`` is empty or ``max_bytes`` is not positive (a mistake of the caller).
    """
    if not accept:
        raise ValueError("accept must name at least one content type")
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be positive, not {max_bytes}")
    if not data:
        raise UploadRejected(
            UploadRejected.EMPTY,
            "ไฟล์นี้ว่างเปล่า กรุณาเลือกไฟล์อื่น",
            "The file is empty. Please choose another file.",
            filename=filename,
        )
    if len(data) > max_bytes:
        limit = _size_text(max_bytes)
        raise UploadRejected(
            UploadRejected.TOO_LARGE,
            f"ไฟล์ต้องมีขนาดไม่เกิน {limit}",
            f"The file must be smaller than {limit}",
            filename=filename,
        )
    content_type = sniff_content_type(data)
    if content_type is None or content_type not in accept:
        labels = list(dict.fromkeys(_LABELS.get(t, t.rsplit("/", 1)[-1].upper()) for t in accept))
        raise UploadRejected(
            UploadRejected.TYPE_NOT_ACCEPTED,
            f"ไฟล์ต้องเป็น {_alternatives(labels, 'หรือ')}",
            f"The file must be a {_alternatives(labels, 'or')}",
            filename=filename,
        )
    _check_dimensions(data, content_type, filename)
    return content_type


def _check_dimensions(data: bytes, content_type: str, filename: str) -> None:
    from engine.blobs.images import MAX_PIXELS, DamagedImage, declared_dimensions

    try:
        dimensions = declared_dimensions(data, content_type)
    except DamagedImage:
        raise UploadRejected(
            UploadRejected.DAMAGED,
            "ไฟล์ภาพนี้เสียหายหรือไม่สมบูรณ์ กรุณาถ่ายภาพหรือสแกนใหม่แล้วแนบอีกครั้ง",
            "This image is damaged or incomplete. Please take or scan it again and attach it.",
            filename=filename,
        ) from None
    if dimensions is not None and dimensions.absurd:
        megapixels = MAX_PIXELS // 1_000_000
        raise UploadRejected(
            UploadRejected.TOO_MANY_PIXELS,
            f"ภาพนี้มีขนาด {dimensions.width:,} × {dimensions.height:,} จุด ซึ่งใหญ่เกินไป "
            f"ภาพต้องมีไม่เกิน {megapixels} ล้านจุด กรุณาย่อภาพแล้วแนบอีกครั้ง",
            f"This image is {dimensions.width:,} × {dimensions.height:,} pixels, which is too large; "
            f"images must have at most {megapixels} million pixels. Please resize it and attach it again.",
            filename=filename,
        )
