"""Line framing shared by the AED protocol and NMEA: bytes in, whole `$…` sentences out.

Pure and incremental: feed it whatever the port returned, get back complete sentences
and a count of what it had to throw away. It follows serial-aed v1: a sentence starts at
`$`, ends at LF (CR LF or bare LF), and is at most 200 bytes including `$` and CR LF;
anything before a `$` is noise, anything longer is discarded up to the next `$`. A bare CR
ends a sentence too: firmware that ends its lines the old Mac way must not turn every
sentence into noise, and a CR LF is one end, never an empty line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_SENTENCE = 200


@dataclass
class FrameResult:
    sentences: list[bytes] = field(default_factory=list)
    noise_bytes: int = 0
    overlong: int = 0


@dataclass
class LineFramer:
    max_len: int = MAX_SENTENCE
    _buf: bytearray = field(default_factory=bytearray)
    _discarding: bool = False

    def feed(self, data: bytes) -> FrameResult:
        out = FrameResult()
        for byte in data:
            self._take(byte, out)
        return out

    def _take(self, byte: int, out: FrameResult) -> None:
        if byte == 0x24:  # '$' always starts a new sentence, even mid-line
            if self._buf and not self._discarding:
                out.noise_bytes += len(self._buf)  # a half sentence cut by a reset
            self._buf = bytearray(b"$")
            self._discarding = False
            return
        if self._discarding:
            return
        if not self._buf:
            if byte not in (0x0A, 0x0D):
                out.noise_bytes += 1
            return
        if byte in (0x0A, 0x0D):
            line = bytes(self._buf)
            self._buf.clear()
            out.sentences.append(line)
            return
        self._buf.append(byte)
        # +2 for the CR LF still to come
        if len(self._buf) + 2 > self.max_len:
            out.overlong += 1
            self._buf.clear()
            self._discarding = True
