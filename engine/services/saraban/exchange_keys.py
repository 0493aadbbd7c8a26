"""The key each municipality signs its messages to other agencies with.

The platform makes one on first need (EC P-256, a certificate naming the municipality), seals
the private key with the platform key, and puts the certificate into the directory beside the
municipality's entry, where every node that receives its letters looks it up. ``rotate`` makes
a new key that signs from then on; the old one stays trusted until ``retire``, so messages
already on their way are still checked (keys rotate with overlap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tortoise.transactions import in_transaction

from engine.saraban.errors import SarabanError
from engine.saraban.exchange.jws import fingerprint as certificate_fingerprint
from engine.services import sealing
from engine.services.saraban import agencies
from engine.store.models import AgencyKey, ExchangeKey, Tenant

VALIDITY = timedelta(days=2 * 365)


class ExchangeKeyMissing(SarabanError):
    """The municipality has no letter code yet, so it has no entry in the directory to carry its key."""

    http_status = 409
    code = "no_letter_code"

    def __init__(self, tenant_slug: str):
        super().__init__(
            f"{tenant_slug} has no letter code yet: set it in the correspondence settings first",
            th="หน่วยงานยังไม่ได้กำหนดรหัสตัวพยัญชนะและเลขประจำของส่วนราชการ โปรดกำหนดในการตั้งค่างานสารบรรณก่อน",
        )


@dataclass(frozen=True)
class SigningKey:
    """An unsealed key, ready to sign: ``key_pem`` (PKCS#8) and the certificate's fingerprint."""

    key_pem: bytes
    key_id: str
    certificate_pem: str


_SIGNING_ONLY = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
    key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
)  # fmt: skip


def _purpose(tenant: Tenant, key_id: str) -> str:
    return f"saraban-exchange:{tenant.id}:{key_id}"


def _certificate(tenant: Tenant, private: ec.EllipticCurvePrivateKey, now: datetime) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, tenant.name_th[:64] or tenant.slug),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{tenant.slug} e-saraban exchange"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_SIGNING_ONLY, critical=True)
        .sign(private, hashes.SHA256())
    )


async def rotate(tenant: Tenant, platform_key: str, *, now: datetime | None = None) -> SigningKey:
    """Make a new key for ``tenant``; it signs from now on, beside the keys it had until they are retired.

    Raises ExchangeKeyMissing when the municipality has no letter code yet.
    """
    moment = now or datetime.now(UTC)
    agency = await agencies.ensure_for_tenant(tenant)
    if not agency.letter_code:
        raise ExchangeKeyMissing(tenant.slug)
    private = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate(tenant, private, moment)
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    key_id = certificate_fingerprint(certificate_pem.encode("ascii"))
    key_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    async with in_transaction() as connection:
        await ExchangeKey.create(
            tenant_id=tenant.id,
            fingerprint=key_id,
            sealed_key=sealing.seal(platform_key, _purpose(tenant, key_id), key_pem.decode("ascii")),
            created_at=moment,
            using_db=connection,
        )
        await AgencyKey.create(
            agency_id=agency.id,
            certificate_pem=certificate_pem,
            fingerprint=key_id,
            subject=certificate.subject.rfc4514_string()[:300],
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            using_db=connection,
        )
    return SigningKey(key_pem, key_id, certificate_pem)


async def current(tenant: Tenant, platform_key: str, *, now: datetime | None = None) -> SigningKey:
    """The key ``tenant`` signs with now, made on first need. Raises ExchangeKeyMissing,
    :class:`engine.services.sealing.SealBroken` when the platform key changed."""
    newest = (
        await ExchangeKey.filter(tenant_id=tenant.id, retired_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if newest is None:
        return await rotate(tenant, platform_key, now=now)
    key_pem = sealing.unseal(platform_key, _purpose(tenant, newest.fingerprint), newest.sealed_key)
    certificate = await AgencyKey.get(fingerprint=newest.fingerprint)
    return SigningKey(key_pem.encode("ascii"), newest.fingerprint, certificate.certificate_pem)


async def retire(tenant: Tenant, key_id: str, *, now: datetime | None = None) -> bool:
    """Stop signing and trusting one of ``tenant``'s keys; returns whether it was in use."""
    moment = now or datetime.now(UTC)
    async with in_transaction() as connection:
        changed = (
            await ExchangeKey.filter(tenant_id=tenant.id, fingerprint=key_id, retired_at__isnull=True)
            .using_db(connection)
            .update(retired_at=moment)
        )
        await (
            AgencyKey.filter(fingerprint=key_id, retired_at__isnull=True)
            .using_db(connection)
            .update(retired_at=moment)
        )
    return bool(changed)
