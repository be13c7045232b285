"""The exceptions aedmon raises, as one tree.

    AedmonError
    ├── ProtocolError            bytes from a device that are not a valid reading
    │   ├── FramingError         overlong line, noise before `$`
    │   ├── ChecksumError        missing or wrong `*CS`
    │   ├── MalformedSentence    wrong field count, bad time, unknown value, bad id
    │   ├── UnknownSentence      NMEA: a proprietary or unknown sentence type, counted by type
    │   └── MalformedMessage     MQTT: bad topic, not JSON, too large, bad field
    ├── SinkUnavailable          a sink could not take a batch now; retry later
    │   └── SinkUnauthorized     the sink refused the bridge's credentials; retry, loudly
    ├── BatchRefused             the sink refused this batch as it is (4xx): split it;
    │                            one reading refused alone goes to the dead letters
    └── StorageUnavailable       the outbox could not commit (disk full, I/O): acknowledge
                                 nothing, try again

Each ProtocolError carries a short `reason` slug used as the label of the rejection
counter, so a dashboard can tell noise from a broken device.
"""

from __future__ import annotations


class AedmonError(Exception):
    """Base of every aedmon error."""


class ProtocolError(AedmonError):
    reason = "invalid"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class FramingError(ProtocolError):
    reason = "framing"


class ChecksumError(ProtocolError):
    reason = "checksum"


class MalformedSentence(ProtocolError):
    reason = "malformed"


class UnknownSentence(ProtocolError):
    """A well-formed sentence of a type the decoder does not know; `sentence` names the type."""

    reason = "unknown_sentence"

    def __init__(self, sentence: str) -> None:
        super().__init__(f"unknown sentence type {sentence}")
        self.sentence = sentence


class MalformedMessage(ProtocolError):
    reason = "malformed"


class SinkUnavailable(AedmonError):
    """The sink could not be reached or failed; the batch stays in the outbox."""


class SinkUnauthorized(SinkUnavailable):
    """The sink refused the credentials: nothing is delivered until a person fixes them."""


class BatchRefused(AedmonError):
    """The sink refused the batch as it is; retrying it unchanged cannot help."""


class StorageUnavailable(AedmonError):
    """The bridge's outbox could not commit; whatever was to be stored is not acknowledged."""
