"""graph.cache.spread_ttl_cache: entries stored together expire spread over the last quarter of
the TTL, never after it."""

from __future__ import annotations

import itertools
import random

from graph.cache import TTL_SPREAD, spread_ttl_cache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_stored_together_expire_spread_and_within_the_ttl() -> None:
    clock = Clock()
    cache = spread_ttl_cache(10_000, 30.0, draw=random.Random(7).random, timer=clock)
    for i in range(1_000):
        cache[i] = i
    alive = []
    for second in range(31):
        clock.now = float(second)
        alive.append(sum(1 for i in range(1_000) if cache.get(i) is not None))
    assert alive[: int(30 * (1 - TTL_SPREAD))] == [1_000] * int(30 * (1 - TTL_SPREAD))
    assert alive[30] == 0  # nothing outlives the TTL
    # the expiries spread over the last quarter: no second loses more than a fifth of them
    losses = [a - b for a, b in itertools.pairwise(alive)]
    assert max(losses) < 200
    assert sum(1 for x in losses if x) >= 6


def test_it_stays_an_lru_of_maxsize() -> None:
    clock = Clock()
    cache = spread_ttl_cache(2, 30.0, timer=clock)
    cache["a"], cache["b"] = 1, 2
    assert cache["a"] == 1  # a is now the most recent
    cache["c"] = 3
    assert set(cache) == {"a", "c"}


def test_without_spread_every_entry_lives_the_full_ttl() -> None:
    clock = Clock()
    cache = spread_ttl_cache(10, 30.0, spread=0.0, timer=clock)
    cache["a"] = 1
    clock.now = 29.9
    assert cache.get("a") == 1
    clock.now = 30.0
    assert cache.get("a") is None
