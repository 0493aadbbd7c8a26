"""One uploaded file from a citizen's form post, stored or refused with a message for them.

Form steps (files go to the draft) and replies to the office (files wait for the action) store
uploads the same way: checked by content, counted against the sender's address, and a refusal
or a storage fault told as an error of the field.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from flask import g
from werkzeug.datastructures import FileStorage

from engine.blobs import BlobError, UploadRejected
from engine.definitions import ServiceDefinition
from engine.definitions.model import AttachmentSpec
from engine.forms import FieldError
from engine.services import uploads
from renderers import forms
from thongthin.app import client_address, platform

log = logging.getLogger(__name__)
STORE_FAILED = (
    "ระบบจัดเก็บไฟล์ขัดข้อง ไฟล์นี้ยังไม่ถูกบันทึก กรุณาลองใหม่อีกครั้ง",
    "We could not store the file; it was not saved. Please try again.",
)


T = TypeVar("T")


def _stored_or_problem(
    definition: ServiceDefinition, pointer: str, call: Coroutine[Any, Any, T]
) -> T | FieldError:
    try:
        return platform().db(call)
    except UploadRejected as rejected:
        return forms.upload_problem(
            pointer,
            f"{rejected.filename}: {rejected.message_th}",
            f"{rejected.filename}: {rejected.message_en}",
        )
    except BlobError:
        log.exception("storing an upload of %s failed", definition.id)
        return forms.upload_problem(pointer, *STORE_FAILED)


def keep_upload(
    definition: ServiceDefinition, spec: AttachmentSpec, file: FileStorage, pointer: str
) -> uploads.StoredUpload | FieldError:
    """The file checked and its bytes stored, to be recorded with the draft's answers
    (:func:`engine.services.drafts.save`); or the field's error saying why not."""
    call = uploads.store(
        g.tenant,
        definition,
        spec.id,
        file.read(),
        file.filename,
        blobs=platform().blobs,
        client=client_address(),
    )
    return _stored_or_problem(definition, pointer, call)


def store_upload(
    definition: ServiceDefinition, spec: AttachmentSpec, file: FileStorage, pointer: str
) -> dict[str, Any] | FieldError:
    """The stored and recorded file's description for the answers, or the field's error saying why not."""
    stored = keep_upload(definition, spec, file, pointer)
    if isinstance(stored, FieldError):
        return stored
    recorded = _stored_or_problem(definition, pointer, uploads.keep([stored], blobs=platform().blobs))
    return recorded if isinstance(recorded, FieldError) else stored.description()
