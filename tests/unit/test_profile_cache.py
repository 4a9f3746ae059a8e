"""The two-tier profile cache over fakes of its source and of Redis (pure logic, no I/O)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.invalidation import changed_customers
from graph.cache import CHANNEL, CacheConfig, ProfileCache
from graph.repository.profiles import Profile

pytestmark = pytest.mark.unit


class FakeRedis:
    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.published: list[tuple[str, str]] = []

    async def get(self, name: str) -> Any:
        value = self.data.get(name)
        return value.encode() if value is not None else None

    async def set(self, name: str, value: str, ex: int | None = None) -> Any:
        self.data[name] = value

    async def delete(self, *names: str) -> Any:
        for name in names:
            self.data.pop(name, None)

    async def publish(self, channel: str, message: str) -> Any:
        self.published.append((channel, message))


class FakeGraph:
    """Profiles by live id, redirects, identifier owners; counts the reads that reach it."""

    def __init__(self) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.identifiers: dict[str, list[str]] = {}  # customer -> identifier keys
        self.redirects: dict[str, str] = {}
        self.reads = 0

    def add(self, customer_id: str, name: str, *keys: str) -> None:
        self.customers[customer_id] = {"customer_id": customer_id, "first_name": name}
        self.identifiers[customer_id] = list(keys)

    async def profile(self, customer_id: str) -> Profile | None:
        self.reads += 1
        live = self.redirects.get(customer_id, customer_id)
        if live not in self.customers:
            return None
        idents = [{"key": k, "type": k.split(":")[0], "value": k.split(":")[1]}
                  for k in self.identifiers[live]]  # fmt: skip
        return Profile(dict(self.customers[live]), customer_id, idents, [], 1)

    async def profiles(self, ids: list[str]) -> dict[str, Profile]:
        self.reads += 1
        found = {i: await self.profile(i) for i in ids}
        self.reads -= len(ids)
        return {i: p for i, p in found.items() if p is not None}

    async def profile_by_identifier(self, key: str) -> Profile | None:
        owner = next((c for c, keys in self.identifiers.items() if key in keys), None)
        if owner is None:
            self.reads += 1
            return None
        found = await self.profile(owner)
        return (
            None
            if found is None
            else Profile(
                found.customer, str(found.customer["customer_id"]), found.identifiers, [], 1
            )
        )


async def _owner(reader: ProfileCache, key: str) -> str | None:
    """The customer id of the profile an identifier reads."""
    found = await reader.profile_by_identifier(key)
    return None if found is None else str(found.customer["customer_id"])


def cache(graph: FakeGraph, redis: FakeRedis) -> ProfileCache:
    return ProfileCache(graph, redis, CacheConfig(local_size=100, local_ttl=60, settle=0.01))


async def test_a_profile_is_read_once_then_from_memory_then_from_redis() -> None:
    graph, redis = FakeGraph(), FakeRedis()
    graph.add("cus_1", "Ada", "email:ada@example.com")
    first = cache(graph, redis)
    read = await first.profile("cus_1")
    assert read is not None
    assert read.customer["first_name"] == "Ada"
    assert await first.profile("cus_1") == read
    assert graph.reads == 1
    assert first.stats.local_hits == 1
    other_process = cache(graph, redis)
    assert await other_process.profile("cus_1") == read
    assert graph.reads == 1
    assert other_process.stats.redis_hits == 1


async def test_invalidation_forgets_both_tiers_tells_the_others_and_repeats() -> None:
    graph, redis = FakeGraph(), FakeRedis()
    graph.add("cus_1", "Ada")
    mine, theirs = cache(graph, redis), cache(graph, redis)
    await mine.profile("cus_1")
    await theirs.profile("cus_1")
    graph.customers["cus_1"]["first_name"] = "Ada Lovelace"
    await mine.invalidate(["cus_1"])
    assert redis.published == [(CHANNEL, '["cus_1"]')]
    theirs.forget(["cus_1"])  # what the pub/sub listener does on that message
    for process in (mine, theirs):
        read = await process.profile("cus_1")
        assert read is not None
        assert read.customer["first_name"] == "Ada Lovelace"
    # A read that raced the change could have stored the old profile: the repeat removes it.
    await redis.set("graphcdp:profile:cus_1", '{"stale": true}')
    await asyncio.sleep(0.05)
    assert "graphcdp:profile:cus_1" not in redis.data
    assert len(redis.published) == 2


async def test_an_identifier_pointer_is_believed_only_while_its_profile_holds_it() -> None:
    graph, redis = FakeGraph(), FakeRedis()
    graph.add("cus_1", "Ada", "email:ada@example.com")
    graph.add("cus_2", "Bea")
    reader = cache(graph, redis)
    assert await _owner(reader, "email:ada@example.com") == "cus_1"
    await reader.profile("cus_1")
    reads = graph.reads
    assert await _owner(reader, "email:ada@example.com") == "cus_1"
    assert graph.reads == reads  # pointer and profile both cached
    # The email moves to cus_2 (a split); the change names both customers.
    graph.identifiers["cus_1"], graph.identifiers["cus_2"] = [], ["email:ada@example.com"]
    await reader.invalidate(["cus_1", "cus_2"], again=False)
    await reader.profile("cus_1")
    assert await _owner(reader, "email:ada@example.com") == "cus_2"


async def test_an_old_id_is_never_cached_and_answers_with_the_survivor() -> None:
    graph, redis = FakeGraph(), FakeRedis()
    graph.add("cus_1", "Ada")
    graph.redirects["cus_old"] = "cus_1"
    reader = cache(graph, redis)
    read = await reader.profile("cus_old")
    assert read is not None
    assert read.requested_id == "cus_old"
    assert read.customer["customer_id"] == "cus_1"
    assert set(redis.data) == {"graphcdp:profile:cus_1"}
    cached = await reader.profile("cus_1")
    assert cached is not None
    assert cached.requested_id == "cus_1"
    reads = graph.reads
    await reader.profile("cus_old")
    assert graph.reads == reads + 1


async def test_a_missing_customer_is_not_cached() -> None:
    graph, redis = FakeGraph(), FakeRedis()
    reader = cache(graph, redis)
    assert await reader.profile("cus_nobody") is None
    graph.add("cus_nobody", "Now here")
    assert await reader.profile("cus_nobody") is not None


@pytest.mark.parametrize(
    ("change", "ids"),
    [
        ({"type": "customer.merged", "customer_id": "a", "merged": "b"}, {"a", "b"}),
        ({"type": "customer.updated", "customer_id": "a", "records": 1}, {"a"}),
        ({"type": "customer.split", "customer_id": "a", "parts": ["b", "c"]}, {"a", "b", "c"}),
        ({"type": "customer.created", "customer_id": "b", "split_from": "a"}, {"a", "b"}),
        ({"type": "customer.merged", "customer_id": 7, "parts": "x"}, set()),
    ],
)
def test_the_customers_a_change_names(change: dict[str, Any], ids: set[str]) -> None:
    assert changed_customers(change) == ids


class DownRedis(FakeRedis):
    async def get(self, name: str) -> Any:
        raise ConnectionError("Connection refused")  # an OSError, as redis-py raises it

    async def set(self, name: str, value: str, ex: int | None = None) -> Any:
        raise ConnectionError("Connection refused")


async def test_with_redis_down_reads_go_to_memory_and_neo4j() -> None:
    graph = FakeGraph()
    graph.add("cus_1", "Ada", "email:ada@example.com")
    reader = cache(graph, DownRedis())
    read = await reader.profile("cus_1")
    assert read is not None
    assert await reader.profile("cus_1") == read
    # The first read by email asks Neo4j (lookup and profile in one query); the second is
    # answered from memory (pointer and profile).
    assert await _owner(reader, "email:ada@example.com") == "cus_1"
    assert await _owner(reader, "email:ada@example.com") == "cus_1"
    assert reader.stats.local_hits == 2  # the second read by id and the second by email
    assert reader.stats.misses == 2


async def test_many_profiles_come_from_memory_and_the_rest_in_one_read() -> None:
    graph, redis = FakeGraph(), FakeRedis()
    for n in (1, 2, 3):
        graph.add(f"cus_{n}", f"P{n}")
    graph.redirects["cus_old"] = "cus_1"
    reader = cache(graph, redis)
    await reader.profile("cus_1")
    reads = graph.reads
    found = await reader.profiles(["cus_1", "cus_2", "cus_2", "cus_old", "cus_none"])
    assert graph.reads == reads + 1  # cus_2, cus_old and cus_none in one read
    assert sorted(found) == ["cus_1", "cus_2", "cus_old"]
    assert found["cus_old"].customer["customer_id"] == "cus_1"
    assert found["cus_old"].requested_id == "cus_old"
    # What was read is now in memory (under the live id: the old id is asked again).
    again = await reader.profiles(["cus_1", "cus_2"])
    assert graph.reads == reads + 1
    assert again == {"cus_1": found["cus_1"], "cus_2": found["cus_2"]}
    assert "graphcdp:profile:cus_2" in redis.data
