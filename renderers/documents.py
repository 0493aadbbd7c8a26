"""Issued documents: Jinja2 HTML + CSS rendered to one A4 PDF page by WeasyPrint, the Thai official way.

A document's template lives in its service folder (``service.json`` names it); the generic
receipt lives in ``renderers/templates/documents/``. Rendering never touches the network:
fonts (Sarabun, shipped in ``renderers/fonts``) and anything else a template refers to must
be a local file under the template folders or a ``data:`` URI.

Signatures are not drawn here. Each signer of a document gets an empty box at a fixed
place on page 1 (:func:`signature_boxes`, in PDF points) where the signing step puts a
signature field with the signer's visible stamp. The renderer checks on every render that
the template put the boxes exactly there, so signing and layout cannot drift apart.
"""

from __future__ import annotations

import io
import math
import mimetypes
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
import segno
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from engine.definitions.model import DocumentSpec, ServiceDefinition
from engine.durations import Duration, InvalidDuration
from engine.payments import compute_fees
from engine.thaidate import format_date, thai_digits
from renderers.document_errors import (  # noqa: F401 (the package's public names)
    DocumentError,
    DocumentTooLong,
    ForbiddenResource,
    InvalidAmount,
    TemplateError,
    UnknownDocument,
)
from renderers.document_layout import (  # noqa: F401
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
from renderers.thai_numbers import SATANG, baht_text, format_number, number_words  # noqa: F401

if TYPE_CHECKING:
    from weasyprint import Document

FONTS_DIR = Path(__file__).parent / "fonts"
TEMPLATES_DIR = Path(__file__).parent / "templates" / "documents"
RECEIPT_TEMPLATE = "receipt.html.j2"

# --- what templates see -----------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentTenant:
    """The issuing local administration as its documents show it."""

    name_th: str
    name_en: str
    address_th: str = ""
    logo_data_uri: str | None = None  # the emblem (ตราสัญลักษณ์), e.g. data:image/png;base64,...


@dataclass(frozen=True)
class Payer:
    name: str
    address: str = ""
    tax_id: str | None = None


@dataclass(frozen=True)
class ReceiptItem:
    description: str
    amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class _Fee:
    id: str
    title: str
    amount: Decimal
    period: str


@dataclass(frozen=True)
class _SignerView:
    role: str
    position: str
    position_th: str
    position_en: str
    name: str | None
    field_name: str
    style: str
    box_style: str


@dataclass
class _Helpers:
    """Functions templates call; they follow the document's language and digit setting."""

    language: str
    thai_numerals: bool
    definition: ServiceDefinition | None = None
    _labels: dict[str, dict[Any, str]] = field(default_factory=dict)

    def n(self, value: Any) -> str:
        """Digits as the tenant writes them (Thai digits when it asked for them)."""
        text = "" if value is None else str(value)
        return thai_digits(text) if self.thai_numerals else text

    def number(self, value: Any, places: int | None = None) -> str:
        return self.n(format_number(value, places))

    def money(self, value: Any) -> str:
        return self.n(format_number(value, 2))

    def thai_date(self, value: date | str | None, short: bool = False) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return format_date(value, self.language, short=short, thai_numerals=self.thai_numerals)

    def person_text(self, name: Mapping[str, Any] | None) -> str:
        """``นางสาววรรณา คำแก้ว``: the title joins the first name, as Thai writes it."""
        if not name:
            return ""
        prefix = name.get("prefix", "")
        prefix = "" if prefix in ("อื่น ๆ", None) else prefix
        return f"{prefix}{name.get('first_name', '')} {name.get('last_name', '')}".strip()

    def person(self, name: Mapping[str, Any] | None) -> Markup:
        """The name as :meth:`person_text`, for the page: a line may break between the names, never inside one."""
        return self.keep_words(self.person_text(name), digits=False)

    def address_parts(self, value: Mapping[str, Any] | None) -> list[str]:
        """A Thai address as its parts; Bangkok has แขวง and เขต instead of ตำบล and อำเภอ."""
        if not value:
            return []
        parts = [self.n(value.get("house_no", ""))]
        if value.get("moo"):
            parts.append(f"หมู่ที่ {self.n(value['moo'])}")
        if value.get("village"):
            parts.append(str(value["village"]))
        if value.get("soi"):
            parts.append(f"ซอย{self.n(value['soi'])}")
        if value.get("road"):
            parts.append(f"ถนน{self.n(value['road'])}")
        if value.get("province") == "กรุงเทพมหานคร":
            parts += [
                f"แขวง{value.get('subdistrict', '')}",
                f"เขต{value.get('district', '')}",
                "กรุงเทพมหานคร",
            ]
        else:
            parts += [
                f"ตำบล{value.get('subdistrict', '')}",
                f"อำเภอ{value.get('district', '')}",
                f"จังหวัด{value.get('province', '')}",
            ]
        parts.append(self.n(value.get("postcode", "")))
        return [p for p in parts if p]

    def address(self, value: Mapping[str, Any] | None) -> Markup:
        """The address on one line for the page, breaking between its parts (``ตำบลแม่เหียะ`` stays whole)."""
        return Markup(" ").join(_unbroken(part) for part in self.address_parts(value))

    def option(self, pointer: str, value: Any) -> str:
        """The label ui.json gives ``value`` of the field at ``pointer`` (the value itself if none)."""
        if self.definition is None:
            return str(value)
        if not self._labels:
            for ui_field in self.definition.ui.fields():
                self._labels[ui_field.pointer] = {
                    o.value: o.label.get(self.language) for o in ui_field.options
                }
        return self._labels.get(pointer, {}).get(value, str(value))

    def baht_text(self, value: Any) -> str:
        return baht_text(value)

    def keep_words(self, text: Any, digits: bool = True) -> Markup:
        """``text`` breakable only at its spaces (Thai otherwise breaks inside ``อำเภอเมืองเชียงใหม่``)."""
        words = (self.n(text) if digits else str(text)).split()
        return Markup(" ").join(_unbroken(word) for word in words)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "number": self.number,
            "money": self.money,
            "thai_date": self.thai_date,
            "person": self.person,
            "person_text": self.person_text,
            "address": self.address,
            "option": self.option,
            "baht_text": self.baht_text,
            "keep_words": self.keep_words,
        }


