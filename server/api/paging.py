"""Lists a page at a time: an opaque cursor (the last item's sort key, as base64 JSON) and the
next page named in a `Link` header. Each list checks what its own cursor holds."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import HTTPException, Request, Response, status

NOT_OURS = "cursor: not one this server gave; start without it"


def cursor_of(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def key_of(cursor: str) -> list[Any]:
    """The sort key a cursor holds; 400 for anything that is not one."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        key = None
    if not isinstance(key, list):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, NOT_OURS)
    return key


def link_next(request: Request, response: Response, key: list[Any]) -> None:
    """Name the page after the item whose sort key this is."""
    following = request.url.include_query_params(cursor=cursor_of(key))
    response.headers["Link"] = f'<{following}>; rel="next"'
