"""Signing keys on a PKCS#11 token: an HSM, a smart card or USB token, SoftHSM in the tests.

A :class:`Pkcs11Key` names the token's module (the vendor's ``.so``), the token by its
label, the private key by its label (the certificate by the same label unless told
otherwise) and the user PIN. The CA certificates to embed with the signature come from the
token (``ca_labels``) and/or a PEM/DER file (``ca_certs``): tokens often hold only the
officer's own certificate, and validators need the chain to the platform's root.

pyHanko's :class:`pyhanko.sign.pkcs11.PKCS11Signer` does the signing (``pyhanko[pkcs11]``,
which brings python-pkcs11). Around it:

- Log-in is per application and token, not per session: a second ``C_Login`` on a token
  fails (CKR_USER_ALREADY_LOGGED_IN) and closing any logged-in session logs all of them out.
  So this process keeps one logged-in session per (module, token), shared by every key of
  that token in use and closed when the last user is done. Keys of one token must then
  share one PIN.
- python-pkcs11 initialises modules without locking arguments, which promises the module
  that no two threads call it at once; documents are signed on worker threads, so every
  call into a module from this process (log-in, look-ups, each signature) holds one lock.
  A signature takes milliseconds on the token; the network work around it runs freely.
- ECDSA keys are signed with the token's hash-and-sign mechanism (CKM_ECDSA_SHA256) when it
  has one, else pyHanko hashes and the token signs the digest with raw CKM_ECDSA (SoftHSM
  2.6 has only the latter).
- Every failure to load the module, find the token, log in or find the key or certificate is
  a :class:`signing.errors.SignerConfigError` naming the token and key, never the PIN.
- The module is loaded (``C_Initialize``) once per process, on first use; in a forking
  server that is in the worker, not the parent. Opening a key blocks (it talks to the token).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from signing.errors import PkiError, SignerConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pkcs11Key:
    """A signer's private key (and certificate) on a PKCS#11 token, found by labels."""

    module_path: Path
    token_label: str
    key_label: str
    pin: str | None = field(default=None, repr=False)
    # The certificate's label when it differs from the key's.
    cert_label: str | None = None
    # Labels of CA certificates on the token to embed with the signature.
    ca_labels: tuple[str, ...] = ()
    # A PEM (one or several) or DER file of CA certificates to embed with the signature.
    ca_certs: Path | None = None

    def describe(self) -> str:
        return f"PKCS#11 key {self.key_label!r} on token {self.token_label!r}"

    @contextmanager
    def open(self) -> Iterator[Any]:
        """A pyHanko ``PKCS11Signer`` with its certificate and key handle loaded, for the block.

        Raises SignerConfigError (module, token, PIN, key, certificate or CA file unusable).
        """
        chain = self._chain()
        session = _acquire(self)
        try:
            yield _signer(self, session, chain)
        finally:
            _release(self)

    def _chain(self) -> list[Any]:
        if self.ca_certs is None:
            return []
        from signing.pki import load_certificates

        try:
            return load_certificates(self.ca_certs)
        except PkiError as error:
            raise SignerConfigError(f"{self.describe()}: CA certificates: {error}") from None


# --- one logged-in session per (module, token) ---------------------------------------------


@dataclass
class _Login:
    session: Any
    pin_digest: bytes
    users: int = 0


_LOGINS: dict[tuple[str, str], _Login] = {}
# Held for every call into a PKCS#11 module (and for _LOGINS); re-entrant for nested helpers.
_LOCK = threading.RLock()


def _identity(key: Pkcs11Key) -> tuple[str, str]:
    return str(Path(key.module_path)), key.token_label


def _pin_digest(key: Pkcs11Key) -> bytes:
    return hashlib.sha256((key.pin or "").encode("utf-8")).digest()


def _acquire(key: Pkcs11Key) -> Any:
    with _LOCK:
        login = _LOGINS.get(_identity(key))
        if login is None:
            login = _Login(_log_in(key), _pin_digest(key))
            _LOGINS[_identity(key)] = login
        elif not hmac.compare_digest(login.pin_digest, _pin_digest(key)):
            raise SignerConfigError(
                f"{key.describe()}: wrong PIN (the token is in use with another PIN in this process)"
            )
        login.users += 1
        return login.session


