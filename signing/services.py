"""Where a tenant's signing set-up comes from, and signing a rendered document with it.

The platform's own signing keys come from the development PKI in the data folder (``var/pki``,
or ``THONGTHIN_PKI_DIR``): one PKCS#12 file per (tenant, role), its password from
``THONGTHIN_P12_PASSWORD`` or the PKI's password file. The platform's trust roots are
``THONGTHIN_TRUST_ROOTS`` (a certificate file or a folder of them) or else the development
root. A municipality's administrator sets its own key per role in the console (a PKCS#12
file, or a key label on the platform's token: :mod:`engine.services.signing_keys`,
:mod:`signing.keys`); :func:`load_profile` takes those ``stored`` keys over every other key
of their role.

PKCS#11 (an HSM or a smart card; see :mod:`signing.pkcs11`): a (tenant, role) listed in
``THONGTHIN_PKCS11_KEYS`` signs with that key on the token instead of its PKCS#12 file;
roles not listed keep theirs, so one document can be signed with both kinds.

    THONGTHIN_PKCS11_MODULE     the token's PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
    THONGTHIN_PKCS11_TOKEN      the token's label
    THONGTHIN_PKCS11_PIN        the user PIN (required when any key is listed)
    THONGTHIN_PKCS11_KEYS       tenant:role=key label, comma-separated, e.g.
                                ``maehia:engineer=somchai-2569, maehia:building_official=kingkaew``
                                (the certificate has the key's label)
    THONGTHIN_PKCS11_CA_LABELS  optional: labels of CA certificates on the token to embed
    THONGTHIN_PKCS11_CA_CERTS   optional: a PEM/DER file of CA certificates to embed

The token needs the signer's certificate next to the key, and validators need the CA
chain: from the token (CA_LABELS), a file (CA_CERTS), or both. Every key of one token
shares its PIN. A malformed or incomplete setting is a SignerConfigError.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from asn1crypto import x509

from engine.services.signing_keys import StoredKey
from signing.errors import PkiError, SignerConfigError, SigningError
from signing.pkcs11 import Pkcs11Key
from signing.pki import DevPki, load_trust_roots
from signing.signer import (
    DEFAULT_FONT,
    Box,
    PadesLevel,
    Pkcs12Key,
    Signatory,
    SignedPdf,
    SigningKey,
    SigningOptions,
    async_sign_pdf,
    sign_pdf,
)

PKI_DIR_ENV = "THONGTHIN_PKI_DIR"
TRUST_ROOTS_ENV = "THONGTHIN_TRUST_ROOTS"
PKCS11_MODULE_ENV = "THONGTHIN_PKCS11_MODULE"
PKCS11_TOKEN_ENV = "THONGTHIN_PKCS11_TOKEN"
PKCS11_PIN_ENV = "THONGTHIN_PKCS11_PIN"
PKCS11_KEYS_ENV = "THONGTHIN_PKCS11_KEYS"
PKCS11_CA_LABELS_ENV = "THONGTHIN_PKCS11_CA_LABELS"
PKCS11_CA_CERTS_ENV = "THONGTHIN_PKCS11_CA_CERTS"


@dataclass(frozen=True)
class SigningProfile:
    """A tenant's signing set-up: a key per role, the TSA, the roots B-LT validation trusts."""

    tenant: str
    tsa_url: str
    trust_roots: tuple[x509.Certificate, ...]
    keys: Mapping[str, SigningKey] = field(default_factory=dict)
    font_path: Path = DEFAULT_FONT

    def key_for(self, role: str) -> SigningKey:
        """The key of the officer signing in ``role``; raises SignerConfigError if there is none."""
        try:
            return self.keys[role]
        except KeyError:
            raise SignerConfigError(f"{self.tenant}: no signing key for the role {role!r}") from None

    def options(
        self, level: PadesLevel = "B-LT", *, certify: bool = True, thai_numerals: bool = False
    ) -> SigningOptions:
        return SigningOptions(
            tsa_url=self.tsa_url,
            level=level,
            trust_roots=self.trust_roots,
            certify=certify,
            font_path=self.font_path,
            thai_numerals=thai_numerals,
        )


@dataclass(frozen=True)
class SignerSlot:
    """One signature a document needs: who signs (role, name, position) and where (page 1 box)."""

    role: str
    name: str
    position: str
    box: Box


def pki_dir(data_dir: Path, environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(PKI_DIR_ENV) or Path(data_dir) / "pki")


