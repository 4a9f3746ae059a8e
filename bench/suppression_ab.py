"""``python -m bench.suppression_ab``: the cost of the erasure suppression check on the worker's
write path. Batches of 500 track calls (250 new users, a user id and an anonymous id each)
go through IdentityRepository.apply with and without a Suppressor, alternating, eight
rounds each on the local stack; the medians (first two rounds of each left out) as JSON."""

import asyncio
import functools
import json
import statistics
import time
import uuid

from graph.driver import open_driver
from graph.model import EventData, Identifier, Observation, now_iso
from graph.repository import IdentityRepository
from graphcdp.settings import Settings
from ingest.planning import plan_batch
from matching.rules import DEFAULT_RULES
from privacy.suppression import Suppressor


async def main() -> None:
    s = Settings.from_env()
    d = await open_driver(s)
    plain = IdentityRepository(d, "neo4j")
    hashed = IdentityRepository(d, "neo4j", Suppressor(b"x" * 32))
    planner = functools.partial(plan_batch, rules=DEFAULT_RULES)
    times: dict[str, list[float]] = {"plain": [], "hashed": []}
    for round_ in range(8):
        pairs = [("plain", plain), ("hashed", hashed)]
        for name, repo in pairs if round_ % 2 else pairs[::-1]:
            tag = uuid.uuid4().hex[:8]
            now = now_iso()
            batch = [
                Observation(f"{tag}-{i}", "web", now, now,
                            (Identifier("user_id", f"ab-{tag}-{i % 250}"),
                             Identifier("anonymous_id", f"an-{tag}-{i % 250}")),
                            kind="track", event=EventData("track", "Viewed"), always_record=False)
                for i in range(500)
            ]  # fmt: skip
            t = time.perf_counter()
            await repo.apply(batch, planner)
            times[name].append((time.perf_counter() - t) * 1000)
    await d.close()
    result = {k: {"median_ms": round(statistics.median(v[2:]), 1),
                  "runs_ms": [round(x) for x in v]} for k, v in times.items()}  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
