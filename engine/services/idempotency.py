"""Requests sent with an ``Idempotency-Key``: done once, their first answer replayed for a day.

A client that did not hear the answer to a submission or a payment notification (a dropped
connection, a timeout) sends it again with the same key and gets the first answer back, with
nothing done twice. The answer is stored by the service that does the work, in the same
transaction (:func:`remember`), so a crash leaves either both or neither. Two copies sent at
once race to insert the same ``(tenant, route, key)``: the unique constraint lets one commit,
the other's transaction rolls back whole, and it replays the winner's answer (:func:`earlier`).

The same key with another body is refused (:class:`KeyReused`): it is a different request, and
replaying the first answer to it would be a lie.

An answer holds a secret (a receipt's tracking token), so the table keeps only a digest of the
key and the answer sealed with the key and the body: a copy of the database alone opens nothing,
only the same request again does.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.services import sealing, secrets
from engine.services.errors import ServiceError
from engine.store.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
MAX_KEY_LENGTH = 255
KEPT_FOR = timedelta(hours=24)


class IdempotencyError(ServiceError):
    """A request's ``Idempotency-Key`` cannot be used."""


class InvalidKey(IdempotencyError):
    """The key is empty, longer than 255 characters, or not printable ASCII."""

    http_status = 400
    code = "invalid_idempotency_key"

    def __init__(self) -> None:
        super().__init__(f"the {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")


class KeyReused(IdempotencyError):
    """The key was used within the day for a request with another body."""

    http_status = 422
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(f"this {HEADER} was already used for a request with another body; use a new key")


@dataclass(frozen=True)
class Keyed:
    """A request sent with a key: where to (``route``), the key, and the SHA-256 of its body."""

    route: str
    key: str
    body_sha256: str

    @classmethod
    def of(cls, route: str, key: str, body: bytes) -> Keyed:
        """Raises :class:`InvalidKey` for a key no client should send."""
        if not 0 < len(key) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
            raise InvalidKey()
        if len(route) > 255:  # a route is stored whole when it fits, by its digest otherwise
            route = hashlib.sha256(route.encode()).hexdigest()
        return cls(route, key, hashlib.sha256(body).hexdigest())


@dataclass(frozen=True)
class Answer:
    """The answer to a keyed request: its status and JSON body, and whether it is a replay."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def _stored_key(keyed: Keyed) -> str:
    return secrets.digest(keyed.key, scope=f"idempotency:{keyed.route}")


def _seal(keyed: Keyed, body: dict[str, Any]) -> dict[str, Any]:
    return {"sealed": sealing.seal(keyed.key, f"idempotency:{keyed.body_sha256}", json.dumps(body))}


def _unseal(keyed: Keyed, stored: dict[str, Any]) -> dict[str, Any]:
    opened: dict[str, Any] = json.loads(
        sealing.unseal(keyed.key, f"idempotency:{keyed.body_sha256}", stored["sealed"])
    )
    return opened


async def earlier(tenant_id: int, keyed: Keyed, connection: Any = None) -> Answer | None:
    """The answer first given to ``keyed`` within the day, replayed; ``None`` if it is new.

    Raises :class:`KeyReused` when the key was used for another body.
    """
    found = await (
        IdempotencyKey.filter(
            tenant_id=tenant_id,
            route=keyed.route,
            key=_stored_key(keyed),
            created_at__gt=datetime.now(UTC) - KEPT_FOR,
        )
        .using_db(connection)
        .first()
    )
    if found is None:
        return None
    if found.body_sha256 != keyed.body_sha256:
        raise KeyReused()
    return Answer(found.status, _unseal(keyed, found.response), replayed=True)


async def remember(connection: Any, tenant_id: int, keyed: Keyed, status: int, body: dict[str, Any]) -> None:
    """Store the answer to ``keyed`` in the caller's transaction ``connection``.

    Raises :class:`tortoise.exceptions.IntegrityError` when a concurrent copy stored one first
    (the caller's transaction then rolls back, and it replays :func:`earlier`). An expired key
    of the same name is replaced.
    """
    await (
        IdempotencyKey.filter(
            tenant_id=tenant_id,
            route=keyed.route,
            key=_stored_key(keyed),
            created_at__lte=datetime.now(UTC) - KEPT_FOR,
        )
        .using_db(connection)
        .delete()
    )
    await IdempotencyKey.create(
        tenant_id=tenant_id,
        route=keyed.route,
        key=_stored_key(keyed),
        body_sha256=keyed.body_sha256,
        status=status,
        response=_seal(keyed, body),
        created_at=datetime.now(UTC),
        using_db=connection,
    )


async def winner(tenant_id: int, keyed: Keyed, *, wait: timedelta = timedelta(seconds=10)) -> Answer | None:
    """The answer of a concurrent copy of ``keyed`` still at work, once it is stored (``None`` if it never is).

    For the work a copy refuses while another holds it (a draft being submitted), rather than
    failing at the unique constraint.
    """
    deadline = datetime.now(UTC) + wait
    while True:
        found = await earlier(tenant_id, keyed)
        if found is not None or datetime.now(UTC) >= deadline:
            return found
        await asyncio.sleep(0.05)


async def purge_expired(*, now: datetime | None = None) -> int:
    """Delete the answers older than a day (the worker's housekeeping); returns how many."""
    moment = now or datetime.now(UTC)
    return await IdempotencyKey.filter(created_at__lte=moment - KEPT_FOR).delete()
