"""The end of personal data: closed applications past their service's retention are anonymised.

Each service says how long its applications are kept (``pdpa.retention`` in service.json,
e.g. ``P10Y`` counted from when the application closed). After that the worker blanks the
form data, forgets the contact and subject hashes and the tracking token, and deletes the
attached files with their bytes, and the officers' internal comments on it. The register row stays: reference, service, dates and
outcome, and the workflow history without the officers' notes. Issued
documents stay in the register too: they are the municipality's own official record.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from engine.blobs import BlobError
from engine.definitions import ServiceDefinition
from engine.durations import Duration
from engine.store.models import Attachment, AuditEntry, SubjectIndex, Submission, SubmissionComment

DefinitionOf = Callable[[str, str], ServiceDefinition]


def retention_of(definition: ServiceDefinition) -> timedelta:
    return Duration.parse(definition.service.pdpa.retention).approximate()


def past_retention(submission: Submission, definition: ServiceDefinition, now: datetime) -> bool:
    """True when ``submission`` closed longer ago than its service keeps applications."""
    return submission.closed and submission.state_entered_at + retention_of(definition) <= now


async def anonymise(submission: Submission, *, blobs: Any, now: datetime | None = None) -> int:
    """Remove the personal data of one submission (see the module); returns the files deleted."""
    moment = now or datetime.now(UTC)
    async with in_transaction() as connection:
        keys = list(
            await Attachment.filter(tenant_id=submission.tenant_id, submission_id=submission.id)
            .using_db(connection)
            .values_list("blob_key", flat=True)
        )
        await (
            Attachment.filter(tenant_id=submission.tenant_id, submission_id=submission.id)
            .using_db(connection)
            .delete()
        )
        await (
            SubjectIndex.filter(tenant_id=submission.tenant_id, submission_id=submission.id)
            .using_db(connection)
            .delete()
        )
        # Officers' notes on the way (comments, reasons) may describe the applicant too.
        await (
            AuditEntry.filter(tenant_id=submission.tenant_id, submission_id=submission.id)
            .using_db(connection)
            .update(input={})
        )
        await (
            SubmissionComment.filter(tenant_id=submission.tenant_id, submission_id=submission.id)
            .using_db(connection)
            .delete()
        )
        await (
            Submission.filter(id=submission.id)
            .using_db(connection)
            .update(data={}, contact_hashes=[], tracking_token_hash="", anonymised_at=moment)
        )
    for key in keys:
        # The minio client blocks: never on the ORM's loop. A file left behind is unreachable.
        with contextlib.suppress(BlobError, OSError):
            await asyncio.to_thread(blobs.delete, key)
    return len(keys)


async def enforce(
    definition_of: DefinitionOf, shortest: timedelta, *, blobs: Any, now: datetime | None = None
) -> int:
    """Anonymise every closed submission past its retention (the worker's housekeeping); returns how many.

    ``shortest`` is the shortest retention of any service: nothing closed more recently can be due.
    """
    moment = now or datetime.now(UTC)
    done = 0
    candidates = Submission.filter(
        closed=True, anonymised_at__isnull=True, state_entered_at__lte=moment - shortest
    )
    for submission in await candidates.order_by("id").limit(1000):
        if past_retention(
            submission, definition_of(submission.service_id, submission.service_version), moment
        ):
            await anonymise(submission, blobs=blobs, now=moment)
            done += 1
    return done
