"""What can go wrong rendering the e-Saraban PDFs: one small hierarchy."""

from __future__ import annotations

from engine.errors import ThongthinError


class SarabanPdfError(ThongthinError):
    """Base class of the errors of rendering a letter, a register or a list of e-Saraban."""


class InvalidSarabanInput(SarabanPdfError, ValueError):
    """A value the forms cannot print: an unknown kind, urgency, secrecy or book, a bad emblem, a wrong row."""

    http_status = 422


class InputTooLarge(InvalidSarabanInput):
    """More text, paragraphs or rows than any real letter or register has (the limit is in the message)."""

    def __init__(self, what: str, size: int, limit: int):
        self.what = what
        self.size = size
        self.limit = limit
        super().__init__(f"{what}: {size} is more than the {limit} allowed")


class LayoutOverflow(SarabanPdfError):
    """A part with a fixed place on the form (the letterhead, the ที่ line) does not fit in it."""

    http_status = 422
