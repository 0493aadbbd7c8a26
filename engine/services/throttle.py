"""Limits on guessing and on use: logins, tracking lookups, account phone numbers, uploads.

Counted in the database, so every web worker, every node and every browser session shares
the count (a per-session count is reset by dropping a cookie). Keys are stored as digests,
so the table holds no usernames, references, phone numbers or addresses.

A try is *counted before it is checked*: :func:`take` adds to the count and reads it back in
one ``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` statement, and refuses when the count
passes the limit. However many requests arrive at once, at most ``limit.tries`` of them
get as far as checking a password or a secret in one window. A right answer then gives the
try back (:func:`forget` clears a key, :func:`give_back` returns one try), so only
failures use a limit up.

Callers count a thing once per key it can be guessed by: a tracking lookup both per
reference (a secret guessed from everywhere) and per client address (many references
guessed from one place), with limits sized for each (a mobile carrier's NAT puts thousands
of citizens behind one address).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections

from engine.services import secrets
from engine.services.errors import ServiceError
from engine.store.models import Attempt


@dataclass(frozen=True)
class Limit:
    """At most ``tries`` (or units: bytes, files) per ``window`` for one key of ``scope``."""

    scope: str
    tries: int
    window: timedelta


# Officers' logins: per username at one address, per address whatever the username (spraying),
# and per username from everywhere with a short cool-down, so an attacker elsewhere cannot keep
# a real officer out for long.
LOGIN = Limit("login", 10, timedelta(minutes=15))
LOGIN_ADDRESS = Limit("login_address", 30, timedelta(minutes=15))
LOGIN_ACCOUNT = Limit("login_account", 30, timedelta(minutes=5))
# Tracking lookups: per reference, and per address (sized for a carrier's NAT).
TRACKING = Limit("tracking", 10, timedelta(minutes=15))
TRACKING_ADDRESS = Limit("tracking_address", 100, timedelta(minutes=15))
# Fresh tracking links sent to an applicant's own phone or e-mail: a few a day per submission.
TRACKING_RESEND = Limit("tracking_resend", 3, timedelta(days=1))
ACCOUNT_PHONE = Limit("account_phone", 5, timedelta(hours=1))
# Anonymous uploads per client address: files and bytes per hour.
UPLOAD_FILES = Limit("upload_files", 60, timedelta(hours=1))
UPLOAD_BYTES = Limit("upload_bytes", 300 * 1024 * 1024, timedelta(hours=1))
# Requests to the JSON API per caller (bearer token, else client address) and minute.
API_SCOPE = "api"
API_RATE_DEFAULT = 600


def api_limit(per_minute: int = API_RATE_DEFAULT) -> Limit:
    """The API's rate limit (``THONGTHIN_API_RATE_PER_MINUTE`` of the installation)."""
    return Limit(API_SCOPE, per_minute, timedelta(minutes=1))


class TooManyAttempts(ServiceError):
    """Too many tries of the same thing; say when to try again, nothing about why it failed.

    ``first_refusal`` is true for the first try refused in a window (e.g. to tell an officer
    once that their account was locked).
    """

    http_status = 429

    code = "too_many_attempts"

    def __init__(self, limit: Limit, retry_after: timedelta, *, first_refusal: bool = False):
        self.limit = limit
        self.retry_after = max(retry_after, timedelta(seconds=1))
        self.first_refusal = first_refusal
        super().__init__(f"too many attempts; try again in {self.minutes} minute(s)")

    @property
    def minutes(self) -> int:
        return max(1, round(self.retry_after.total_seconds() / 60))

    @property
    def seconds(self) -> int:
        """Whole seconds to wait (the ``Retry-After`` header)."""
        return max(1, int(self.retry_after.total_seconds() + 0.999))


_TAKE = (
    "INSERT INTO attempt (scope, key_hash, count, window_start_ms) VALUES ({p1}, {p2}, {p3}, {p4}) "
    "ON CONFLICT (scope, key_hash) DO UPDATE SET "
    "count = CASE WHEN attempt.window_start_ms <= {p5} THEN {p3} ELSE attempt.count + {p3} END, "
    "window_start_ms = CASE WHEN attempt.window_start_ms <= {p5} THEN {p4} "
    "ELSE attempt.window_start_ms END "
    "RETURNING count, window_start_ms"
)


