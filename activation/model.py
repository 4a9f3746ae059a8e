"""Destinations and what is sent to them (pure logic): configuration checks, the delta
payload with only the chosen fields (identifiers hashed where the destination asks), the
HMAC signature, the retry schedule and a per-destination rate limit."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["webhook", "kafka", "file"]
KINDS: tuple[Kind, ...] = ("webhook", "kafka", "file")
HASHED = ("email", "phone")  # normalised identifiers sent as SHA-256 when asked
SIGNATURE_HEADER = "X-GraphCDP-Signature"
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


class InvalidDestination(ValueError):
    """A destination that cannot be used; ``field`` names the bad setting."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class Destination:
    destination_id: str
    name: str
    kind: Kind
    config: Mapping[str, str]  # webhook: url; kafka: topic; file: directory, format
    secret: str | None = None  # webhook: the HMAC-SHA256 key
    purpose: str | None = None  # the consent purpose it serves
    hash_identifiers: bool = False
    rate_limit: float = 10.0  # requests a second
    max_attempts: int = 5

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Destination:
        return cls(
            row["destination_id"], row["name"], row["kind"], json.loads(row["config"]),
            row.get("secret"), row.get("purpose"), bool(row.get("hash_identifiers")),
            float(row.get("rate_limit") or 10.0), int(row.get("max_attempts") or 5),
        )  # fmt: skip


def check_config(kind: str, config: Mapping[str, str | None]) -> dict[str, str]:
    """The configuration a destination of ``kind`` needs, checked.

    Raises:
        InvalidDestination: naming the missing or bad setting.
    """
    if kind == "webhook":
        url = config.get("url") or ""
        if not re.match(r"^https?://[^\s/]+", url):
            raise InvalidDestination("url", "expected an http(s) URL")
        erasure = config.get("erasure_url") or ""
        if erasure and not re.match(r"^https?://[^\s/]+", erasure):
            raise InvalidDestination("erasureUrl", "expected an http(s) URL")
        return {"url": url, "erasure_url": erasure} if erasure else {"url": url}
    if kind == "kafka":
        topic = config.get("topic") or ""
        if not _TOPIC.match(topic):
            raise InvalidDestination("topic", "expected a Kafka topic name")
        return {"topic": topic}
    if kind == "file":
        directory = config.get("directory") or ""
        fmt = (config.get("format") or "csv").lower()
        if not directory.startswith("/"):
            raise InvalidDestination("directory", "expected an absolute directory")
        if fmt not in ("csv", "parquet"):
            raise InvalidDestination("format", "expected csv or parquet")
        return {"directory": directory, "format": fmt}
    raise InvalidDestination("kind", f"expected one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class Delta:
    """A customer entering or leaving the segment, with the chosen fields."""

    seq: int  # 0 for the initial audience
    kind: Literal["enter", "exit"]
    customer_id: str
    at: str
    fields: Mapping[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"type": self.kind, "customer_id": self.customer_id, "at": self.at,
                "seq": self.seq, "fields": dict(self.fields)}  # fmt: skip


def choose(customer: Mapping[str, object] | None, fields: Sequence[str],
           hash_identifiers: bool) -> dict[str, object]:  # fmt: skip
    """The chosen fields of a customer's properties (missing ones left out); email and phone
    hashed (SHA-256 of the trimmed, lower-cased value) when ``hash_identifiers``."""
    out: dict[str, object] = {}
    for name in fields:
        value = (customer or {}).get(name)
        if value is None:
            continue
        if hash_identifiers and name in HASHED:
            out[f"{name}_sha256"] = hashlib.sha256(str(value).strip().lower().encode()).hexdigest()
        else:
            out[name] = value
    return out


def body(segment_id: str, destination_id: str, deltas: Sequence[Delta], delivery: str) -> bytes:
    """The JSON a webhook receives (and a file or topic holds per delta)."""
    return json.dumps({
        "delivery_id": delivery, "segment_id": segment_id, "destination_id": destination_id,
        "deltas": [d.as_json() for d in deltas],
    }, separators=(",", ":"), sort_keys=True, default=str).encode()  # fmt: skip


def signature(secret: str, payload: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the body>`` (what the receiver recomputes)."""
    return "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def backoff(
    attempt: int, base: float = 0.5, cap: float = 8.0, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry ``attempt`` (1, 2, ...): exponential with full jitter."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


@dataclass
class TokenBucket:
    """At most ``rate`` requests a second on average, bursts of ``burst``."""

    rate: float
    burst: float = 1.0
    tokens: float = 1.0
    at: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds to wait before the next request at ``now`` (and take its token)."""
        self.tokens = (
            min(self.burst, self.tokens + (now - self.at) * self.rate) if self.at else self.tokens
        )
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        need = (1 - self.tokens) / self.rate
        self.tokens = 0.0
        self.at = now + need
        return need
