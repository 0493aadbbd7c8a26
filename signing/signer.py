"""Sign a PDF with pyHanko: PAdES baseline, several officers in sequence, a visible Thai stamp each.

- Every signature uses the PAdES subfilter (ETSI.CAdES.detached) and SHA-256.
- B-T adds an RFC 3161 signature timestamp from the TSA; B-LT also embeds the certificates,
  OCSP responses and CRLs of the signer and the TSA in the document security store (DSS),
  collected at signing time with a validation context that trusts only the given roots;
  B-LTA finally adds a document timestamp (after the last signer).
- The signature fields of every signer are created together with the first signature, which
  is a certification signature (DocMDP P=2: only form filling and signing allowed after it);
  each later signer signs its own field in a fresh incremental update over the previous
  output, so earlier signatures stay intact.
- A signatory's key is a PKCS#12 file (:class:`Pkcs12Key`) or a key on a PKCS#11 token
  (:class:`signing.pkcs11.Pkcs11Key`); anything with ``describe()`` and ``open()`` (a
  :class:`SigningKey`) will do. Every key is opened before the first network call and
  released after the last signature.
- Each signature is visible: a stamp in the given rectangle showing the signer's name,
  position and the signing time in Thai (Buddhist Era, Bangkok time), drawn with an
  OpenType font (Sarabun by default) shaped by HarfBuzz so vowels and tone marks sit right.

Threading: :func:`sign_pdf` runs its own event loop (``asyncio.run``), so call it only on a
thread without one: a worker process, a CLI, or ``await asyncio.to_thread(sign_pdf, ...)``
from the ORM loop. On an event loop, ``await async_sign_pdf(...)`` instead (its PDF writing
and hashing are CPU work that then blocks that loop for a few tens of milliseconds).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

import aiohttp
from asn1crypto import x509

from engine.thaidate import format_date, thai_digits
from signing.errors import (
    EventLoopRunning,
    RevocationInfoUnavailable,
    SignerConfigError,
    SignerNotTrusted,
    SigningError,
    TimestampUnavailable,
)

PadesLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]
LEVELS: tuple[PadesLevel, ...] = ("B-B", "B-T", "B-LT", "B-LTA")
BANGKOK = ZoneInfo("Asia/Bangkok")
DEFAULT_FONT = Path(__file__).resolve().parent.parent / "renderers" / "fonts" / "Sarabun-Regular.ttf"
# Box = (x1, y1, x2, y2) in PDF points from the bottom-left corner of the page.
Box = tuple[float, float, float, float]


class SigningKey(Protocol):
    """What a signatory signs with: a PKCS#12 file (:class:`Pkcs12Key`) or a PKCS#11 token
    (:class:`signing.pkcs11.Pkcs11Key`)."""

    def describe(self) -> str:
        """Which key this is, for error messages (never a password or PIN)."""
        ...

    def open(self) -> AbstractContextManager[Any]:
        """A pyHanko ``Signer`` for the block; raises SignerConfigError when the key is unusable."""
        ...


@dataclass(frozen=True)
class Pkcs12Key:
    """A signer's private key and certificate chain in a PKCS#12 (.p12/.pfx) file."""

    path: Path
    password: bytes | None

    def describe(self) -> str:
        return str(self.path)

    def open(self) -> AbstractContextManager[Any]:
        """:meth:`load`, as a :class:`SigningKey` (nothing to release)."""
        return nullcontext(self.load())

    def load(self) -> Any:
        """A pyHanko ``SimpleSigner``; raises SignerConfigError for a missing file or wrong password."""
        try:
            data = Path(self.path).read_bytes()
        except OSError as error:
            raise SignerConfigError(
                f"{self.path}: cannot read the PKCS#12 file ({error.strerror or error})"
            ) from None
        return signer_from_pkcs12(data, self.password, str(self.path))