def _release(key: Pkcs11Key) -> None:
    from pkcs11 import PKCS11Error

    with _LOCK:
        login = _LOGINS.get(_identity(key))
        if login is None:
            return
        login.users -= 1
        if login.users > 0:
            return
        del _LOGINS[_identity(key)]
        try:
            login.session.close()  # logs out too
        except PKCS11Error as error:
            logger.warning("closing the PKCS#11 session of token %r: %s", key.token_label, _reason(error))


def _log_in(key: Pkcs11Key) -> Any:
    """Load the module, find the token and open a session logged in with the key's PIN."""
    try:
        import pkcs11
        from pkcs11 import exceptions as p11
    except ImportError:
        raise SignerConfigError(
            "PKCS#11 signing needs python-pkcs11: pip install 'pyhanko[pkcs11]'"
        ) from None

    module = str(key.module_path)
    try:
        lib = pkcs11.lib(module)
    except (p11.PKCS11Error, OSError) as error:
        raise SignerConfigError(f"{module}: cannot load the PKCS#11 module ({_reason(error)})") from None
    try:
        token = lib.get_token(token_label=key.token_label)
    except p11.NoSuchToken:
        raise SignerConfigError(f"{module}: no token labelled {key.token_label!r}") from None
    except p11.MultipleTokensReturned:
        raise SignerConfigError(f"{module}: several tokens labelled {key.token_label!r}") from None
    except p11.PKCS11Error as error:
        raise SignerConfigError(f"{module}: cannot list the tokens ({_reason(error)})") from None
    try:
        return token.open(user_pin=key.pin)
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
        raise SignerConfigError(f"{key.describe()}: wrong PIN") from None
    except p11.PinLocked:
        raise SignerConfigError(f"{key.describe()}: the PIN is locked (too many wrong attempts)") from None
    except p11.PinExpired:
        raise SignerConfigError(
            f"{key.describe()}: the PIN has expired; set a new one on the token"
        ) from None
    except p11.UserAlreadyLoggedIn:
        # Someone else in this process (not through this module) logged in: the log-in is
        # the application's, so a session without one can use the key.
        return token.open()
    except p11.PKCS11Error as error:
        raise SignerConfigError(f"{key.describe()}: cannot log in ({_reason(error)})") from None


def _signer(key: Pkcs11Key, session: Any, chain: list[Any]) -> Any:
    """pyHanko's signer for ``key``, its certificate, CA certificates and key handle loaded."""
    from pkcs11 import Mechanism, PKCS11Error, SignMixin
    from pyhanko.sign.pkcs11 import PKCS11Signer

    signer = PKCS11Signer(
        session,
        cert_label=key.cert_label or key.key_label,
        key_label=key.key_label,
        ca_chain=chain,
        other_certs_to_pull=key.ca_labels,
    )
    try:
        with _LOCK:
            certificate = signer.signing_cert  # pulls the certificate, CA certificates and key handle
            if certificate.public_key.algorithm == "ec":
                signer.use_raw_mechanism = Mechanism.ECDSA_SHA256 not in session.token.slot.get_mechanisms()
    except (PKCS11Error, ValueError) as error:  # ValueError: a certificate that does not parse
        raise SignerConfigError(f"{key.describe()}: {_reason(error)}") from None
    # pyHanko calls the key handle's sign() on an executor thread: serialise it with the rest.
    # The wrapper is a proxy, not a SignMixin subclass (__getattr__ forwards the rest): hence the cast.
    signer._key_handle = cast(SignMixin, _SerialisedKey(signer._key_handle))
    return signer


class _SerialisedKey:
    """A python-pkcs11 private key whose ``sign`` holds the module lock."""

    def __init__(self, handle: Any):
        self._handle = handle

    def sign(self, data: bytes, **kwargs: Any) -> bytes:
        with _LOCK:
            return self._handle.sign(data, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


def _reason(error: BaseException) -> str:
    """python-pkcs11's errors often have no message: their class names the CKR_ code."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