def platform_trust_roots(data_dir: Path, environ: Mapping[str, str] | None = None) -> list[x509.Certificate]:
    """``THONGTHIN_TRUST_ROOTS`` (file or folder), else the development PKI's root.

    Raises PkiError when neither is there.
    """
    env = os.environ if environ is None else environ
    if env.get(TRUST_ROOTS_ENV):
        return load_trust_roots(Path(env[TRUST_ROOTS_ENV]))
    folder = pki_dir(data_dir, env) / "trust"
    if not folder.exists():
        raise PkiError(
            f"no trust roots: set {TRUST_ROOTS_ENV} or create the development PKI (`thongthin pki dev`)"
        )
    return load_trust_roots(folder)


def load_profile(
    data_dir: Path,
    tenant: str,
    environ: Mapping[str, str] | None = None,
    stored: Sequence[StoredKey] = (),
) -> SigningProfile:
    """The signing profile of ``tenant``: the development PKI's keys, PKCS#11 keys over them, and
    the keys its administrator set (``stored``, from :func:`engine.services.signing_keys.for_signing`)
    over both, role by role.

    Raises PkiError (no PKI) or SignerConfigError (no password, bad PKCS#11 settings, a stored
    token key without a configured token).
    """
    from signing.keys import stored_signing_keys

    env = os.environ if environ is None else environ
    pki = DevPki.load(pki_dir(data_dir, env))
    token_keys = pkcs11_keys(tenant, env)
    own_keys = stored_signing_keys(tenant, stored, env)
    try:
        profile = dev_profile(pki, tenant, env)
    except SignerConfigError:
        if not (token_keys or own_keys):
            raise
        # Every role of the tenant has a key elsewhere: the PKI only gives the TSA and roots.
        profile = SigningProfile(tenant, pki.tsa_url, tuple(pki.trust_roots()))
    return replace(profile, keys={**profile.keys, **token_keys, **own_keys})


def platform_signing_roles(
    data_dir: Path, tenant: str, environ: Mapping[str, str] | None = None
) -> frozenset[str]:
    """The roles of ``tenant`` the platform's own keys sign for (none when there is no PKI or token)."""
    try:
        return frozenset(load_profile(data_dir, tenant, environ).keys)
    except (SigningError, PkiError):
        return frozenset()


def pkcs11_keys(tenant: str, environ: Mapping[str, str] | None = None) -> dict[str, Pkcs11Key]:
    """The PKCS#11 keys ``THONGTHIN_PKCS11_*`` configure for ``tenant``'s roles (none if unset).

    Raises SignerConfigError for a malformed list or a missing module, token or PIN.
    """
    env = os.environ if environ is None else environ
    listed = _pkcs11_key_labels(env.get(PKCS11_KEYS_ENV, ""))
    if not listed:
        return {}
    missing = [name for name in (PKCS11_MODULE_ENV, PKCS11_TOKEN_ENV, PKCS11_PIN_ENV) if not env.get(name)]
    if missing:
        raise SignerConfigError(f"{PKCS11_KEYS_ENV} is set but {', '.join(missing)} is not")
    ca_labels = tuple(
        label.strip() for label in env.get(PKCS11_CA_LABELS_ENV, "").split(",") if label.strip()
    )
    ca_certs = Path(env[PKCS11_CA_CERTS_ENV]) if env.get(PKCS11_CA_CERTS_ENV) else None
    return {
        role: Pkcs11Key(
            Path(env[PKCS11_MODULE_ENV]),
            env[PKCS11_TOKEN_ENV],
            label,
            pin=env[PKCS11_PIN_ENV],
            ca_labels=ca_labels,
            ca_certs=ca_certs,
        )
        for (owner, role), label in listed.items()
        if owner == tenant
    }


def _pkcs11_key_labels(setting: str) -> dict[tuple[str, str], str]:
    """``tenant:role=label, ...`` -> {(tenant, role): label}; raises SignerConfigError if malformed."""
    labels: dict[tuple[str, str], str] = {}
    for entry in (part.strip() for part in setting.split(",")):
        if not entry:
            continue
        who, equals, label = entry.partition("=")
        tenant, colon, role = who.strip().partition(":")
        if not (equals and colon and tenant.strip() and role.strip() and label.strip()):
            raise SignerConfigError(f"{PKCS11_KEYS_ENV}: {entry!r} is not tenant:role=key label")
        key = (tenant.strip(), role.strip())
        if key in labels:
            raise SignerConfigError(f"{PKCS11_KEYS_ENV}: {key[0]}:{key[1]} is listed twice")
        labels[key] = label.strip()
    return labels


