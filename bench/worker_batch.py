"""``python -m bench.worker_batch [--rounds N]``: what one worker batch costs in Neo4j.

Batches of track calls go through ``IdentityRepository.apply`` exactly as the worker applies
them (its planner with the identity rules and computed traits, its suppression check), on the
local stack, in six shapes: 1, 25 and 500 calls, of known users (their first call applied
before, untimed) and of new users (a user id and an anonymous id each). The shapes take turns
within each round, so a machine that speeds up or slows down meanwhile touches them all alike.
Prints, per shape, the median milliseconds a batch and microseconds an event (the first two
rounds left out: warm-up), and the Cypher statements a batch sent, as JSON.

The fixed cost of a batch (its round trips and its commit) is what the 1-call shapes show; the
500-call shapes show the cost an event.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import time
import uuid
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.driver import open_driver
from graph.model import EventData, Identifier, Observation, now_iso
from graph.repository import IdentityRepository
from graphcdp.local_key import privacy_key
from graphcdp.settings import Settings
from ingest.planning import plan_batch
from privacy.suppression import Suppressor

SHAPES = (("known", 1), ("known", 25), ("known", 500), ("new", 1), ("new", 25), ("new", 500))


def _calls(tag: str, users: int, first: int = 0) -> list[Observation]:
    now = now_iso()
    event = EventData("track", "Order Completed", '{"revenue": 10.0}')
    return [
        Observation(
            f"{tag}-m{first + i}",
            "bench",
            now,
            now,
            (Identifier("user_id", f"{tag}-u{i}"), Identifier("anonymous_id", f"{tag}-a{i}")),
            kind="track",
            event=event,
            always_record=False,
        )
        for i in range(users)
    ]


class _Counted:
    """Counts the statements ``AsyncManagedTransaction.run`` sends (the batch's round trips)."""

    def __init__(self) -> None:
        self.statements = 0
        self._run = AsyncManagedTransaction.run

    def __enter__(self) -> _Counted:
        counter = self

        async def run(tx: AsyncManagedTransaction, *args: Any, **kwargs: Any) -> Any:
            counter.statements += 1
            return await counter._run(tx, *args, **kwargs)

        AsyncManagedTransaction.run = run  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *_: object) -> None:
        AsyncManagedTransaction.run = self._run  # type: ignore[method-assign]


async def run(rounds: int) -> dict[str, Any]:
    settings = Settings.from_env()
    driver = await open_driver(settings)
    repo = IdentityRepository(driver, settings.neo4j_database, Suppressor(privacy_key(settings)))
    planner = functools.partial(
        plan_batch, rules=settings.rules(), traits=settings.trait_definitions()
    )
    times: dict[str, list[float]] = {f"{kind}_{n}": [] for kind, n in SHAPES}
    statements: dict[str, int] = {}
    try:
        for _ in range(rounds):
            for kind, n in SHAPES:
                tag = f"wb{uuid.uuid4().hex[:8]}"
                if kind == "known":
                    await repo.apply(_calls(tag, n), planner)
                batch = _calls(tag, n, first=n if kind == "known" else 0)
                with _Counted() as counted:
                    start = time.perf_counter()
                    await repo.apply(batch, planner)
                    times[f"{kind}_{n}"].append((time.perf_counter() - start) * 1000)
                statements[f"{kind}_{n}"] = counted.statements
    finally:
        await driver.close()
    out: dict[str, Any] = {"rounds": rounds}
    for (kind, n), (name, runs) in zip(SHAPES, times.items(), strict=True):
        median = statistics.median(runs[2:] if len(runs) > 2 else runs)
        out[name] = {
            "batch_ms": round(median, 2),
            "per_event_us": round(median * 1000 / n),
            "statements": statements[name],
            "kind": kind,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    print(json.dumps(asyncio.run(run(parser.parse_args().rounds)), indent=2))


if __name__ == "__main__":
    main()
