"""The log throttle: a repeated condition is said at most once per period."""

from __future__ import annotations

from aedmon.logs import Throttle


def test_a_throttle_says_once_per_period_and_again_after_it() -> None:
    tenths = [1000]
    throttle = Throttle(60, monotonic=lambda: tenths[0] / 10)
    said = []
    for _ in range(1000):
        said.append(throttle.due())
        tenths[0] += 1  # a hundred seconds in all
    assert said.count(True) == 2
    assert said[0]
    assert said[600]
