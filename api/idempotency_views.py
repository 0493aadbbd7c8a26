"""``Idempotency-Key`` on the requests that create something: the key read from the request, and
the replayed answer marked as such."""

from __future__ import annotations

from flask import Response, request

from engine.services import idempotency


def keyed(body: bytes, *, secret: str = "") -> idempotency.Keyed | None:
    """The request's ``Idempotency-Key`` with its route and body (and a secret it was sent with); 400 for a bad key."""
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        return None
    return idempotency.Keyed.of(request.path, key, body + b"\0" + secret.encode() if secret else body)


def replayed(response: Response, replay: bool) -> Response:
    """Mark ``response`` as the first answer given again."""
    if replay:
        response.headers[idempotency.REPLAYED_HEADER] = "true"
    return response
