"""A municipality's own signing keys: one per role that signs its documents, set by its administrator.

A key is a PKCS#12 file (.p12/.pfx) with its password, or the label of a key on the platform's
PKCS#11 token. Everything is checked before anything is stored — the file opens with the
password, holds a private key and the certificate that matches it, the certificate is valid
today, may sign documents and chains to the platform's trust roots, and the role signs
documents in a service the municipality offers — and a refusal says why in Thai and English
(:class:`SigningKeyRefused`). The file and the password are sealed with the platform key
(:mod:`engine.services.sealing`), bound to the tenant and role, and never shown again; the
certificate's name, serial and validity are kept in the clear for the console.

The engine knows no cryptography library's certificate checks: the caller passes the check
(``signing.keys`` has the platform's), which raises the refusals below. When documents are
signed, :func:`for_signing` gives the signing layer the stored keys, unsealed; a stored key
wins over the platform's own key (environment or development PKI) for its role.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from tortoise.transactions import in_transaction

from engine.definitions import ServiceDefinition
from engine.errors import ThongthinError
from engine.services import sealing
from engine.services.errors import ServiceError
from engine.store.models import Tenant, TenantSigningKey, User

log = logging.getLogger(__name__)

# A PKCS#12 file with a key and a chain of a few certificates is 3–10 kB; anything past this is not one.
MAX_P12_BYTES = 64 * 1024
MAX_PASSWORD = 200
MAX_LABEL = 200
KINDS = ("pkcs12", "pkcs11")
Kind = Literal["pkcs12", "pkcs11"]


@dataclass(frozen=True)
class CertificateFacts:
    """What the console shows of a signing certificate (kept in the clear)."""

    subject_cn: str
    serial: str  # hexadecimal, upper case
    not_before: datetime
    not_after: datetime


# (file bytes, password) -> the certificate's facts; raises SigningKeyRefused. Blocking: run off the loop.
Pkcs12Check = Callable[[bytes, bytes], CertificateFacts]
# token key label -> the certificate's facts; raises SigningKeyRefused. Blocking (talks to the token).
TokenCheck = Callable[[str], CertificateFacts]


class SigningKeyError(ServiceError):
    """Base of this module's errors."""

    code = "signing_key_error"


class SigningKeyRefused(SigningKeyError):
    """A key was not stored, and nothing changed; ``message(language)`` says why to the administrator.

    Raised by :func:`set_pkcs12` and :func:`set_pkcs11`, and by the checks they are given.
    ``field`` names the form field the problem belongs to (``p12``, ``password``, ``label``, ``role``).
    """

    http_status = 422
    code = "signing_key_refused"
    field = "p12"
    message_th = "ไม่สามารถใช้กุญแจลงนามนี้ได้"
    message_en = "This signing key cannot be used."

    def __init__(self, detail: str = "", *, message_th: str | None = None, message_en: str | None = None):
        if message_th is not None:
            self.message_th = message_th
        if message_en is not None:
            self.message_en = message_en
        self.detail = detail
        super().__init__(self.message_en + (f" ({detail})" if detail else ""))

    def message(self, language: str = "th") -> str:
        return self.message_en if language == "en" else self.message_th


class KeyFileUnreadable(SigningKeyRefused):
    """The file does not open with the password given: a wrong password, or not a PKCS#12 file."""

    code = "p12_unreadable"
    field = "password"
    message_th = "เปิดไฟล์กุญแจไม่ได้ รหัสผ่านไม่ถูกต้อง หรือไฟล์ไม่ใช่ไฟล์ PKCS#12 (.p12 หรือ .pfx)"
    message_en = (
        "The key file does not open: the password is wrong, or it is not a PKCS#12 (.p12 or .pfx) file."
    )