def dev_profile(pki: DevPki, tenant: str, environ: Mapping[str, str] | None = None) -> SigningProfile:
    """The development PKI's keys of ``tenant``; raises SignerConfigError without a password."""
    from signing.pki import p12_password

    password = p12_password(pki.directory, environ)
    keys = {c.role: Pkcs12Key(c.p12, password) for c in pki.officers if c.tenant == tenant}
    if not keys:
        raise SignerConfigError(f"the development PKI has no signing keys for {tenant!r}")
    return SigningProfile(tenant, pki.tsa_url, tuple(pki.trust_roots()), keys)


def signatories(profile: SigningProfile, slots: Sequence[SignerSlot]) -> list[Signatory]:
    """The signatories of a document in order; raises SignerConfigError for a role without a key."""
    return [
        Signatory(
            profile.key_for(slot.role), slot.name, slot.position, slot.box, field_name=f"Signature{i + 1}"
        )
        for i, slot in enumerate(slots)
    ]


def sign_document(
    data: bytes,
    profile: SigningProfile,
    slots: Sequence[SignerSlot],
    *,
    level: PadesLevel = "B-LT",
    certify: bool = True,
) -> SignedPdf:
    """Sign a rendered PDF by each slot's officer in turn (sync: off any event loop).

    Raises what :func:`signing.signer.sign_pdf` raises.
    """
    return sign_pdf(data, signatories(profile, slots), profile.options(level, certify=certify))


async def async_sign_document(
    data: bytes,
    profile: SigningProfile,
    slots: Sequence[SignerSlot],
    *,
    level: PadesLevel = "B-LT",
    certify: bool = True,
) -> SignedPdf:
    """:func:`sign_document` for a coroutine; raises what :func:`signing.signer.async_sign_pdf` raises."""
    return await async_sign_pdf(data, signatories(profile, slots), profile.options(level, certify=certify))


DATA_ENV = "THONGTHIN_DATA"


def sign_with_demo_signer(
    pdf: bytes,
    boxes: Sequence[Box],
    *,
    roles: Sequence[str],
    positions: Sequence[str],
    level: PadesLevel = "B-LT",
    certify: bool = True,
    tenant: str = "maehia",
    data_dir: Path | None = None,
) -> SignedPdf:
    """Sign a preview with the demo municipality's officers from the development PKI.

    For ``thongthin document render --sign``: the PKI in the data folder is created (or
    completed with the roles asked for) when needed, and when nothing answers at its
    TSA/OCSP address the service runs in this process for the duration. Each stamp shows
    the officer's certificate name and the given position. Synchronous: call it off any
    event loop. Raises SignerConfigError (mismatched lists, no password), PkiError, and
    what :func:`signing.signer.sign_pdf` raises.
    """
    from engine.definitions import load_catalog
    from signing.pki import DEFAULT_URL, Officer, ensure_dev_pki, serve_dev_pki

    if not len(boxes) == len(roles) == len(positions):
        raise SignerConfigError("boxes, roles and positions must be as many as the signers")
    roles_known = load_catalog().roles
    organization = _demo_tenant_name(tenant)
    officers = [
        Officer(tenant, role, roles_known[role].title.th if role in roles_known else role, organization)
        for role in dict.fromkeys(roles)
    ]
    folder = pki_dir(Path(data_dir or os.environ.get(DATA_ENV) or "var"))
    pki = ensure_dev_pki(folder, officers, url=os.environ.get("THONGTHIN_PKI_URL", DEFAULT_URL))
    server = None if _answers(pki.url) else serve_dev_pki(pki)
    try:
        profile = dev_profile(pki, tenant)
        slots = [
            SignerSlot(role, pki.officer(tenant, role).name, position, box)
            for role, position, box in zip(roles, positions, boxes, strict=True)
        ]
        return sign_document(pdf, profile, slots, level=level, certify=certify)
    finally:
        if server is not None:
            server.stop()


def _demo_tenant_name(slug: str) -> str:
    from thongthin.demo import DEMO_TENANT

    return DEMO_TENANT["name_th"] if slug == DEMO_TENANT["slug"] else slug


def _answers(url: str) -> bool:
    """Does something listen at the host and port of ``url``?"""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=0.5):
            return True
    except OSError:
        return False
