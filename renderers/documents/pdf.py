"""WeasyPrint lays out a document's HTML: one A4 page, local resources only, signature boxes checked."""

from __future__ import annotations

import math
import mimetypes
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from renderers.documents.errors import DocumentTooLong, ForbiddenResource, TemplateError
from renderers.documents.layout import (
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
    SignatureSlot,
)
from renderers.documents.templating import FONTS_DIR, TEMPLATES_DIR, _base_url, _final_html

if TYPE_CHECKING:
    from weasyprint import Document


def _page_css(body_size: float) -> str:
    fonts = "\n".join(
        f"@font-face {{ font-family: 'Sarabun'; src: url('{(FONTS_DIR / file).as_uri()}');"
        f" font-weight: {weight}; font-style: {style}; }}"
        for file, weight, style in (
            ("Sarabun-Regular.ttf", 400, "normal"),
            ("Sarabun-Bold.ttf", 700, "normal"),
            ("Sarabun-Italic.ttf", 400, "italic"),
            ("Sarabun-BoldItalic.ttf", 700, "italic"),
        )
    )
    return f"""{fonts}
@page {{ size: A4; margin: {MARGIN_TOP_MM}mm {MARGIN_RIGHT_MM}mm {MARGIN_BOTTOM_MM}mm {MARGIN_LEFT_MM}mm; }}
html {{ font-family: 'Sarabun'; font-size: {body_size}pt; }}
.signature {{ position: absolute; }}
.document-footer {{ position: absolute; left: 0; top: {FOOTER_TOP_MM - MARGIN_TOP_MM}mm;
  width: {CONTENT_WIDTH_MM}mm; }}
.document-footer .qr, .document-footer .qr svg {{ width: {QR_SIZE_MM}mm; height: {QR_SIZE_MM}mm; }}
"""


def _local_fetcher(roots: Sequence[Path]) -> Any:
    """A WeasyPrint URL fetcher that serves local files under ``roots`` and data: URIs, nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    allowed = [root.resolve() for root in roots]

    class LocalOnly(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if path.is_file() and any(path.is_relative_to(root) for root in allowed):
                    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
            # WeasyPrint turns this into a warning and goes on; render() raises after the fact.
            self.refused.append(url)
            raise PermissionError(f"refused {url}")

    return LocalOnly()


@dataclass(frozen=True)
class RenderStats:
    """How long the last render took (seconds), for benchmarks and logs."""

    template_seconds: float
    layout_seconds: float
    pdf_seconds: float
    body_size_pt: float
    layouts: int = 1


# Per thread: a web worker's threads each render their own documents.
_stats = threading.local()


def last_render_stats() -> RenderStats | None:
    """How the last render on this thread went (None before the first)."""
    return getattr(_stats, "last", None)


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _walk(child)


@dataclass(frozen=True)
class _Placed:
    """Where WeasyPrint put an element's box on page 1, in millimetres from the top-left corner."""

    element: Any
    left: float
    top: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """``(x1, y1, x2, y2)`` in PDF points from the bottom-left corner."""
        return (
            round(self.left * MM_TO_PT, 2),
            round((PAGE_HEIGHT_MM - self.bottom) * MM_TO_PT, 2),
            round((self.left + self.width) * MM_TO_PT, 2),
            round((PAGE_HEIGHT_MM - self.top) * MM_TO_PT, 2),
        )


def _placed(document: Document, match: Any) -> list[_Placed]:
    """The block boxes of page 1 whose element satisfies ``match``."""
    px_to_mm = PX_TO_PT / MM_TO_PT
    found = []
    for box in _walk(document.pages[0]._page_box):
        element = getattr(box, "element", None)
        if element is None or not hasattr(box, "border_height") or not match(element):
            continue
        found.append(
            _Placed(
                element,
                (box.position_x + box.margin_left) * px_to_mm,
                (box.position_y + box.margin_top) * px_to_mm,
                box.border_width() * px_to_mm,
                box.border_height() * px_to_mm,
            )
        )
    return found


def _has_class(name: str) -> Any:
    return lambda element: name in (element.get("class") or "").split()


def _flow_bottom_mm(document: Document) -> float:
    """Where the flowing text of page 1 ends (absolutely placed blocks do not count), in mm from the top."""
    return max((p.bottom for p in _placed(document, lambda e: e.tag == "body")), default=0.0)