# Longer than this, a part may still break inside: a 100-letter road name must not overflow the margin.
UNBROKEN_MAX_CHARS = 32


def _unbroken(text: str) -> Markup:
    """``text`` escaped, kept on one line when it is short enough to always fit."""
    if len(text) > UNBROKEN_MAX_CHARS:
        return Markup.escape(text)
    return Markup('<span class="nobreak">{}</span>').format(text)


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (error correction M) of ``url``, sized by CSS."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(omitsize=True, border=2, dark="#000"))


def qr_png(payload: str, *, scale: int = 12) -> bytes:
    """The QR of ``payload`` as a PNG to save and scan from a phone's gallery (quiet zone of four)."""
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def valid_until(issued_on: date, validity: str | None) -> date | None:
    """The last day a document with ISO 8601 ``validity`` (e.g. ``P1Y``) issued on ``issued_on`` is valid.

    As the Civil and Commercial Code counts periods (s. 193/5): a one-year permit issued on
    15 January 2569 is valid until 14 January 2570, the day before the anniversary; when the
    last month has no such day (29 February), until that month's last day. Weeks and days
    are added after the years and months. Raises :class:`DocumentError` for a validity that
    is not a duration.
    """
    if not validity:
        return None
    try:
        duration = Duration.parse(validity)
    except InvalidDuration as error:
        raise DocumentError(f"document validity {validity!r} is not an ISO 8601 duration") from error
    end = issued_on
    months = duration.months + 12 * duration.years
    if months:
        index = issued_on.month - 1 + months
        year, month = issued_on.year + index // 12, index % 12 + 1
        try:
            end = date(year, month, issued_on.day)
        except ValueError:  # no 29, 30 or 31 in that month: its last day ends the period
            end = date(year + month // 12, month % 12 + 1, 1)  # the day after that last day
    return end + timedelta(days=7 * duration.weeks + duration.days - 1)


# --- Jinja2 and WeasyPrint -------------------------------------------------------------------


@lru_cache(maxsize=32)
def _environment(folder: Path) -> SandboxedEnvironment:
    """One sandboxed environment per template folder: templates are catalog data, not code."""
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(folder), str(TEMPLATES_DIR)]),
        autoescape=True,
        # A missing value in an official document must fail loudly, never print as nothing.
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _error_line(error: BaseException, filename: str | None) -> int | None:
    """The template line of a rendering error: Jinja2 rewrites tracebacks to show template lines."""
    line = None
    tb = error.__traceback__
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _render_html(folder: Path, name: str, context: Mapping[str, Any]) -> tuple[str, Path]:
    """Render template ``name`` of ``folder``; raises :class:`TemplateError` with path and line."""
    environment = _environment(folder)
    shown = folder / name
    try:
        template = environment.get_template(name)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(error.filename or shown, error.lineno, error.message or "syntax error") from error
    except jinja2.TemplateNotFound as error:
        raise TemplateError(shown, None, "template not found") from error
    path = Path(template.filename or shown)
    try:
        return template.render(context), path
    except Exception as error:  # anything a template does wrong, with the line it did it on
        message = str(error) or type(error).__name__
        raise TemplateError(path, _error_line(error, template.filename), message) from error


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