class KeyFileIncomplete(SigningKeyRefused):
    """The file opened but holds no private key, or no certificate for it."""

    code = "p12_incomplete"
    message_th = "ไฟล์นี้ไม่มีกุญแจส่วนตัวหรือใบรับรองของผู้ลงนาม กรุณาส่งออกไฟล์ใหม่พร้อมกุญแจส่วนตัว"
    message_en = (
        "The file holds no private key or no signer's certificate; export it again with the private key."
    )


class KeyDoesNotMatch(SigningKeyRefused):
    """The private key in the file is not the key of its certificate."""

    code = "p12_key_mismatch"
    message_th = "กุญแจส่วนตัวในไฟล์ไม่ตรงกับใบรับรองในไฟล์"
    message_en = "The private key in the file does not belong to its certificate."


class CertificateNotValidNow(SigningKeyRefused):
    """The certificate has expired, or is not valid yet."""

    code = "certificate_not_valid_now"
    message_th = "ใบรับรองนี้หมดอายุแล้วหรือยังไม่ถึงวันเริ่มใช้"
    message_en = "The certificate has expired or is not valid yet."


class CertificateNotTrusted(SigningKeyRefused):
    """The certificate does not chain to the platform's trust roots (or its chain is not valid)."""

    code = "certificate_not_trusted"
    message_th = "ใบรับรองนี้ไม่ได้ออกโดยผู้ให้บริการออกใบรับรองที่ระบบเชื่อถือ"
    message_en = "The certificate was not issued by a certificate authority this platform trusts."


class CertificateNotForSigning(SigningKeyRefused):
    """The certificate's key usage does not allow signing documents (digital signature, non-repudiation)."""

    code = "certificate_not_for_signing"
    message_th = "ใบรับรองนี้ไม่ได้ออกให้ใช้ลงลายมือชื่อในเอกสาร"
    message_en = "The certificate is not one for signing documents."


class KeyFileTooLarge(SigningKeyRefused):
    """The upload is larger than any PKCS#12 file of one signer (:data:`MAX_P12_BYTES`), or empty."""

    code = "p12_size"
    message_th = "กรุณาเลือกไฟล์กุญแจ PKCS#12 (.p12 หรือ .pfx) ขนาดไม่เกิน 64 KB"
    message_en = "Choose a PKCS#12 key file (.p12 or .pfx) of at most 64 kB."


class RoleNotSigning(SigningKeyRefused):
    """The role signs no document of a service this municipality offers."""

    code = "role_not_signing"
    field = "role"
    message_th = "ตำแหน่งนี้ไม่ได้ลงนามเอกสารของบริการที่หน่วยงานเปิดให้บริการ"
    message_en = "This role signs no document of the services the municipality offers."


class TokenNotConfigured(SigningKeyRefused):
    """The platform has no PKCS#11 token configured, so a key label cannot be used."""

    code = "token_not_configured"
    field = "label"
    message_th = "ระบบยังไม่ได้ตั้งค่าอุปกรณ์เก็บกุญแจ (HSM) จึงใช้ชื่อกุญแจบนอุปกรณ์ไม่ได้"
    message_en = "The platform has no hardware token (HSM) configured, so a key label cannot be used."


class TokenKeyNotFound(SigningKeyRefused):
    """No usable key and certificate with that label on the platform's token (or the label is empty)."""

    code = "token_key_not_found"
    field = "label"
    message_th = "ไม่พบกุญแจและใบรับรองชื่อนี้บนอุปกรณ์เก็บกุญแจของระบบ"
    message_en = "No key and certificate with this label were found on the platform's token."


class SigningKeyUnusable(ThongthinError):
    """A stored key cannot be unsealed with this platform key (the key changed, or the row was altered).

    Raised by :func:`for_signing`: documents are then not signed with another key instead. A fault
    of the installation, not of whoever asked (hence not a :class:`SigningKeyError`): the job that
    signs fails and is retried once an administrator sets the key again.
    """

    code = "signing_key_unusable"
    http_status = 500

    def __init__(self, tenant_slug: str, role: str):
        self.role = role
        super().__init__(
            f"{tenant_slug}: the stored signing key of the role {role!r} cannot be unsealed with this "
            "platform key; set it again in the console"
        )


