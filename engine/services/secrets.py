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