def _key(limit: Limit, key: str) -> str:
    return secrets.digest(key, scope=limit.scope)


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _statement(connection: Any) -> str:
    # Numbered parameters, since some appear twice: $1 on PostgreSQL, ?1 on SQLite.
    mark = "$" if connection.capabilities.dialect == "postgres" else "?"
    return _TAKE.format(**{f"p{i}": f"{mark}{i}" for i in range(1, 6)})


@dataclass(frozen=True)
class Usage:
    """How much of ``limit`` one key has used in its current window, and when that window ends."""

    limit: Limit
    count: int
    reset: timedelta

    @property
    def remaining(self) -> int:
        return max(0, self.limit.tries - self.count)

    @property
    def reset_seconds(self) -> int:
        """Whole seconds until the window ends (the ``RateLimit-Reset`` header)."""
        return max(1, int(self.reset.total_seconds() + 0.999))


async def take(limit: Limit, key: str, *, amount: int = 1, now: datetime | None = None) -> int:
    """Count ``amount`` tries (or units) of ``key``; returns the count in the current window.

    Raises :class:`TooManyAttempts` when the count passes ``limit.tries``: the caller must
    then not check the secret or do the work. A window starts with the first try and
    ends ``limit.window`` later, when the count starts again from zero.
    """
    return (await use(limit, key, amount=amount, now=now)).count


async def use(limit: Limit, key: str, *, amount: int = 1, now: datetime | None = None) -> Usage:
    """:func:`take`, answering with the :class:`Usage` a client is told of (rate limit headers)."""
    moment = now or datetime.now(UTC)
    now_ms = _millis(moment)
    cutoff_ms = _millis(moment - limit.window)
    connection = connections.get("default")
    rows = await connection.execute_query_dict(
        _statement(connection), [limit.scope, _key(limit, key), amount, now_ms, cutoff_ms]
    )
    count = int(rows[0]["count"])
    if count > limit.tries:
        started = datetime.fromtimestamp(int(rows[0]["window_start_ms"]) / 1000, UTC)
        raise TooManyAttempts(
            limit, started + limit.window - moment, first_refusal=count - amount < limit.tries + 1
        )
    started = datetime.fromtimestamp(int(rows[0]["window_start_ms"]) / 1000, UTC)
    return Usage(limit, count, started + limit.window - moment)


async def take_all(keys: list[tuple[Limit, str]], *, now: datetime | None = None) -> None:
    """:func:`take` one try of each ``(limit, key)``; raises the first :class:`TooManyAttempts`.

    Every key is counted even when an earlier one refuses, so trying from a blocked address
    still counts against the thing guessed at.
    """
    refused: TooManyAttempts | None = None
    for limit, key in keys:
        try:
            await take(limit, key, now=now)
        except TooManyAttempts as error:
            refused = refused or error
    if refused is not None:
        raise refused


async def give_back(limit: Limit, key: str, *, amount: int = 1) -> None:
    """Return ``amount`` counted tries of ``key`` (the try succeeded, or the work was not done)."""
    await Attempt.filter(scope=limit.scope, key_hash=_key(limit, key), count__gte=amount).update(
        count=_decrement(amount)
    )


def _decrement(amount: int) -> Any:
    from tortoise.expressions import F

    return F("count") - amount


async def forget(limit: Limit, key: str) -> None:
    """Clear the count of ``key`` (the right secret was given)."""
    await Attempt.filter(scope=limit.scope, key_hash=_key(limit, key)).delete()


async def remaining(limit: Limit, key: str, *, now: datetime | None = None) -> int:
    """How many tries ``key`` has left in the current window (for display; never for deciding)."""
    moment = now or datetime.now(UTC)
    found = await Attempt.get_or_none(scope=limit.scope, key_hash=_key(limit, key))
    if found is None or found.window_start_ms <= _millis(moment - limit.window):
        return limit.tries
    return max(0, limit.tries - found.count)


async def purge_ended(*, now: datetime | None = None, longest: timedelta = timedelta(days=1)) -> int:
    """Delete counts whose window ended (the worker's housekeeping); returns how many."""
    moment = now or datetime.now(UTC)
    return await Attempt.filter(window_start_ms__lt=_millis(moment - longest)).delete()
