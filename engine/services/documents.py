"""Issued documents: numbered per tenant and year, reserved before rendering, found by their public ID.

Rendering and signing are adapters the composition root plugs in (see ``thongthin.runners``);
this module only keeps the records, so that a document is never lost nor issued twice: the
number and public ID are reserved in one transaction keyed by the effect job, and the
document is marked issued only once its signed bytes are stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from engine.definitions import ServiceDefinition
from engine.forms import data_roles
from engine.services import secrets, webhooks
from engine.services.errors import NotFound
from engine.store.bounds import could_be_key
from engine.store.counters import next_number
from engine.store.models import Bill, EffectJob, IssuedDocument, Submission
from engine.thaidate import buddhist_year
from engine.workflow.sla import BANGKOK


class DocumentNotFound(NotFound):
    code = "document_not_found"


async def reserve(
    job: EffectJob, submission: Submission, definition: ServiceDefinition, document_id: str
) -> IssuedDocument:
    """The document this job issues: reserved now with the next number, or the one it reserved before."""
    spec = definition.service.document(document_id)
    if spec is None:
        raise DocumentNotFound(f"{definition.id} declares no document {document_id!r}")
    return await _reserve(
        job,
        document_id=document_id,
        title_th=spec.title.th,
        title_en=spec.title.en,
        holder=data_roles.document_subject(definition, submission.data),
        submission=submission,
    )


RECEIPT_TITLE = ("ใบเสร็จรับเงิน", "Receipt")


async def reserve_receipt(job: EffectJob, bill: Bill, holder: str) -> IssuedDocument:
    """The e-receipt of a settled bill, numbered in the tenant's document series like any document."""
    return await _reserve(
        job,
        document_id="receipt",
        title_th=RECEIPT_TITLE[0],
        title_en=RECEIPT_TITLE[1],
        holder=holder,
        submission_id=job.submission_id,
        bill=bill,
    )


async def _reserve(job: EffectJob, **values: Any) -> IssuedDocument:
    existing = await IssuedDocument.get_or_none(job_id=job.id)
    if existing is not None:
        return existing
    year_be = buddhist_year(datetime.now(UTC).astimezone(BANGKOK).date())
    async with in_transaction() as connection:
        number = await next_number(connection, "document_counter", job.tenant_id, year_be)
        return await IssuedDocument.create(
            public_id=secrets.new_token(15),
            tenant_id=job.tenant_id,
            job=job,
            number=f"{number}/{year_be}",
            using_db=connection,
            **values,
        )


async def receipts_of(tenant_id: int, bill_ids: list[int]) -> dict[int, IssuedDocument]:
    """The issued receipts of these bills, by bill."""
    found = await IssuedDocument.filter(tenant_id=tenant_id, bill_id__in=bill_ids, status="issued")
    return {d.bill_id: d for d in found if d.bill_id is not None}


def file_name(document: IssuedDocument) -> str:
    """The name an issued document downloads as, e.g. ``permit-15-2569.pdf``."""
    return f"{document.document_id}-{document.number.replace('/', '-')}.pdf"


async def mark_issued(document: IssuedDocument, *, blob_key: str, sha256: str, pades_level: str) -> None:
    """Record the signed file; the first time, announce ``document.issued`` in the same transaction."""
    first = document.status != "issued"
    document.status = "issued"
    document.blob_key = blob_key
    document.sha256 = sha256
    document.pades_level = pades_level
    document.issued_at = datetime.now(UTC)
    async with in_transaction() as connection:
        await document.save(
            update_fields=["status", "blob_key", "sha256", "pades_level", "issued_at"], using_db=connection
        )
        if first:
            submission = (
                await Submission.get(id=document.submission_id, using_db=connection)
                if document.submission_id
                else None
            )
            await webhooks.announce(
                document.tenant_id,
                "document.issued",
                submission.service_id if submission else None,
                {
                    "public_id": document.public_id,
                    "document": document.document_id,
                    "number": document.number,
                    "title": {"th": document.title_th, "en": document.title_en},
                    "reference": submission.reference if submission else None,
                    "service": submission.service_id if submission else None,
                    "receipt": document.bill_id is not None,
                    "issued_at": document.issued_at.isoformat(),
                },
                connection=connection,
                now=document.issued_at,
            )


async def by_public_id(public_id: str) -> IssuedDocument:
    """An issued document (for the public verification page); raises :class:`DocumentNotFound`."""
    found = None
    if could_be_key(public_id, IssuedDocument, "public_id"):
        found = await IssuedDocument.get_or_none(public_id=public_id, status="issued").prefetch_related(
            "tenant"
        )
    if found is None:
        raise DocumentNotFound(f"no issued document {public_id!r}")
    return found


async def by_sha256(digest: str) -> IssuedDocument | None:
    return await IssuedDocument.get_or_none(sha256=digest, status="issued").prefetch_related("tenant")


async def of_submission(submission: Submission) -> list[IssuedDocument]:
    return await IssuedDocument.filter(
        tenant_id=submission.tenant_id, submission=submission, status="issued"
    ).order_by("id")


async def of_submission_by_id(submission: Submission, public_id: str) -> IssuedDocument:
    """An issued document of ``submission``; raises :class:`DocumentNotFound` for any other (another
    application's, another municipality's, one not issued yet)."""
    found = next((d for d in await of_submission(submission) if d.public_id == public_id), None)
    if found is None:
        raise DocumentNotFound(public_id)
    return found


async def issued_by(tenant: Any, public_id: str) -> IssuedDocument:
    """An issued document of ``tenant``; raises :class:`DocumentNotFound` for any other tenant's."""
    found = None
    if could_be_key(public_id, IssuedDocument, "public_id"):
        found = await IssuedDocument.get_or_none(tenant=tenant, public_id=public_id, status="issued")
    if found is None:
        raise DocumentNotFound(f"no issued document {public_id!r}")
    return found
