"""Tokens handed to citizens and officers: random, shown once, stored only as digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(value: str, *, scope: str = "") -> str:
    """SHA-256 of ``scope:value``; the scope (e.g. a reference number) keeps equal values apart."""
    return hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()


def matches(value: str, expected_digest: str, *, scope: str = "") -> bool:
    return hmac.compare_digest(digest(value, scope=scope), expected_digest)


# Tracking codes are read off a screen and typed on phones: no 0/O, 1/I/L look-alikes, no - or _.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 25  # 25 characters of 31: 123 bits
CODE_GROUP = 5


def new_tracking_code() -> str:
    """A tracking code such as ``7KQ2M…``: random, 123 bits, from :data:`CODE_ALPHABET`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``7KQ2MXXXXX…`` -> ``7KQ2M-XXXXX-…``: groups of five, as it is printed and shown."""
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return code  # an older token: shown as it was given
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalise_code(text: str) -> str:
    """What a person typed, as the code it means: case, spaces and group dashes do not matter.

    Anything that is not a tracking code of this form (older tokens) is returned as given.
    """
    stripped = text.strip()
    squeezed = "".join(c for c in stripped if c not in " -\t").upper()
    if len(squeezed) == CODE_LENGTH and all(c in CODE_ALPHABET for c in squeezed):
        return squeezed
    return stripped
