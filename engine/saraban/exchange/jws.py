"""The signature of a message: a detached JWS (RFC 7515 appendix F) over the raw body.

The sender signs the exact bytes it sends (:func:`engine.saraban.exchange.envelope.canonical`)
and puts the compact JWS, payload segment left empty (``header..signature``), in the
``X-Saraban-Signature`` header; ``kid`` in the protected header, and ``X-Saraban-Key``, is the
SHA-256 fingerprint (lowercase hex) of the signer's certificate (:func:`fingerprint`). The
payload is base64url-encoded for signing as usual (``"b64": true``, RFC 7797's unencoded mode is
refused).

ES256 for EC P-256 keys (the development PKI's default: ``keys/officer-<tenant>-<role>.key.pem``
under the PKI folder, see ``signing/pki.py``), RS256 for RSA keys of 2048 bits or more. Nothing
else is accepted: not ``alg: none``, not HMAC, not keys carried in the header (``jwk``,
``x5c``, ``jku``, ``x5u``); the verifier's keys come from the agency directory only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from engine.saraban.exchange.faults import BadSignature

ALGORITHMS: Final = ("ES256", "RS256")
MIN_RSA_BITS: Final = 2048
# Header fields a token may carry; anything else (b64, crit, jwk, x5c, jku, x5u …) is refused.
HEADER_FIELDS: Final = frozenset({"alg", "kid", "typ"})
MAX_TOKEN_LENGTH: Final = 4096
# Bodies are bounded by the envelope's own limit; joserfc's default (128 kB) is for tokens.
MAX_PAYLOAD: Final = 64 * 1024 * 1024


def fingerprint(certificate: bytes) -> str:
    """The key id of a certificate: SHA-256 of its DER encoding, lowercase hex.

    ``certificate`` is PEM or DER. Raises ValueError when it is neither.
    """
    if b"-----BEGIN" in certificate:
        der = x509.load_pem_x509_certificate(certificate).public_bytes(serialization.Encoding.DER)
    else:
        der = x509.load_der_x509_certificate(certificate).public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def sign(body: bytes, key_pem: bytes, kid: str) -> str:
    """The detached compact JWS of ``body`` (``header..signature``) by the private key in
    ``key_pem`` (unencrypted PEM), naming ``kid``.

    Raises ValueError when the key cannot be read, is neither EC P-256 nor RSA of at least
    2048 bits, or ``kid`` is empty.
    """
    if not kid:
        raise ValueError("a signature names its key (kid)")
    private = serialization.load_pem_private_key(key_pem, password=None)
    key: ECKey | RSAKey
    if isinstance(private, ec.EllipticCurvePrivateKey):
        if not isinstance(private.curve, ec.SECP256R1):
            raise ValueError(f"EC keys on {private.curve.name} are not used; P-256 (ES256) only")
        alg, key = "ES256", ECKey.import_key(key_pem)
    elif isinstance(private, rsa.RSAPrivateKey):
        if private.key_size < MIN_RSA_BITS:
            raise ValueError(f"an RSA key of {private.key_size} bits is too short")
        alg, key = "RS256", RSAKey.import_key(key_pem)
    else:
        raise ValueError("only EC P-256 (ES256) and RSA (RS256) keys sign messages")
    token = jws.serialize_compact({"alg": alg, "kid": kid}, body, key, registry=_registry(alg))
    return jws.detach_content(token)


def verify(body: bytes, token: str, keys: Mapping[str, bytes]) -> str:
    """The key id whose key signed ``body``, if ``token`` is its detached JWS.

    ``keys`` maps key ids (certificate fingerprints) to public keys or certificates in PEM.
    Raises BadSignature when the token is malformed or not detached, its algorithm is not
    ES256/RS256 (``none`` included), its header carries other fields, its ``kid`` is not in
    ``keys``, the key does not fit the algorithm, or the signature does not match ``body``.
    """
    header = _header(token)
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:
        raise _bad(f"algorithm {alg!r} is not accepted", "ไม่ยอมรับอัลกอริทึมลายมือชื่อนี้")
    if not isinstance(kid, str) or kid not in keys:
        raise _bad(f"unknown key {kid!r}", "ไม่รู้จักกุญแจที่ใช้ลงลายมือชื่อ")
    key = _public_key(keys[kid], alg)
    try:
        jws.deserialize_compact(token, key, registry=_registry(alg), payload=body)
    except (JoseError, ValueError, TypeError) as exc:
        raise _bad(f"the signature does not match the body ({exc.__class__.__name__})") from None
    return kid


def _registry(alg: str) -> jws.JWSRegistry:
    registry = jws.JWSRegistry(algorithms=[alg])
    registry.max_payload_length = MAX_PAYLOAD
    return registry


def _bad(message: str, th: str = "ลายมือชื่อของข้อความไม่ถูกต้อง") -> BadSignature:
    return BadSignature(message, th=th, field="X-Saraban-Signature")


def check_shape(token: str) -> None:
    """Raises BadSignature unless ``token`` is a detached compact JWS whose header can be read
    (checked before the body is parsed, so a request without a usable signature costs nothing)."""
    header = _header(token)
    if header.get("alg") not in ALGORITHMS or not isinstance(header.get("kid"), str):
        raise _bad("the JWS header names no accepted algorithm or no key", "ไม่ยอมรับอัลกอริทึมลายมือชื่อนี้")


def _header(token: str) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise _bad("no signature, or not a compact JWS")
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or parts[1] or not parts[2]:
        raise _bad("not a detached compact JWS (header..signature)")
    try:
        padded = parts[0] + "=" * (-len(parts[0]) % 4)
        header = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError) as exc:
        raise _bad(f"the JWS header cannot be read ({exc.__class__.__name__})") from None
    if not isinstance(header, dict):
        raise _bad("the JWS header is not an object")
    extra = set(header) - HEADER_FIELDS
    if extra:
        raise _bad(f"the JWS header carries {', '.join(sorted(extra))}, which are not accepted")
    return header


def _public_key(pem: bytes, alg: str) -> ECKey | RSAKey:
    try:
        if b"CERTIFICATE" in pem:
            public: Any = x509.load_pem_x509_certificate(pem).public_key()
        else:
            public = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise _bad(f"the key on file cannot be read ({exc})", "อ่านกุญแจสาธารณะของหน่วยงานไม่ได้") from None
    der = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    if (
        alg == "ES256"
        and isinstance(public, ec.EllipticCurvePublicKey)
        and isinstance(public.curve, ec.SECP256R1)
    ):
        return ECKey.import_key(der)
    if alg == "RS256" and isinstance(public, rsa.RSAPublicKey) and public.key_size >= MIN_RSA_BITS:
        return RSAKey.import_key(der)
    raise _bad(f"the key on file does not fit {alg}")
