"""A municipality's own signing keys: checked before they are stored, and signed with afterwards.

:func:`pkcs12_check` and :func:`token_check` make the checks that
:mod:`engine.services.signing_keys` runs before storing a key: the key opens, its
certificate matches it, is valid now, may sign documents (non-repudiation, as the signer
requires) and chains to the platform's trust roots. Each failure is one of that module's
:class:`~engine.services.signing_keys.SigningKeyRefused` errors, with its Thai and English
message. Both checks block (PKCS#12 decryption, the token): run them off the ORM loop.

:class:`StoredPkcs12Key` is a stored PKCS#12 file as a :class:`signing.signer.SigningKey`;
:func:`stored_signing_keys` turns the stored keys of a tenant into signing keys, a token
label into a :class:`signing.pkcs11.Pkcs11Key` on the platform's configured token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509

from engine.services.signing_keys import (
    CertificateFacts,
    CertificateNotForSigning,
    CertificateNotTrusted,
    CertificateNotValidNow,
    KeyDoesNotMatch,
    KeyFileIncomplete,
    KeyFileUnreadable,
    StoredKey,
    TokenKeyNotFound,
    TokenNotConfigured,
)
from signing.errors import SignerConfigError
from signing.pkcs11 import Pkcs11Key
from signing.signer import SigningKey, signer_from_pkcs12

# The key usage the signer requires of every signing certificate (see signing.signer._check_trusted).
SIGNING_USAGE = frozenset({"non_repudiation"})


@dataclass(frozen=True)
class StoredPkcs12Key:
    """A PKCS#12 file a municipality's administrator uploaded, held in memory while signing."""

    tenant: str
    role: str
    serial: str
    data: bytes = field(repr=False)
    password: bytes = field(repr=False)

    def describe(self) -> str:
        return f"the signing key of {self.tenant}/{self.role} set in the console (serial {self.serial})"

    def open(self) -> AbstractContextManager[Any]:
        """A pyHanko ``SimpleSigner``; raises SignerConfigError when the file no longer opens."""
        try:
            return nullcontext(signer_from_pkcs12(self.data, self.password or None, self.describe()))
        except SignerConfigError:
            if self.password:
                raise
            # Protected by the empty password rather than by none (the upload's check allowed both).
            return nullcontext(signer_from_pkcs12(self.data, b"", self.describe()))


def pkcs12_check(
    trust_roots: Sequence[x509.Certificate], *, now: Callable[[], datetime] | None = None
) -> Callable[[bytes, bytes], CertificateFacts]:
    """The check of an uploaded PKCS#12 file against ``trust_roots`` (see :func:`check_pkcs12`)."""

    def check(data: bytes, password: bytes) -> CertificateFacts:
        return check_pkcs12(data, password, trust_roots, now=now() if now else None)

    return check


def check_pkcs12(
    data: bytes, password: bytes, trust_roots: Sequence[x509.Certificate], *, now: datetime | None = None
) -> CertificateFacts:
    """Open a PKCS#12 file and judge its key and certificate; the certificate's facts when all is well.

    Raises KeyFileUnreadable (wrong password, not PKCS#12), KeyFileIncomplete (no private key
    or certificate), KeyDoesNotMatch, CertificateNotValidNow, CertificateNotForSigning or
    CertificateNotTrusted. Blocking; call it on a thread without a running event loop.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        bundle = pkcs12.load_pkcs12(data, password or None)
    except (ValueError, TypeError):
        if password:
            raise KeyFileUnreadable() from None
        try:  # a file protected by the empty password rather than none
            bundle = pkcs12.load_pkcs12(data, b"")
        except (ValueError, TypeError):
            raise KeyFileUnreadable() from None
    if bundle.key is None or bundle.cert is None:
        raise KeyFileIncomplete()
    certificate = bundle.cert.certificate
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if bundle.key.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
        raise KeyDoesNotMatch()
    leaf = x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    others = [
        x509.Certificate.load(extra.certificate.public_bytes(serialization.Encoding.DER))
        for extra in bundle.additional_certs
    ]
    return judge_certificate(leaf, others, trust_roots, now=now)


def judge_certificate(
    certificate: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    trust_roots: Sequence[x509.Certificate],
    *,
    now: datetime | None = None,
) -> CertificateFacts:
    """A signer's certificate is valid now, may sign documents and chains to ``trust_roots``.

    Raises CertificateNotValidNow, CertificateNotForSigning or CertificateNotTrusted.
    Blocking (runs its own event loop); call it on a thread without one.
    """
    moment = now or datetime.now(UTC)
    validity = certificate["tbs_certificate"]["validity"]
    not_before = validity["not_before"].native
    not_after = validity["not_after"].native
    if not not_before <= moment <= not_after:
        raise CertificateNotValidNow(f"valid {not_before:%Y-%m-%d} to {not_after:%Y-%m-%d}")
    asyncio.run(_check_chain(certificate, intermediates, trust_roots, moment))
    return CertificateFacts(
        subject_cn=str(certificate.subject.native.get("common_name", ""))
        or certificate.subject.human_friendly,
        serial=format(certificate.serial_number, "X"),
        not_before=not_before,
        not_after=not_after,
    )


async def _check_chain(
    certificate: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    trust_roots: Sequence[x509.Certificate],
    moment: datetime,
) -> None:
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import (
        ExpiredError,
        InvalidCertificateError,
        NotYetValidError,
        PathBuildingError,
        PathValidationError,
    )
    from pyhanko_certvalidator.validate import validate_usage

    if not trust_roots:
        raise CertificateNotTrusted("the platform has no trust roots")
    # Revocation is checked when signing (B-LT fetches it); here the chain and the dates.
    context = ValidationContext(
        trust_roots=list(trust_roots), moment=moment, allow_fetching=False, revocation_mode="soft-fail"
    )
    validator = CertificateValidator(
        certificate, intermediate_certs=list(intermediates), validation_context=context
    )
    try:
        await validator.async_validate_path()
    except (ExpiredError, NotYetValidError) as error:
        raise CertificateNotValidNow(str(error)) from None
    except (PathBuildingError, InvalidCertificateError) as error:
        raise CertificateNotTrusted(str(error)) from None
    except PathValidationError as error:
        raise CertificateNotTrusted(str(error)) from None
    finally:
        await context.aclose()
    try:
        validate_usage(certificate, set(SIGNING_USAGE), set(), True)
    except InvalidCertificateError as error:
        raise CertificateNotForSigning(str(error)) from None


@dataclass(frozen=True)
class PlatformToken:
    """The platform's PKCS#11 token as ``THONGTHIN_PKCS11_*`` configures it (see :mod:`signing.services`)."""

    module: str
    token: str
    pin: str = field(repr=False)
    ca_labels: tuple[str, ...] = ()
    ca_certs: str | None = None

    def key(self, label: str) -> Pkcs11Key:
        from pathlib import Path

        return Pkcs11Key(
            Path(self.module),
            self.token,
            label,
            pin=self.pin,
            ca_labels=self.ca_labels,
            ca_certs=Path(self.ca_certs) if self.ca_certs else None,
        )