def signer_from_pkcs12(data: bytes, password: bytes | None, where: str) -> Any:
    """A pyHanko ``SimpleSigner`` from the bytes of a PKCS#12 file (``where`` names it in errors).

    Raises SignerConfigError for a wrong password, a file that is not PKCS#12, or one without a certificate.
    """
    from pyhanko.sign.signers import SimpleSigner

    try:
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password)
    except ValueError:
        raise SignerConfigError(
            f"{where}: cannot open the PKCS#12 file (wrong password, or not a PKCS#12 file)"
        ) from None
    if signer.signing_cert is None:
        raise SignerConfigError(f"{where}: the PKCS#12 file holds no certificate")
    return signer


@dataclass(frozen=True)
class Signatory:
    """One signer of a document and where their stamp goes."""

    key: SigningKey
    name: str
    position: str
    box: Box
    page: int = 0
    field_name: str | None = None
    reason: str | None = None
    # A pyHanko stamp style that draws this signature's appearance instead of the standard
    # stamp (heading, name, position, time): an endorsement step shows its own text.
    stamp_style: Any = None


@dataclass(frozen=True)
class SigningOptions:
    """How to sign: PAdES level, TSA, trust roots, certification, stamp font."""

    tsa_url: str | None
    level: PadesLevel = "B-LT"
    trust_roots: tuple[x509.Certificate, ...] = ()
    certify: bool = True
    # B-LT needs the OCSP/CRL services; when they cannot be reached, sign B-T and say so
    # in the result rather than fail (the issue: "B-LT when revocation info is reachable").
    fallback_to_bt: bool = True
    font_path: Path = DEFAULT_FONT
    font_size: int = 10
    thai_numerals: bool = False
    location: str | None = None
    timeout: float = 10.0


@dataclass(frozen=True)
class AppliedSignature:
    """What one signature turned out to be."""

    field_name: str
    signer: str
    level: PadesLevel
    certification: bool
    seconds: float
    note: str | None = None


