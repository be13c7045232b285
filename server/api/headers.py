"""Security headers on every answer, pages and API alike.

- A Content Security Policy without inline script: every script is a file of this server's
  (the API docs page included); map tiles may come from the installation's tile server.
- `frame-ancestors 'none'` (and X-Frame-Options DENY): no page is framed by another site, but
  an area's public status page (`/status/AREA`), which its municipality shows in its own site.
- A referrer policy that never sends a path (a take link's token) to another site.
- HSTS when the request came over https (directly, or through a proxy that says so in
  X-Forwarded-Proto from an address uvicorn trusts).

A header a route set itself is left as it is (the take page's stricter referrer policy).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .edge import App, Message, Receive, Scope, Send

HSTS = b"max-age=31536000; includeSubDomains"


def tile_origin(template: str) -> str:
    """The origin of a map tile URL template (https://{s}.tile.example.org/{z}/{x}/{y}.png →
    https://*.tile.example.org), or "" when there is none."""
    if not template:
        return ""
    parts = urlsplit(template.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


EMBEDDABLE = "/status/"  # an area's public status page: its municipality frames it in its own site


def policy(tiles: str, *, framed_by: str = "'none'") -> str:
    images = " ".join(filter(None, ["'self'", "data:", "blob:", tile_origin(tiles)]))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {framed_by}",
        ]
    )


class SecurityHeaders:
    """ASGI middleware adding the headers to each response's start."""

    def __init__(self, app: App, *, tiles: str) -> None:
        self.app = app
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
        self.headers = [
            (b"content-security-policy", policy(tiles).encode()),
            (b"x-frame-options", b"DENY"),
            *common,
        ]
        self.embeddable = [(b"content-security-policy", policy(tiles, framed_by="*").encode()), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"
        ours = self.embeddable if str(scope.get("path", "")).startswith(EMBEDDABLE) else self.headers

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in ours if name not in have]
                if secure and b"strict-transport-security" not in have:
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
