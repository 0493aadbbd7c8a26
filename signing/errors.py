"""Errors of the signing layer; each has a stable ``code`` and says whether trying again may help."""

from __future__ import annotations

from engine.errors import ThongthinError


class SigningError(ThongthinError):
    """Base class: a document could not be signed (or a signing set-up could not be made).

    ``retryable`` tells the effects queue whether the same job may succeed later (a service
    that is down) or needs a person to fix the configuration first.
    """

    code = "signing_error"
    retryable = False


class SignerConfigError(SigningError):
    """The signer's key material is missing or unusable: no PKCS#12 file, a wrong password,
    no password configured, a file that holds no key, or a font that cannot be read."""

    code = "signer_config"


class SignerNotTrusted(SignerConfigError):
    """The signer's certificate does not chain to the platform's trust roots, so a B-LT
    signature (whose validation data is collected at signing time) cannot be made."""

    code = "signer_not_trusted"


class TimestampUnavailable(SigningError):
    """The time-stamping authority did not answer or answered with an error."""

    code = "timestamp_unavailable"
    retryable = True


class RevocationInfoUnavailable(SigningError):
    """B-LT was required but the OCSP responder / CRL distribution point could not be reached."""

    code = "revocation_unavailable"
    retryable = True


class EventLoopRunning(SigningError):
    """A synchronous entry point was called on a thread that runs an asyncio event loop.

    pyHanko's synchronous API calls ``asyncio.run``; use the ``async_`` variant there, or
    ``await asyncio.to_thread(sign_pdf, ...)``.
    """

    code = "event_loop_running"


class StampError(SigningError):
    """A stamp, a page or a signature step could not be added to a PDF (see the subclasses)."""

    code = "stamp_error"


class UnreadablePdf(StampError):
    """The file is not a PDF that can be read and extended (truncated, damaged, not a PDF)."""

    code = "unreadable_pdf"


class EncryptedPdf(StampError):
    """The PDF is encrypted (password or certificate protected), so nothing can be added to it."""

    code = "encrypted_pdf"


class UnreadableImage(StampError):
    """The scan is not an image that can be read (not JPEG/PNG/TIFF, damaged, or far too large)."""

    code = "unreadable_image"


class FieldExists(StampError):
    """A signature step named a form field that the document already has."""

    code = "field_exists"


class PkiError(ThongthinError):
    """The development PKI could not be created, read or served."""

    code = "pki_error"
