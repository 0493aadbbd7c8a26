"""The documents' templates: where they are, the sandboxed Jinja2 environment, and the HTML it renders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from renderers.documents.errors import TemplateError

# This package is renderers/documents/: the fonts and templates are in renderers/fonts and
# renderers/templates/documents.
FONTS_DIR = Path(__file__).parent.parent / "fonts"
TEMPLATES_DIR = Path(__file__).parent.parent / "templates" / "documents"
RECEIPT_TEMPLATE = "receipt.html.j2"


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


def _base_url(template: Path) -> str:
    """What relative URLs of a rendered template resolve against: its own folder."""
    return template.parent.as_uri() + "/"


def _final_html(folder: Path, name: str, context: Mapping[str, Any]) -> tuple[str, Path]:
    """The HTML WeasyPrint lays out (template rendered, SARA AM decomposed) and the template's path."""
    html, path = _render_html(folder, name, context)
    return decompose_sara_am(html), path
