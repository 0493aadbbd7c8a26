"""Signing issued documents: PAdES signatures with pyHanko, verification, and a development PKI.

The public surface; see the modules for the details:
- :mod:`signing.signer`: :func:`sign_pdf` / :func:`async_sign_pdf` (B-B…B-LTA, several
  signers in sequence, the first a certification, visible Thai stamps).
- :mod:`signing.verify`: :func:`verify_pdf` / :func:`async_verify_pdf` -> :class:`VerificationReport`.
- :mod:`signing.pki`: the development PKI (certomancer) and its TSA/OCSP/CRL service.
- :mod:`signing.services`: a tenant's signing profile, and signing a rendered document.
- :mod:`signing.keys`: checking a key a municipality's administrator uploads (PKCS#12) or names
  (a token label), and signing with the stored ones.
"""

# asn1crypto.pdf renames the Adobe PDF-signing key purpose in KeyPurposeId's OID map but not
# in its reverse map; if anything built that reverse map first (certomancer does, when it
# makes certificates), re-encoding such a certificate fails. Import it now and let the
# reverse map be rebuilt from the updated map.
import asn1crypto.pdf  # noqa: F401
from asn1crypto.x509 import KeyPurposeId as _KeyPurposeId

_KeyPurposeId._reverse_map = None

from signing.errors import (  # noqa: E402
    EventLoopRunning,
    PkiError,
    RevocationInfoUnavailable,
    SignerConfigError,
    SignerNotTrusted,
    SigningError,
    TimestampUnavailable,
)
from signing.pkcs11 import Pkcs11Key  # noqa: E402
from signing.services import sign_with_demo_signer  # noqa: E402
from signing.signer import (  # noqa: E402
    AppliedSignature,
    Pkcs12Key,
    Signatory,
    SignedPdf,
    SigningOptions,
    async_sign_pdf,
    sign_pdf,
)
from signing.verify import SignatureReport, VerificationReport, async_verify_pdf, verify_pdf  # noqa: E402

__all__ = [
    "AppliedSignature",
    "EventLoopRunning",
    "Pkcs11Key",
    "Pkcs12Key",
    "PkiError",
    "RevocationInfoUnavailable",
    "Signatory",
    "SignatureReport",
    "SignedPdf",
    "SignerConfigError",
    "SignerNotTrusted",
    "SigningError",
    "SigningOptions",
    "TimestampUnavailable",
    "VerificationReport",
    "async_sign_pdf",
    "async_verify_pdf",
    "sign_pdf",
    "sign_with_demo_signer",
    "verify_pdf",
]
