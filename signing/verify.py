"""Verify the signatures of any PDF and say, in Thai and English, whether it can be relied on.

:func:`verify_pdf` reports per signature: intact (the signed bytes are unchanged), valid
(the cryptographic signature checks), trusted (the signer's certificate chains to the given
trust roots and is not revoked), the signer's name, the signing time from the RFC 3161
timestamp token, the PAdES level found, whether later changes are only those a
certification allows (more signatures, validation data) or anything else, and the DocMDP
level of a certification signature; plus the SHA-256 of the whole file and one overall
status: ``valid``, ``modified``, ``untrusted``, ``revoked``, ``invalid``, ``not_signed`` or
``not_pdf``.

Verification works offline by default: revocation data comes from the document's security
store (B-LT) and nothing is fetched, because the URLs inside an uploaded PDF's certificates
are the uploader's to choose (``allow_fetching=True`` is for trusted callers like the CLI).
The signer's chain is judged at the current time; long-term (ETSI EN 319 102-1 with proof
of existence, pyHanko's ``ades_lta_validation``) is not done yet.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any, Literal

from asn1crypto import x509

from signing.errors import EventLoopRunning

Status = Literal["valid", "modified", "untrusted", "revoked", "invalid", "not_signed", "not_pdf"]

MESSAGES: dict[str, tuple[str, str]] = {
    "valid": (
        "ลายมือชื่ออิเล็กทรอนิกส์ทุกรายการถูกต้อง และเอกสารไม่ถูกแก้ไขหลังการลงนาม",
        "Every signature is valid and the document has not been changed since it was signed.",
    ),
    "modified": (
        "เอกสารถูกแก้ไขหลังการลงนาม ไม่ควรเชื่อถือเนื้อหาของไฟล์นี้",
        "The document was modified after it was signed: do not rely on this file.",
    ),
    "untrusted": (
        "ลงนามด้วยใบรับรองจากผู้ออกใบรับรองที่ระบบไม่รู้จัก (ไม่ได้ออกโดยหน่วยงานที่ระบบเชื่อถือ)",
        "Signed with a certificate from an unknown certificate authority (not one this platform trusts).",
    ),
    "revoked": (
        "ใบรับรองของผู้ลงนามถูกเพิกถอนแล้ว",
        "The signer's certificate has been revoked.",
    ),
    "invalid": (
        "ลายมือชื่ออิเล็กทรอนิกส์ไม่ถูกต้อง",
        "A signature in the document is not valid.",
    ),
    "not_signed": (
        "เอกสารนี้ไม่มีลายมือชื่ออิเล็กทรอนิกส์",
        "The document is not signed.",
    ),
    "not_pdf": (
        "ไฟล์นี้ไม่ใช่เอกสาร PDF ที่อ่านได้",
        "The file is not a readable PDF document.",
    ),
}


@dataclass(frozen=True)
class SignatureReport:
    """What one signature (or document timestamp) in the file says."""

    field_name: str
    kind: Literal["signature", "document_timestamp"]
    signer: str
    signer_subject: str
    issuer: str
    subfilter: str
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    # From the RFC 3161 token (signature timestamp, or the document timestamp itself).
    signing_time: datetime | None
    timestamp_trusted: bool
    # The signer's own claim (/M), not evidence.
    claimed_time: datetime | None
    pades_level: str | None
    # Validation data (certificates + OCSP/CRL) embedded for the signer and TSA chains:
    # complete enough to validate offline (trusted signers), or merely present (others).
    long_term_data: bool
    certification: bool
    docmdp: int | None
    covers_whole_file: bool
    # none / lta_updates / form_filling / annotations / other, or None when unknown.
    changes_after: str | None
    modified_after_signing: bool
    ok: bool
    problem: str | None = None


@dataclass(frozen=True)
class VerificationReport:
    status: Status
    sha256: str
    size: int
    signatures: tuple[SignatureReport, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    def message(self, language: str = "th") -> str:
        thai, english = MESSAGES[self.status]
        return english if language == "en" else thai

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: datetimes as ISO 8601."""
        data = asdict(self)
        data["valid"] = self.valid
        data["message"] = {"th": self.message("th"), "en": self.message("en")}
        for signature in data["signatures"]:
            for key in ("signing_time", "claimed_time"):
                if signature[key] is not None:
                    signature[key] = signature[key].isoformat()
        return data

    def lines(self) -> list[str]:
        """The report as text, Thai then English on each point (the CLI prints these)."""
        out = [
            f"ผลการตรวจสอบ / Result: {self.status.upper()}",
            f"  {self.message('th')}",
            f"  {self.message('en')}",
            f"SHA-256: {self.sha256}",
            f"ขนาด / Size: {self.size} bytes",
        ]
        for number, sig in enumerate(self.signatures, 1):
            kind = (
                "ตราประทับเวลาเอกสาร / Document timestamp"
                if sig.kind == "document_timestamp"
                else (
                    "ลายมือชื่อรับรองเอกสาร / Certification signature"
                    if sig.certification
                    else "ลายมือชื่อ / Signature"
                )
            )
            out += [
                f"[{number}] {kind} ({sig.field_name})",
                f"    ผู้ลงนาม / Signer: {sig.signer}",
                f"    ผู้ออกใบรับรอง / Issuer: {sig.issuer}",
                "    เวลาลงนาม (ตราประทับเวลา) / Signing time (timestamp): "
                + (_time(sig.signing_time) if sig.signing_time else "ไม่มี / none")
                + ("" if sig.timestamp_trusted or sig.signing_time is None else " (ไม่น่าเชื่อถือ / untrusted)"),
                f"    ไม่ถูกแก้ไข / Intact: {_yes(sig.intact)}   ถูกต้อง / Valid: {_yes(sig.valid)}"
                f"   เชื่อถือได้ / Trusted: {_yes(sig.trusted)}",
                f"    ระดับ / Level: {sig.pades_level or sig.subfilter}"
                + ("  ข้อมูลตรวจสอบระยะยาว / LTV data: มี / yes" if sig.long_term_data else ""),
                "    ครอบคลุมทั้งไฟล์ / Covers whole file: "
                + _yes(sig.covers_whole_file)
                + (
                    "" if sig.covers_whole_file else f"  (ส่วนที่เพิ่มภายหลัง / later changes: {sig.changes_after})"
                ),
            ]
            if sig.docmdp is not None:
                out.append(f"    DocMDP P={sig.docmdp} ({_DOCMDP.get(sig.docmdp, '?')})")
            if sig.modified_after_signing:
                out.append("    ถูกแก้ไขหลังลงนาม / MODIFIED AFTER SIGNING")
            if sig.problem:
                out.append(f"    ปัญหา / Problem: {sig.problem}")
        return out


