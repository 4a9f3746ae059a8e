"""The in-process fan-out of changed customer ids to subscriptions."""

from __future__ import annotations

import pytest

from resolvers.hub import QUEUE, ChangeHub

pytestmark = pytest.mark.unit


async def test_a_change_reaches_only_the_watches_of_its_customers_until_they_close() -> None:
    hub = ChangeHub()
    with hub.watch() as ann, hub.watch() as bob:
        ann.add({"c1"})
        bob.add({"c2", "c3"})
        hub.publish({"c1", "c9"})
        hub.publish({"c3"})
        assert ann.queue.get_nowait() == {"c1", "c9"}
        assert ann.queue.empty()
        assert bob.queue.get_nowait() == {"c3"}
        ann.add({"c3"})  # e.g. the survivor of a merge
        hub.publish({"c3"})
        assert ann.queue.get_nowait() == bob.queue.get_nowait() == {"c3"}
        assert hub.watched == 3
    assert hub.watched == 0
    hub.publish({"c1"})  # nobody left: nothing to do


async def test_a_subscriber_that_does_not_read_keeps_the_newest_changes() -> None:
    hub = ChangeHub()
    with hub.watch() as slow:
        slow.add({"c1"})
        for n in range(QUEUE + 5):
            hub.publish({"c1", f"n{n}"})
        assert slow.queue.qsize() == QUEUE
        assert slow.queue.get_nowait() == {"c1", "n5"}


def test_segment_changes_reach_the_watches_of_their_segment() -> None:
    from api.invalidation import membership

    hub = ChangeHub()
    change = {"type": "segment.entered", "customer_id": "c1", "segment_id": "s1", "at": "t"}
    found = membership(change)
    assert found == {"segment_id": "s1", "customer_id": "c1", "kind": "entered", "at": "t"}
    assert membership({"type": "customer.updated", "customer_id": "c1"}) is None
    assert membership({"type": "segment.exited", "customer_id": 3, "segment_id": "s1"}) is None
    with hub.watch() as watch:
        watch.add({"segment:s1"})
        hub.publish(["segment:s1"], found)
        hub.publish(["segment:s2"], found)
        assert watch.queue.get_nowait() == found
        assert watch.queue.empty()
