"""Limits on guessing: a login, a tracking lookup or an account's phone number fails a few times, then waits.

Counted in the database, so every web worker and every browser session shares the count
(a per-session count is reset by dropping a cookie). Keys are stored as digests. The count
is per thing guessed at (a username, a reference, an account), not per address: behind a
mobile carrier's NAT thousands of citizens share one. The price is that someone can use up
the tries of another's login for a while; the window is short for that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from engine.services import secrets
from engine.services.errors import ServiceError
from engine.store.models import Attempt


@dataclass(frozen=True)
class Limit:
    scope: str
    failures: int
    window: timedelta


LOGIN = Limit("login", 10, timedelta(minutes=15))
TRACKING = Limit("tracking", 10, timedelta(minutes=15))
ACCOUNT_PHONE = Limit("account_phone", 5, timedelta(hours=1))


class TooManyAttempts(ServiceError):
    """Too many failed tries of the same thing; say when to try again, nothing about why it failed."""

    code = "too_many_attempts"

    def __init__(self, limit: Limit, retry_after: timedelta):
        self.limit = limit
        self.retry_after = retry_after
        minutes = max(1, round(retry_after.total_seconds() / 60))
        super().__init__(f"too many failed attempts; try again in {minutes} minute(s)")

    @property
    def minutes(self) -> int:
        return max(1, round(self.retry_after.total_seconds() / 60))


def _key(limit: Limit, key: str) -> str:
    return secrets.digest(key, scope=limit.scope)


async def guard(limit: Limit, key: str, *, now: datetime | None = None) -> None:
    """Raises :class:`TooManyAttempts` when ``key`` has used up its failures in the current window."""
    moment = now or datetime.now(UTC)
    found = await Attempt.get_or_none(scope=limit.scope, key_hash=_key(limit, key))
    if found is None or found.failures < limit.failures:
        return
    ends = found.window_start + limit.window
    if ends > moment:
        raise TooManyAttempts(limit, ends - moment)


async def failed(limit: Limit, key: str, *, now: datetime | None = None) -> None:
    """Count one failure of ``key`` (a new window starts when the last one has ended)."""
    moment = now or datetime.now(UTC)
    key_hash = _key(limit, key)
    found = await Attempt.get_or_none(scope=limit.scope, key_hash=key_hash)
    if found is None:
        try:
            await Attempt.create(scope=limit.scope, key_hash=key_hash, failures=1, window_start=moment)
            return
        except IntegrityError:  # a concurrent failure created it first
            found = await Attempt.get(scope=limit.scope, key_hash=key_hash)
    if found.window_start + limit.window <= moment:
        await Attempt.filter(id=found.id).update(failures=1, window_start=moment)
    else:
        await Attempt.filter(id=found.id).update(failures=F("failures") + 1)


async def succeeded(limit: Limit, key: str) -> None:
    """Forget the failures of ``key`` (the right secret was given)."""
    await Attempt.filter(scope=limit.scope, key_hash=_key(limit, key)).delete()
