"""The HTTP edge: what every request must pass before any route reads it.

- A body limit (`--max-body-bytes`, 1 MB by default), enforced from the Content-Length and
  again while the body is read: 413, and the rest is never read.
- On the API, a request that carries a body must carry a known token too: it is refused
  with 401 before a byte of its body is read (the role is checked later, by the route).
- Control characters (NUL among them) and bytes that are not UTF-8 in the path or the
  query: 400, so no store ever sees them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio
from fastapi import HTTPException

from aedmon.reading import check_text

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

# API paths anyone may send a body to without a token: none yet besides the public pages,
# which live outside /api/.
_OPEN_API_PREFIXES = ("/api/v1/public/", "/api/v1/auth/login", "/api/v1/auth/invite", "/api/v1/setup")
SESSION_COOKIE = "aedmon_session"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


IMPORT_PATHS = frozenset({"/api/v1/devices/import", "/api/v1/devices/import-osm"})


class Edge:
    """ASGI middleware; `known` says whether a bearer token is a bootstrap token or a live key
    (it may ask the database, so it runs in a worker thread)."""

    def __init__(
        self,
        app: App,
        *,
        max_body_bytes: int,
        known: Callable[[bytes | None, str | None], bool],
        import_max_bytes: int | None = None,
    ) -> None:
        self.app, self.max_body_bytes, self.known = app, max_body_bytes, known
        self.import_max_bytes = import_max_bytes or max_body_bytes

    def _limit(self, scope: Scope) -> int:
        """The largest body this path takes: the imports' files have a limit of their own."""
        return self.import_max_bytes if scope.get("path", "") in IMPORT_PATHS else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is None and self._needs_token(scope):
            given = dict(scope.get("headers", []))
            token = self._token(given.get(b"authorization", b""))
            cookie = _session_cookie(given.get(b"cookie", b""))
            known = (token is not None or cookie is not None) and await anyio.to_thread.run_sync(
                self.known, token, cookie
            )
            if not known:
                challenge = [(b"www-authenticate", b"Bearer")]
                refusal = 401, "a known bearer token or a session is required", challenge
        if refusal is not None:
            code, detail, headers = refusal
            await _answer(send, code, detail, headers)
            return
        received, limit = 0, self._limit(scope)

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, self._too_large(limit))
            return message

        await self.app(scope, limited, send)

    @staticmethod
    def _too_large(limit: int) -> str:
        return f"the body is larger than {limit} bytes; send less at a time"

    def _refusal(self, scope: Scope) -> tuple[int, str, list[tuple[bytes, bytes]]] | None:
        path: str = scope.get("path", "")
        try:
            check_text(path)
            query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
            check_text(query.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return 400, "control characters or bytes that are not UTF-8 in the URL", []
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return 400, "Content-Length is not a number", []
            if int(length) > self._limit(scope):
                return 413, self._too_large(self._limit(scope)), []
        return None

    @staticmethod
    def _needs_token(scope: Scope) -> bool:
        """A request with a body to the API (but the open paths) must carry a known token."""
        path: str = scope.get("path", "")
        headers = dict(scope.get("headers", []))
        carries_body = headers.get(b"content-length") not in (None, b"0") or b"transfer-encoding" in headers
        return (
            scope.get("method") in _BODY_METHODS
            and carries_body
            and path.startswith("/api/")
            and not path.startswith(_OPEN_API_PREFIXES)
        )

    @staticmethod
    def _token(authorization: bytes) -> bytes | None:
        scheme, _, token = authorization.partition(b" ")
        token = token.strip()
        return token if scheme.lower() == b"bearer" and token else None


def _session_cookie(header: bytes) -> str | None:
    """The session cookie's value from a Cookie header, if it carries one."""
    jar = SimpleCookie()
    try:
        jar.load(header.decode("latin-1"))
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


async def _answer(send: Send, code: int, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
