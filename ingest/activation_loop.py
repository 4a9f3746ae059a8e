"""Activations kept current by the workers: the activations with something to send
(realtime: new changes; scheduled: their interval passed) are synced, each in its own task,
so a destination that is down (retrying with backoff) never holds up the others. A lease in
the graph (activation.claim_activation) lets one process at a time sync an activation, across
every worker and the API's ``syncNow``.

The loop looks for due activations every quarter second, and at once when woken (the
``wake`` event): by this process's segment follower after it wrote enters or exits, and by a
sync that ran to its end (the changes that arrived meanwhile go out without waiting for the
next look). A sync that found the lease taken by another process, or that failed, wakes
nothing: the loop then waits for its next look instead of asking again at once. The
quarter-second look remains for changes written by other processes."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
from collections.abc import AsyncIterator, Mapping

import httpx
from aiokafka.errors import KafkaError
from neo4j.exceptions import Neo4jError

from activation.delivery import FileSender, KafkaSender, Senders, WebhookSender
from activation.model import TokenBucket
from activation.sync import run_sync
from graph.driver import UNAVAILABLE
from graph.model import now_iso
from graph.repository.activations import ActivationRepository
from graphcdp.tasks import running
from ingest.producer import EventProducer

log = logging.getLogger(__name__)
POLL = 0.25  # seconds between looks for due activations


def owner_name() -> str:
    """Who holds a lease: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def senders_for(client: httpx.AsyncClient, producer: EventProducer) -> Senders:
    return Senders(WebhookSender(client), KafkaSender(producer.produce), FileSender())


@contextlib.asynccontextmanager
async def follow_activations(
    repo: ActivationRepository, producer: EventProducer, wake: asyncio.Event | None = None
) -> AsyncIterator[None]:
    """Sync due activations while the block runs; setting ``wake`` makes the loop look now."""
    wake = wake if wake is not None else asyncio.Event()
    async with (
        httpx.AsyncClient() as client,
        running(_run(repo, senders_for(client, producer), producer, wake), "activations"),
    ):
        yield


def _wake_if_synced(wake: asyncio.Event, task: asyncio.Task[object]) -> None:
    """Look again at once after a sync that ran (not one that found the lease held elsewhere
    or failed, which would otherwise ask again and again)."""
    if not task.cancelled() and task.exception() is None and task.result() is not None:
        wake.set()


async def _run(
    repo: ActivationRepository, senders: Senders, producer: EventProducer, wake: asyncio.Event
) -> None:
    owner = owner_name()
    running: dict[tuple[str, str], asyncio.Task[object]] = {}
    buckets: dict[str, TokenBucket] = {}

    async def dead_letter(record: Mapping[str, object]) -> None:
        await producer.dead_letter([dict(record)])

    while True:
        for key, task in list(running.items()):
            if task.done():
                del running[key]
                if not task.cancelled() and (failure := task.exception()) is not None:
                    log.warning("activation %s -> %s failed: %s", *key, failure)
        try:
            for key in await repo.due():
                if key in running:
                    continue
                segment_id, destination_id = key
                running[key] = asyncio.create_task(run_sync(
                    repo, senders, segment_id, destination_id, owner, now_iso, dead_letter,
                    buckets=buckets,
                ))  # fmt: skip
                running[key].add_done_callback(functools.partial(_wake_if_synced, wake))
        except (Neo4jError, *UNAVAILABLE, KafkaError, OSError) as err:
            log.warning("activations: %s; looking again shortly", err)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), POLL)
        wake.clear()
