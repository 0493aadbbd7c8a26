"""Uploads are judged by their content: real PDF, PNG and JPEG bytes pass, programs do not."""

from __future__ import annotations

import struct
import zlib

import pytest

from engine.blobs import UploadRejected, check_upload, sniff_content_type

DOCUMENTS = ["application/pdf", "image/jpeg", "image/png"]
TEN_MB = 10 * 1024 * 1024


def tiny_pdf() -> bytes:
    """A complete one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_png() -> bytes:
    """A 1x1 white RGB PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def tiny_jpeg() -> bytes:
    """A decodable 1x1 grey baseline JFIF: one block whose DC and AC codes are both '0'."""
    one_code_of_length_one = bytes([1] + [0] * 15)
    return (
        b"\xff\xd8"  # SOI
        + _jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")  # APP0
        + _jpeg_segment(0xDB, b"\x00" + bytes([1] * 64))  # DQT
        + _jpeg_segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")  # SOF0: 1x1, 1 component
        + _jpeg_segment(0xC4, b"\x00" + one_code_of_length_one + b"\x00")  # DHT: DC
        + _jpeg_segment(0xC4, b"\x10" + one_code_of_length_one + b"\x00")  # DHT: AC (EOB)
        + _jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")  # SOS
        + b"\x3f"  # DC diff 0, EOB, padded with ones
        + b"\xff\xd9"  # EOI
    )


def tiny_webp() -> bytes:
    body = b"WEBP" + b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00" + b"\x00"
    return b"RIFF" + struct.pack("<I", len(body)) + body


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", len(body) + 4) + body + b"\x00\x00\x00\x08mdat"


# A Windows program: the "MZ" header, the DOS stub, the PE signature.
WINDOWS_EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 52 + b"This program cannot be run in DOS mode.\r\n$PE\x00\x00"
)
LINUX_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (tiny_pdf(), "application/pdf"),
        (tiny_png(), "image/png"),
        (tiny_jpeg(), "image/jpeg"),
        (b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00", "image/jpeg"),  # a camera's EXIF JPEG
        (tiny_webp(), "image/webp"),
        (ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
        (ftyp(b"heix", b"mif1"), "image/heic"),
        (ftyp(b"hevc", b"msf1"), "image/heic"),
        (ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
        (ftyp(b"mif1", b"mif1", b"avif", b"miaf"), "image/avif"),
        (ftyp(b"isom", b"mp41"), None),  # an MP4 video
        (WINDOWS_EXE, None),
        (LINUX_ELF, None),
        (b"<html><body>%PDF-1.7</body></html>", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # a WAV sound, not a WEBP
        (b"%PDF", None),
        (b"", None),
    ],
)
def test_sniff_content_type(data: bytes, expected: str | None) -> None:
    assert sniff_content_type(data) == expected


def test_the_tiny_files_are_what_they_claim() -> None:
    pdf, png, jpeg = tiny_pdf(), tiny_png(), tiny_jpeg()
    assert pdf.endswith(b"%%EOF\n")
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref:].startswith(b"xref\n")
    assert png[12:16] == b"IHDR" and png.endswith(b"IEND\xaeB`\x82")
    assert jpeg.startswith(b"\xff\xd8\xff\xe0") and jpeg.endswith(b"\xff\xd9")


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (tiny_pdf(), "plan.pdf", "application/pdf"),
        (tiny_png(), "site.png", "image/png"),
        (tiny_jpeg(), "deed.jpg", "image/jpeg"),
        # We trust the content, not the name.
        (tiny_pdf(), "plan.jpg", "application/pdf"),
        (tiny_jpeg(), "photo", "image/jpeg"),
        (tiny_png(), "SCAN.PDF", "image/png"),
    ],
)
def test_accepted_upload_returns_its_real_type(data: bytes, filename: str, expected: str) -> None:
    assert check_upload(data, filename, DOCUMENTS, TEN_MB) == expected


