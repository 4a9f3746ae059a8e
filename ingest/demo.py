"""``graphcdp demo load``: a demo graph worth exploring, sent through the real tracking API.

The story (every call a Segment-spec call to ``/v1/*``; the worker resolves them):

- Ada browses anonymously on her laptop, then identifies twice (user id, email, phone): her
  anonymous customer and her identified one **merge** (a MERGED_INTO redirect and an
  IdentityChange).
- Charles, Ada's partner, signs in on Ada's laptop browser (her anonymous id): a weak link
  between two differently identified people is refused, a **Conflict** that keeps them apart.
- Ada and Charles both use the family tablet (a **shared device**) and belong to the
  Smith **household** (group calls with ``type: household``).
- Grace identifies from her phone; Bob signs up with ``test@test.com`` (a **blocked**
  identifier, kept but never joining anyone).
- Ada orders twice, Grace once; then two **segments** are saved and evaluated with the same
  function the ``createSegment`` mutation calls: "Demo buyers" and "Demo repeat buyers".

The calls go in stages, each waiting until the worker has applied the previous one (its
messages are in the graph), so the merge really is two customers becoming one.
``tag`` makes every id, email and segment name unique (the tests load their own copy into
the shared graph); without it the ids are fixed, and loading again changes nothing but the
segments' versions.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from graph.driver import open_driver
from graph.repository import IdentityRepository
from graph.repository.segments import SegmentRepository
from graphcdp.settings import Settings
from segments.definition import parse
from segments.jobs import refresh

Call = tuple[str, dict[str, Any]]  # (kind, body) for /v1/<kind>

# {t}: the id suffix, {d}: the email domain, {n}: the name suffix, {p}: Ada's phone.
STAGES: tuple[tuple[Call, ...], ...] = (
    (
        ("page", {"anonymousId": "anon-ada-laptop{t}", "name": "Home",
                  "context": {"userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) "
                                           "Gecko/20100101 Firefox/128.0"}}),
        ("identify", {"userId": "u-ada{t}", "traits": {"email": "Ada@{d}", "firstName": "Ada"},
                      "context": {"consent": {"categoryPreferences": {
                          "Marketing": True, "Analytics": True}}}}),
        ("identify", {"userId": "u-charles{t}", "traits": {
            "email": "charles@{d}", "firstName": "Charles", "lastName": "Smith"}}),
        ("identify", {"userId": "u-grace{t}", "traits": {
            "email": "grace@{d}", "name": "Grace Hopper"},
            "context": {"device": {"id": "ios-grace{t}", "type": "ios"}, "os": {"name": "iOS"},
                        "consent": {"purposes": {"advertising": {
                            "status": "granted", "expiresAt": "2027-12-31T00:00:00Z"}}}}}),
        ("identify", {"userId": "u-bob{t}", "traits": {
            "email": "test@test.com", "firstName": "Bob"}}),
    ),
    (
        ("identify", {"userId": "u-ada{t}", "anonymousId": "anon-ada-laptop{t}", "traits": {
            "lastName": "Smith", "phone": "{p}", "name": "Ada Smith"}}),
        ("identify", {"userId": "u-charles{t}", "anonymousId": "anon-ada-laptop{t}",
                      "context": {"consent": {"purposes": {"marketing": "revoked"}}}}),
        ("track", {"userId": "u-ada{t}", "event": "Product Viewed",
                   "properties": {"category": "books"},
                   "context": {"device": {"id": "tablet-smith{t}", "type": "android"}}}),
        ("track", {"userId": "u-charles{t}", "event": "Product Viewed",
                   "properties": {"category": "garden"},
                   "context": {"device": {"id": "tablet-smith{t}", "type": "android"}}}),
        ("group", {"userId": "u-ada{t}", "groupId": "hh-smith{t}",
                   "traits": {"type": "household", "name": "Smith household{n}"}}),
        ("group", {"userId": "u-charles{t}", "groupId": "hh-smith{t}",
                   "traits": {"type": "household", "name": "Smith household{n}"}}),
        ("track", {"userId": "u-ada{t}", "event": "Order Completed",
                   "properties": {"revenue": 42}}),
        ("track", {"userId": "u-ada{t}", "event": "Order Completed",
                   "properties": {"revenue": 18}}),
        ("track", {"userId": "u-grace{t}", "event": "Order Completed",
                   "properties": {"revenue": 99}}),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class DemoNames:
    """The ids of one copy of the demo (``tag`` empty: the fixed ones)."""

    tag: str = ""

    @property
    def suffix(self) -> str:
        return f"-{self.tag}" if self.tag else ""

    @property
    def domain(self) -> str:
        return f"{self.tag}.example.com" if self.tag else "example.com"

    @property
    def name_suffix(self) -> str:
        return f" ({self.tag})" if self.tag else ""

    @property
    def phone(self) -> str:
        """A London number (valid for phonenumbers): a copy's own, so copies never meet."""
        if not self.tag:
            return "+44 20 7946 0018"
        digits = int(hashlib.sha256(self.tag.encode()).hexdigest(), 16) % 10**7
        return f"+44 20 7{digits:07d}"

    def fill(self, value: Any) -> Any:
        """``value`` with {t}, {d}, {n} and {p} filled in, in every string it holds."""
        if isinstance(value, str):
            return value.format(t=self.suffix, d=self.domain, n=self.name_suffix, p=self.phone)
        if isinstance(value, Mapping):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.fill(v) for v in value]
        return value

    def message_id(self, stage: int, number: int) -> str:
        return f"gcdp-demo{self.suffix}-{stage}-{number}"

    def segments(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(segment id, name, definition) of the demo's segments."""
        mine = {"attribute": "email", "op": "contains", "value": f"@{self.domain}"}
        return [
            (f"seg_demo_buyers{self.suffix}", f"Demo buyers{self.name_suffix}",
             {"rule": {"all": [{"performed": "Order Completed"}, mine]}}),
            (f"seg_demo_repeat_buyers{self.suffix}", f"Demo repeat buyers{self.name_suffix}",
             {"rule": {"all": [{"performed": "Order Completed", "atLeast": 2}, mine]}}),
        ]  # fmt: skip


class DemoTimeout(RuntimeError):
    """The worker did not apply a stage of the demo in time (is ``graphcdp worker`` running?)."""


def load_demo(
    base_url: str, settings: Settings, tag: str = "", timeout: float = 120
) -> tuple[int, list[str]]:
    """Send the demo through the tracking API at ``base_url``, stage by stage, waiting for the
    worker; then save and evaluate the demo segments. Returns (calls sent, segment ids).

    Raises:
        DemoTimeout: a stage was not in the graph within ``timeout`` seconds.
        httpx.HTTPStatusError: the API refused a call.
    """
    return asyncio.run(_load(base_url, settings, DemoNames(tag), timeout))


async def _load(
    base_url: str, settings: Settings, names: DemoNames, patience: float
) -> tuple[int, list[str]]:
    key = next(iter(settings.parsed_write_keys()))
    driver = await open_driver(settings)
    try:
        identity = IdentityRepository(driver, settings.neo4j_database)
        sent = 0
        async with httpx.AsyncClient(base_url=base_url, auth=(key, ""), timeout=30) as client:
            for number, stage in enumerate(STAGES, start=1):
                ids = []
                for i, (kind, body) in enumerate(stage, start=1):
                    call = names.fill(body) | {"messageId": names.message_id(number, i)}
                    (await client.post(f"/v1/{kind}", json=call)).raise_for_status()
                    ids.append(call["messageId"])
                    sent += 1
                await _applied(identity, ids, patience)
        return sent, await _segments(SegmentRepository(driver, settings.neo4j_database), names)
    finally:
        await driver.close()


async def _applied(identity: IdentityRepository, ids: Sequence[str], patience: float) -> None:
    deadline = time.monotonic() + patience
    while True:
        missing = set(ids) - await identity.seen(ids)
        if not missing:
            return
        if time.monotonic() > deadline:
            raise DemoTimeout(f"not applied within {patience:.0f} s: {sorted(missing)}")
        await asyncio.sleep(0.2)


async def _segments(repo: SegmentRepository, names: DemoNames) -> list[str]:
    """Save (a new version when it exists) and evaluate in full, as ``createSegment`` does
    (resolvers.segments.operations.save_segment); the enters are not published to
    cdp.changes: no activation follows a demo segment."""
    saved = []
    for segment_id, name, raw in names.segments():
        segment = await repo.save(name, raw, "demo", segment_id)
        await refresh(repo, segment.segment_id, parse(raw, []), datetime.now(UTC))
        saved.append(segment.segment_id)
    return saved
