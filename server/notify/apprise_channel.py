"""A contact's address on one of the installation's services, told through Apprise.

One instance per (service, address) a contact lists, tried in the contact's order before the
contact's own webhook, e-mail and MQTT. Apprise blocks, and its timeouts are per connect
and per read: the notifier runs each send in a worker of its own with a total deadline
(server.notify.notifier._Deadline), as for every channel. Apprise runs here in the calling
thread (its plugin called directly: the Apprise object hands sends to threads of its own),
so what it says of a failure is this send's, and it is redacted before it is kept. The text
is given as text: Apprise escapes it for a service that reads HTML or Markdown.
"""

from __future__ import annotations

from typing import Any

import apprise

from server.store.models import Contact

from .channels import ChannelError
from .messages import Message
from .services import Service, Shape, quiet, redact

MAX_REASON = 300


def shaped(shape: Shape, message: Message) -> tuple[str, str]:
    """The title and body of the message as this kind of service takes them."""
    if shape is Shape.SMS:
        return "", message.sms or message.text  # an SMS has no title: Apprise would prepend it
    if shape is Shape.CHAT:
        return message.subject.removeprefix("[aedmon] "), message.text
    return message.subject, message.text


class ServiceChannel:
    """One address on one service (the channel's name is the service's)."""

    def __init__(self, service: Service, address: str) -> None:
        self.service, self.address = service, address
        self.name = service.name

    def serves(self, contact: Contact) -> bool:
        return True

    def send(self, contact: Contact, message: Message, payload: dict[str, Any]) -> None:
        title, body = shaped(self.service.shape, message)
        try:
            url = self.service.url(self.address)
        except ValueError as exc:  # the file changed the address's kind since it was given
            raise ChannelError(str(exc)) from None
        with quiet() as said:
            try:
                plugin = apprise.Apprise.instantiate(url)
                sent = plugin is not None and bool(
                    plugin.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
                )
            except Exception as exc:  # a plugin's own failure is this channel's, never the notifier's
                raise ChannelError(f"{self.service.scheme}: {exc.__class__.__name__}") from None
        if plugin is None:
            raise ChannelError(f"Apprise cannot use the {self.service.scheme}:// URL of service {self.name}")
        if not sent:
            reason = said[-1] if said else "the service did not take the message"
            raise ChannelError(redact(reason)[:MAX_REASON])