_DOCMDP = {1: "no changes", 2: "form filling and signing", 3: "form filling, signing and annotations"}


def _yes(value: bool) -> str:
    return "ใช่ / yes" if value else "ไม่ / NO"


def _time(moment: datetime) -> str:
    from signing.signer import BANGKOK

    return moment.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M:%S (Asia/Bangkok)")


def verify_pdf(
    data: bytes, trust_roots: Sequence[x509.Certificate], *, allow_fetching: bool = False
) -> VerificationReport:
    """Verify every signature of ``data``; see :func:`async_verify_pdf`.

    Raises EventLoopRunning when called on a thread that runs an event loop (use the async
    variant there, or ``asyncio.to_thread``).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(async_verify_pdf(data, trust_roots, allow_fetching=allow_fetching))
    raise EventLoopRunning("verify_pdf called on a thread with a running event loop; await async_verify_pdf")


async def async_verify_pdf(
    data: bytes, trust_roots: Sequence[x509.Certificate], *, allow_fetching: bool = False
) -> VerificationReport:
    """Verify every signature of ``data`` against ``trust_roots``; never raises for a bad file.

    A file that is not a PDF, or has no signature, gets a report with that status.
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    digest = hashlib.sha256(data).hexdigest()
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return VerificationReport("not_pdf", digest, len(data))
    if not embedded:
        return VerificationReport("not_signed", digest, len(data))

    certification = _certification_signature(reader)
    dss = _read_dss(reader)
    has_doc_timestamp_after = _later_document_timestamps(embedded)
    reports = []
    for index, signature in enumerate(embedded):
        reports.append(
            await _verify_one(
                signature,
                trust_roots,
                dss,
                allow_fetching=allow_fetching,
                is_certification=certification is not None and signature.sig_object is certification,
                lta=has_doc_timestamp_after[index],
            )
        )
    return VerificationReport(_overall(reports), digest, len(data), tuple(reports))


