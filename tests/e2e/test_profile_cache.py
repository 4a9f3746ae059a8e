"""Two API processes cache a profile; a change on ``cdp.changes`` reaches both within 1 s.

The service's API and worker run with a second API process beside them. Both read the same
customer until each serves it from its own memory (the /metrics counters say so: these
profile-only queries are answered whole from the response cache, api/response_cache.py, or
from the profile cache); then an identify call changes the customer, the worker publishes the
change, and 1 s after the change appears on ``cdp.changes`` both processes answer with the new
profile.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from graphcdp.settings import Settings
from tests.e2e.conftest import ADMIN

PROFILE = "query ($id: ID!) { customer(id: $id) { id displayName recordCount } }"
BY_EMAIL = """query ($value: String!) {
  customer(identifier: {type: EMAIL, value: $value}) { id recordCount } }"""


def _graphql(base: str, query: str, **variables: Any) -> dict[str, Any]:
    reply = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables},
                       headers=ADMIN, timeout=10)  # fmt: skip
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    assert "errors" not in body, body
    return dict(body["data"])


def _local_hits(base: str) -> int:
    """Reads answered from the process's memory: a profile from its profile cache, or the
    whole answer from its response cache."""
    text = httpx.get(f"{base}/metrics", timeout=5).text
    profile = re.search(r'graphcdp_profile_cache_reads_total\{tier="local"\} (\d+)', text)
    response = re.search(r'graphcdp_response_cache_reads_total\{outcome="hit"\} (\d+)', text)
    assert profile, text
    assert response, text
    return int(profile.group(1)) + int(response.group(1))


def _identify(base: str, settings: Settings, body: dict[str, Any]) -> None:
    key = next(iter(settings.parsed_write_keys()))
    reply = httpx.post(f"{base}/v1/identify", auth=(key, ""), json=body, timeout=10)
    assert reply.status_code == 200, reply.text


async def _change_seen(settings: Settings, customer_id: str, act: Any) -> float:
    """Follow cdp.changes from its end, call ``act``, and return when a change naming the
    customer arrived (monotonic time)."""
    consumer = AIOKafkaConsumer(
        settings.topics.changes, bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="latest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        for partition in consumer.assignment():
            await consumer.seek_to_end(partition)
            await consumer.position(partition)
        await asyncio.to_thread(act)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for messages in batches.values():
                for message in messages:
                    if json.loads(message.value).get("customer_id") == customer_id:
                        return time.monotonic()
        raise AssertionError(f"no change for {customer_id} on {settings.topics.changes}")
    finally:
        await consumer.stop()


def test_a_change_reaches_the_cache_of_every_api_process_within_a_second(
    service: str, second_api: str, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    email = f"cache.{tag}@example.com"
    _identify(service, settings, {"userId": f"u-{tag}",
                                  "traits": {"email": email, "firstName": "Ada"}})  # fmt: skip
    deadline = time.monotonic() + 30
    found = None
    while time.monotonic() < deadline and not found:
        found = _graphql(service, BY_EMAIL, value=email)["customer"]
        time.sleep(0.1)
    assert found, f"the worker never created the customer of {email}"
    customer_id = found["id"]
    # Until each process answers from its own memory. The worker announces the new customer
    # on cdp.changes just after its commit, so the first reads may be dropped by that very
    # change (and by its repeat 0.5 s later): read again until three reads in a row show two
    # hits from memory in each process.
    deadline = time.monotonic() + 20
    while True:
        before = {base: _local_hits(base) for base in (service, second_api)}
        for base in (service, second_api):
            for _ in range(3):
                seen = _graphql(base, PROFILE, id=customer_id)["customer"]
                assert seen == {"id": customer_id, "displayName": "Ada", "recordCount": 1}
        if all(_local_hits(base) >= before[base] + 2 for base in (service, second_api)):
            break
        assert time.monotonic() < deadline, "the profile is never served from memory"
        time.sleep(0.5)

    def change() -> None:
        _identify(service, settings, {"anonymousId": f"a-{tag}", "traits": {
            "email": email, "firstName": "Ada", "lastName": "Lovelace"}})  # fmt: skip

    seen_at = asyncio.run(_change_seen(settings, customer_id, change))
    time.sleep(max(0.0, seen_at + 1.0 - time.monotonic()))
    for base in (service, second_api):
        assert _graphql(base, PROFILE, id=customer_id)["customer"] == {
            "id": customer_id, "displayName": "Ada Lovelace", "recordCount": 2,
        }  # fmt: skip
        assert _graphql(base, BY_EMAIL, value=email)["customer"] == {
            "id": customer_id, "recordCount": 2,
        }  # fmt: skip