_SARA_AM = re.compile("([\u0e48-\u0e4b]?)\u0e33")
_BODY = re.compile(r"(<body\b.*</body>)", re.DOTALL | re.IGNORECASE)


def decompose_sara_am(html: str) -> str:
    """SARA AM (ำ) in the page's text written as NIKHAHIT + SARA AA, the tone mark between.

    HarfBuzz shapes ำ as exactly these two glyphs anyway (and moves the nikhahit before a
    tone mark: น้ำ is drawn น ํ ้ า), so the page looks the same. What changes is the PDF's
    text layer: WeasyPrint maps each glyph to one piece of text, and as one SARA AA glyph
    serves both า and ำ (and a merged cluster leaves the tone mark of น้ำ with no text),
    copying or searching the text gave อำศัย for อาศัย, or lost tone marks. Decomposed,
    every glyph has its own character; the result is ำ's Unicode compatibility
    decomposition, which search tools fold back (NFKC). Only the body changes, so the
    document's title and subject keep the usual spelling.
    """

    def body(match: re.Match[str]) -> str:
        return _SARA_AM.sub("\u0e4d\\1\u0e32", match.group(1))

    return _BODY.sub(body, html, count=1)


def _local_fetcher(roots: Sequence[Path]) -> Any:
    """A WeasyPrint URL fetcher that serves local files under ``roots`` and data: URIs, nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    allowed = [root.resolve() for root in roots]

    class LocalOnly(URLFetcher):  # type: ignore[misc]
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


def _base_url(template: Path) -> str:
    """What relative URLs of a rendered template resolve against: its own folder."""
    return template.parent.as_uri() + "/"


def _final_html(folder: Path, name: str, context: Mapping[str, Any]) -> tuple[str, Path]:
    """The HTML WeasyPrint lays out (template rendered, SARA AM decomposed) and the template's path."""
    html, path = _render_html(folder, name, context)
    return decompose_sara_am(html), path


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


def _document_view(
    *,
    number: str,
    title: str,
    issued_on: date,
    verify_url: str,
    validity_end: date | None,
    helpers: _Helpers,
    document_id: str,
) -> dict[str, Any]:
    return {
        "id": document_id,
        "number": helpers.n(number),
        "title": title,
        "issued_on": issued_on,
        "issued_on_th": helpers.thai_date(issued_on),
        "valid_until": validity_end,
        "valid_until_th": helpers.thai_date(validity_end) if validity_end else "",
        "verify_url": verify_url,
        "qr_svg": qr_svg(verify_url),
    }