def _overall(reports: Sequence[SignatureReport]) -> Status:
    if any(r.modified_after_signing for r in reports):
        return "modified"
    if any(r.revoked for r in reports):
        return "revoked"
    if any(not r.valid for r in reports):
        return "invalid"
    if any(not r.trusted for r in reports):
        return "untrusted"
    if not all(r.ok for r in reports):
        return "invalid"
    return "valid"


def _certification_signature(reader: Any) -> Any:
    from pyhanko.sign.validation import read_certification_data

    try:
        info = read_certification_data(reader)
    except Exception:  # a malformed /Perms entry: treat the document as uncertified
        return None
    return None if info is None else info.author_sig


def _read_dss(reader: Any) -> Any:
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    try:
        return DocumentSecurityStore.read_dss(reader)
    except Exception:  # no DSS (NoDSSFoundError) or a malformed one: validate without it
        return None


def _later_document_timestamps(embedded: Sequence[Any]) -> list[bool]:
    """For each signature: is there a document timestamp after it (PAdES B-LTA)?"""
    kinds = [str(s.sig_object_type) for s in embedded]
    return [any(k == "/DocTimeStamp" for k in kinds[i + 1 :]) for i in range(len(kinds))]


def _context(
    roots: Sequence[x509.Certificate], dss: Any, *, allow_fetching: bool, revocation_mode: str = "soft-fail"
) -> Any:
    from pyhanko_certvalidator import ValidationContext

    kwargs: dict[str, Any] = {
        "trust_roots": list(roots),
        "allow_fetching": allow_fetching,
        "revocation_mode": revocation_mode,
    }
    return dss.as_validation_context(kwargs) if dss is not None else ValidationContext(**kwargs)


