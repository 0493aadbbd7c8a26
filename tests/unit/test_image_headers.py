"""Images are measured by what their headers declare, so a few kilobytes cannot ask for gigabytes."""

from __future__ import annotations

import struct
import zlib

import pytest

from engine.blobs import UploadRejected, check_upload
from engine.blobs.images import DamagedImage, Dimensions, declared_dimensions
from tests.unit.test_blob_sniff import _jpeg_segment, _png_chunk, tiny_jpeg, tiny_png

IMAGES = ["image/jpeg", "image/png", "image/webp"]
LIMIT = 10 * 1024 * 1024


def png_declaring(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int, *, exif_bytes: int = 0) -> bytes:
    exif = _jpeg_segment(0xE1, b"Exif\x00\x00" + b"\x00" * exif_bytes) if exif_bytes else b""
    return (
        b"\xff\xd8"
        + _jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + exif
        + _jpeg_segment(0xC2, b"\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00")
        + b"\xff\xd9"
    )


def webp_vp8x_declaring(width: int, height: int) -> bytes:
    chunk = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    chunk += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_ordinary_images_are_measured():
    assert declared_dimensions(tiny_png(), "image/png") == Dimensions(1, 1)
    assert declared_dimensions(tiny_jpeg(), "image/jpeg") == Dimensions(1, 1)
    assert declared_dimensions(jpeg_declaring(8000, 6000), "image/jpeg") == Dimensions(8000, 6000)
    assert declared_dimensions(webp_vp8x_declaring(4032, 3024), "image/webp") == Dimensions(4032, 3024)
    # A phone photo whose EXIF block (thumbnail included) is larger than 64 KB is still read.
    big_exif = jpeg_declaring(4000, 3000, exif_bytes=65_000)
    assert declared_dimensions(big_exif, "image/jpeg") == Dimensions(4000, 3000)
    assert declared_dimensions(b"%PDF-1.7", "application/pdf") is None


@pytest.mark.parametrize(
    "data",
    [
        png_declaring(100_000, 100_000),
        png_declaring(40_000, 10),  # one side longer than any scan
        jpeg_declaring(65_000, 65_000),
        webp_vp8x_declaring(16_000_000, 16_000_000),
    ],
    ids=["png-10-gigapixels", "png-long-strip", "jpeg-4-gigapixels", "webp-vp8x"],
)
def test_bombs_are_refused_before_anything_is_stored(data: bytes):
    assert len(data) < 2_000  # a few bytes that would take gigabytes to decode
    with pytest.raises(UploadRejected) as refused:
        check_upload(data, "photo", IMAGES, LIMIT)
    assert refused.value.reason_code == UploadRejected.TOO_MANY_PIXELS
    assert "ล้านจุด" in refused.value.message_th and "million pixels" in refused.value.message_en


def test_a_photo_a_phone_takes_passes():
    assert check_upload(jpeg_declaring(8000, 6000), "IMG_0001.jpg", IMAGES, LIMIT) == "image/jpeg"
    assert (
        check_upload(png_declaring(7016, 9933), "a1-scan.png", IMAGES, LIMIT) == "image/png"
    )  # A1 at 300 dpi


@pytest.mark.parametrize(
    "data, content_type",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHD", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\xff\xd8\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00", "image/jpeg"),  # image data before any frame
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
    ],
    ids=["png-cut", "jpeg-no-frame", "jpeg-scan-first", "webp-cut"],
)
def test_damaged_headers_are_refused(data: bytes, content_type: str):
    with pytest.raises(DamagedImage):
        declared_dimensions(data, content_type)
    with pytest.raises(UploadRejected) as refused:
        check_upload(data, "photo", IMAGES, LIMIT)
    assert refused.value.reason_code == UploadRejected.DAMAGED
