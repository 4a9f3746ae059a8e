"""``graphcdp import records|events FILE``: files to the same Kafka topics as live traffic.

Rows are read and checked by :mod:`ingest.importer`, checked again exactly as the worker will
apply them (so a row that would only fail later is rejected now, with its reason), and
produced with acks=all to ``cdp.records`` or ``cdp.events``; the worker then applies them like
any other message. Events without a ``messageId`` get one derived from their content, so
importing the same file twice applies it once.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from aiokafka import AIOKafkaProducer

from graph.model import now_iso
from graphcdp.settings import Settings
from ingest.importer import (
    EventRow,
    ImportKind,
    ImportSummary,
    Mapping,
    RecordRow,
    Reject,
    load_mapping,
    read_events,
    read_records,
    write_rejects,
)
from ingest.records import record_observation
from ingest.spec import ENVELOPE_KEY, MAX_EVENT_BYTES, InvalidEvent, validate

_IMPORT_NS = uuid.UUID("0b5e3a52-51a4-4e0e-9a43-3f7f3c1f6c11")
CHUNK = 1000


@dataclass
class ImportReport:
    summary: ImportSummary
    rejects_file: Path | None
    seconds: float
    rejects: list[Reject] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "accepted": self.summary.accepted,
            "rejected": self.summary.rejected,
            "duplicates": self.summary.duplicates,
            "reasons": dict(self.summary.reasons.most_common()),
            "rejects_file": str(self.rejects_file) if self.rejects_file else None,
            "seconds": round(self.seconds, 3),
        }


def messages(
    kind: ImportKind, path: Path, mapping: Mapping | None, source: str, settings: Settings
) -> Iterator[tuple[str, bytes] | Reject]:
    """(key, value) for each accepted row, or its Reject, in file order."""
    options = settings.normalise_options()
    received_at = now_iso()
    if kind == "records":
        for item in read_records(path, mapping):
            if isinstance(item, Reject):
                yield item
                continue
            message = {**item.to_message(), ENVELOPE_KEY: {"source": item.source,
                                                           "receivedAt": received_at}}  # fmt: skip
            try:
                record_observation(message, options)
            except InvalidEvent as err:
                yield _reject(item, str(err))
                continue
            value = json.dumps(message, separators=(",", ":")).encode()
            if len(value) > MAX_EVENT_BYTES:  # the worker dead-letters larger messages
                yield _reject(item, f"body: row of {len(value)} bytes is over the 32 KB limit")
                continue
            yield item.record_id, value
        return
    for event in read_events(path, mapping):
        if isinstance(event, Reject):
            yield event
            continue
        body = dict(event.body)
        body.setdefault(
            "messageId",
            "import-" + uuid.uuid5(_IMPORT_NS, json.dumps(body, sort_keys=True, default=str)).hex,
        )
        try:
            envelope = validate(str(body.get("type")), body, source, received_at)
        except InvalidEvent as err:
            yield _reject(event, str(err))
            continue
        yield envelope.key, envelope.value()


def _reject(item: RecordRow | EventRow, reason: str) -> Reject:
    row = item.body if isinstance(item, EventRow) else dict(item.to_message())
    return Reject(item.line, reason, dict(row), category=reason.split(":")[0] + ": invalid")


async def run_import(
    settings: Settings,
    kind: ImportKind,
    path: Path,
    *,
    mapping_path: Path | None = None,
    rejects_path: Path | None = None,
    source: str = "import",
    progress: TextIO | None = sys.stderr,
) -> ImportReport:
    """Read ``path``, produce every accepted row, and write the rejects file (if any)."""
    started = time.monotonic()
    mapping = load_mapping(mapping_path, kind) if mapping_path else None
    topic = settings.topics.records if kind == "records" else settings.topics.events
    summary = ImportSummary()
    rejects: list[Reject] = []
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True,
        linger_ms=20, max_batch_size=256 * 1024,
    )  # fmt: skip
    await producer.start()
    try:
        pending = []
        for item in messages(kind, path, mapping, source, settings):
            if isinstance(item, Reject):
                summary.add(item)
                rejects.append(item)
                continue
            key, value = item
            pending.append(await producer.send(topic, value, key=key.encode()))
            summary.accepted += 1
            if len(pending) >= CHUNK:
                await asyncio.gather(*pending)
                pending.clear()
                _progress(progress, summary, started)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    rejects_file = None
    if rejects:
        rejects_file = rejects_path or path.with_name(path.name + ".rejects.jsonl")
        write_rejects(rejects_file, rejects)
    _progress(progress, summary, started, final=True)
    return ImportReport(summary, rejects_file, time.monotonic() - started, rejects)


def _progress(
    out: TextIO | None, summary: ImportSummary, started: float, *, final: bool = False
) -> None:
    if out is None:
        return
    rate = summary.total / max(time.monotonic() - started, 1e-6)
    out.write(
        f"\r  {summary.total:>9,} rows  {summary.accepted:>9,} accepted  "
        f"{summary.rejected:>7,} rejected  {summary.duplicates:>7,} duplicates  "
        f"{rate:>8,.0f} rows/s" + ("\n" if final else "")
    )
    out.flush()
