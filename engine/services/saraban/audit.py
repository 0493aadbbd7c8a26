"""The correspondence audit trail: append-only, each entry hash-chained to the one before.

``hash = sha256(prev_hash + canonical JSON of the entry)``. The chain's head lives in one row
per tenant (:class:`SarabanChain`); taking the next sequence number updates that row, whose
lock then orders concurrent appends until their transactions end, so no two entries share a
predecessor. :func:`verify` recomputes the chain and names the first entry that does not fit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.store.models import SarabanAudit, SarabanChain

GENESIS = "0" * 64
_TAKE = (
    "INSERT INTO saraban_chain (tenant_id, last_seq, last_hash) VALUES ({p1}, 1, '') "
    "ON CONFLICT (tenant_id) DO UPDATE SET last_seq = saraban_chain.last_seq + 1 "
    "RETURNING last_seq, last_hash"
)


def entry_hash(
    prev_hash: str, seq: int, at: datetime, event: str, letter: str, actor: str, detail: Any
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "event": event,
            "letter": letter,
            "actor": actor,
            "detail": detail,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


async def record(
    connection: Any,
    tenant_id: int,
    event: str,
    *,
    letter: str = "",
    actor_id: int | None = None,
    actor_label: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> SarabanAudit:
    """Append one entry inside the caller's transaction (``connection``)."""
    postgres = connection.capabilities.dialect == "postgres"
    rows = await connection.execute_query_dict(_TAKE.format(p1="$1" if postgres else "?"), [tenant_id])
    seq = int(rows[0]["last_seq"])
    prev = rows[0]["last_hash"] or GENESIS
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    details = detail or {}
    digest = entry_hash(prev, seq, moment, event, letter, actor_label, details)
    await SarabanChain.filter(tenant_id=tenant_id).using_db(connection).update(last_hash=digest)
    return await SarabanAudit.create(
        tenant_id=tenant_id,
        seq=seq,
        at=moment,
        event=event,
        letter_public_id=letter,
        actor_id=actor_id,
        actor_label=actor_label,
        detail=details,
        prev_hash=prev,
        hash=digest,
        using_db=connection,
    )


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken_at: int | None  # the first sequence number that does not fit, or None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


async def verify(tenant_id: int) -> ChainReport:
    """Recompute the tenant's chain from the first entry; an edited, removed or inserted entry breaks it."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    async for entry in SarabanAudit.filter(tenant_id=tenant_id).order_by("seq"):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev:
            return ChainReport(count, entry.seq, "it does not follow the entry before")
        digest = entry_hash(
            prev, entry.seq, entry.at, entry.event, entry.letter_public_id, entry.actor_label, entry.detail
        )
        if digest != entry.hash:
            return ChainReport(count, entry.seq, "its content does not match its hash")
        prev = entry.hash
        expected_seq += 1
    head = await SarabanChain.get_or_none(tenant_id=tenant_id)
    if head is not None and (head.last_seq != count or (count and head.last_hash != prev)):
        return ChainReport(count, count + 1, "the chain's head names entries that are not there")
    return ChainReport(count, None)


async def of_letter(tenant_id: int, public_id: str) -> list[SarabanAudit]:
    return await SarabanAudit.filter(tenant_id=tenant_id, letter_public_id=public_id).order_by("seq")
