"""Profiles cached in two tiers in front of Neo4j: this process (cachetools), then Redis.

A read looks in the process's own TTL/LRU cache, then in Redis, then asks Neo4j and fills
both. Entries are keyed by the *live* customer id. An id merged into another (a redirect) is
not cached: it is asked of Neo4j each time, which answers with the survivor (whose profile is
then cached under its own id). An identifier points at a live id, and the pointer is only
believed while the cached profile it leads to still holds the identifier, so pointers never
need invalidating: profiles do.

Invalidation (:meth:`ProfileCache.invalidate`) removes a customer's profile from Redis and
from this process; :class:`api.invalidation` calls it for every change on ``cdp.changes`` and
tells the other API processes through Redis pub/sub. A read from Neo4j that began before a
change was committed could store the old profile after the change's invalidation: so every
invalidation is repeated ``settle`` seconds later (0.5 s by default), which bounds how long
such a profile can live to the change plus ``settle`` plus the pub/sub hop, inside the 1 s the
API promises. Batch jobs that publish nothing (``graphcdp resolve``, ``match link``) are
bounded by the TTLs instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

from cachetools import TLRUCache
from redis.exceptions import RedisError

from graph.repository.profiles import Profile

log = logging.getLogger(__name__)

PREFIX = "graphcdp:"
CHANNEL = PREFIX + "invalidate"


class ProfileSource(Protocol):
    """Where profiles come from on a miss (graph.repository.ProfileRepository)."""

    async def profile(self, customer_id: str) -> Profile | None: ...

    async def profile_by_identifier(self, key: str) -> Profile | None: ...

    async def profiles(self, ids: Sequence[str]) -> dict[str, Profile]: ...


class RedisLike(Protocol):
    """The few Redis commands the cache uses (``redis.asyncio.Redis``). Reads and fills that
    fail with ``RedisError`` or ``OSError`` are misses; invalidations raise."""

    def get(self, name: str) -> Awaitable[Any]: ...

    def set(self, name: str, value: str, ex: int | None = None) -> Awaitable[Any]: ...

    def delete(self, *names: str) -> Awaitable[Any]: ...

    def publish(self, channel: str, message: str) -> Awaitable[Any]: ...


@dataclass(frozen=True)
class CacheConfig:
    local_size: int = 10_000  # profiles kept in each process
    local_ttl: float = 30.0  # seconds
    redis_ttl: int = 300  # seconds
    settle: float = 0.5  # seconds after an invalidation to repeat it


@dataclass
class CacheStats:
    local_hits: int = 0
    redis_hits: int = 0
    misses: int = 0

    def hit_ratio(self) -> float:
        total = self.local_hits + self.redis_hits + self.misses
        return (self.local_hits + self.redis_hits) / total if total else 0.0

    def prometheus(self) -> str:
        name = "graphcdp_profile_cache_reads_total"
        return (
            f"# TYPE {name} counter\n"
            f'{name}{{tier="local"}} {self.local_hits}\n'
            f'{name}{{tier="redis"}} {self.redis_hits}\n'
            f'{name}{{tier="neo4j"}} {self.misses}\n'
            "# TYPE graphcdp_profile_cache_hit_ratio gauge\n"
            f"graphcdp_profile_cache_hit_ratio {self.hit_ratio():.4f}\n"
        )


# Entries filled together (a warm-up, a burst of new visitors) should not all expire together,
# or their refills arrive as one burst that every request queues behind. So each entry lives a
# random 75-100% of its TTL: never longer than the TTL, and refills spread over a quarter of it.
# A precaution: its effect on the benchmarks was not measured apart (bench/README.md, session 11).
TTL_SPREAD = 0.25


def spread_ttl_cache(
    maxsize: int, ttl: float, spread: float = TTL_SPREAD,
    draw: Callable[[], float] = random.random, timer: Callable[[], float] = time.monotonic,
) -> TLRUCache[Any, Any]:  # fmt: skip
    """An LRU cache of at most ``maxsize`` entries, each expiring ``ttl * (1 - spread * u)``
    seconds after it was stored (``u`` drawn in [0, 1) per entry)."""

    def expiry(_key: Any, _value: Any, now: float) -> float:
        return now + ttl * (1.0 - spread * draw())

    return TLRUCache(maxsize, expiry, timer=timer)


class ProfileCache:
    """Read-through profile cache: a profile by customer id or by identifier."""

    def __init__(self, source: ProfileSource, redis: RedisLike, config: CacheConfig) -> None:
        self._source, self._redis, self._config = source, redis, config
        self._local: TLRUCache[str, Profile] = spread_ttl_cache(config.local_size, config.local_ttl)
        # identifier key -> live customer id (pointers, checked on every use)
        self._pointers: TLRUCache[str, str] = spread_ttl_cache(
            config.local_size * 2, config.local_ttl
        )
        self.stats = CacheStats()
        self._pending: set[asyncio.Task[None]] = set()
        self._warned = float("-inf")
        self._listeners: list[Callable[[Iterable[str] | None], None]] = []

    def on_forget(self, listener: Callable[[Iterable[str] | None], None]) -> None:
        """Call ``listener`` with the customer ids whenever this process forgets profiles
        (None: all of them), e.g. to drop responses built from them."""
        self._listeners.append(listener)

    async def profile(self, customer_id: str) -> Profile | None:
        """The customer's profile (an id merged into another answers with the survivor)."""
        found = await self._cached(customer_id)
        if found is not None:
            return found
        self.stats.misses += 1
        fresh = await self._source.profile(customer_id)
        if fresh is not None:
            await self._store(fresh)
        return fresh

    async def profiles(self, ids: Sequence[str]) -> dict[str, Profile]:
        """:meth:`profile` for many ids (the DataLoaders'): those in this process's memory
        from there, all the others in one Neo4j query (which fills both tiers); by the id
        asked for. Redis is not asked: one query for the rest costs less than a read each."""
        found: dict[str, Profile] = {}
        missing: list[str] = []
        for customer_id in dict.fromkeys(ids):
            local = self._local.get(customer_id)
            if local is None:
                missing.append(customer_id)
            else:
                self.stats.local_hits += 1
                found[customer_id] = local
        if missing:
            self.stats.misses += len(missing)
            fresh = await self._source.profiles(missing)
            await asyncio.gather(*(self._store(p) for p in fresh.values()))
            found.update(fresh)
        return found

    async def profile_by_identifier(self, key: str) -> Profile | None:
        """The profile of the live customer holding an identifier (``type:value``): one
        cache read when the pointer and its profile are cached, else one Neo4j query (the
        lookup and the profile together), whose answer fills the profile and the pointer."""
        live = await self._pointer("identifier:" + key)
        if live is not None:
            found = await self._cached(live)
            if found is not None and any(i.get("key") == key for i in found.identifiers):
                return found
        self.stats.misses += 1
        fresh = await self._source.profile_by_identifier(key)
        if fresh is None:
            return None
        await asyncio.gather(
            self._store(fresh),
            self._set_pointer("identifier:" + key, str(fresh.customer["customer_id"])),
        )
        return fresh

    async def invalidate(self, customer_ids: Iterable[str], again: bool = True) -> None:
        """Forget the customers' profiles here and in Redis (and once more ``settle`` s later,
        for a read that raced the change); other processes hear of it through pub/sub."""
        ids = sorted(set(customer_ids))
        if not ids:
            return
        self.forget(ids)
        await self._redis.delete(*(PREFIX + "profile:" + i for i in ids))
        await self._redis.publish(CHANNEL, json.dumps(ids))
        if again:
            task = asyncio.get_running_loop().create_task(self._again(ids))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def forget_identifiers(self, keys: Iterable[str]) -> None:
        """Drop the identifier pointers of ``keys`` here and in Redis (an erasure: their
        names hold the values). Other processes' in-memory pointers lapse within
        ``local_ttl``; each is checked against its profile, which is gone, on every use."""
        names = ["identifier:" + k for k in sorted(set(keys))]
        for name in names:
            self._pointers.pop(name, None)
        if names:
            await self._redis.delete(*(PREFIX + n for n in names))

    def forget(self, customer_ids: Iterable[str]) -> None:
        """Forget the customers' profiles in this process only (a pub/sub message)."""
        ids = list(customer_ids)
        for customer_id in ids:
            self._local.pop(customer_id, None)
        for listener in self._listeners:
            listener(ids)

    def forget_all(self) -> None:
        """Forget every profile in this process (invalidations may have been missed)."""
        self._local.clear()
        for listener in self._listeners:
            listener(None)

    async def _again(self, ids: list[str]) -> None:
        await asyncio.sleep(self._config.settle)
        try:
            await self.invalidate(ids, again=False)
        except Exception:  # the TTLs still bound the entry; say so and go on
            log.exception("repeated invalidation of %d profiles failed", len(ids))

    async def _cached(self, live: str) -> Profile | None:
        found = self._local.get(live)
        if found is not None:
            self.stats.local_hits += 1
            return found
        raw = await self._shared(self._redis.get(PREFIX + "profile:" + live))
        if raw is None:
            return None
        found = Profile(**json.loads(raw))
        self._local[live] = found
        self.stats.redis_hits += 1
        return found

    async def _pointer(self, name: str) -> str | None:
        live = self._pointers.get(name)
        if live is not None:
            return live
        raw = await self._shared(self._redis.get(PREFIX + name))
        if raw is None:
            return None
        live = raw.decode() if isinstance(raw, bytes) else str(raw)
        self._pointers[name] = live
        return live

    async def _store(self, profile: Profile) -> None:
        live = str(profile.customer.get("customer_id", profile.requested_id))
        if live != profile.requested_id:
            profile = Profile(profile.customer, live, profile.identifiers, profile.devices,
                              profile.record_count)  # fmt: skip
        self._local[live] = profile
        text = json.dumps(_fields(profile), separators=(",", ":"))
        await self._shared(self._redis.set(PREFIX + "profile:" + live, text,
                                           ex=self._config.redis_ttl))  # fmt: skip

    async def _set_pointer(self, name: str, live: str) -> None:
        self._pointers[name] = live
        await self._shared(self._redis.set(PREFIX + name, live, ex=self._config.redis_ttl))

    async def _shared(self, call: Awaitable[Any]) -> Any:
        """A read or fill of the Redis tier; with Redis unreachable, the cache serves from
        memory and Neo4j (a miss), and says so once a minute."""
        try:
            return await call
        except (RedisError, OSError) as err:
            now = time.monotonic()
            if now - self._warned > 60:
                self._warned = now
                log.warning("profile cache: Redis unreachable (%s); reading Neo4j", err)
            return None


def _fields(profile: Profile) -> dict[str, Any]:
    """The profile's fields as they are, for JSON: ``dataclasses.asdict`` copies every nested
    dict and list first, which cost a tenth of the API's time when many profiles were read."""
    return {f.name: getattr(profile, f.name) for f in fields(profile)}
