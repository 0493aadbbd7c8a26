"""Verifying a PDF against the signatures in it and against the platform's register of issued documents.

A document is genuine when its signatures are intact and trusted *and* the register holds a
document with exactly its SHA-256: a validly signed file that the platform never issued,
or an issued one changed afterwards, is reported as such.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509

from engine.services import documents
from engine.store.models import IssuedDocument
from signing.verify import VerificationReport, verify_pdf

REGISTRY_MESSAGES = {
    True: (
        "เอกสารนี้ออกโดยระบบและตรงกับทะเบียนเอกสาร",
        "This document was issued by the platform and matches its register",
    ),
    False: (
        "ไม่พบเอกสารนี้ในทะเบียนเอกสารที่ออกโดยระบบ (อาจไม่ได้ออกโดยระบบ หรือถูกแก้ไขหลังออก)",
        "This file is not in the register of issued documents (not issued here, or changed after issue)",
    ),
}


@dataclass(frozen=True)
class RegistryReport:
    signatures: VerificationReport
    document: IssuedDocument | None

    @property
    def in_register(self) -> bool:
        return self.document is not None

    @property
    def genuine(self) -> bool:
        return self.in_register and self.signatures.valid

    def as_dict(self) -> dict[str, Any]:
        th, en = REGISTRY_MESSAGES[self.in_register]
        return {
            "genuine": self.genuine,
            "in_register": self.in_register,
            "register_message": {"th": th, "en": en},
            "document": describe(self.document) if self.document else None,
            "verification": self.signatures.as_dict(),
        }


def describe(document: IssuedDocument) -> dict[str, Any]:
    tenant = document.tenant
    return {
        "id": document.public_id,
        "number": document.number,
        "title": {"th": document.title_th, "en": document.title_en},
        "holder": document.holder,
        "issuer": {"slug": tenant.slug, "name_th": tenant.name_th, "name_en": tenant.name_en},
        "issued_at": document.issued_at.isoformat() if document.issued_at else None,
        "sha256": document.sha256,
        "pades_level": document.pades_level,
    }


async def verify_upload(data: bytes, trust_roots: Sequence[x509.Certificate]) -> RegistryReport:
    """Check ``data``'s signatures (off the event loop) and look its SHA-256 up in the register."""
    report = await asyncio.to_thread(verify_pdf, data, list(trust_roots))
    found = await documents.by_sha256(hashlib.sha256(data).hexdigest())
    return RegistryReport(report, found)


async def verify_issued(
    public_id: str, blobs: Any, trust_roots: Sequence[x509.Certificate]
) -> RegistryReport:
    """The report of an issued document as stored (what its QR code opens).

    Raises :class:`engine.services.documents.DocumentNotFound`.
    """
    document = await documents.by_public_id(public_id)
    data = await asyncio.to_thread(blobs.get, document.blob_key)
    report = await asyncio.to_thread(verify_pdf, data, list(trust_roots))
    return RegistryReport(report, document)