@dataclass(frozen=True)
class StoredKey:
    """A stored key, unsealed for signing (never shown, never logged)."""

    role: str
    kind: str
    subject_cn: str
    serial: str
    p12: bytes = field(default=b"", repr=False)
    password: bytes = field(default=b"", repr=False)
    token_label: str = ""


def _purpose(tenant: Tenant, role: str) -> str:
    # Bound to the tenant and role: a sealed file copied to another row does not open there.
    return f"signing-key:{tenant.id}:{role}"


def document_signers(
    definitions: Iterable[ServiceDefinition], *, receipt_roles: Collection[str] = ()
) -> list[str]:
    """The roles that sign the documents these services issue (``receipt_roles`` too for fee services)."""
    roles: dict[str, None] = {}
    for definition in definitions:
        for document in definition.service.documents:
            roles.update(dict.fromkeys(signer.role for signer in document.signers))
        if definition.service.fees:
            roles.update(dict.fromkeys(receipt_roles))
    return list(roles)


async def list_keys(tenant: Tenant) -> list[TenantSigningKey]:
    """The municipality's stored keys, by role."""
    return await TenantSigningKey.filter(tenant=tenant).order_by("role")


@dataclass(frozen=True)
class RoleKey:
    """One role as the console shows it: its stored key (if any), and whether the platform has one."""

    role: str
    stored: TenantSigningKey | None
    platform_key: bool
    signs: bool  # False: a key kept for a role no offered service signs with any more

    @property
    def expired(self) -> bool:
        return self.stored is not None and self.stored.not_after < datetime.now(UTC)


async def overview(tenant: Tenant, roles: Iterable[str], platform_roles: Collection[str]) -> list[RoleKey]:
    """Every role that signs ``tenant``'s documents with the key that signs for it now, then the keys
    kept for roles that sign nothing here any more (which the administrator may remove).

    ``roles`` are :func:`document_signers` of the services it offers; ``platform_roles`` the roles
    the platform itself holds a key for (``signing.services.platform_signing_roles``).
    """
    wanted = list(roles)
    stored = {row.role: row for row in await list_keys(tenant)}
    rows = [RoleKey(role, stored.get(role), role in platform_roles, True) for role in wanted]
    rows += [
        RoleKey(role, row, role in platform_roles, False)
        for role, row in stored.items()
        if role not in wanted
    ]
    return rows


def _check_role(role: str, roles: Collection[str]) -> None:
    if role not in roles:
        raise RoleNotSigning(role[:80])


async def set_pkcs12(
    tenant: Tenant,
    role: str,
    data: bytes,
    password: bytes,
    *,
    roles: Collection[str],
    check: Pkcs12Check,
    platform_key: str,
    by: User | None = None,
    by_name: str = "",
) -> TenantSigningKey:
    """Check a PKCS#12 file and store it (sealed, with its password) as ``role``'s key, replacing any.

    ``roles`` are the roles that sign the tenant's documents (:func:`document_signers` of the
    services it offers, at their versions); ``check`` opens and judges the file
    (``signing.keys.pkcs12_check``). Raises a :class:`SigningKeyRefused` (nothing stored):
    :class:`RoleNotSigning`, :class:`KeyFileTooLarge`, or what ``check`` raises.
    """
    _check_role(role, roles)
    if not data or len(data) > MAX_P12_BYTES:
        raise KeyFileTooLarge(f"{len(data)} bytes")
    if len(password) > MAX_PASSWORD:
        raise KeyFileUnreadable("the password is too long")
    facts = await asyncio.to_thread(check, data, password)
    purpose = _purpose(tenant, role)
    return await _store(
        tenant,
        role,
        facts,
        {
            "kind": "pkcs12",
            "sealed_p12": sealing.seal(platform_key, purpose, base64.b64encode(data).decode("ascii")),
            "sealed_password": sealing.seal(
                platform_key, purpose, base64.b64encode(password).decode("ascii")
            ),
            "token_label": "",
        },
        by,
        by_name,
    )