async def _verify_one(
    signature: Any,
    roots: Sequence[x509.Certificate],
    dss: Any,
    *,
    allow_fetching: bool,
    is_certification: bool,
    lta: bool,
) -> SignatureReport:
    from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
    from pyhanko.sign.validation.status import (
        DocumentTimestampStatus,
        PdfSignatureStatus,
        SignatureCoverageLevel,
    )

    is_timestamp = str(signature.sig_object_type) == "/DocTimeStamp"
    subfilter = str(signature.sig_object.get("/SubFilter", "")).lstrip("/")
    base: dict[str, Any] = {
        "field_name": str(signature.field_name),
        "kind": "document_timestamp" if is_timestamp else "signature",
        "subfilter": subfilter,
        "certification": is_certification,
        "docmdp": int(signature.docmdp_level.value) if is_certification and signature.docmdp_level else None,
        "claimed_time": None if is_timestamp else signature.self_reported_timestamp,
    }
    try:
        cert = signature.signer_cert
        base |= {
            "signer": _common_name(cert.subject),
            "signer_subject": cert.subject.human_friendly,
            "issuer": _common_name(cert.issuer),
        }
    except Exception:
        base |= {"signer": "?", "signer_subject": "?", "issuer": "?"}

    context = _context(roots, dss, allow_fetching=allow_fetching)
    status: PdfSignatureStatus | DocumentTimestampStatus
    try:
        if is_timestamp:
            status = await async_validate_pdf_timestamp(signature, validation_context=context)
        else:
            status = await async_validate_pdf_signature(signature, signer_validation_context=context)
    except Exception as error:  # malformed CMS, unsupported algorithm...: report, do not crash
        return SignatureReport(
            **base,
            intact=False,
            valid=False,
            trusted=False,
            revoked=False,
            signing_time=None,
            timestamp_trusted=False,
            pades_level=None,
            long_term_data=False,
            covers_whole_file=False,
            changes_after=None,
            modified_after_signing=False,
            ok=False,
            problem=f"{type(error).__name__}: {error}",
        )
    finally:
        await context.aclose()

    signing_time: datetime | None
    if isinstance(status, DocumentTimestampStatus):
        signing_time, timestamp_trusted = status.timestamp, bool(status.valid and status.trusted)
    else:
        token = status.timestamp_validity
        signing_time = token.timestamp if token is not None else None
        timestamp_trusted = bool(token is not None and token.intact and token.valid and token.trusted)

    coverage = status.coverage
    level = status.modification_level
    changes = level.name.lower() if level is not None else None
    whole = coverage == SignatureCoverageLevel.ENTIRE_FILE
    # Later revisions are fine when they only add what the certification allows (more
    # signatures, DSS, document timestamps); anything else, or a signature that does not
    # even cover its own revision, means the file was changed after signing.
    modified = (not status.intact) or (
        not whole
        and (
            coverage is None
            or coverage < SignatureCoverageLevel.ENTIRE_REVISION
            or status.docmdp_ok is False
            or changes == "other"
        )
    )
    # For a trusted signer: can its chain and the TSA's be checked with the embedded data
    # alone? For an untrusted one that question has no answer; say what the file carries.
    long_term = (
        not is_timestamp
        and dss is not None
        and (
            await _offline_complete(signature, roots, dss, status)
            if status.trusted
            else bool(dss.ocsps or dss.crls)
        )
    )
    ok = bool(status.intact and status.valid and status.trusted and not modified)
    if isinstance(status, PdfSignatureStatus):
        ok = ok and bool(status.bottom_line)
    return SignatureReport(
        **base,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        revoked=bool(status.revoked),
        signing_time=signing_time,
        timestamp_trusted=timestamp_trusted,
        pades_level=_pades_level(subfilter, is_timestamp, signing_time is not None, long_term, lta),
        long_term_data=long_term,
        covers_whole_file=whole,
        changes_after=changes,
        modified_after_signing=modified,
        ok=ok,
        problem=_problem(status, modified, is_timestamp),
    )


async def _offline_complete(signature: Any, roots: Sequence[x509.Certificate], dss: Any, status: Any) -> bool:
    """Can the signer's and the TSA's chains be checked with the embedded data alone (B-LT)?"""
    from pyhanko_certvalidator import CertificateValidator

    certificates = [signature.signer_cert]
    token = getattr(status, "timestamp_validity", None)
    if token is not None and token.signing_cert is not None:
        certificates.append(token.signing_cert)
    for certificate in certificates:
        context = _context(roots, dss, allow_fetching=False, revocation_mode="hard-fail")
        try:
            validator = CertificateValidator(
                certificate, intermediate_certs=signature.other_embedded_certs, validation_context=context
            )
            await validator.async_validate_usage(set())
        except Exception:  # any path or revocation failure: the embedded data is not enough
            return False
        finally:
            await context.aclose()
    return True


def _pades_level(
    subfilter: str, is_timestamp: bool, timestamped: bool, long_term: bool, lta: bool
) -> str | None:
    if is_timestamp or subfilter != "ETSI.CAdES.detached":
        return None
    if not timestamped:
        return "B-B"
    if not long_term:
        return "B-T"
    return "B-LTA" if lta else "B-LT"


def _problem(status: Any, modified: bool, is_timestamp: bool) -> str | None:
    if not status.intact:
        return "the signed bytes were changed (digest mismatch)"
    if modified:
        return "changes after signing that the signature does not allow"
    if not status.valid:
        return "the cryptographic signature does not verify"
    if status.revoked:
        return "the certificate is revoked"
    if not status.trusted:
        return "the certificate does not chain to the trust roots"
    return None


def _common_name(name: x509.Name) -> str:
    native = name.native
    return str(native.get("common_name") or name.human_friendly)
