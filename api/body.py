"""Reading a JSON request body with bounded work: its size, its nesting, its encoding.

Every JSON endpoint reads its body through :func:`json_body`, so none can be made to parse
eighteen megabytes, recurse a thousand levels deep (Python's parser would raise
``RecursionError``) or decode invalid UTF-8. The limits hold before any parsing starts: the
size from ``Content-Length`` and while reading, the depth by one linear scan of the bytes.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import request

from api.errors import ApiError

# A petition with every field filled in is about 10 KB; files go through the upload endpoint.
MAX_JSON_BYTES = int(os.environ.get("THONGTHIN_MAX_JSON_BYTES", str(1024 * 1024)) or 1024 * 1024)
# Our deepest form nests a few levels; 64 leaves room for any service an analyst may write.
MAX_DEPTH = 64


def too_large() -> ApiError:
    return ApiError(
        413,
        "request_entity_too_large",
        f"the body is larger than {MAX_JSON_BYTES} bytes",
        limit_bytes=MAX_JSON_BYTES,
    )


def nesting_depth(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """How deep ``raw`` nests arrays and objects, stopping once past ``limit``.

    Brackets inside strings do not count. Linear in the length, no recursion.
    """
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def read_json(raw: bytes) -> Any:
    """Parse ``raw``; raises :class:`ApiError` 400 ``invalid_json`` for anything not plain JSON."""
    if nesting_depth(raw) > MAX_DEPTH:
        raise ApiError(400, "invalid_json", f"the JSON nests deeper than {MAX_DEPTH} levels")
    if b"\\u0000" in raw:
        # No answer of ours holds a NUL, and PostgreSQL cannot store one in JSON text.
        raise ApiError(400, "invalid_json", "the JSON holds a NUL character (\\u0000)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "the body is not UTF-8") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "the body is not valid JSON") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def raw_body() -> bytes:
    """The request's bytes, at most :data:`MAX_JSON_BYTES`; raises :class:`ApiError` 413 beyond."""
    declared = request.content_length
    if declared is not None and declared > MAX_JSON_BYTES:
        raise too_large()
    raw = request.stream.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise too_large()
    return raw


def json_body() -> dict[str, Any]:
    """The request's JSON object; raises :class:`ApiError` (413 too large, 415 a body declared as
    something other than JSON, 400 anything else)."""
    declared = request.mimetype
    if declared and declared != "application/json" and not declared.endswith("+json"):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the body as application/json, not {declared}",
            accepted=["application/json"],
        )
    return json_object(raw_body())


def json_object(raw: bytes) -> dict[str, Any]:
    """``raw`` parsed as a JSON object; raises :class:`ApiError` 400 for anything else."""
    body = read_json(raw)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the request body must be a JSON object")
    return body
