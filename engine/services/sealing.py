"""Secrets a municipality gives us (its LINE channel secret and access token), kept encrypted.

They are sealed with a key derived from the platform's own secret key, so a copy of the
database alone does not hand out the municipality's LINE account.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SealBroken(Exception):
    """A sealed value that this platform key cannot open (the key changed, or the value was altered)."""


def _fernet(platform_key: str, purpose: str) -> Fernet:
    digest = hashlib.sha256(f"thongthin:{purpose}:{platform_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(platform_key: str, purpose: str, value: str) -> str:
    return _fernet(platform_key, purpose).encrypt(value.encode()).decode()


def unseal(platform_key: str, purpose: str, sealed: str) -> str:
    """The value :func:`seal` sealed; raises :class:`SealBroken`."""
    try:
        return _fernet(platform_key, purpose).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        raise SealBroken(purpose) from None
