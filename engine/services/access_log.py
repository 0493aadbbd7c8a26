"""Who looked at whose personal data: an append-only, hash-chained log per municipality.

Every officer's view of an application, and every download of its attachments or issued
documents, appends an entry. Each entry's ``hash`` is SHA-256 over the previous entry's hash
and this entry's canonical JSON, so changing, removing or inserting a row breaks the chain
from there on; :func:`verify` finds the first break (``thongthin audit verify TENANT``).

Appends of one municipality are serialised (a row lock on the tenant on PostgreSQL, the
single writer on SQLite) and ``(tenant, seq)`` is unique, so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from engine.errors import ThongthinError
from engine.services import secrets
from engine.store.models import AccessLogEntry, SubjectIndex, Submission, Tenant, User
from engine.store.queries import flat

GENESIS = "0" * 64
# Actions (AccessLogEntry.action).
VIEW = "view"
ATTACHMENT = "attachment"
DOCUMENT = "document"
EXPORT = "export"


class ChainBroken(ThongthinError):
    """An entry does not follow from the one before it: the log was changed after it was written."""

    def __init__(self, seq: int, reason: str):
        self.seq = seq
        super().__init__(f"the access log breaks at entry {seq}: {reason}")


def subject_hash(national_id: str) -> str:
    """How a national ID is found in the log and the subject index without being stored."""
    return secrets.digest("".join(ch for ch in national_id if ch.isdigit()), scope="subject")


def _canonical(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _entry_fields(row: AccessLogEntry) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "reference": row.reference,
        "object_id": row.object_id,
        "subject_hashes": list(row.subject_hashes or []),
        "address": row.address,
        "channel": row.channel,
    }


def _chain(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{_canonical(fields)}".encode()).hexdigest()


async def subjects_of(submission: Submission) -> list[str]:
    return list(
        await flat(
            SubjectIndex.filter(tenant_id=submission.tenant_id, submission_id=submission.id), "subject_hash"
        )
    )


async def record(
    submission: Submission,
    actor: User | None,
    action: str,
    *,
    object_id: str = "",
    address: str = "",
    channel: str = "web",
    now: datetime | None = None,
) -> AccessLogEntry:
    """Append one entry about ``submission`` to its municipality's chain."""
    subjects = await subjects_of(submission)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # every backend keeps milliseconds
    async with in_transaction() as connection:
        if connection.capabilities.dialect == "postgres":
            await connection.execute_query(
                "SELECT id FROM tenant WHERE id = $1 FOR UPDATE", [submission.tenant_id]
            )
        last = (
            await AccessLogEntry.filter(tenant_id=submission.tenant_id)
            .using_db(connection)
            .order_by("-seq")
            .first()
        )
        row = AccessLogEntry(
            tenant_id=submission.tenant_id,
            seq=(last.seq + 1) if last else 1,
            at=moment,
            actor_id=actor.id if actor else None,
            actor_label=(f"{actor.display_name} ({actor.username})" if actor else "system")[:200],
            action=action,
            reference=submission.reference,
            object_id=object_id[:64],
            subject_hashes=subjects,
            address=address[:64],
            channel=channel,
            prev_hash=last.hash if last else GENESIS,
        )
        row.hash = _chain(row.prev_hash, _entry_fields(row))
        await row.save(using_db=connection)
    return row


@dataclass(frozen=True)
class Verified:
    entries: int
    head: str


async def verify(tenant: Tenant, *, batch: int = 1000) -> Verified:
    """Check the whole chain of ``tenant``; raises :class:`ChainBroken` at the first bad entry."""
    previous, expected_seq, count = GENESIS, 1, 0
    while True:
        rows = (
            await AccessLogEntry.filter(tenant_id=tenant.id, seq__gte=expected_seq)
            .order_by("seq")
            .limit(batch)
        )
        if not rows:
            return Verified(count, previous)
        for row in rows:
            if row.seq != expected_seq:
                raise ChainBroken(expected_seq, "an entry is missing")
            if row.prev_hash != previous:
                raise ChainBroken(row.seq, "it does not point at the entry before it")
            if _chain(row.prev_hash, _entry_fields(row)) != row.hash:
                raise ChainBroken(row.seq, "its content was changed")
            previous, expected_seq, count = row.hash, row.seq + 1, count + 1


async def index_subjects(
    submission: Submission, national_ids: Iterable[str], connection: Any = None, *, new: bool = False
) -> None:
    """Remember whose application this is (by national ID hash), for subject requests.

    ``new``: the submission was just created, so none is indexed yet and one insert does.
    """
    if new:
        rows = [
            SubjectIndex(
                tenant_id=submission.tenant_id, submission_id=submission.id, subject_hash=subject_hash(n)
            )
            for n in set(national_ids)
        ]
        if rows:
            await SubjectIndex.bulk_create(rows, using_db=connection)
        return
    for national_id in set(national_ids):
        await SubjectIndex.get_or_create(
            tenant_id=submission.tenant_id,
            submission_id=submission.id,
            subject_hash=subject_hash(national_id),
            using_db=connection,
        )


@dataclass(frozen=True)
class Look:
    at: datetime
    who: str
    action: str
    reference: str
    channel: str
    address: str


async def who_looked(tenant: Tenant, national_id: str) -> tuple[list[str], list[Look]]:
    """The references of a citizen's applications, and every recorded look at them, newest first."""
    references = await flat(
        SubjectIndex.filter(tenant_id=tenant.id, subject_hash=subject_hash(national_id)).order_by(
            "submission_id"
        ),
        "submission__reference",
    )
    if not references:
        return [], []
    rows = (
        await AccessLogEntry.filter(tenant_id=tenant.id, reference__in=references)
        .order_by("-seq")
        .limit(1000)
    )
    return references, [Look(r.at, r.actor_label, r.action, r.reference, r.channel, r.address) for r in rows]


async def backfill_subjects(definition_of: Any, *, batch: int = 500) -> int:
    """Index the subjects of applications stored before the subject index existed; returns how many.

    Idempotent: applications that have index rows, or were anonymised, are left alone.
    """
    from engine.services.submissions import national_ids

    indexed = set(await SubjectIndex.all().distinct().values_list("submission_id", flat=True))
    done, last_id = 0, 0
    while True:
        rows = await Submission.filter(id__gt=last_id, anonymised_at__isnull=True).order_by("id").limit(batch)
        if not rows:
            return done
        for submission in rows:
            last_id = submission.id
            if submission.id in indexed:
                continue
            try:
                definition = definition_of(submission.service_id, submission.service_version)
            except ThongthinError:  # a service no longer in the catalog: its fields are unknown
                continue
            found = national_ids(definition, submission.data)
            if found:
                await index_subjects(submission, found)
                done += 1
