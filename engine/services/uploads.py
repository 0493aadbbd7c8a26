"""Files citizens upload with an application: checked by content, stored at once, owned by the tenant.

An upload is checked against the service's attachment spec (accepted types judged by the
bytes, not the name; size limit), its bytes go to the blob store under
``tenant/<tenant_id>/attachments/<id>``, and an :class:`Attachment` row records it. The form
data then holds the attachment's description (``{id, filename, content_type, size,
sha256}``); :func:`engine.services.submissions.submit` links the rows to the submission.

The blob store's clients block (minio), so their calls run in a worker thread, never on
the ORM's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import unicodedata
from typing import Any

from engine.blobs import BlobError, UploadRejected, check_upload
from engine.definitions import ServiceDefinition
from engine.definitions.model import AttachmentSpec
from engine.services import secrets
from engine.services.errors import NotFound
from engine.store.models import Attachment, Draft, Tenant

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class UnknownAttachment(NotFound):
    """The service has no such attachment, or the tenant no such uploaded file."""

    code = "attachment_not_found"


def blob_key(tenant: Tenant, attachment_id: str) -> str:
    return f"tenant/{tenant.id}/attachments/{attachment_id}"


def clean_filename(filename: str | None) -> str:
    """The name to show: no folders (browsers of old sent whole paths), no control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", unicodedata.normalize("NFC", name)).strip()
    return name[:255] or "file"


def spec_for(definition: ServiceDefinition, attachment_id: str) -> AttachmentSpec:
    """The attachment spec of ``definition``; raises :class:`UnknownAttachment`."""
    spec = definition.service.attachment(attachment_id)
    if spec is None:
        raise UnknownAttachment(f"{definition.id} has no attachment {attachment_id!r}")
    return spec


def describe(attachment: Attachment) -> dict[str, Any]:
    """What the form data keeps of an attachment (the shared ``attachment`` type)."""
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


async def upload(
    tenant: Tenant,
    definition: ServiceDefinition,
    attachment_id: str,
    data: bytes,
    filename: str | None,
    *,
    blobs: Any,
    draft: Draft | None = None,
) -> dict[str, Any]:
    """Check, store and record one uploaded file; returns its description for the form data.

    Raises :class:`UnknownAttachment` (no such attachment in the service),
    :class:`~engine.blobs.UploadRejected` (empty, too large or a type the service does not
    take; its messages are for the citizen) and :class:`~engine.blobs.BlobError` when the
    store fails (nothing is recorded then).
    """
    spec = spec_for(definition, attachment_id)
    name = clean_filename(filename)
    content_type = check_upload(data, name, spec.accept, spec.max_bytes)
    attachment_key = secrets.new_token(18)
    key = blob_key(tenant, attachment_key)
    await asyncio.to_thread(blobs.put, key, data, content_type)
    try:
        attachment = await Attachment.create(
            id=attachment_key,
            tenant=tenant,
            draft=draft,
            blob_key=key,
            filename=name,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
    except BaseException:
        # No row points at the blob: remove it rather than leave personal data nobody can find.
        with contextlib.suppress(BlobError, OSError):
            await asyncio.to_thread(blobs.delete, key)
        raise
    return describe(attachment)


async def remove(tenant: Tenant, attachment_id: str, *, blobs: Any, draft: Draft | None = None) -> None:
    """Delete an upload the citizen took back, with its bytes.

    Only files of ``tenant`` that no submission owns yet (and, given ``draft``, that were
    uploaded to that draft) can be removed; anything else raises :class:`UnknownAttachment`.
    Raises :class:`~engine.blobs.BlobError` when the store fails to delete the bytes (the
    row is gone by then, so the file is no longer part of the form).
    """
    query = Attachment.filter(tenant=tenant, id=attachment_id, submission_id=None)
    if draft is not None:
        query = query.filter(draft_id=draft.id)
    attachment = await query.first()
    if attachment is None:
        raise UnknownAttachment(f"no attachment {attachment_id!r}")
    await attachment.delete()
    await asyncio.to_thread(blobs.delete, attachment.blob_key)


async def read(tenant: Tenant, attachment_id: str, *, blobs: Any) -> tuple[Attachment, bytes]:
    """An attachment of ``tenant`` and its bytes; raises :class:`UnknownAttachment` or
    :class:`~engine.blobs.BlobError`."""
    attachment = await Attachment.get_or_none(tenant=tenant, id=attachment_id)
    if attachment is None:
        raise UnknownAttachment(f"no attachment {attachment_id!r}")
    return attachment, await asyncio.to_thread(blobs.get, attachment.blob_key)


__all__ = [
    "UnknownAttachment",
    "UploadRejected",
    "blob_key",
    "clean_filename",
    "describe",
    "read",
    "remove",
    "spec_for",
    "upload",
]
