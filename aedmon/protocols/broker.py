"""The broker address of mqtt.md: `mqtt://[user:pass@]host[:port]` or `mqtts://…`."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


def has_password(url: str) -> bool:
    """Whether a broker URL carries a password (which `ps` would show); False for what is no URL
    at all, which BrokerAddress.parse refuses on its own."""
    try:
        return urlsplit(url).password is not None
    except ValueError:
        return False


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    base: str = ""  # the URL's path, percent-decoded: a network's base topic

    @classmethod
    def parse(
        cls, url: str, *, password: str | None = None, username: str | None = None, option: str = "--mqtt"
    ) -> BrokerAddress:
        """`mqtt://[user:pass@]host[:port][/base]` or `mqtts://…` (TLS, port 8883 by default); a
        `password` given apart (from a file) stands in for one in the URL, a `username` apart for
        the URL's. The error names the option, never the URL (it may hold a password)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError(f"{option}: not a broker URL (mqtt://host:port or mqtts://host:port)") from None
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"{option}: a broker URL must look like mqtt://host:port or mqtts://host:port")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=port or (8883 if tls else 1883),
            tls=tls,
            username=username or (unquote(parts.username) if parts.username else None),
            password=password or (unquote(parts.password) if parts.password else None),
            base=unquote(parts.path).strip("/"),
        )

    def __str__(self) -> str:  # never shows the password
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"
