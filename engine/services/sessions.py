"""Browser sessions kept on the server: the cookie carries a random token, the data stays here.

Only the token's digest is stored, so the table alone opens no session. A session ends when
its row is deleted: at logout, when the officer is deactivated or their password changes
(:mod:`engine.services.accounts`), after :data:`IDLE` without a request, and :data:`ABSOLUTE`
after it began however active it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.services import secrets
from engine.store.models import WebSession

IDLE = timedelta(minutes=int(os.environ.get("THONGTHIN_SESSION_IDLE_MINUTES", "30") or 30))
ABSOLUTE = timedelta(hours=int(os.environ.get("THONGTHIN_SESSION_HOURS", "12") or 12))
# last_seen_at is written at most this often: a page with ten requests writes once.
TOUCH_EVERY = timedelta(minutes=1)
# A cookie value longer than this is no token of ours (tokens are 43 characters).
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True)
class Loaded:
    data: dict[str, Any]
    needs_touch: bool


def _digest(token: str) -> str:
    return secrets.digest(token, scope="web-session")


async def load(token: str, *, now: datetime | None = None) -> Loaded | None:
    """The data of a live session, or None (unknown, idle too long, or past its absolute end)."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    moment = now or datetime.now(UTC)
    found = await WebSession.get_or_none(id=_digest(token))
    if found is None:
        return None
    if found.expires_at <= moment or found.last_seen_at + IDLE <= moment:
        await WebSession.filter(id=found.id).delete()
        return None
    return Loaded(dict(found.data or {}), needs_touch=moment - found.last_seen_at >= TOUCH_EVERY)


async def save(
    token: str | None,
    data: dict[str, Any],
    *,
    user_id: int | None = None,
    tenant_id: int | None = None,
    now: datetime | None = None,
) -> str:
    """Store ``data`` under ``token`` (a new session when ``token`` is None); returns the token."""
    moment = now or datetime.now(UTC)
    if token is not None:
        updated = await WebSession.filter(id=_digest(token)).update(
            data=data, user_id=user_id, tenant_id=tenant_id, last_seen_at=moment
        )
        if updated:
            return token
    token = secrets.new_token()
    await WebSession.create(
        id=_digest(token),
        data=data,
        user_id=user_id,
        tenant_id=tenant_id,
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + ABSOLUTE,
    )
    return token


async def touch(token: str, *, now: datetime | None = None) -> None:
    await WebSession.filter(id=_digest(token)).update(last_seen_at=now or datetime.now(UTC))


async def end(token: str) -> None:
    await WebSession.filter(id=_digest(token)).delete()


async def purge_expired(*, now: datetime | None = None) -> int:
    """Delete ended sessions (the worker's housekeeping); returns how many."""
    moment = now or datetime.now(UTC)
    ended = await WebSession.filter(expires_at__lte=moment).delete()
    return ended + await WebSession.filter(last_seen_at__lte=moment - IDLE).delete()
