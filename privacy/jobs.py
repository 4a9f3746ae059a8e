"""``graphcdp privacy erase|export`` and ``graphcdp export``: the privacy operations wired to
the servers outside the API (the same functions the GraphQL mutations call)."""

from __future__ import annotations

import contextlib
import getpass
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
from neo4j import AsyncDriver
from redis.asyncio import Redis

from activation.delivery import erasure_notifier
from graph.cache import CacheConfig, ProfileCache
from graph.driver import open_driver
from graph.model import now_iso
from graph.repository import AuditRepository, CustomerWhere, ProfileRepository
from graph.repository.activations import ActivationRepository
from graph.repository.privacy import PrivacyRepository
from graph.search import OpenSearchIndex
from graphcdp.local_key import privacy_key
from graphcdp.settings import Settings
from ingest.producer import EventProducer
from privacy.consent import allows, current
from privacy.erase import Erasure, erase_customer
from privacy.export import export_document, profile_line
from privacy.suppression import Suppressor


def operator() -> str:
    """Who runs the command, as the audit log names a command-line actor."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@dataclass
class _Wired:
    driver: AsyncDriver
    redis: Redis
    producer: EventProducer
    client: httpx.AsyncClient
    search: OpenSearchIndex | None


@contextlib.asynccontextmanager
async def _wired(settings: Settings) -> AsyncIterator[_Wired]:
    driver = await open_driver(settings)
    redis = Redis.from_url(settings.redis_url)
    producer = EventProducer(settings)
    client = httpx.AsyncClient()
    search = (
        OpenSearchIndex(settings.opensearch_url, settings.search_index)
        if settings.opensearch_url
        else None
    )
    try:
        await producer.start()
        yield _Wired(driver, redis, producer, client, search)
    finally:
        await producer.stop()
        await client.aclose()
        if search is not None:
            await search.close()
        await redis.aclose()
        await driver.close()


async def erase(settings: Settings, customer_id: str, reference: str | None) -> Erasure | None:
    """Erase one person (privacy.erase) as the operator running the command."""
    async with _wired(settings) as w:
        db = settings.neo4j_database
        cache = ProfileCache(ProfileRepository(w.driver, db), w.redis, CacheConfig())

        async def dead_letter(record: Mapping[str, object]) -> None:
            await w.producer.dead_letter([dict(record)])

        return await erase_customer(
            PrivacyRepository(w.driver, db), customer_id,
            hash_of=Suppressor(privacy_key(settings)).hash, caches=cache, search=w.search,
            changes=w.producer, dead_letter=dead_letter,
            notify=erasure_notifier(ActivationRepository(w.driver, db).destinations, w.client),
            audit=AuditRepository(w.driver, db).write, actor=operator(), role="admin",
            reference=reference,
        )  # fmt: skip


async def export(settings: Settings, customer_id: str) -> dict[str, Any] | None:
    """The access export of one person (privacy.export), audited as a PII read."""
    driver = await open_driver(settings)
    try:
        db = settings.neo4j_database
        row = await PrivacyRepository(driver, db).export(customer_id)
        if row is None:
            return None
        doc = export_document(row, trait_names=settings.trait_names(), exported_at=now_iso(),
                              opt_in=settings.opt_in_purposes())  # fmt: skip
        await AuditRepository(driver, db).write([{
            "entry_id": f"aud_exp_{doc['exported_at']}_{doc['customer_id']}",
            "at": doc["exported_at"], "actor": operator(), "role": "admin",
            "operation": "privacy.export", "kind": "pii_read", "fields": ["exportCustomer"],
            "customer_ids": [doc["customer_id"], *doc["merged_ids"]],
        }])  # fmt: skip
        return doc
    finally:
        await driver.close()


def write_json(doc: object, out: Path | None, stdout: TextIO) -> None:
    """The document as indented JSON, to ``out`` (written then renamed) or ``stdout``."""
    text = json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n"
    if out is None:
        stdout.write(text)
        return
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text)
    tmp.replace(out)


@dataclass(frozen=True)
class BulkExport:
    exported: int
    withheld: int  # customers whose consent does not allow the purpose


async def export_all(
    settings: Settings, out: TextIO, *, masked: bool, purpose: str | None, page: int = 500
) -> BulkExport:
    """Every live customer as a JSON line on ``out`` (privacy.export.profile_line), in id
    order; with ``purpose``, only those whose consent allows it now (privacy.consent)."""
    driver = await open_driver(settings)
    try:
        repo = ProfileRepository(driver, settings.neo4j_database)
        traits, opt_in, now = settings.trait_names(), settings.opt_in_purposes(), now_iso()
        exported = withheld = 0
        after = ""
        while True:
            ids, _ = await repo.customers(CustomerWhere(), after, page)
            if not ids:
                break
            profiles = await repo.profiles(ids)
            consents = await repo.consents(ids) if purpose else {}
            for customer_id in ids:
                found = profiles.get(customer_id)
                if found is None:
                    continue
                if purpose is not None:
                    latest = current(consents.get(customer_id, [])).get(purpose)
                    if not allows(latest, purpose=purpose, now=now, opt_in=opt_in):
                        withheld += 1
                        continue
                keys = [i["key"] for i in found.identifiers]
                line = profile_line(found.customer, keys, trait_names=traits, masked=masked)
                out.write(json.dumps(line, sort_keys=True, default=str) + "\n")
                exported += 1
            after = ids[-1]
        return BulkExport(exported, withheld)
    finally:
        await driver.close()
