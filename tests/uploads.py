"""Example submissions with real files: each attachment uploaded first, as a citizen's app would."""

from __future__ import annotations

import copy
import io
from typing import Any

from engine import jsonpointer
from engine.definitions import ServiceDefinition

# The smallest files each type's checks accept: what a phone's camera or a scanner would send.
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
TINY_PNG = b"\x89PNG\r\n\x1a\n" + bytes.fromhex(
    "0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201"
    "a1d7b1ff0000000049454e44ae426082"
)
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb0043000101010101010101010101010101010101010101010101"
    "0101010101010101010101010101010101010101010101010101010101010101010101010101010101ffc0000b080001"
    "000101011100ffc40014000100000000000000000000000000000000ffc4001410010000000000000000000000000000"
    "0000ffda0008010100003f003fffd9"
)
SAMPLES = {
    "application/pdf": ("scan.pdf", TINY_PDF),
    "image/png": ("photo.png", TINY_PNG),
    "image/jpeg": ("photo.jpg", TINY_JPEG),
}


def with_uploaded_files(client: Any, slug: str, definition: ServiceDefinition, data: Any) -> Any:
    """A copy of ``data`` whose attachment lists hold files really uploaded through the API."""
    result = copy.deepcopy(data)
    for spec in definition.service.form_attachments():
        files = jsonpointer.resolve(result, spec.field, None)
        if not isinstance(files, list):
            continue
        kind = next(t for t in spec.accept if t in SAMPLES)
        name, content = SAMPLES[kind]
        uploaded = []
        for _ in files:
            response = client.post(
                f"/api/v1/tenants/{slug}/services/{definition.id}/attachments/{spec.id}",
                data={"file": (io.BytesIO(content), name)},
                content_type="multipart/form-data",
            )
            assert response.status_code == 201, response.json
            uploaded.append(response.json)
        parent, _, last = spec.field.rpartition("/")
        jsonpointer.resolve(result, parent)[jsonpointer.unescape(last)] = uploaded
    return result


async def with_stored_files(platform: Any, tenant: Any, definition: ServiceDefinition, data: Any) -> Any:
    """:func:`with_uploaded_files` through the service layer (for tests that skip HTTP)."""
    from engine.services import uploads

    result = copy.deepcopy(data)
    for spec in definition.service.form_attachments():
        files = jsonpointer.resolve(result, spec.field, None)
        if not isinstance(files, list):
            continue
        name, content = SAMPLES[next(t for t in spec.accept if t in SAMPLES)]
        stored = [
            await uploads.upload(tenant, definition, spec.id, content, name, blobs=platform.blobs)
            for _ in files
        ]
        parent, _, last = spec.field.rpartition("/")
        jsonpointer.resolve(result, parent)[jsonpointer.unescape(last)] = stored
    return result
