"""The API's conventions around every route: ``Idempotency-Key`` on creating requests, and rate limits.

Each API request is counted per caller (its bearer token, else its client address) against
``THONGTHIN_API_RATE_PER_MINUTE`` (600 unless set; 0 turns the limit off) in the shared
attempt counts of :mod:`engine.services.throttle`, and answered with ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset``; past the limit, 429 with ``Retry-After``.
The OpenAPI document itself is not counted.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Response, g, request

from api.auth import bearer_token
from api.errors import ApiError
from api.views import blueprint
from engine.services import idempotency, throttle
from thongthin.app import client_address, platform

RATE_VARIABLE = "THONGTHIN_API_RATE_PER_MINUTE"
UNCOUNTED = frozenset({"api.openapi"})


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


def _per_minute() -> int:
    try:
        return max(0, int(os.environ.get(RATE_VARIABLE, "") or throttle.API_RATE_DEFAULT))
    except ValueError:
        return throttle.API_RATE_DEFAULT


@blueprint.before_request
def count_request() -> None:
    per_minute = _per_minute()
    if per_minute == 0 or request.endpoint in UNCOUNTED:
        return
    token = bearer_token()
    caller = f"token:{token}" if token else f"address:{client_address()}"
    limit = throttle.api_limit(per_minute)
    try:
        g.rate_usage = platform().db(throttle.use(limit, caller))
    except throttle.TooManyAttempts as refused:
        g.rate_usage = throttle.Usage(limit, per_minute, refused.retry_after)
        raise ApiError(
            429,
            "rate_limited",
            f"more than {per_minute} requests a minute; try again in {refused.seconds} second(s)",
            message_th=f"ส่งคำขอมากเกินกำหนด โปรดลองใหม่ในอีก {refused.seconds} วินาที",
            retry_after=refused.seconds,
        ) from None


@blueprint.after_request
def rate_headers(response: Response) -> Any:
    usage: throttle.Usage | None = g.get("rate_usage")
    if usage is not None:
        response.headers["RateLimit-Limit"] = str(usage.limit.tries)
        response.headers["RateLimit-Remaining"] = str(usage.remaining)
        response.headers["RateLimit-Reset"] = str(usage.reset_seconds)
    return response