def _check_layout(document: Document, slots: Sequence[SignatureSlot], template: Path) -> None:
    """Each signer's box is where :func:`signature_boxes` says, and nothing placed was cut off.

    WeasyPrint drops the lines of an absolutely placed block that run past the page's
    bottom margin, so a footer or a position too long for its block would silently lose
    text: that is a template error. Raises :class:`TemplateError`.
    """
    boxes = {p.element.get("data-role"): p for p in _placed(document, _has_class("signature-box"))}
    for slot in slots:
        box = boxes.get(slot.role)
        if box is None:
            raise TemplateError(
                template, None, f"no signature box (class signature-box) for signer {slot.role!r}"
            )
        if any(abs(a - b) > BOX_TOLERANCE_PT for a, b in zip(box.rect, slot.rect, strict=True)):
            raise TemplateError(
                template,
                None,
                f"signature box of {slot.role!r} is at {box.rect}, signature_boxes() says {slot.rect}",
            )
    for block in _placed(document, _has_class("signature")):
        if block.bottom > FOOTER_TOP_MM - 0.5:
            raise TemplateError(template, None, "a signature block runs into the footer")
    for footer in _placed(document, _has_class("document-footer")):
        if footer.bottom > PAGE_HEIGHT_MM - MARGIN_BOTTOM_MM - 0.5:
            raise TemplateError(template, None, "the footer runs past the bottom margin and would lose text")


def _next_size(index: int, flow_bottom_mm: float) -> int:
    """The index of the next body size to try after ``BODY_SIZES_PT[index]`` did not fit.

    The text's height grows with the square of the type size (more lines, each taller), so
    jump straight to the size that should fit instead of laying out every step between.
    """
    room = FLOW_BOTTOM_MM - MARGIN_TOP_MM
    estimate = BODY_SIZES_PT[index] * math.sqrt(room / max(flow_bottom_mm - MARGIN_TOP_MM, room))
    for later in range(index + 1, len(BODY_SIZES_PT)):
        if BODY_SIZES_PT[later] <= estimate + 0.25:
            return later
    return len(BODY_SIZES_PT) - 1 if index < len(BODY_SIZES_PT) - 1 else len(BODY_SIZES_PT)


def _to_pdf(
    folder: Path, name: str, context: dict[str, Any], slots: Sequence[SignatureSlot], roots: Sequence[Path]
) -> bytes:
    """Render a template to a one-page PDF, shrinking the type a step at a time if it overflows."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    started = time.perf_counter()
    html, path = _final_html(folder, name, context)
    rendered_at = time.perf_counter()
    pages = 0
    attempts = 0
    index = 0
    while index < len(BODY_SIZES_PT):
        body_size = BODY_SIZES_PT[index]
        attempts += 1
        fetcher = _local_fetcher([*roots, FONTS_DIR, TEMPLATES_DIR])
        font_config = FontConfiguration()
        stylesheets = [
            CSS(string=_page_css(body_size), font_config=font_config, url_fetcher=fetcher),
            CSS(filename=str(TEMPLATES_DIR / "document.css"), font_config=font_config, url_fetcher=fetcher),
        ]
        document = HTML(string=html, base_url=_base_url(path), url_fetcher=fetcher).render(
            stylesheets=stylesheets, font_config=font_config
        )
        if fetcher.refused:
            raise ForbiddenResource(fetcher.refused)
        pages = len(document.pages)
        flow_bottom = _flow_bottom_mm(document)
        if pages == 1 and flow_bottom <= FLOW_BOTTOM_MM:
            laid_out = time.perf_counter()
            _check_layout(document, slots, path)
            pdf = document.write_pdf()
            _stats.last = RenderStats(
                template_seconds=rendered_at - started,
                layout_seconds=laid_out - rendered_at,
                pdf_seconds=time.perf_counter() - laid_out,
                body_size_pt=body_size,
                layouts=attempts,
            )
            return pdf
        if pages > 1:  # page 1 alone does not tell how long the text is: count the pages it took
            flow_bottom = MARGIN_TOP_MM + pages * (PAGE_HEIGHT_MM - MARGIN_TOP_MM - MARGIN_BOTTOM_MM)
        index = _next_size(index, flow_bottom)
    raise DocumentTooLong(path, pages, FLOW_BOTTOM_MM)