def _signer_views(
    slots: Sequence[SignatureSlot], language: str, names: Mapping[str, str] | None
) -> list[_SignerView]:
    return [
        _SignerView(
            role=slot.role,
            position=slot.position.get(language),
            position_th=slot.position.th,
            position_en=slot.position.en,
            name=(names or {}).get(slot.role),
            field_name=slot.field_name,
            style=slot.style,
            box_style=slot.box_style,
        )
        for slot in slots
    ]


def _document_context(
    definition: ServiceDefinition,
    document_id: str,
    data: Mapping[str, Any],
    *,
    tenant: DocumentTenant,
    number: str,
    issued_on: date,
    verify_url: str,
    language: str,
    thai_numerals: bool,
    reference: str | None,
    submitted_on: date | None,
    local_rates: Mapping[str, Mapping[str, Any]] | None,
    signer_names: Mapping[str, str] | None,
) -> tuple[DocumentSpec, list[SignatureSlot], dict[str, Any]]:
    """What a document's template sees, with its spec and signature slots (see :func:`render_document`)."""
    spec = document_spec(definition, document_id)
    helpers = _Helpers(language=language, thai_numerals=thai_numerals, definition=definition)
    slots = _slots(spec.signers)
    fees = [
        _Fee(line.fee_id, line.title.get(language), line.amount, line.period)
        for line in compute_fees(definition.service, data, local_rates=local_rates)
    ]
    context = {
        **helpers.as_dict(),
        "lang": language,
        "tenant": tenant,
        "service": {
            "id": definition.id,
            "version": definition.version,
            "title": definition.service.title.get(language),
        },
        "document": _document_view(
            number=number,
            title=spec.title.get(language),
            issued_on=issued_on,
            verify_url=verify_url,
            validity_end=valid_until(issued_on, spec.validity),
            helpers=helpers,
            document_id=document_id,
        ),
        "submission": {
            "reference": reference or "",
            "submitted_on": submitted_on,
            "submitted_on_th": helpers.thai_date(submitted_on) if submitted_on else "",
        },
        "data": data,
        "fees": fees,
        "fees_total": sum((f.amount for f in fees), Decimal("0.00")),
        "signers": _signer_views(slots, language, signer_names),
    }
    return spec, slots, context


def render_document(
    definition: ServiceDefinition,
    document_id: str,
    data: Mapping[str, Any],
    *,
    tenant: DocumentTenant,
    number: str,
    issued_on: date,
    verify_url: str,
    language: str = "th",
    thai_numerals: bool = False,
    reference: str | None = None,
    submitted_on: date | None = None,
    local_rates: Mapping[str, Mapping[str, Any]] | None = None,
    signer_names: Mapping[str, str] | None = None,
) -> bytes:
    """The PDF (one A4 page, unsigned) of document ``document_id`` of ``definition`` for ``data``.

    ``number`` is the document's number as the tenant numbers them (e.g. ``15/2569``);
    ``verify_url`` the public verification page its QR code opens; ``reference`` and
    ``submitted_on`` the submission it answers; ``local_rates`` the tenant's fee rates;
    ``signer_names`` the names under the signature boxes by role, when known; ``language``
    the language of dates, titles, positions and option labels (the templates' own wording
    is Thai, as official documents are); ``thai_numerals`` writes numbers and dates in Thai
    digits. The body is set in 16 pt Sarabun, smaller by steps (down to 11 pt) only when the
    text would not end above the signatures; the same input always gives the same layout.

    Raises :class:`UnknownDocument`, :class:`TemplateError` (path and line),
    :class:`ForbiddenResource`, :class:`DocumentTooLong`, :class:`DocumentError` (a validity
    in service.json that is not a duration), or the fee errors of
    :func:`engine.payments.compute_fees` when the data lacks what a fee is computed from.
    """
    spec, slots, context = _document_context(
        definition,
        document_id,
        data,
        tenant=tenant,
        number=number,
        issued_on=issued_on,
        verify_url=verify_url,
        language=language,
        thai_numerals=thai_numerals,
        reference=reference,
        submitted_on=submitted_on,
        local_rates=local_rates,
        signer_names=signer_names,
    )
    return _to_pdf(definition.folder, spec.template, context, slots, [definition.folder])


