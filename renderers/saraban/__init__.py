"""The PDFs of e-Saraban (งานสารบรรณ): letters of every kind, registers, archive lists, the endorsement sheet.

Rendering reuses the issued documents' machinery (``renderers.documents``): Sarabun from
``renderers/fonts``, the autoescaping Jinja2 environment, WeasyPrint with a fetcher that
serves only local files and data: URIs. Empty boxes for what the signing step adds
(number, date, signatures, endorsements) are returned as :class:`Placement` in PDF points.
"""

from __future__ import annotations

from renderers.saraban.errors import InputTooLarge, InvalidSarabanInput, LayoutOverflow, SarabanPdfError
from renderers.saraban.letters import deadline_text, letter_html, render_letter
from renderers.saraban.model import (
    CommitteeMember,
    DestructionListDocument,
    LetterDocument,
    Placement,
    RenderedLetter,
    RenderedList,
    RenderedSheet,
)
from renderers.saraban.routing import render_routing_sheet
from renderers.saraban.sheets import (
    DESTRUCTION_COLUMNS,
    HANDOVER_COLUMNS,
    register_csv,
    register_xlsx,
    render_destruction_list,
    render_handover_list,
    render_register,
)

__all__ = [
    "DESTRUCTION_COLUMNS",
    "HANDOVER_COLUMNS",
    "CommitteeMember",
    "DestructionListDocument",
    "InputTooLarge",
    "InvalidSarabanInput",
    "LayoutOverflow",
    "LetterDocument",
    "Placement",
    "RenderedLetter",
    "RenderedList",
    "RenderedSheet",
    "SarabanPdfError",
    "deadline_text",
    "letter_html",
    "register_csv",
    "register_xlsx",
    "render_destruction_list",
    "render_handover_list",
    "render_letter",
    "render_register",
    "render_routing_sheet",
]
