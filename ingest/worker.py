"""The ingest worker: ``cdp.events`` + ``cdp.records`` -> resolve -> Neo4j -> ``cdp.changes``.

At-least-once, exactly-once in effect: a batch's offsets are committed per partition only
after its Neo4j transaction committed and its changes were published, and every write is
idempotent by ``messageId`` / ``record_id`` (a replayed message is recognised and skipped,
and its customer's change published again: see ``changes``), so a crash anywhere costs a
replay, never a loss or a double. A message that cannot be
parsed or applied goes to ``cdp.dlq`` with its cause, source topic, partition and offset, and
the worker goes on (a batch whose transaction fails for a reason other than an unavailable
server is applied in halves until the messages that fail alone are found: apply_isolating).
Neo4j's transient errors (deadlocks, leader switches) are retried by the driver's managed
transactions; an unavailable database is retried here with backoff, without
committing, so nothing moves on until the batch is in the graph. So is a broker that is down
while the batch's changes are published and its offsets committed: the worker waits for its
servers through a restart of either and never exits for it.

Several workers in one consumer group share the partitions. A rebalance waits for the batch
in hand: the revoke callback blocks until the loop has committed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias, TypeVar

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError, KafkaTimeoutError
from neo4j.exceptions import TransientError

from graph.driver import UNAVAILABLE, open_driver_when_up
from graph.model import Observation, now_iso
from graph.repository import (
    AuditRepository,
    EventRepository,
    IdentityRepository,
    Planner,
    SettingsRepository,
    TraitRepository,
    WriteResult,
)
from graph.repository.activations import ActivationRepository
from graph.repository.segments import SegmentRepository
from graphcdp import gc_tuning
from graphcdp.local_key import privacy_key
from graphcdp.logs import configure as configure_logs
from graphcdp.settings import Settings
from ingest.activation_loop import follow_activations
from ingest.payload import parse_json
from ingest.planning import model_source, plan_batch
from ingest.producer import EventProducer
from ingest.records import record_observation
from ingest.retention_loop import AuditRetention, follow_retention
from ingest.segment_follower import follow_segments
from ingest.spec import MAX_EVENT_BYTES, InvalidEvent, observation
from matching.normalise import DEFAULT_OPTIONS, NormaliseOptions
from matching.rules import RulesSource
from privacy.retention import Retention
from privacy.suppression import Suppressor
from traits.jobs import refresh_due

log = logging.getLogger(__name__)
Message: TypeAlias = "ConsumerRecord[bytes, bytes]"
T = TypeVar("T")


@dataclass
class Parsed:
    observations: list[Observation] = field(default_factory=list)
    dead: list[tuple[Message, str]] = field(default_factory=list)
    expired: int = 0
    sources: dict[str, Message] = field(default_factory=dict)  # record id -> its message


def parse_batch(
    messages: list[Message],
    records_topic: str,
    options: NormaliseOptions = DEFAULT_OPTIONS,
    retention: Retention | None = None,
    now: datetime | None = None,
) -> Parsed:
    """Split a batch into observations and dead letters (with their causes).

    A message id seen twice in one batch is applied once (the first copy). An event past its
    ``retention`` at ``now`` (privacy.retention) keeps its identity facts but writes no Event
    node, so replaying a topic never brings back events that retention deleted.
    """
    parser = _BatchParser(records_topic, options, retention, now or datetime.now(UTC))
    parser.feed(messages)
    return parser.parsed


async def parse_batch_yielding(
    messages: list[Message],
    records_topic: str,
    options: NormaliseOptions = DEFAULT_OPTIONS,
    retention: Retention | None = None,
    *,
    chunk: int = 50,
) -> Parsed:
    """``parse_batch``, giving the event loop back after every ``chunk`` messages.

    The worker parses batch N+1 while batch N is in Neo4j, on the same event loop: parsed in
    one piece (about 45 ms for 500 messages), each of batch N's round trips that came back
    meanwhile waited for the whole parse, and so did the segment follower and the activation
    loop. In pieces, they go on between chunks.
    """
    parser = _BatchParser(records_topic, options, retention, datetime.now(UTC))
    for start in range(0, len(messages), chunk):
        parser.feed(messages[start : start + chunk])
        await asyncio.sleep(0)
    return parser.parsed


class _BatchParser:
    def __init__(
        self,
        records_topic: str,
        options: NormaliseOptions,
        retention: Retention | None,
        at: datetime,
    ) -> None:
        self.parsed = Parsed()
        self._seen: set[str] = set()
        self._records_topic = records_topic
        self._options = options
        self._retention = retention
        self._at = at

    def feed(self, messages: list[Message]) -> None:
        parsed, seen, retention = self.parsed, self._seen, self._retention
        for message in messages:
            try:
                size = len(message.value or b"")
                if size > MAX_EVENT_BYTES:
                    raise InvalidEvent("body", f"message of {size} bytes is over the 32 KB limit")
                body: Any = parse_json(message.value or b"")
                if not isinstance(body, dict):
                    raise InvalidEvent("body", "expected a JSON object")
                obs = (
                    record_observation(body, self._options)
                    if message.topic == self._records_topic
                    else observation(body, self._options)
                )
            except InvalidEvent as err:
                parsed.dead.append((message, str(err)))
                continue
            except Exception as err:
                # A bug of ours, met by one message: it waits on the DLQ (to replay once
                # fixed) instead of stopping the ingest of every other message.
                log.exception("unexpected error parsing %s/%d@%d", message.topic,
                              message.partition, message.offset)  # fmt: skip
                parsed.dead.append((message, f"unexpected error: {type(err).__name__}: {err}"))
                continue
            if obs.record_id in seen:
                continue
            seen.add(obs.record_id)
            parsed.sources[obs.record_id] = message
            if (
                obs.event is not None
                and retention is not None
                and obs.timestamp
                < retention.cutoff(obs.event.type, obs.event.name, obs.source, self._at)
            ):
                obs = dataclasses.replace(obs, event=None)
                parsed.expired += 1
            parsed.observations.append(obs)


def dead_letter(message: Message, error: str, group: str) -> bytes:
    """The DLQ record of a message: the cause, where it was read (topic, partition, offset)
    and by which consumer group (every group reads every message, so each dead-letters a bad
    one once: the group tells the copies apart)."""
    return json.dumps(
        {
            "error": error,
            "stage": "worker",
            "group": group,
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "key": (message.key or b"").decode(errors="replace"),
            "value": (message.value or b"").decode(errors="replace"),
            "failed_at": now_iso(),
        },
        separators=(",", ":"),
    ).encode()


def changes(result: WriteResult, at: str) -> list[tuple[str, dict[str, Any]]]:
    """The change messages of a batch, keyed by customer id (the key orders them per customer).

    A replayed message's customer gets a ``customer.updated`` again, counted with the batch's
    own records and events and flagged ``replayed`` (how many messages). The batch that
    applied it first may have stopped between its Neo4j commit and its publish (a crash, a
    lost broker), and then nothing else would tell the followers (segments, search, caches,
    subscriptions); a change they see twice costs them an idempotent re-evaluation.
    """
    out: list[tuple[str, dict[str, Any]]] = []
    created = set(result.created)
    for survivor, loser in result.merges:
        out.append((survivor, {"type": "customer.merged", "customer_id": survivor,
                               "merged": loser, "at": at}))  # fmt: skip
    per_customer: dict[str, dict[str, int]] = {}

    def count(customer: str, what: str) -> None:
        per_customer.setdefault(customer, {"records": 0, "events": 0})[what] += 1

    for customer in result.written.values():
        count(customer, "records")
    for customer in result.events.values():
        count(customer, "events")
    replayed: dict[str, set[str]] = {}  # customer -> message ids
    for what, ids in (("records", result.replayed_records), ("events", result.replayed_events)):
        for message, customer in ids.items():
            count(customer, what)
            replayed.setdefault(customer, set()).add(message)
    for customer, counts in sorted(per_customer.items()):
        if customer in replayed:
            counts = {**counts, "replayed": len(replayed[customer])}
        kind = "customer.created" if customer in created else "customer.updated"
        out.append((customer, {"type": kind, "customer_id": customer, **counts, "at": at}))
    return out


class _FinishBatchFirst(ConsumerRebalanceListener):  # type: ignore[misc]
    """On revocation, let the batch in hand finish and commit, and start no other.

    The wait is bounded well inside the group's rebalance timeout: should Neo4j hang, the
    member gives its partitions up anyway and the new owner replays the batch (idempotent).
    """

    def __init__(self, idle: asyncio.Event, patience: float = 5.0) -> None:
        self._idle = idle
        self._patience = patience
        self.revoking = False

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if not revoked:
            return
        self.revoking = True
        try:
            await asyncio.wait_for(self._idle.wait(), self._patience)
        except TimeoutError:
            log.warning(
                "batch still in flight after %.0f s; giving the partitions up", self._patience
            )
        finally:
            self.revoking = False

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("assigned %s", sorted(f"{tp.topic}/{tp.partition}" for tp in assigned))


def _json(change: dict[str, Any]) -> bytes:
    return json.dumps(change, separators=(",", ":")).encode()


def _kafka_unavailable(err: KafkaError) -> bool:
    """A broker that is down or restarting (not a message Kafka refuses)."""
    return bool(err.retriable) or isinstance(err, KafkaTimeoutError)


async def _with_backoff(
    action: Callable[[], Awaitable[T]], stop: asyncio.Event, what: str = "the batch"
) -> T:
    """``action()`` again, backing off up to 5 s, while Neo4j or Kafka is unavailable (a
    restart, a leader switch): the worker waits for its servers, it does not exit."""
    delay = 0.2
    while True:
        try:
            return await action()
        except (*UNAVAILABLE, TransientError, KafkaError) as err:
            if stop.is_set() or (isinstance(err, KafkaError) and not _kafka_unavailable(err)):
                raise
            log.warning("%s failed (%s: %s); again in %.1f s", what, type(err).__name__, err,
                        delay)  # fmt: skip
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def apply_isolating(
    apply: Callable[[list[Observation]], Awaitable[WriteResult]],
    batch: list[Observation],
    stop: asyncio.Event,
) -> tuple[WriteResult, list[tuple[Observation, str]]]:
    """Apply a batch (waiting out unavailable servers); when it fails for another reason (a
    value Neo4j or the driver refuses, a bug met by one message), apply its halves apart, down
    to the messages that fail alone: those are returned with their errors, for the DLQ, and
    every other message is applied in order. One bad message never stops the stream."""
    try:
        return await _with_backoff(lambda: apply(batch), stop), []
    except (*UNAVAILABLE, TransientError, KafkaError):
        raise  # stopping, or Kafka refusing for good: not the messages' fault
    except Exception as err:
        if len(batch) == 1:
            log.warning("message %s dead-lettered: %s: %s", batch[0].record_id,
                        type(err).__name__, err)  # fmt: skip
            return _EMPTY, [(batch[0], f"not applied: {type(err).__name__}: {err}")]
        middle = len(batch) // 2
        first, bad_first = await apply_isolating(apply, batch[:middle], stop)
        second, bad_second = await apply_isolating(apply, batch[middle:], stop)
        return first.then(second), bad_first + bad_second


_EMPTY = WriteResult({}, {}, (), (), ())


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Consume until ``stop`` is set (or SIGTERM/SIGINT), one Neo4j transaction per batch."""
    configure_logs(settings.log_level, settings.log_format)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    topics = settings.topics
    traits = settings.trait_definitions()
    # The driver retries a transaction for 5 s (deadlocks mostly); longer outages are waited
    # out by _with_backoff, whose delays stay under 5 s: with the driver's 30 s, a restarted
    # Neo4j waited up to half a minute for a worker asleep in the driver's own backoff.
    # A worker started before Neo4j (or while it restarts) waits for it.
    driver = await open_driver_when_up(settings, stop, retry_seconds=5.0)
    if driver is None:  # stopped while waiting
        return
    # Messages of erased people are dropped and counted (privacy.suppression).
    repo = IdentityRepository(driver, settings.neo4j_database, Suppressor(privacy_key(settings)))
    idle = asyncio.Event()
    idle.set()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.worker_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.worker_batch,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_wait_ms=settings.fetch_wait_ms,
    )
    listener = _FinishBatchFirst(idle)
    consumer.subscribe([topics.events, topics.records], listener=listener)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await consumer.start()
    await producer.start()
    log.info("worker consuming %s, %s as group %s", topics.events, topics.records,
             settings.worker_group)  # fmt: skip
    gc_tuning.tune(settings.gc_tuning)  # set up: freeze it, collect less often
    # One batch in flight: while Neo4j writes batch N, this loop fetches and parses batch N+1
    # (the two use different cores); N+1 is applied only after N has committed its offsets.
    in_flight: asyncio.Task[None] | None = None
    trait_store = TraitRepository(driver, settings.neo4j_database)
    rules = RulesSource(
        settings.rules(), SettingsRepository(driver, settings.neo4j_database).identity_rules
    )
    models = model_source(settings, driver)
    refresh_at = 0.0
    # Segment memberships and activations follow cdp.changes beside the ingest loop.
    side = EventProducer(settings)
    await side.start()
    followers = contextlib.AsyncExitStack()
    moved = asyncio.Event()  # the segment follower wrote enters or exits: sync activations now
    await followers.enter_async_context(
        follow_segments(
            settings, SegmentRepository(driver, settings.neo4j_database), side, moved.set
        )
    )
    await followers.enter_async_context(
        follow_retention(
            EventRepository(driver, settings.neo4j_database),
            settings.retention(),
            settings.retention_interval_seconds,
            AuditRetention(
                AuditRepository(driver, settings.neo4j_database), settings.audit_retention_days
            ),
        )
    )
    await followers.enter_async_context(
        follow_activations(
            ActivationRepository(driver, settings.neo4j_database, settings.opt_in_purposes()),
            side,
            moved,
        )
    )
    try:
        while not stop.is_set():
            wait_ms = 0 if in_flight else 200
            batches = await consumer.getmany(timeout_ms=wait_ms, max_records=settings.worker_batch)
            parsed = await _parse(batches, settings) if batches else None
            if in_flight is not None:
                await in_flight
                in_flight = None
            idle.set()
            if not batches and time.monotonic() >= refresh_at:
                # Idle: windowed traits whose value changed with time (no events needed).
                refreshed = await _with_backoff(
                    functools.partial(refresh_due, trait_store, traits), stop, "trait refresh"
                )
                refresh_at = time.monotonic() + settings.trait_refresh_seconds
                if refreshed:
                    log.info("refreshed the windowed traits of %d customers", refreshed)
            if batches and parsed is not None and not listener.revoking:
                # (While partitions are being revoked, fetched messages are left uncommitted:
                # their next owner, maybe this worker again, reads them from the commit.)
                idle.clear()
                # None: deterministic resolution only
                matcher = await _with_backoff(models.current, stop, "reading the model")
                current = await _with_backoff(rules.current, stop, "reading the rules")
                resolver: Planner = functools.partial(
                    plan_batch, rules=current, traits=traits, matcher=matcher
                )
                in_flight = asyncio.create_task(
                    _process(
                        batches,
                        parsed,
                        repo,
                        producer,
                        consumer,
                        settings,
                        stop,
                        resolver,
                        find=matcher is not None,
                    )
                )
        if in_flight is not None:
            await in_flight
    finally:
        idle.set()
        await followers.aclose()
        await side.stop()
        await consumer.stop()
        await producer.stop()
        await driver.close()


