"""QR codes on documents and bills: an inline SVG for the page, a PNG to save and scan."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (error correction M) of ``url``, sized by CSS."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(omitsize=True, border=2, dark="#000"))


def qr_png(payload: str, *, scale: int = 12) -> bytes:
    """The QR of ``payload`` as a PNG to save and scan from a phone's gallery (quiet zone of four)."""
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
