"""The officers' inbox over the API: the desk's filters, counts and paging, for the caller's roles."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import jsonify, request

from api.auth import require_scope
from api.errors import ApiError
from api.paging import cursor_refused, decoded_cursor, encode_cursor, limit_arg
from api.views import blueprint, tenant_or_404
from engine.services import desk
from thongthin.app import platform

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_FILTER = 64  # a service id or a state name; longer ones name nothing


def _bad(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


def _text(name: str, longest: int) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if len(value) > longest:
        raise _bad(f"{name} is at most {longest} characters")
    return value


def _filter() -> desk.InboxFilter:
    sla = request.args.get("sla") or None
    if sla is not None and sla not in {kind.value for kind in desk.Sla}:
        raise _bad(f"sla must be one of {', '.join(kind.value for kind in desk.Sla)}")
    search = _text("q", desk.MAX_SEARCH)
    return desk.InboxFilter(
        service_id=_text("service", MAX_FILTER),
        state=_text("state", MAX_FILTER),
        sla=desk.Sla(sla) if sla else None,
        search=search.strip() or None if search else None,
    )


def _fingerprint(chosen: desk.InboxFilter) -> str:
    """What a cursor is bound to: the filters it was made for."""
    named = [chosen.service_id, chosen.state, chosen.sla.value if chosen.sla else None, chosen.search]
    return hashlib.sha256(json.dumps(named).encode()).hexdigest()[:16]


def cursor_for(offset: int, chosen: desk.InboxFilter) -> str:
    """An opaque token for the page starting at ``offset`` of the inbox filtered as ``chosen``."""
    return encode_cursor({"o": offset, "f": _fingerprint(chosen)})


def _offset(chosen: desk.InboxFilter) -> int:
    decoded = decoded_cursor()
    if decoded is None:
        return 0
    offset = decoded.get("o")
    if decoded.get("f") != _fingerprint(chosen) or not isinstance(offset, int) or isinstance(offset, bool):
        raise cursor_refused()
    if offset < 0:
        raise cursor_refused()
    return offset


def _item(item: desk.InboxItem) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "service": item.service_id,
        "state": item.state,
        "submitted_at": item.submitted_at.isoformat(),
        "due_at": item.due_at.isoformat() if item.due_at else None,
        "sla": item.sla.value,
    }


@blueprint.get("/tenants/<tenant>/inbox")
def inbox(tenant: str) -> Any:
    """What waits for the officer's roles, most urgent first, as on the desk."""
    found = tenant_or_404(tenant)
    caller = require_scope(found, "inbox:read")
    if caller is None:
        raise ApiError(401, "unauthorized", "give an officer's bearer token or an API key")
    chosen = _filter()
    limit = limit_arg(DEFAULT_LIMIT, MAX_LIMIT)
    offset = _offset(chosen)
    result = platform().db(
        desk.inbox(found, list(platform().catalog), caller.roles, chosen, limit=limit, offset=offset)
    )
    following = offset + len(result.items)
    return jsonify(
        {
            "items": [_item(item) for item in result.items],
            "total": result.total,
            "waiting": result.waiting,
            "by_service": result.by_service,
            "by_state": result.by_state,
            "by_sla": {kind.value: count for kind, count in result.by_sla.items()},
            "next_cursor": cursor_for(following, chosen) if following < result.total else None,
        }
    )
