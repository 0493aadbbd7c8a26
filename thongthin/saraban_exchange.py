"""This installation's side of the exchange between agencies: the transports, and the delivery job.

- ``platform``: another municipality of this platform (:class:`PlatformTransport`, no network);
- ``http``: another th-saraban/1.0 node, ``POST`` to the inbound URL its directory entry gives,
  the JWS in ``X-Saraban-Signature``;
- ``ecms`` and ``email`` when their adapters are configured.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from engine.saraban.exchange import envelope as env
from engine.saraban.exchange.faults import from_answer
from engine.saraban.exchange.transports import Outbound, Receipt, TransportRegistry, TransportUnavailable
from engine.services.saraban.exchange import DELIVER_JOB, Exchange, PlatformTransport, deliver
from engine.store.models import EffectJob, Submission
from thongthin.saraban_mail import mail_transport

SIGNATURE_HEADER = "X-Saraban-Signature"
KEY_HEADER = "X-Saraban-Key"
TIMEOUT_SECONDS = 30
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class HttpTransport:
    """Delivers to another th-saraban/1.0 node over HTTPS (plain HTTP on loopback only, as the
    directory allows)."""

    channel: str = "http"
    timeout: float = TIMEOUT_SECONDS

    async def deliver(self, message: Outbound) -> Receipt:
        return await asyncio.to_thread(self._post, message)

    def _post(self, message: Outbound) -> Receipt:
        if not message.to.endpoint_url:
            raise TransportUnavailable(f"{message.to.agency_code} has no endpoint URL")
        request = urllib.request.Request(
            message.to.endpoint_url,
            data=message.body,
            method="POST",
            headers={
                "Content-Type": env.MEDIA_TYPE,
                SIGNATURE_HEADER: message.signature,
                KEY_HEADER: message.key_id,
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = _json(response.read(MAX_ANSWER_BYTES))
        except urllib.error.HTTPError as error:
            body = _json(error.read(MAX_ANSWER_BYTES))
            if 400 <= error.code < 500 and isinstance(body, dict) and body.get("fault"):
                raise from_answer(body) from None
            raise TransportUnavailable(f"{message.to.endpoint_url} answered {error.code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            raise TransportUnavailable(f"{message.to.endpoint_url}: {error}") from None
        receipt = answer.get("receipt_id") if isinstance(answer, dict) else None
        if not isinstance(receipt, str) or not receipt:
            raise TransportUnavailable(f"{message.to.endpoint_url} gave no receipt id")
        return Receipt(receipt[:80], duplicate=bool(answer.get("duplicate")))


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def transports_for(platform: Any) -> TransportRegistry:
    """Every transport this installation has (the platform's own, HTTP and e-CMS always)."""
    from thongthin.saraban_ecms import EcmsTransport

    registry = TransportRegistry()
    registry.register(PlatformTransport())
    registry.register(HttpTransport())
    if (mail := mail_transport(platform)) is not None:
        registry.register(mail)
    registry.register(EcmsTransport())
    return registry


def exchange_for(platform: Any) -> Exchange:
    registry = transports_for(platform)
    exchange = Exchange(files=platform.saraban_files, transports=registry)
    own = registry.by_channel["platform"]
    assert isinstance(own, PlatformTransport)
    own.exchange = exchange
    return exchange


@dataclass
class Deliverer:
    """The ``saraban_deliver`` job: one queued message to its addressee."""

    platform: Any

    async def __call__(self, job: EffectJob, submission: Submission | None) -> None:
        from engine.effects.builtin import SARABAN_DELIVER

        final = job.attempts >= SARABAN_DELIVER.retry.max_attempts
        await deliver(int(job.params["message"]), self.platform.saraban_exchange, final=final)


__all__ = ["DELIVER_JOB", "Deliverer", "HttpTransport", "exchange_for", "transports_for"]