def document_html(
    definition: ServiceDefinition,
    document_id: str,
    data: Mapping[str, Any],
    *,
    tenant: DocumentTenant,
    number: str,
    issued_on: date,
    verify_url: str,
    language: str = "th",
    thai_numerals: bool = False,
    reference: str | None = None,
    submitted_on: date | None = None,
    local_rates: Mapping[str, Mapping[str, Any]] | None = None,
    signer_names: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """The final HTML :func:`render_document` lays out for the same arguments, and its base URL.

    For comparing with WeasyPrint alone (``thongthin bench documents``) and for looking at
    the markup. No layout happens here, so the type size, the layout checks and the PDF are
    not part of it. Raises what :func:`render_document` raises before laying out.
    """
    spec, _, context = _document_context(
        definition,
        document_id,
        data,
        tenant=tenant,
        number=number,
        issued_on=issued_on,
        verify_url=verify_url,
        language=language,
        thai_numerals=thai_numerals,
        reference=reference,
        submitted_on=submitted_on,
        local_rates=local_rates,
        signer_names=signer_names,
    )
    html, path = _final_html(definition.folder, spec.template, context)
    return html, _base_url(path)


def render_receipt(
    *,
    tenant: DocumentTenant,
    number: str,
    issued_on: date,
    payer: Payer,
    items: Sequence[ReceiptItem],
    verify_url: str,
    reference: str | None = None,
    service_title: str | None = None,
    payment_method: str | None = None,
    cashier_name: str | None = None,
    language: str = "th",
    thai_numerals: bool = False,
) -> bytes:
    """The PDF of a receipt (ใบเสร็จรับเงิน) for ``items`` paid by ``payer``, one A4 page, unsigned.

    The total is written out in words (:func:`baht_text`). Raises :class:`InvalidAmount`
    for a negative item, :class:`TemplateError`, :class:`ForbiddenResource` or
    :class:`DocumentTooLong`.
    """
    helpers = _Helpers(language=language, thai_numerals=thai_numerals)
    amounts = [Decimal(str(item.amount)).quantize(SATANG, rounding=ROUND_HALF_UP) for item in items]
    for item, amount in zip(items, amounts, strict=True):
        if amount < 0:
            raise InvalidAmount(item.amount)
    total = sum(amounts, Decimal("0.00"))
    slots = receipt_signature_slots()
    context = {
        **helpers.as_dict(),
        "lang": language,
        "tenant": tenant,
        "document": _document_view(
            number=number,
            title="ใบเสร็จรับเงิน" if language == "th" else "Receipt",
            issued_on=issued_on,
            verify_url=verify_url,
            validity_end=None,
            helpers=helpers,
            document_id="receipt",
        ),
        "submission": {"reference": reference or "", "submitted_on": None, "submitted_on_th": ""},
        "service_title": service_title or "",
        "payment_method": payment_method or "",
        "payer": payer,
        "items": [
            ReceiptItem(item.description, amount, item.note)
            for item, amount in zip(items, amounts, strict=True)
        ],
        "total": total,
        "total_text": baht_text(total),
        "signers": _signer_views(
            slots, language, {"finance_officer": cashier_name} if cashier_name else None
        ),
    }
    return _to_pdf(TEMPLATES_DIR, RECEIPT_TEMPLATE, context, slots, [])
