"""Checking a webhook delivery on the receiving end, by the scheme the platform signs with.

Each delivery is a POST of JSON with the headers ``Webhook-Id`` (the event's id, the same on every
retry), ``Webhook-Timestamp`` (unix seconds when the attempt was sent) and ``Webhook-Signature``:
``v1=`` and the hex HMAC-SHA256, keyed with the subscription's secret, of
``f"{id}.{timestamp}."`` followed by the raw body bytes. Several signatures may be given,
separated by spaces; one that matches is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import cast

from thongthin_client.errors import InvalidSignature
from thongthin_client.types import WebhookEvent

DEFAULT_TOLERANCE = 300  # seconds, as the platform's own check


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The ``Webhook-Signature`` value the platform sends for ``body``."""
    message = f"{event_id}.{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_webhook_signature(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> WebhookEvent:
    """The delivered event, once its headers prove the platform sent exactly ``body`` with ``secret``.

    ``headers`` in any letter case (for ``http.server`` pass ``dict(handler.headers)``); ``body``
    the raw bytes as received, before any parsing. ``tolerance`` is how many seconds the timestamp
    may be away from ``now`` (default: the clock), so an old delivery replayed is refused.

    Raises :class:`InvalidSignature` when a header is missing, the timestamp is outside the
    tolerance, no signature matches, or the body is not a JSON object.
    """
    raw = body.encode() if isinstance(body, str) else bytes(body)
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    event_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "").strip()
    given = lowered.get("webhook-signature", "")
    if not event_id or not stamp.isascii() or not stamp.isdigit() or not given.strip():
        raise InvalidSignature("Webhook-Id, Webhook-Timestamp and Webhook-Signature are required")
    moment = time.time() if now is None else now
    if abs(moment - int(stamp)) > tolerance:
        raise InvalidSignature(f"the timestamp is more than {tolerance} seconds away from now (a replay?)")
    expected = signature(secret, event_id, int(stamp), raw)
    # Compared in constant time, each one (a receiver rotating secrets may be sent several); as
    # bytes, since compare_digest refuses str with letters beyond ASCII.
    wanted = expected.encode()
    if not any(hmac.compare_digest(wanted, candidate.encode()) for candidate in given.split()):
        raise InvalidSignature("the signature does not match the body")
    try:
        event = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidSignature("the body is not JSON") from None
    if not isinstance(event, dict):
        raise InvalidSignature("the body is not a JSON object")
    return cast(WebhookEvent, event)


__all__ = ["DEFAULT_TOLERANCE", "signature", "verify_webhook_signature"]
