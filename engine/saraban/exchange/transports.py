"""How a signed message reaches another agency: one protocol, several transports.

A transport is a plugin in a :class:`TransportRegistry` under the name of its channel
(``platform`` for a tenant of this platform, ``http`` for another th-saraban node, ``ecms`` for
an e-CMS node, ``email`` for a saraban@ mailbox). The delivery job picks one by the addressee's
directory entry (:func:`channel_for`) and hands it an :class:`Outbound`: the exact bytes signed,
the detached JWS, and where to.

A transport answers with a :class:`Receipt`, or raises

- :class:`TransportUnavailable` when the far side could not be reached or failed (the job tries
  again later with the same ``message_id``, so the far side sees a duplicate at worst), or
- an :class:`~engine.saraban.exchange.faults.ExchangeFault` when the far side refused the message
  itself (trying again cannot help).

Framework-free; the transports doing network IO live outside the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from engine.errors import ThongthinError

CHANNELS = ("platform", "http", "ecms", "email")


@dataclass(frozen=True)
class Address:
    """Where an agency takes messages, as the directory says."""

    agency_code: str
    name_th: str
    tenant: str = ""  # the slug, when the agency is a tenant of this platform
    endpoint_url: str = ""
    ecms_url: str = ""
    email: str = ""


@dataclass(frozen=True)
class Outbound:
    """One message on its way: ``body`` is the canonical envelope (what ``signature`` signs)."""

    message_id: str
    type: str
    body: bytes
    signature: str  # detached compact JWS over ``body``
    key_id: str  # the signing certificate's SHA-256 fingerprint
    sender_code: str
    to: Address


@dataclass(frozen=True)
class Receipt:
    """The far side took the message. ``duplicate``: it had taken this message before and
    answers with the receipt it gave then."""

    receipt_id: str
    duplicate: bool = False


class TransportError(ThongthinError):
    """Base class of the errors of delivering a message."""

    retryable = True


class TransportUnavailable(TransportError):
    """The far side could not be reached, timed out, or failed; the message may be sent again."""

    expected = True  # the queue logs it as one line: retrying is what it is for

    def __init__(self, message: str, *, th: str = ""):
        self.message_th = th or "ติดต่อปลายทางไม่ได้ในขณะนี้ ระบบจะส่งใหม่อีกครั้ง"
        super().__init__(message)


class NoTransport(TransportError):
    """No transport serves the addressee's channel in this installation, or the directory gives
    the addressee no way to be reached."""

    retryable = False

    def __init__(self, channel: str, agency_code: str = ""):
        self.channel = channel
        self.agency_code = agency_code
        where = f" for {agency_code}" if agency_code else ""
        super().__init__(f"no transport for the channel {channel!r}{where}")


class Transport(Protocol):
    """Delivers messages on one channel. A transport doing blocking network IO runs it on a
    worker thread (``asyncio.to_thread``), never on the event loop."""

    @property
    def channel(self) -> str: ...

    async def deliver(self, message: Outbound) -> Receipt:
        """Hand ``message`` over; raises TransportUnavailable or an ExchangeFault."""
        ...


@dataclass
class TransportRegistry:
    """The transports of this installation, by channel."""

    by_channel: dict[str, Transport] = field(default_factory=dict)

    def register(self, transport: Transport) -> Transport:
        self.by_channel[transport.channel] = transport
        return transport

    def get(self, channel: str, agency_code: str = "") -> Transport:
        """Raises NoTransport when none serves ``channel``."""
        try:
            return self.by_channel[channel]
        except KeyError:
            raise NoTransport(channel, agency_code) from None

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.by_channel))


def channel_for(address: Address) -> str:
    """The channel an agency is reached by: a tenant of this platform directly, else its own
    node, else its e-CMS node, else its saraban@ mailbox. Raises NoTransport when it has none."""
    if address.tenant:
        return "platform"
    if address.endpoint_url:
        return "http"
    if address.ecms_url:
        return "ecms"
    if address.email:
        return "email"
    raise NoTransport("none", address.agency_code)