async def _parse(batches: dict[TopicPartition, list[Message]], settings: Settings) -> Parsed:
    return await parse_batch_yielding(
        [m for msgs in batches.values() for m in msgs],
        settings.topics.records,
        settings.normalise_options(),
        settings.retention(),
    )


async def _process(
    batches: dict[TopicPartition, list[Message]],
    parsed: Parsed,
    repo: IdentityRepository,
    producer: AIOKafkaProducer,
    consumer: AIOKafkaConsumer,
    settings: Settings,
    stop: asyncio.Event,
    resolver: Planner,
    *,
    find: bool = False,
) -> None:
    topics = settings.topics
    messages = [m for msgs in batches.values() for m in msgs]
    result = WriteResult({}, {}, (), (), ())
    started = time.monotonic()
    if parsed.observations:
        result, poisoned = await apply_isolating(
            lambda batch: repo.apply(batch, resolver, candidates=find), parsed.observations, stop
        )
        parsed.dead += [(parsed.sources[o.record_id], error) for o, error in poisoned]
    written = time.monotonic()
    at = now_iso()

    async def publish_and_commit() -> None:
        # Again from the start if Kafka fails midway: a change may then be published twice
        # (its followers are idempotent), the offsets are committed once it all went out.
        sends = [
            await producer.send(
                topics.dlq, dead_letter(message, error, settings.worker_group), key=message.key
            )
            for message, error in parsed.dead
        ]
        sends += [
            await producer.send(topics.changes, _json(change), key=key.encode())
            for key, change in changes(result, at)
        ]
        for sent in sends:
            await sent
        try:
            await consumer.commit({tp: msgs[-1].offset + 1 for tp, msgs in batches.items()})
        except (CommitFailedError, IllegalStateError) as err:
            # The partitions moved to another worker mid-batch; it replays them, and the
            # writes above are idempotent, so this costs time, not correctness.
            log.warning("commit after rebalance failed (%s); the new owner replays it", err)

    await _with_backoff(publish_and_commit, stop, "publishing and committing the batch")
    done = time.monotonic()
    log.info(
        "batch: %d messages, %d records, %d events, %d replayed, %d merges, %d conflicts,"
        " %d dead, %d expired, %d suppressed; neo4j %.0f ms, publish+commit %.0f ms",
        len(messages), len(result.written), len(result.events), len(result.skipped),
        len(result.merges), result.conflicts, len(parsed.dead), parsed.expired,
        len(result.suppressed),
        (written - started) * 1000, (done - written) * 1000,
    )  # fmt: skip
