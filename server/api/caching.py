"""Lists that pages poll answer with an `ETag`; asked again with `If-None-Match` and nothing
changed, they answer 304 with no body (a page whose event stream is cut polls slowly so)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from pydantic import TypeAdapter


def etagged(
    request: Request, items: Sequence[Any], adapter: TypeAdapter[Any], response: Response
) -> Response:
    """The items as JSON with their ETag, or 304 when the reader has them already; headers the
    route set (a Link to the next page) go along either way."""
    body = adapter.dump_json(list(items))
    tag = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {**dict(response.headers), "ETag": tag, "Cache-Control": "no-cache"}
    headers.pop("content-length", None)
    asked = {part.strip() for part in request.headers.get("if-none-match", "").split(",")}
    if tag in asked or "*" in asked:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
