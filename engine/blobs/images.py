"""The size an image declares in its header, read without decoding a single pixel.

A few kilobytes of PNG can declare 100,000 × 100,000 pixels: whoever later decodes it (a
thumbnail, a PDF of the application, an officer's browser) would need tens of gigabytes.
We read the width and height the header declares and refuse absurd ones before the file is
stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.blobs.sniff import JPEG, PNG, WEBP

# A 48-megapixel phone camera makes 8000 × 6000; scans of A0 plans at 300 dpi stay below this.
MAX_PIXELS = 80_000_000
MAX_SIDE = 30_000


class DamagedImage(ValueError):
    """The header of an image is cut short or contradicts itself."""


@dataclass(frozen=True)
class Dimensions:
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def absurd(self) -> bool:
        """More pixels, or a longer side, than any document photo or scan needs."""
        return self.pixels > MAX_PIXELS or max(self.width, self.height) > MAX_SIDE


def _png(data: bytes) -> Dimensions:
    # Signature (8), chunk length (4), "IHDR" (4), width (4), height (4).
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise DamagedImage("PNG without an IHDR chunk")
    return Dimensions(int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))


# Start-of-frame markers carry the frame's size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset(range(0xD0, 0xDA)) | {0x01}


def _jpeg(data: bytes) -> Dimensions:
    position = 2
    size = len(data)
    while position + 4 <= size:
        if data[position] != 0xFF:
            raise DamagedImage("JPEG segment without a marker")
        marker = data[position + 1]
        if marker == 0xFF:  # fill bytes before a marker
            position += 1
            continue
        if marker in _JPEG_STANDALONE:
            position += 2
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if length < 2:
            raise DamagedImage("JPEG segment shorter than its length field")
        if marker in _JPEG_SOF:
            if position + 9 > size:
                break
            height = int.from_bytes(data[position + 5 : position + 7], "big")
            width = int.from_bytes(data[position + 7 : position + 9], "big")
            return Dimensions(width, height)
        if marker == 0xDA:  # image data starts before any frame header: not a JPEG we can trust
            break
        position += 2 + length
    raise DamagedImage("JPEG without a frame header")


def _webp(data: bytes) -> Dimensions:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return Dimensions(width, height)
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        height = int.from_bytes(data[28:30], "little") & 0x3FFF
        return Dimensions(width, height)
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return Dimensions((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    raise DamagedImage("WEBP without a frame header")


_READERS = {PNG: _png, JPEG: _jpeg, WEBP: _webp}


def declared_dimensions(data: bytes, content_type: str) -> Dimensions | None:
    """The width and height the header of ``data`` declares; ``None`` for types we do not read.

    Raises :class:`DamagedImage` when the header is cut short or malformed.
    """
    reader = _READERS.get(content_type)
    return reader(data) if reader else None