@dataclass(frozen=True)
class SignedPdf:
    data: bytes
    signatures: tuple[AppliedSignature, ...] = field(default_factory=tuple)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sign_pdf(data: bytes, signatories: Sequence[Signatory], options: SigningOptions) -> SignedPdf:
    """Sign ``data`` (a PDF) by each signatory in turn; see :func:`async_sign_pdf`.

    Raises EventLoopRunning on a thread that runs an event loop, and what
    :func:`async_sign_pdf` raises.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(async_sign_pdf(data, signatories, options))
    raise EventLoopRunning("sign_pdf called on a thread with a running event loop; await async_sign_pdf")


async def async_sign_pdf(data: bytes, signatories: Sequence[Signatory], options: SigningOptions) -> SignedPdf:
    """Sign ``data`` by each signatory in turn, the first with a certification signature.

    Raises SignerConfigError (bad PKCS#12 file or password, unusable PKCS#11 token or PIN,
    font, options), SignerNotTrusted (the certificate does not chain to
    ``options.trust_roots`` or is revoked), TimestampUnavailable (the TSA failed),
    RevocationInfoUnavailable (B-LT required and revocation info unreachable, with
    ``fallback_to_bt`` off) or SigningError (the input is not a PDF pyHanko can sign, or
    pyHanko failed otherwise).
    """
    _check_options(signatories, options)
    with ExitStack() as opened:
        # Every key before any network call; a PKCS#11 session stays open until the end.
        keys = [opened.enter_context(s.key.open()) for s in signatories]
        return await _sign_all(data, signatories, keys, options)


async def _sign_all(
    data: bytes, signatories: Sequence[Signatory], keys: Sequence[Any], options: SigningOptions
) -> SignedPdf:
    from pyhanko.sign.timestamps import HTTPTimeStamper

    if options.trust_roots:
        for signatory, signer in zip(signatories, keys, strict=True):
            await _check_trusted(signer, options.trust_roots, signatory.key.describe())
    names = _field_names(signatories)
    current = data
    applied = []
    # One HTTP session for the TSA, OCSP and CRL requests of the whole run: a session per
    # request (pyHanko's default) costs some 60 ms each even on loopback.
    async with aiohttp.ClientSession() as session:
        timestamper = (
            HTTPTimeStamper(options.tsa_url, timeout=options.timeout, session=session)
            if options.level != "B-B" and options.tsa_url
            else None
        )
        for index, (signatory, signer) in enumerate(zip(signatories, keys, strict=True)):
            started = time.perf_counter()
            level: PadesLevel = options.level
            note = None
            step = _Step(index, signatories, names, signer, timestamper, session, options)
            try:
                current = await _sign_once(current, step, level)
            except RevocationInfoUnavailable as error:
                if not options.fallback_to_bt:
                    raise
                level, note = "B-T", f"signed B-T: {error}"
                current = await _sign_once(current, step, level)
            applied.append(
                AppliedSignature(
                    names[index],
                    signatory.name,
                    level,
                    certification=options.certify and index == 0,
                    seconds=time.perf_counter() - started,
                    note=note,
                )
            )
    return SignedPdf(current, tuple(applied))


def stamp_text_params(
    signatory: Signatory, moment: datetime, *, thai_numerals: bool = False
) -> dict[str, str]:
    """The lines of a stamp: heading, name, position and the signing time in Thai."""
    local = moment.astimezone(BANGKOK)
    when = f"ลงนามเมื่อ {format_date(local.date(), 'th')} เวลา {local:%H:%M} น."
    return {
        "heading": "ลงลายมือชื่ออิเล็กทรอนิกส์",
        "name": signatory.name,
        "position": signatory.position,
        "when": thai_digits(when) if thai_numerals else when,
    }


STAMP_TEXT = "%(heading)s\n%(name)s\n%(position)s\n%(when)s"


def _check_options(signatories: Sequence[Signatory], options: SigningOptions) -> None:
    if not signatories:
        raise SignerConfigError("nobody to sign the document")
    if options.level not in LEVELS:
        raise SignerConfigError(f"unknown PAdES level {options.level!r}; one of {', '.join(LEVELS)}")
    if options.level != "B-B" and not options.tsa_url:
        raise SignerConfigError(f"PAdES {options.level} needs a time-stamping authority (TSA URL)")
    if options.level in ("B-LT", "B-LTA") and not options.trust_roots:
        raise SignerConfigError(f"PAdES {options.level} needs the trust roots to collect validation data")
    try:
        with open(options.font_path, "rb") as handle:
            handle.read(4)
    except OSError as error:
        raise SignerConfigError(
            f"{options.font_path}: cannot read the stamp font ({error.strerror})"
        ) from None


def _field_names(signatories: Sequence[Signatory]) -> list[str]:
    names = [s.field_name or f"Signature{i + 1}" for i, s in enumerate(signatories)]
    if len(set(names)) != len(names):
        raise SignerConfigError("two signatories use the same signature field name")
    return names


async def _check_trusted(signer: Any, roots: Sequence[x509.Certificate], key: str) -> None:
    """Refuse a certificate that does not chain to the platform's roots (revocation is checked later)."""
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    context = ValidationContext(trust_roots=list(roots), allow_fetching=False, revocation_mode="soft-fail")
    validator = CertificateValidator(
        signer.signing_cert,
        intermediate_certs=list(signer.cert_registry),
        validation_context=context,
    )
    try:
        await validator.async_validate_usage({"non_repudiation"})
    except PathBuildingError:
        raise SignerNotTrusted(
            f"{key}: the certificate does not chain to the platform's trust roots"
        ) from None
    except PathValidationError as error:
        raise SignerNotTrusted(f"{key}: the certificate is not valid ({error})") from None
    finally:
        await context.aclose()


@dataclass(frozen=True)
class _Step:
    """Everything one signature of a run needs besides the bytes it signs."""

    index: int
    signatories: Sequence[Signatory]
    names: list[str]
    signer: Any
    timestamper: Any
    session: Any
    options: SigningOptions


