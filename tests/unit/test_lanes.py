"""The MQTT worker's queue: alerting messages first, each lane in arrival order, bounded."""

from __future__ import annotations

import threading

from firmware_bridge.sources.lanes import Lanes


def test_urgent_items_are_taken_first_and_each_lane_keeps_its_order() -> None:
    lanes: Lanes[str] = Lanes(100)
    for i in range(5):
        lanes.put(f"routine-{i}", urgent=False)
    lanes.put("FAIL", urgent=True)
    lanes.put("routine-5", urgent=False)
    taken = lanes.take(3)
    assert taken is not None
    assert [a.item for a in taken] == ["FAIL", "routine-0", "routine-1"]
    assert [a.number for a in taken] == [5, 0, 1]  # the arrival order, for the acknowledgements
    rest = lanes.take(10)
    assert rest is not None
    assert [a.item for a in rest] == ["routine-2", "routine-3", "routine-4", "routine-5"]


def test_an_urgent_item_takes_its_own_keys_earlier_items_along_in_their_order() -> None:
    lanes: Lanes[str] = Lanes(100)
    lanes.put("cab1-closed", urgent=False, key="CAB1")
    lanes.put("cab2-closed", urgent=False, key="CAB2")
    lanes.put("cab1-beat", urgent=False, key="CAB1")
    lanes.put("cab1-open", urgent=True, key="CAB1")
    taken = lanes.take(10)
    assert taken is not None
    assert [a.item for a in taken] == ["cab1-closed", "cab1-beat", "cab1-open", "cab2-closed"]


def test_a_full_queue_holds_the_producer_until_the_worker_takes() -> None:
    lanes: Lanes[int] = Lanes(10)
    for i in range(10):
        lanes.put(i, urgent=False)
    done = threading.Event()

    def produce() -> None:
        lanes.put(10, urgent=True)
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    assert not done.wait(0.3)  # held: back-pressure, nothing grows
    assert len(lanes) == 10
    taken = lanes.take(4)
    assert taken is not None
    assert done.wait(2)
    assert len(lanes) == 7


def test_closing_frees_a_waiting_producer_and_worker() -> None:
    lanes: Lanes[int] = Lanes(1)
    lanes.put(1, urgent=False)
    results: list[object] = []
    producer = threading.Thread(target=lambda: results.append(lanes.put(2, urgent=False)))
    producer.start()
    lanes.close()
    producer.join(2)
    assert results == [False]
    assert lanes.take(5) is None
