"""HTML to PDF for the e-Saraban forms: the templates, WeasyPrint off the network, and where boxes landed.

The pieces the issued documents already have are reused: the sandboxed, autoescaping
Jinja2 environment and its SARA AM fix (``renderers.documents.templating``), the fetcher
that serves only local files and data: URIs, and the box walk (``renderers.documents.pdf``).
Unlike an issued document, a letter may run onto several pages, so every box is looked
up on every page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.thaidate import thai_digits
from renderers.documents import FONTS_DIR, MM_TO_PT, PX_TO_PT, ForbiddenResource
from renderers.documents.pdf import _local_fetcher, _walk
from renderers.documents.templating import _base_url, _final_html
from renderers.saraban.errors import InputTooLarge, InvalidSarabanInput
from renderers.saraban.model import Placement

if TYPE_CHECKING:
    from weasyprint import Document

TEMPLATES_DIR = Path(__file__).parent / "templates"
STYLESHEET = TEMPLATES_DIR / "saraban.css"
PX_TO_MM = PX_TO_PT / MM_TO_PT


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (for the page's margin boxes, which HTML escaping does not reach)."""
    escaped = "".join(ch if ch.isalnum() or ch in " .-/()" else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


def digits(text: str, thai_numerals: bool) -> str:
    return thai_digits(text) if thai_numerals else text


def check_size(what: str, text: str, limit: int) -> None:
    """Raise :class:`InputTooLarge` when ``text`` is longer than ``limit`` characters."""
    if len(text) > limit:
        raise InputTooLarge(what, len(text), limit)


def check_count(what: str, items: Any, limit: int) -> None:
    """Raise :class:`InputTooLarge` when there are more than ``limit`` items."""
    if len(items) > limit:
        raise InputTooLarge(what, len(items), limit)


# An emblem is a small picture; anything bigger than this is not one.
MAX_LOGO_CHARS = 1_500_000


def check_logo(logo: str | None) -> None:
    """An emblem must be a ``data:image/...`` URI of a sensible size: rendering never fetches a URL."""
    if logo is None:
        return
    check_size("emblem data URI", logo, MAX_LOGO_CHARS)
    if not logo.startswith(("data:image/png", "data:image/jpeg", "data:image/svg+xml", "data:image/gif")):
        raise InvalidSarabanInput("the emblem must be a data:image/png, jpeg, gif or svg+xml URI")


def page_html(template: str, context: Mapping[str, Any]) -> str:
    """The HTML of ``template`` (in ``renderers/saraban/templates``), every value escaped."""
    html, _ = _final_html(TEMPLATES_DIR, template, context)
    return html


def layout(html: str, extra_css: str = "") -> Document:
    """Lay ``html`` out with the house stylesheet; raises :class:`ForbiddenResource` if it reached outside."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fetcher = _local_fetcher([TEMPLATES_DIR, FONTS_DIR])
    font_config = FontConfiguration()
    stylesheets = [CSS(filename=str(STYLESHEET), font_config=font_config, url_fetcher=fetcher)]
    if extra_css:
        stylesheets.append(CSS(string=extra_css, font_config=font_config, url_fetcher=fetcher))
    document = HTML(
        string=html, base_url=_base_url(TEMPLATES_DIR / "saraban.css"), url_fetcher=fetcher
    ).render(stylesheets=stylesheets, font_config=font_config)
    if fetcher.refused:
        raise ForbiddenResource(fetcher.refused)
    return document


@dataclass(frozen=True)
class Found:
    """An element's border box as WeasyPrint placed it: page index, then millimetres from the page's top-left."""

    page: int
    left: float
    top: float
    width: float
    height: float
    page_height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def placement(self) -> Placement:
        return Placement(
            self.page,
            (
                round(self.left * MM_TO_PT, 2),
                round((self.page_height - self.bottom) * MM_TO_PT, 2),
                round(self.right * MM_TO_PT, 2),
                round((self.page_height - self.top) * MM_TO_PT, 2),
            ),
        )


def _boxes(document: Document) -> Iterator[tuple[int, float, Any]]:
    for index, page in enumerate(document.pages):
        for box in _walk(page._page_box):
            if getattr(box, "element", None) is not None and hasattr(box, "border_height"):
                yield index, page.height * PX_TO_MM, box


def _found(index: int, page_height: float, box: Any) -> Found:
    return Found(
        index,
        (box.position_x + box.margin_left) * PX_TO_MM,
        (box.position_y + box.margin_top) * PX_TO_MM,
        box.border_width() * PX_TO_MM,
        box.border_height() * PX_TO_MM,
        page_height,
    )


def find_all(document: Document, element_id: str) -> list[Found]:
    """Every piece of the element with ``id`` (one per page it spans), in page order."""
    pieces: dict[int, Found] = {}
    for hit in _boxes(document):
        # Anonymous boxes WeasyPrint wraps around an element's content carry its element too:
        # the outer box, met first, is the element's own.
        if hit[2].element.get("id") == element_id and hit[0] not in pieces:
            pieces[hit[0]] = _found(*hit)
    return [pieces[page] for page in sorted(pieces)]


def find(document: Document, element_id: str) -> Found:
    """The first piece of the element with ``id``; a template without it is a bug (``LookupError``)."""
    found = find_all(document, element_id)
    if not found:
        raise LookupError(f"the rendered page has no element #{element_id}")
    return found[0]


def find_class(document: Document, class_name: str) -> list[tuple[Any, Found]]:
    """The elements with class ``class_name`` and where they are, in document order."""
    return [
        (hit[2].element, _found(*hit))
        for hit in _boxes(document)
        if class_name in (hit[2].element.get("class") or "").split()
    ]
