"""Messages that arrive: one registry of channels (e-mail, SMS, LINE, the tracking page).

Each channel says which settings it needs (``config_schema``), how it sends one message
(``send``), how often it retries (``retry``), and how its providers' refusals read. The
outbox (:mod:`engine.services.messages`) keeps one :class:`~engine.store.models.Delivery`
per message, channel and address, so a provider that is down delays a message and never
loses it, and officers can read what went where.
"""

from engine.messaging.channels import (
    Channel,
    ChannelRegistry,
    LinePushChannel,
    Outgoing,
    RetryPolicy,
    SmsGatewayChannel,
    SmtpChannel,
    TrackingPageChannel,
    registry_from_env,
)
from engine.messaging.errors import AddressRefused, ChannelNotConfigured, DeliveryFailed, MessagingError

__all__ = [
    "AddressRefused",
    "Channel",
    "ChannelNotConfigured",
    "ChannelRegistry",
    "DeliveryFailed",
    "LinePushChannel",
    "MessagingError",
    "Outgoing",
    "RetryPolicy",
    "SmsGatewayChannel",
    "SmtpChannel",
    "TrackingPageChannel",
    "registry_from_env",
]
