"""How every list of the API pages and caches, one way everywhere.

``?limit=`` (a whole number within the list's bounds) and ``?cursor=`` (the ``next_cursor`` of the
page before: an opaque, URL-safe token carrying a small JSON object that only this API makes), and
a strong ``ETag`` answered with 304 when ``If-None-Match`` holds it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import Response, jsonify, request

from api.errors import ApiError
from engine.services import definition_documents

MAX_CURSOR = 200


def limit_arg(default: int, maximum: int) -> int:
    """``?limit=``, ``default`` when it is not given; raises :class:`ApiError` 400 outside 1 to ``maximum``."""
    given = request.args.get("limit")
    if given is None:
        return default
    if not given.isascii() or not given.isdigit() or len(given) > 6 or not 1 <= int(given) <= maximum:
        raise ApiError(
            400,
            "invalid_request",
            f"limit must be a whole number from 1 to {maximum}",
            message_th=f"limit ต้องเป็นจำนวนเต็มตั้งแต่ 1 ถึง {maximum}",
        )
    return int(given)


def encode_cursor(values: dict[str, Any]) -> str:
    """The token of ``values`` for ``next_cursor``."""
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_refused() -> ApiError:
    """The refusal of a cursor this list did not give (also for one given with other filters)."""
    return ApiError(
        400,
        "invalid_cursor",
        "cursor is not one this list gave (take next_cursor of the page before, same filters)",
        message_th="cursor ไม่ใช่ค่าที่รายการนี้ให้ไว้ กรุณาใช้ next_cursor ของหน้าก่อนหน้าโดยใช้เงื่อนไขเดิม",
    )


def decoded_cursor() -> dict[str, Any] | None:
    """The object ``?cursor=`` carries, None without one; raises :func:`cursor_refused` for any other token.

    The caller still checks the object's fields, which a client can forge.
    """
    cursor = request.args.get("cursor")
    if cursor is None:
        return None
    if not cursor or len(cursor) > MAX_CURSOR or not cursor.isascii():
        raise cursor_refused()
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise cursor_refused() from None
    if not isinstance(decoded, dict):
        raise cursor_refused()
    return decoded


def json_with_etag(content: dict[str, Any], *, private: bool = False) -> Response:
    """``content`` as JSON with its strong ETag, or 304 when the client holds exactly it.

    ``private`` for a municipality's own data, which a shared cache must not keep. The platform
    appends ``-gz`` to the tag of a compressed answer; either form is a match.
    """
    tag = definition_documents.etag(content).strip('"')
    held = request.if_none_match
    if held and (held.contains_weak(tag) or held.contains_weak(f"{tag}-gz")):
        response = Response(status=304)
    else:
        response = jsonify(content)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache" if private else "no-cache"
    return response
