"""The channel seam: one module per channel implements it; the notifier tries them in order."""

from __future__ import annotations

from typing import Any, Protocol

from server.store.models import Contact

from .messages import Message


class ChannelError(Exception):
    """This channel could not deliver now; the notifier falls back to the next one."""


class Channel(Protocol):
    name: str

    def serves(self, contact: Contact) -> bool:
        """Whether the contact can be reached on this channel at all."""
        ...

    def send(self, contact: Contact, message: Message, payload: dict[str, Any]) -> None:
        """Deliver or raise ChannelError."""
        ...