def platform_token(environ: Mapping[str, str]) -> PlatformToken | None:
    """The configured token, or None when module, token label or PIN is missing."""
    from signing.services import (
        PKCS11_CA_CERTS_ENV,
        PKCS11_CA_LABELS_ENV,
        PKCS11_MODULE_ENV,
        PKCS11_PIN_ENV,
        PKCS11_TOKEN_ENV,
    )

    if not all(environ.get(name) for name in (PKCS11_MODULE_ENV, PKCS11_TOKEN_ENV, PKCS11_PIN_ENV)):
        return None
    return PlatformToken(
        environ[PKCS11_MODULE_ENV],
        environ[PKCS11_TOKEN_ENV],
        environ[PKCS11_PIN_ENV],
        tuple(label.strip() for label in environ.get(PKCS11_CA_LABELS_ENV, "").split(",") if label.strip()),
        environ.get(PKCS11_CA_CERTS_ENV) or None,
    )


def token_check(
    environ: Mapping[str, str], trust_roots: Sequence[x509.Certificate]
) -> Callable[[str], CertificateFacts]:
    """The check of a key label on the platform's token (see :func:`check_token_key`)."""

    def check(label: str) -> CertificateFacts:
        return check_token_key(label, platform_token(environ), trust_roots)

    return check


def check_token_key(
    label: str, token: PlatformToken | None, trust_roots: Sequence[x509.Certificate]
) -> CertificateFacts:
    """The token has a key and certificate ``label`` whose certificate passes :func:`judge_certificate`.

    Raises TokenNotConfigured, TokenKeyNotFound, or what :func:`judge_certificate` raises.
    Blocking (talks to the token).
    """
    if token is None:
        raise TokenNotConfigured()
    key = token.key(label)
    try:
        with key.open() as signer:
            certificate = signer.signing_cert
            intermediates = list(signer.cert_registry)
    except SignerConfigError as error:
        raise TokenKeyNotFound(str(error)) from None
    return judge_certificate(certificate, intermediates, trust_roots)


def stored_signing_keys(
    tenant: str, stored: Sequence[StoredKey], environ: Mapping[str, str]
) -> dict[str, SigningKey]:
    """The stored keys of ``tenant`` as signing keys by role.

    Raises SignerConfigError for a token label when the platform has no token configured.
    """
    keys: dict[str, SigningKey] = {}
    for entry in stored:
        if entry.kind == "pkcs12":
            keys[entry.role] = StoredPkcs12Key(tenant, entry.role, entry.serial, entry.p12, entry.password)
            continue
        token = platform_token(environ)
        if token is None:
            raise SignerConfigError(
                f"{tenant}: the role {entry.role!r} signs with the token key {entry.token_label!r}, "
                "but no PKCS#11 token is configured (THONGTHIN_PKCS11_MODULE, _TOKEN, _PIN)"
            )
        keys[entry.role] = token.key(entry.token_label)
    return keys
