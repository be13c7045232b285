"""A bounded queue of two lanes between a network thread and a worker: what may raise an
alert goes ahead of routine traffic, taking its own device's routine items queued before it
along (one device's items keep their order), and a full queue makes the producer wait
(back-pressure to the broker, which keeps what it cannot deliver) instead of growing
without bound."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Arrival(Generic[T]):
    number: int  # the order it arrived in, from 0
    item: T
    key: str | None = None  # whose it is (a device): its items keep their order


class Lanes(Generic[T]):
    def __init__(self, bound: int) -> None:
        self.bound = bound
        self._urgent: deque[Arrival[T]] = deque()
        self._routine: deque[Arrival[T]] = deque()
        self._changed = threading.Condition()
        self._arrived = 0
        self._closed = False

    def __len__(self) -> int:
        with self._changed:
            return len(self._urgent) + len(self._routine)

    def put(self, item: T, *, urgent: bool, key: str | None = None) -> bool:
        """Queue the item in its lane (an urgent one with the routine items of its `key` queued
        before it), waiting while the queue is full; False once closed."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._closed or len(self._urgent) + len(self._routine) < self.bound
            )
            if self._closed:
                return False
            arrival = Arrival(self._arrived, item, key)
            self._arrived += 1
            if urgent and key is not None and any(queued.key == key for queued in self._routine):
                self._urgent.extend(queued for queued in self._routine if queued.key == key)
                self._routine = deque(queued for queued in self._routine if queued.key != key)
            (self._urgent if urgent else self._routine).append(arrival)
            self._changed.notify_all()
            return True

    def take(self, most: int) -> list[Arrival[T]] | None:
        """Up to `most` items, the urgent lane first, each lane in arrival order; waits for one.
        None once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._urgent or self._routine)
            if self._closed:
                return None
            taken: list[Arrival[T]] = []
            for lane in (self._urgent, self._routine):
                while lane and len(taken) < most:
                    taken.append(lane.popleft())
            self._changed.notify_all()
            return taken

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
