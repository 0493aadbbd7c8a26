"""Issued documents: Jinja2 HTML + CSS rendered to one A4 PDF page by WeasyPrint, the Thai official way.

A document's template lives in its service folder (``service.json`` names it); the generic
receipt lives in ``renderers/templates/documents/``. Rendering never touches the network:
fonts (Sarabun, shipped in ``renderers/fonts``) and anything else a template refers to must
be a local file under the template folders or a ``data:`` URI.

Signatures are not drawn here. Each signer of a document gets an empty box at a fixed
place on page 1 (:func:`signature_boxes`, in PDF points) where the signing step puts a
signature field with the signer's visible stamp. The renderer checks on every render that
the template put the boxes exactly there, so signing and layout cannot drift apart.

The modules, by concern: ``errors``; ``layout`` (the A4 page and the signature slots);
``thai_numbers`` (amounts in words, grouped digits); ``qr``; ``context`` (what templates
see, the helpers they call); ``templating`` (the template folders, the sandboxed Jinja2
environment, the final HTML); ``pdf`` (WeasyPrint: one page, local files only, the layout
checks); ``rendering`` (:func:`render_document`, :func:`document_html`, :func:`render_receipt`).
The names other modules use are imported here: import them from ``renderers.documents``.
"""

from __future__ import annotations

from renderers.documents.context import (  # noqa: F401 (the package's public names)
    UNBROKEN_MAX_CHARS,
    DocumentTenant,
    Payer,
    ReceiptItem,
    _Helpers,
    valid_until,
)
from renderers.documents.errors import (  # noqa: F401
    DocumentError,
    DocumentTooLong,
    ForbiddenResource,
    InvalidAmount,
    TemplateError,
    UnknownDocument,
)
from renderers.documents.layout import (  # noqa: F401
    BODY_SIZES_PT,
    BOX_TOLERANCE_PT,
    CONTENT_WIDTH_MM,
    FLOW_BOTTOM_MM,
    FOOTER_TOP_MM,
    MARGIN_BOTTOM_MM,
    MARGIN_LEFT_MM,
    MARGIN_RIGHT_MM,
    MARGIN_TOP_MM,
    MM_TO_PT,
    PAGE_HEIGHT_MM,
    PX_TO_PT,
    QR_SIZE_MM,
    RECEIPT_SIGNERS,
    SignatureSlot,
    _slots,
    document_spec,
    receipt_signature_boxes,
    receipt_signature_slots,
    signature_boxes,
    signature_slots,
)
from renderers.documents.pdf import RenderStats, _page_css, _to_pdf, last_render_stats  # noqa: F401
from renderers.documents.qr import qr_png, qr_svg  # noqa: F401
from renderers.documents.rendering import document_html, render_document, render_receipt  # noqa: F401
from renderers.documents.templating import (  # noqa: F401
    FONTS_DIR,
    RECEIPT_TEMPLATE,
    TEMPLATES_DIR,
    decompose_sara_am,
)
from renderers.documents.thai_numbers import SATANG, baht_text, format_number, number_words  # noqa: F401