async def set_pkcs11(
    tenant: Tenant,
    role: str,
    label: str,
    *,
    roles: Collection[str],
    check: TokenCheck,
    by: User | None = None,
    by_name: str = "",
) -> TenantSigningKey:
    """Check that the platform's token has a usable key ``label`` and store it as ``role``'s key.

    Raises a :class:`SigningKeyRefused` (nothing stored): :class:`RoleNotSigning`,
    :class:`TokenKeyNotFound` (empty or over-long label), or what ``check`` raises
    (``signing.keys.token_check``: :class:`TokenNotConfigured`, :class:`TokenKeyNotFound`, the
    certificate's refusals).
    """
    _check_role(role, roles)
    label = label.strip()
    if not label or len(label) > MAX_LABEL or any(ord(c) < 0x20 for c in label):
        raise TokenKeyNotFound("no label given" if not label else "not a key label")
    facts = await asyncio.to_thread(check, label)
    fields = {"kind": "pkcs11", "sealed_p12": "", "sealed_password": "", "token_label": label}
    return await _store(tenant, role, facts, fields, by, by_name)


async def _store(
    tenant: Tenant,
    role: str,
    facts: CertificateFacts,
    fields: dict[str, str],
    by: User | None,
    by_name: str,
) -> TenantSigningKey:
    values = {
        **fields,
        "subject_cn": facts.subject_cn[:200],
        "serial": facts.serial[:64],
        "not_before": facts.not_before,
        "not_after": facts.not_after,
        "set_by_id": by.id if by is not None and by.tenant_id == tenant.id else None,
        "set_by_name": (by.username if by is not None else by_name)[:150],
        "set_at": datetime.now(UTC),
    }
    async with in_transaction():
        row, _created = await TenantSigningKey.update_or_create(values, tenant=tenant, role=role)
    return row


async def remove(tenant: Tenant, role: str) -> bool:
    """Forget ``role``'s stored key (the platform's own key signs again); False when there was none."""
    return bool(await TenantSigningKey.filter(tenant=tenant, role=role).delete())


async def for_signing(tenant: Tenant, platform_key: str) -> list[StoredKey]:
    """The tenant's stored keys, unsealed for the signer; raises :class:`SigningKeyUnusable`."""
    found = []
    for row in await TenantSigningKey.filter(tenant=tenant).order_by("role"):
        p12 = password = b""
        if row.kind == "pkcs12":
            purpose = _purpose(tenant, row.role)
            try:
                p12 = base64.b64decode(sealing.unseal(platform_key, purpose, row.sealed_p12))
                password = base64.b64decode(sealing.unseal(platform_key, purpose, row.sealed_password))
            except (sealing.SealBroken, ValueError):
                log.warning("the signing key of %s/%s cannot be unsealed", tenant.slug, row.role)
                raise SigningKeyUnusable(tenant.slug, row.role) from None
        found.append(
            StoredKey(row.role, row.kind, row.subject_cn, row.serial, p12, password, row.token_label)
        )
    return found


__all__ = [
    "MAX_P12_BYTES",
    "CertificateFacts",
    "CertificateNotForSigning",
    "CertificateNotTrusted",
    "CertificateNotValidNow",
    "KeyDoesNotMatch",
    "KeyFileIncomplete",
    "KeyFileTooLarge",
    "KeyFileUnreadable",
    "RoleKey",
    "RoleNotSigning",
    "SigningKeyError",
    "SigningKeyRefused",
    "SigningKeyUnusable",
    "StoredKey",
    "TokenKeyNotFound",
    "TokenNotConfigured",
    "document_signers",
    "for_signing",
    "list_keys",
    "overview",
    "remove",
    "set_pkcs11",
    "set_pkcs12",
]
