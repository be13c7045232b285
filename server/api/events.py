"""Pages update by push: `GET /api/v1/events` is a Server-Sent Events stream of the verdict
and alert changes within the reader's scope.

Every change is appended to a feed in the transaction that made it (server.store.changes),
whichever server made it. Each server process reads the feed once for all its readers (a
`Hub`: one query every half second, whatever the number of pages open) and hands each reader
the changes of the sites it sees. A reader that cannot keep up is dropped (its page falls
back to polling and reconnects); a comment every 15 s keeps proxies from closing a quiet stream.

Revocation reaches open streams: a change of anyone's access (a person disabled or changed, a
session ended, a key revoked, a site moved to another area) is in the feed too, and every
server then authorises each of its readers again, ending at once the streams of those no
longer allowed or whose sites changed; every `RECHECK` each reader is authorised again anyway.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from aedmon.clock import Clock
from server import store
from server.access import Access

from .deps import READERS, bearer, require

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/events", tags=["events"])
POLL_S = 0.5
KEEPALIVE_S = 15.0
BACKLOG = 1000  # changes a reader may have waiting before it is dropped
LATE_IDS = 200  # ids read again behind the newest: a transaction may commit after a later one
KEPT = timedelta(hours=1)
RECHECK = timedelta(seconds=60)


@dataclass(eq=False)
class Reader:
    sites: frozenset[str] | None
    loop: asyncio.AbstractEventLoop
    authorise: Callable[[], Access]  # the reader's access now; raises when it has none
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(BACKLOG))


class Hub:
    """Reads the feed of changes for every reader of this process, in one thread."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions, self.clock = sessions, clock
        self.readers: set[Reader] = set()
        self.lock = threading.Lock()
        self.started = False
        self.stopping = threading.Event()
        self.last_id = 0
        self.recent: set[int] = set()
        self.checked_at = clock()

    def join(self, reader: Reader) -> None:
        with self.lock:
            self.readers.add(reader)
            if not self.started:
                self.started = True
                threading.Thread(target=self._run, name="events", daemon=True).start()

    def leave(self, reader: Reader) -> None:
        with self.lock:
            self.readers.discard(reader)

    def stop(self) -> None:
        self.stopping.set()

    def _run(self) -> None:
        with self.sessions() as session:  # from now on: a stream tells what happens, not history
            self.last_id = store.changes.newest_id(session)
            # the ids read again behind the newest (for a late commit) are history too: told
            # to the first readers they replayed up to LATE_IDS old changes
            self.recent = {c.id for c in store.changes.since(session, max(0, self.last_id - LATE_IDS))}
        while not self.stopping.wait(POLL_S):
            try:
                self.read_once()
            except Exception:  # the stream outlives any one bad round; readers poll meanwhile
                log.exception("reading the feed of changes failed")

    def read_once(self) -> None:
        with self.sessions() as session:
            found = store.changes.since(session, max(0, self.last_id - LATE_IDS))
            fresh = [change for change in found if change.id not in self.recent]
            if fresh:
                self.last_id = max(self.last_id, *(change.id for change in fresh))
                self.recent = {
                    i for i in (*self.recent, *(c.id for c in fresh)) if i > self.last_id - LATE_IDS
                }
            store.changes.prune(session, self.clock() - KEPT)
            session.commit()
        with self.lock:
            readers = list(self.readers)
        now = self.clock()
        if any(change.kind == store.changes.ACCESS for change in fresh) or now - self.checked_at >= RECHECK:
            self.checked_at = now
            readers = [reader for reader in readers if self._still_allowed(reader)]
        for change in fresh:
            if change.kind == store.changes.ACCESS:
                continue
            event = f"event: {change.kind}\nid: {change.id}\ndata: {json.dumps(change.body)}\n\n"
            for reader in readers:
                if reader.sites is None or change.site in reader.sites:
                    reader.loop.call_soon_threadsafe(self._hand, reader, event)

    def _still_allowed(self, reader: Reader) -> bool:
        """Authorise the reader again; a reader no longer allowed, or whose sites changed, has
        its stream ended (a page comes back with its new access)."""
        try:
            allowed = reader.authorise().visible == reader.sites
        except Exception:  # noqa: BLE001  refused (401/403) or anything else: the stream ends
            allowed = False
        if not allowed:
            self.leave(reader)
            reader.loop.call_soon_threadsafe(self._end, reader)
            log.info("an event stream ended: its reader's access changed")
        return allowed

    @staticmethod
    def _end(reader: Reader) -> None:
        while not reader.queue.empty():
            reader.queue.get_nowait()
        reader.queue.put_nowait(None)

    def _hand(self, reader: Reader, event: str) -> None:
        try:
            reader.queue.put_nowait(event)
        except asyncio.QueueFull:  # too slow: end its stream, its page polls and comes back
            self.leave(reader)
            self._end(reader)


@router.get("", response_class=StreamingResponse)
async def events(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> StreamingResponse:
    """A `text/event-stream` of `verdict` events (`{device_id, site, readiness}`) and `alert`
    events (`{alert_id, device_id, type, action}`) of the sites the reader sees (a viewer's
    key or session, as any list)."""

    def authorise() -> Access:  # in a session of its own: a stream holds no connection
        with request.app.state.sessions() as session:
            return require(READERS)(request, session, credentials)

    access = await run_in_threadpool(authorise)
    hub: Hub = request.app.state.hub
    reader = Reader(access.visible, asyncio.get_running_loop(), authorise)
    hub.join(reader)

    async def stream() -> AsyncIterator[str]:
        try:
            yield ": connected\n\n"
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(reader.queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if event is None:
                    return
                yield event
        finally:
            hub.leave(reader)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
