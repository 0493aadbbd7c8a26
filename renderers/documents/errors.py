"""What can go wrong rendering an issued document: one small hierarchy."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.errors import ThongthinError

# --- errors ---------------------------------------------------------------------------------


class DocumentError(ThongthinError):
    """Base class of the errors of rendering an issued document."""


class UnknownDocument(DocumentError):
    """The service declares no document with that id."""

    def __init__(self, service_id: str, document_id: str, known: Sequence[str] = ()):
        self.service_id = service_id
        self.document_id = document_id
        self.known = tuple(known)
        super().__init__(
            f"service {service_id!r} declares no document {document_id!r}"
            f" (declared: {', '.join(self.known) or 'none'})"
        )


class TemplateError(DocumentError):
    """A template is missing, does not parse, or failed while rendering (path and line when known)."""

    def __init__(self, template: str | Path, line: int | None, message: str):
        self.template = str(template)
        self.line = line
        self.message = message
        where = f"{self.template}:{line}" if line else self.template
        super().__init__(f"{where}: {message}")


class ForbiddenResource(DocumentError):
    """A template referred to something other than a local file of its folders or a data: URI."""

    def __init__(self, urls: Sequence[str]):
        self.urls = tuple(urls)
        super().__init__("documents may only use local files and data: URIs; refused " + ", ".join(self.urls))


class DocumentTooLong(DocumentError):
    """The content does not fit on one page, even in the compact type size."""

    def __init__(self, template: str | Path, pages: int, limit_mm: float):
        self.template = str(template)
        self.pages = pages
        from renderers.documents.layout import BODY_SIZES_PT

        super().__init__(
            f"{template}: even at {BODY_SIZES_PT[-1]:g} pt the text does not end above the signatures"
            f" ({limit_mm:g} mm from the top of page 1; it takes {pages} page(s))"
        )


class InvalidAmount(DocumentError, ValueError):
    """An amount of money that cannot be written in words (negative, not a number)."""

    def __init__(self, value: Any):
        self.value = value
        super().__init__(f"not an amount of baht: {value!r}")
