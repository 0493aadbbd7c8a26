"""Conventions every API answer follows: a rate limit per caller, told in ``RateLimit-*`` headers.

Each caller (a bearer token or API key the platform gave, else the client's address) may make
``THONGTHIN_API_RATE_LIMIT`` requests a minute (600 unless set). Counted with the same
database counter as logins and uploads, so every worker and node shares one count; one
statement per request. Past the limit the answer is 429 ``rate_limited`` with ``Retry-After``.
The OpenAPI document is not counted.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import g, request

from api.auth import bearer_token, known_credential
from api.errors import ApiError
from api.views import blueprint
from engine.services import throttle
from thongthin.app import client_address, platform

RATE_LIMIT_ENV = "THONGTHIN_API_RATE_LIMIT"
DEFAULT_RATE_LIMIT = 600
WINDOW = timedelta(minutes=1)
UNCOUNTED = frozenset({"api.openapi"})


def rate_limit() -> throttle.Limit:
    """The limit in force, read from the environment on each request (cheap; no restart to change)."""
    raw = os.environ.get(RATE_LIMIT_ENV, "").strip()
    tries = int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_RATE_LIMIT
    return throttle.Limit("api_rate", tries, WINDOW)


def caller_key() -> str:
    """Who is counted: a credential the platform gave (kept only as a digest), else the address.

    A made-up bearer token counts against the address it comes from: inventing a new token for
    every request buys no more requests.
    """
    token = bearer_token()
    if token is not None and known_credential(token):
        return "bearer:" + token
    return "address:" + client_address()


@blueprint.before_request
def count_request() -> None:
    if request.endpoint in UNCOUNTED:
        return
    limit = rate_limit()
    try:
        count, reset = platform().db(throttle.take_with_reset(limit, caller_key()))
    except throttle.TooManyAttempts as refused:
        g.rate_limit = (limit.tries, 0, refused.seconds)
        raise ApiError(
            429,
            "rate_limited",
            f"more than {limit.tries} requests a minute; try again in {refused.seconds} second(s)",
            message_th=f"เรียกใช้เกิน {limit.tries} ครั้งต่อนาที โปรดลองใหม่ในอีก {refused.seconds} วินาที",
            retry_after=refused.seconds,
        ) from None
    g.rate_limit = (limit.tries, max(0, limit.tries - count), max(1, int(reset.total_seconds() + 0.999)))


@blueprint.after_request
def rate_limit_headers(response: Any) -> Any:
    told = g.get("rate_limit")
    if told is not None:
        tries, left, reset = told
        response.headers["RateLimit-Limit"] = str(tries)
        response.headers["RateLimit-Remaining"] = str(left)
        response.headers["RateLimit-Reset"] = str(reset)
    return response