@pytest.mark.parametrize("data", [WINDOWS_EXE, LINUX_ELF, b"hello, this is text", tiny_webp()])
def test_content_outside_accept_is_rejected_whatever_its_name(data: bytes) -> None:
    with pytest.raises(UploadRejected) as caught:
        check_upload(data, "application.pdf", DOCUMENTS, TEN_MB)
    rejected = caught.value
    assert rejected.reason_code == UploadRejected.TYPE_NOT_ACCEPTED == "type_not_accepted"
    assert rejected.message_th == "ไฟล์ต้องเป็น PDF, JPG หรือ PNG"
    assert rejected.message_en == "The file must be a PDF, JPG or PNG"
    assert rejected.filename == "application.pdf"


def test_type_message_names_exactly_what_is_accepted() -> None:
    with pytest.raises(UploadRejected) as only_pdf:
        check_upload(tiny_png(), "x.png", ["application/pdf"], TEN_MB)
    assert (only_pdf.value.message_th, only_pdf.value.message_en) == (
        "ไฟล์ต้องเป็น PDF",
        "The file must be a PDF",
    )
    with pytest.raises(UploadRejected) as photos:
        check_upload(tiny_pdf(), "x.pdf", ["image/jpeg", "image/heic"], TEN_MB)
    assert photos.value.message("en") == "The file must be a JPG or HEIC"
    assert photos.value.message("th") == "ไฟล์ต้องเป็น JPG หรือ HEIC"


def test_heic_photo_where_heic_is_accepted() -> None:
    photo = ftyp(b"heic", b"mif1", b"heic")
    assert check_upload(photo, "IMG_0001.HEIC", ["image/jpeg", "image/heic"], TEN_MB) == "image/heic"


def test_too_large_upload_is_rejected_with_the_limit_in_mb() -> None:
    data = tiny_pdf() + b"\x00" * TEN_MB
    with pytest.raises(UploadRejected) as caught:
        check_upload(data, "plan.pdf", DOCUMENTS, TEN_MB)
    rejected = caught.value
    assert rejected.reason_code == UploadRejected.TOO_LARGE == "too_large"
    assert rejected.message_th == "ไฟล์ต้องมีขนาดไม่เกิน 10 MB"
    assert rejected.message_en == "The file must be smaller than 10 MB"


def test_size_limit_is_inclusive() -> None:
    data = tiny_pdf()
    assert check_upload(data, "plan.pdf", DOCUMENTS, len(data)) == "application/pdf"
    with pytest.raises(UploadRejected, match="too_large"):
        check_upload(data, "plan.pdf", DOCUMENTS, len(data) - 1)


@pytest.mark.parametrize(
    ("max_bytes", "shown"),
    [(5 * 1024 * 1024, "5 MB"), (8 * 1024 * 1024, "8 MB"), (2_621_440, "2.5 MB"), (512 * 1024, "512 KB")],
)
def test_limit_is_shown_in_round_units(max_bytes: int, shown: str) -> None:
    with pytest.raises(UploadRejected) as caught:
        check_upload(tiny_pdf() + b"\x00" * max_bytes, "plan.pdf", DOCUMENTS, max_bytes)
    assert caught.value.message_th == f"ไฟล์ต้องมีขนาดไม่เกิน {shown}"
    assert caught.value.message_en == f"The file must be smaller than {shown}"


def test_empty_upload_is_rejected() -> None:
    with pytest.raises(UploadRejected) as caught:
        check_upload(b"", "plan.pdf", DOCUMENTS, TEN_MB)
    assert caught.value.reason_code == UploadRejected.EMPTY == "empty"
    assert caught.value.message_th and caught.value.message_en


def test_size_is_checked_before_content() -> None:
    with pytest.raises(UploadRejected) as caught:
        check_upload(WINDOWS_EXE * 100, "setup.exe", DOCUMENTS, 1024)
    assert caught.value.reason_code == "too_large"


@pytest.mark.parametrize(("accept", "max_bytes"), [([], TEN_MB), (DOCUMENTS, 0)])
def test_caller_mistakes_are_value_errors(accept: list[str], max_bytes: int) -> None:
    with pytest.raises(ValueError):
        check_upload(tiny_pdf(), "plan.pdf", accept, max_bytes)
