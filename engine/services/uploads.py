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
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.blobs import BlobError, UploadRejected, check_upload
from engine.blobs.sniff import AVIF, HEIC, JPEG, PDF, PNG, WEBP
from engine.definitions import ServiceDefinition
from engine.definitions.model import AttachmentSpec
from engine.services import secrets, throttle
from engine.services.errors import NotFound
from engine.store.bounds import could_be_key
from engine.store.models import Attachment, Draft, Tenant

# The extension a stored file is served with: the one of what it really is, whatever it was called.
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", WEBP: ".webp", HEIC: ".heic", AVIF: ".avif"}
# Extensions that already name the detected type correctly (kept as the citizen wrote them).
_SYNONYMS = {JPEG: {".jpg", ".jpeg", ".jpe"}, HEIC: {".heic", ".heif"}}
# File names are stored in a 255-character column and sent in Content-Disposition headers.
_MAX_NAME_BYTES = 255
# Files uploaded but attached to no draft and no submission are deleted after this long.
ORPHAN_LIFETIME = timedelta(hours=int(os.environ.get("THONGTHIN_UPLOAD_TTL_HOURS", "6") or 6))


class UploadQuotaExceeded(UploadRejected):
    """Too many files, or too many bytes, uploaded from one address in an hour.

    ``seconds`` is how long to wait (the ``Retry-After`` header).
    """

    def __init__(self, refusal: throttle.TooManyAttempts, *, filename: str | None = None):
        self.seconds = refusal.seconds
        minutes = refusal.minutes
        super().__init__(
            UploadRejected.TOO_MANY_UPLOADS,
            f"มีการแนบไฟล์จากเครือข่ายของท่านมากเกินไป กรุณารอประมาณ {minutes} นาทีแล้วลองใหม่",
            f"Too many files were uploaded from your network; please wait about {minutes} minutes and try again.",
            filename=filename,
        )


class UnknownAttachment(NotFound):
    """The service has no such attachment, or the tenant no such uploaded file."""

    code = "attachment_not_found"


def blob_key(tenant: Tenant, attachment_id: str) -> str:
    return f"tenant/{tenant.id}/attachments/{attachment_id}"


def _visible(character: str) -> bool:
    # Cc: control characters; Cf: format characters, among them the bidirectional overrides
    # (U+202E makes "gpj.exe" read "exe.jpg") and zero-width spaces and joiners.
    return unicodedata.category(character) not in ("Cc", "Cf")


def clean_filename(filename: str | None, content_type: str | None = None) -> str:
    """The name to store and show: no folders, no invisible characters, the true extension.

    Browsers of old sent whole paths; bidirectional controls and zero-width characters can
    make a name read as something else. Given the detected ``content_type``, the name ends in
    that type's extension (``x.html`` holding a PNG becomes ``x.png``). A long name keeps its
    extension: the stem is shortened to fit 255 bytes of UTF-8.
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if _visible(c)).strip()
    stem, suffix = _split_extension(name)
    true_suffix = EXTENSIONS.get(content_type or "")
    if true_suffix and suffix.lower() not in _SYNONYMS.get(content_type or "", {true_suffix}):
        suffix = true_suffix
    stem = stem.strip(" .") or "file"
    budget = _MAX_NAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:budget].decode(errors="ignore").rstrip(" .") or "file"
    return f"{stem}{suffix}"


def _split_extension(name: str) -> tuple[str, str]:
    """``("plan", ".pdf")``; a dot followed by words or spaces is part of the name, not an extension."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 1 <= len(extension) <= 5 and extension.isascii() and extension.isalnum():
        return stem, f".{extension}"
    return name, ""


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


