"""What can go wrong sending a message, from the most general to the most specific."""

from __future__ import annotations


class MessagingError(Exception):
    """Base of the messaging errors."""


class ChannelNotConfigured(MessagingError):
    """The installation (or the municipality) has not set this channel up: nothing can be sent on it."""


class DeliveryFailed(MessagingError):
    """The provider did not take the message this time (down, slow, busy): it is tried again later."""


class AddressRefused(MessagingError):
    """The provider refused the message for good (no such number, address or LINE user): not retried."""
