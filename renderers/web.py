"""What every HTML page shares: the language, the translator, Buddhist-Era dates, the layout's assets."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, g, request, send_file, session

from engine.thaidate import format_date
from engine.workflow.sla import BANGKOK
from renderers.forms import TYPE_LABELS, size_text
from renderers.i18n import LANGUAGES, Translator, normalise_language

blueprint = Blueprint(
    "renderers",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/shared",
)

translate = Translator(
    *(Path(__file__).parent.parent / area / "locales" for area in ("portal", "admin", "studio"))
)


ERROR_MESSAGES = {403: "error.forbidden", 404: "error.not_found", 409: "error.conflict"}


def error_message_key(status: int) -> str:
    """The message of an error page for ``status`` (see :func:`engine.errors.http_status`)."""
    if status in ERROR_MESSAGES:
        return ERROR_MESSAGES[status]
    return "error.request" if 400 <= status < 500 else "error.server"


def current_language() -> str:
    return getattr(g, "language", "th")


def thai_date(value: date | datetime | str | None, *, with_time: bool = False) -> str:
    """A date (or moment) as people read it: Buddhist Era in Thai, and Bangkok time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    language = current_language()
    if isinstance(value, datetime):
        local = value.astimezone(BANGKOK)
        text = format_date(local.date(), language)
        return f"{text} {local:%H:%M}" + (" น." if language == "th" else "") if with_time else text
    return format_date(value, language)


def download(content: bytes, filename: str, mimetype: str) -> Response:
    """``content`` as a file download (never shown inline), kept out of every cache.

    Our documents carry national ID numbers and addresses: not even the verification copy
    reached by a QR code may stay in a shared proxy or the browser's cache.
    """
    response = send_file(BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def language_switch_url() -> str:
    other = "en" if current_language() == "th" else "th"
    return request.path + "?" + urlencode({**request.args, "lang": other})


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)

    @app.before_request
    def choose_language() -> None:
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            session["lang"] = asked
        g.language = normalise_language(asked or session.get("lang"))

    @app.context_processor
    def shared_context() -> dict[str, Any]:
        language = current_language()
        return {
            "lang": language,
            "t": lambda key, **values: translate(key, language, **values),
            "text": lambda value: value.get(language) if hasattr(value, "get") else value,
            "thai_date": thai_date,
            "language_switch_url": language_switch_url,
            "file_size": size_text,
            "file_kind": lambda content_type: TYPE_LABELS.get(content_type, content_type),
        }
