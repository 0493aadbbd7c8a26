"""Unfinished applications: saved server-side after every step, resumed with a secret link.

The citizen holds the draft's token (in a cookie and in the resume link); the store keeps
only its digest, like tracking tokens of submissions, so a copy of the database resumes
nobody's form. Every lookup is scoped to the tenant: a token of one municipality finds
nothing in another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from engine.definitions import ServiceDefinition
from engine.services import secrets
from engine.services import uploads as uploads_service
from engine.services.errors import NotFound
from engine.services.uploads import StoredUpload
from engine.store.models import Attachment, Draft, Tenant

# A draft nobody touched for this long is gone (it holds personal data; PDPA asks us not to hoard it).
DRAFT_LIFETIME = timedelta(days=30)
# Written into ``Draft.step`` while a submission of the draft is under way, so that a double
# click on "submit" cannot file the same application twice.
SUBMITTING = "__submitting__"
# No submission takes this long; a claim older than this belongs to a request that died.
SUBMIT_TIMEOUT = timedelta(minutes=2)
_SCOPE = "draft"


class DraftNotFound(NotFound):
    """No draft with that token in this tenant (or it expired); the two are not told apart."""

    code = "draft_not_found"

    def __init__(self) -> None:
        super().__init__("no such draft")


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> str:
    return secrets.digest(token, scope=_SCOPE)


async def create(tenant: Tenant, definition: ServiceDefinition, *, step: str = "") -> tuple[str, Draft]:
    """A new empty draft of ``definition`` in ``tenant``; returns the token (shown once) and the row."""
    token = secrets.new_token()
    draft = await Draft.create(
        tenant=tenant,
        token_hash=_digest(token),
        service_id=definition.id,
        service_version=definition.version,
        data={},
        step=step,
    )
    return token, draft


async def load(
    tenant: Tenant, token: str, *, service_id: str | None = None, now: datetime | None = None
) -> Draft:
    """The tenant's draft with this token (of ``service_id`` when given).

    Raises :class:`DraftNotFound` when there is none, it belongs to another tenant or
    service, or it was last saved more than :data:`DRAFT_LIFETIME` ago.
    """
    if not token:
        raise DraftNotFound()
    draft = await Draft.get_or_none(tenant=tenant, token_hash=_digest(token))
    if draft is None or (service_id is not None and draft.service_id != service_id):
        raise DraftNotFound()
    if draft.updated_at + DRAFT_LIFETIME < (now or _now()):
        raise DraftNotFound()
    return draft


async def save(
    draft: Draft,
    data: dict[str, Any],
    step: str,
    *,
    version: str | None = None,
    uploads: Sequence[StoredUpload] = (),
    blobs: Any = None,
) -> Draft:
    """Store the answers so far and the step the citizen was on (``version``: the definition's),
    with the rows of the files uploaded on that page, in one transaction: the answers never
    list a file without its row, nor a file its row without the answers. When it fails the
    uploaded bytes are deleted (``blobs``) and the error propagates.
    """
    draft.data = data
    draft.step = step
    fields = ["data", "step", "updated_at"]
    if version is not None:
        draft.service_version = version
        fields.append("service_version")
    try:
        async with in_transaction() as connection:
            await uploads_service.record(uploads, draft=draft, connection=connection)
            await draft.save(update_fields=fields, using_db=connection)
    except BaseException:
        if uploads and blobs is not None:
            await uploads_service.discard(uploads, blobs=blobs)
        raise
    return draft


async def claim_for_submission(draft: Draft, *, now: datetime | None = None) -> bool:
    """Mark the draft as being submitted; False when another request already did.

    The conditional update is atomic in the database, so of two simultaneous submits of one
    draft exactly one gets True. A claim older than :data:`SUBMIT_TIMEOUT` (its request
    died) can be taken over, so a crash never locks a citizen out of their draft.
    """
    moment = now or _now()
    updated = (
        await Draft.filter(id=draft.id, tenant_id=draft.tenant_id)
        .filter(Q(step__not=SUBMITTING) | Q(updated_at__lt=moment - SUBMIT_TIMEOUT))
        .update(step=SUBMITTING, updated_at=moment)
    )
    return bool(updated)


async def release(draft: Draft, step: str) -> None:
    """Undo :func:`claim_for_submission` after a submission that stored nothing."""
    await Draft.filter(id=draft.id, tenant_id=draft.tenant_id).update(step=step)


async def discard(tenant: Tenant, draft_id: int, *, blobs: Any = None) -> None:
    """Delete a draft of ``tenant``.

    Its uploads that no submission took (the citizen gave up, or the answer asking for them
    was dropped) go with it when ``blobs`` (the blob store) is given; uploads a submission
    owns stay. Raises :class:`~engine.blobs.BlobError` when the store fails to delete bytes
    (the rows are gone by then).
    """
    await _drop_unsubmitted_uploads(tenant.id, [draft_id], blobs)
    await Draft.filter(tenant=tenant, id=draft_id).delete()


async def purge_expired(*, now: datetime | None = None, blobs: Any = None) -> int:
    """Delete drafts not saved for :data:`DRAFT_LIFETIME` (with their unsubmitted uploads
    when ``blobs`` is given); returns how many drafts."""
    cutoff = (now or _now()) - DRAFT_LIFETIME
    expired = await Draft.filter(updated_at__lt=cutoff).values_list("id", "tenant_id")
    by_tenant: dict[int, list[int]] = {}
    for draft_id, tenant_id in expired:
        by_tenant.setdefault(tenant_id, []).append(draft_id)
    for tenant_id, draft_ids in by_tenant.items():
        await _drop_unsubmitted_uploads(tenant_id, draft_ids, blobs)
        await Draft.filter(tenant_id=tenant_id, id__in=draft_ids).delete()
    return len(expired)


async def _drop_unsubmitted_uploads(tenant_id: int, draft_ids: list[int], blobs: Any) -> None:
    if blobs is None or not draft_ids:
        return
    query = Attachment.filter(tenant_id=tenant_id, draft_id__in=draft_ids, submission_id=None)
    keys = await query.values_list("blob_key", flat=True)
    await query.delete()
    for key in keys:
        # The minio client blocks: never on the ORM's loop.
        await asyncio.to_thread(blobs.delete, key)