async def _sign_once(data: bytes, step: _Step, level: PadesLevel) -> bytes:
    """One signature as an incremental update over ``data`` (the first also adds every field)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import TimestampRequestError
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

    index, signatories, names, signer, options = (
        step.index,
        step.signatories,
        step.names,
        step.signer,
        step.options,
    )
    signatory = signatories[index]
    try:
        writer = IncrementalPdfFileWriter(BytesIO(data))
        if index == 0:
            # Every field exists before the certification signature, so later signers only
            # fill a field (allowed by DocMDP P=2) instead of adding one.
            for name, other in zip(names, signatories, strict=True):
                fields.append_signature_field(
                    writer, fields.SigFieldSpec(name, on_page=other.page, box=_int_box(other.box))
                )
    except (PdfError, ValueError, IndexError) as error:
        raise SigningError(f"the document cannot be prepared for signing: {error}") from error

    long_term = level in ("B-LT", "B-LTA")
    context = (
        ValidationContext(
            trust_roots=list(options.trust_roots),
            other_certs=list(signer.cert_registry),
            allow_fetching=True,
            # Fail rather than embed nothing: B-LT without revocation data is not B-LT.
            revocation_mode="hard-fail",
            fetcher_backend=AIOHttpFetcherBackend(step.session, per_request_timeout=options.timeout),
        )
        if long_term
        else None
    )
    meta = signers.PdfSignatureMetadata(
        field_name=names[index],
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=options.certify and index == 0,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        embed_validation_info=long_term,
        validation_context=context,
        use_pades_lta=level == "B-LTA" and index == len(signatories) - 1,
        name=signatory.name,
        reason=signatory.reason,
        location=options.location,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer,
        timestamper=step.timestamper if level != "B-B" else None,
        stamp_style=signatory.stamp_style or _stamp_style(options),
    )
    params = stamp_text_params(signatory, datetime.now(BANGKOK), thai_numerals=options.thai_numerals)
    try:
        output = await pdf_signer.async_sign_pdf(
            writer, existing_fields_only=True, appearance_text_params=params
        )
    except TimestampRequestError as error:
        raise TimestampUnavailable(
            f"the time-stamping authority {options.tsa_url} failed: {error}"
        ) from error
    except Exception as error:
        raise _translate(error, signatory) from error
    finally:
        if context is not None:
            await context.aclose()
    return output.getvalue()


def _translate(error: Exception, signatory: Signatory) -> SigningError:
    """pyHanko wraps the reason in its own SigningError; find it in the chain of causes."""
    from pyhanko_certvalidator.errors import (
        InsufficientRevinfoError,
        PathBuildingError,
        RevokedError,
    )

    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, RevokedError):
            return SignerNotTrusted(f"{signatory.key.describe()}: the certificate is revoked ({cause})")
        if isinstance(cause, PathBuildingError):
            return SignerNotTrusted(
                f"{signatory.key.describe()}: the certificate does not chain to the trust roots"
            )
        if isinstance(cause, InsufficientRevinfoError):
            return RevocationInfoUnavailable(f"no revocation information could be fetched ({cause})")
        cause = cause.__cause__ or cause.__context__
    return SigningError(f"signing by {signatory.name} failed: {error}")


def _int_box(box: Box) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (round(v) for v in box)
    if x2 <= x1 or y2 <= y1:
        raise SignerConfigError(f"stamp box {box} is empty: give (x1, y1, x2, y2) with x1 < x2 and y1 < y2")
    return x1, y1, x2, y2


def _stamp_style(options: SigningOptions) -> Any:
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    font = GlyphAccumulatorFactory(
        str(options.font_path),
        font_size=options.font_size,
        ot_script_tag="thai",
        ot_language_tag="THA ",
        bcp47_lang_code="th",
    )
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        text_box_style=TextBoxStyle(
            font=font, font_size=options.font_size, leading=round(options.font_size * 1.45)
        ),
        border_width=1,
        border_color=(0.1, 0.2, 0.45),
        background=None,
    )