@dataclass(frozen=True)
class StoredUpload:
    """A file checked and put in the blob store, not yet recorded: :func:`record` writes its row
    (in the caller's transaction), :func:`discard` takes the bytes back when that fails."""

    tenant_id: int
    id: str
    blob_key: str
    filename: str
    content_type: str
    size: int
    sha256: str

    def description(self) -> dict[str, Any]:
        """What the form data keeps of the file (the shared ``attachment`` type)."""
        return {
            "id": self.id,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


async def store(
    tenant: Tenant,
    definition: ServiceDefinition,
    attachment_id: str,
    data: bytes,
    filename: str | None,
    *,
    blobs: Any,
    client: str | None = None,
) -> StoredUpload:
    """Check one uploaded file and put its bytes in the blob store, without recording it.

    ``client`` is the sender's address: files and bytes from one address are limited per
    hour (:data:`~engine.services.throttle.UPLOAD_FILES`, :data:`~engine.services.throttle.UPLOAD_BYTES`),
    counted before anything is stored.

    Raises :class:`UnknownAttachment` (no such attachment in the service),
    :class:`~engine.blobs.UploadRejected` (empty, too large, a type the service does not
    take, an absurd image; its messages are for the citizen), :class:`UploadQuotaExceeded`
    (too many uploads from ``client``) and :class:`~engine.blobs.BlobError` when the store
    fails.
    """
    spec = spec_for(definition, attachment_id)
    shown = clean_filename(filename)
    content_type = check_upload(data, shown, spec.accept, spec.max_bytes)
    if client is not None:
        try:
            await throttle.take(throttle.UPLOAD_FILES, client)
            await throttle.take(throttle.UPLOAD_BYTES, client, amount=len(data))
        except throttle.TooManyAttempts as refusal:
            raise UploadQuotaExceeded(refusal, filename=shown) from None
    attachment_key = secrets.new_token(18)
    key = blob_key(tenant, attachment_key)
    await asyncio.to_thread(blobs.put, key, data, content_type)
    return StoredUpload(
        tenant_id=tenant.id,
        id=attachment_key,
        blob_key=key,
        filename=clean_filename(filename, content_type),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


async def record(
    stored: Sequence[StoredUpload], *, draft: Draft | None = None, connection: Any = None
) -> None:
    """Write the rows of stored files (uploaded to ``draft`` if given), in one statement."""
    if stored:
        await Attachment.bulk_create(
            [
                Attachment(
                    id=s.id,
                    tenant_id=s.tenant_id,
                    draft_id=draft.id if draft is not None else None,
                    blob_key=s.blob_key,
                    filename=s.filename,
                    content_type=s.content_type,
                    size=s.size,
                    sha256=s.sha256,
                )
                for s in stored
            ],
            using_db=connection,
        )


async def discard(stored: Sequence[StoredUpload], *, blobs: Any) -> None:
    """Delete the bytes of files no row points at (their recording failed): personal data
    nobody could find is not kept."""
    for s in stored:
        with contextlib.suppress(BlobError, OSError):
            await asyncio.to_thread(blobs.delete, s.blob_key)


async def upload(
    tenant: Tenant,
    definition: ServiceDefinition,
    attachment_id: str,
    data: bytes,
    filename: str | None,
    *,
    blobs: Any,
    draft: Draft | None = None,
    client: str | None = None,
) -> dict[str, Any]:
    """Check, store and record one uploaded file; returns its description for the form data.

    Raises what :func:`store` raises.
    """
    stored = await store(tenant, definition, attachment_id, data, filename, blobs=blobs, client=client)
    await keep([stored], blobs=blobs, draft=draft)
    return stored.description()


async def keep(stored: Sequence[StoredUpload], *, blobs: Any, draft: Draft | None = None) -> None:
    """Record stored files on their own (see :func:`record`); their bytes are deleted when that fails."""
    try:
        await record(stored, draft=draft)
    except BaseException:
        await discard(stored, blobs=blobs)
        raise


async def remove(tenant: Tenant, attachment_id: str, *, blobs: Any, draft: Draft | None = None) -> None:
    """Delete an upload the citizen took back, with its bytes.

    Only files of ``tenant`` that no submission owns yet (and, given ``draft``, that were
    uploaded to that draft) can be removed; anything else raises :class:`UnknownAttachment`.
    Raises :class:`~engine.blobs.BlobError` when the store fails to delete the bytes (the
    row is gone by then, so the file is no longer part of the form).
    """
    if not could_be_key(attachment_id, Attachment, "id"):
        raise UnknownAttachment(f"no attachment {attachment_id!r}")
    query = Attachment.filter(tenant=tenant, id=attachment_id, submission_id=None)
    if draft is not None:
        query = query.filter(draft_id=draft.id)
    attachment = await query.first()
    if attachment is None:
        raise UnknownAttachment(f"no attachment {attachment_id!r}")
    await attachment.delete()
    await asyncio.to_thread(blobs.delete, attachment.blob_key)


async def purge_orphans(*, blobs: Any, now: datetime | None = None) -> int:
    """Delete files (rows and bytes) that no draft and no submission took within :data:`ORPHAN_LIFETIME`.

    An upload through the API that never became part of an application would otherwise keep
    someone's ID card scan forever. Returns how many were deleted. A submission racing with
    this finds the file gone and tells its applicant to upload it again.
    """
    cutoff = (now or datetime.now(UTC)) - ORPHAN_LIFETIME
    query = Attachment.filter(submission_id=None, draft_id=None, created_at__lt=cutoff)
    found = await query.values_list("id", "blob_key")
    if not found:
        return 0
    deleted = 0
    for attachment_id, key in found:
        # Row by row, still unowned: a file a submission claimed meanwhile keeps its bytes.
        if not await Attachment.filter(id=attachment_id, submission_id=None, draft_id=None).delete():
            continue
        deleted += 1
        # The minio client blocks: never on the ORM's loop.
        with contextlib.suppress(BlobError, OSError):
            await asyncio.to_thread(blobs.delete, key)
    return deleted


async def read(tenant: Tenant, attachment_id: str, *, blobs: Any) -> tuple[Attachment, bytes]:
    """An attachment of ``tenant`` and its bytes; raises :class:`UnknownAttachment` or
    :class:`~engine.blobs.BlobError`."""
    attachment = None
    if could_be_key(attachment_id, Attachment, "id"):
        attachment = await Attachment.get_or_none(tenant=tenant, id=attachment_id)
    if attachment is None:
        raise UnknownAttachment(f"no attachment {attachment_id!r}")
    return attachment, await asyncio.to_thread(blobs.get, attachment.blob_key)


__all__ = [
    "ORPHAN_LIFETIME",
    "UnknownAttachment",
    "UploadQuotaExceeded",
    "UploadRejected",
    "blob_key",
    "clean_filename",
    "describe",
    "purge_orphans",
    "read",
    "remove",
    "spec_for",
    "upload",
]
