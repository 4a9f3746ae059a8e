"""The Segment-compatible tracking API: ``/v1/{identify,track,page,screen,group,alias}``,
``/v1/batch`` and its alias ``/v1/import``.

Write keys come as HTTP Basic user names (as Segment's SDKs send them) or as ``writeKey`` in
the body (as analytics.js does); each key names its source. A call is answered
``200 {"success": true}`` only after Kafka acknowledged it (acks=all). A bad single call gets
400 naming the field; a missing or unknown key 401; bodies over Segment's limits (32 KB per
call, 500 KB per batch) 400 with the size. In a batch, valid calls are accepted and invalid
ones are answered in ``rejected`` (index, field, reason) and kept on ``cdp.dlq`` with their
cause, so a single bad call never costs the others and nothing sent is dropped silently.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph.model import CALL_TYPES, now_iso
from ingest.payload import parse_json
from ingest.spec import (
    ENVELOPE_KEY,
    MAX_BATCH_BYTES,
    MAX_EVENT_BYTES,
    BatchResult,
    Envelope,
    InvalidEvent,
    validate,
    validate_batch,
)
from ingest.tracking_plan import TrackingPlan


class Sender(Protocol):
    async def send(self, envelopes: list[Envelope]) -> None: ...

    async def dead_letter(self, records: list[dict[str, Any]]) -> None: ...


SenderOf = Callable[[Request], Sender]


@dataclass
class IngestStats:
    """Counters of the tracking API, served on ``/metrics`` (per source)."""

    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)  # accepted with plan violations
    plan_rejected: Counter[str] = field(default_factory=Counter)

    def prometheus(self) -> str:
        lines = []
        for name, counter in (
            ("graphcdp_ingest_accepted_total", self.accepted),
            ("graphcdp_ingest_rejected_total", self.rejected),
            ("graphcdp_tracking_plan_flagged_total", self.flagged),
            ("graphcdp_tracking_plan_rejected_total", self.plan_rejected),
        ):
            lines.append(f"# TYPE {name} counter")
            lines += [f'{name}{{source="{s}"}} {n}' for s, n in sorted(counter.items())]
        return "\n".join(lines) + "\n"


def _apply_plan(
    plan: TrackingPlan, envelope: Envelope, source: str, stats: IngestStats
) -> InvalidEvent | None:
    """Check a call against the tracking plan: flag it in its envelope, or refuse it."""
    verdict = plan.check(envelope.body, source)
    if verdict.action == "accept":
        return None
    violations = [{"field": v.field, "reason": v.reason} for v in verdict.violations]
    if verdict.action == "reject":
        stats.plan_rejected[source] += 1
        first = verdict.violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        return InvalidEvent(first.field, f"tracking plan: {first.reason}{more}")
    stats.flagged[source] += 1
    meta = envelope.body[ENVELOPE_KEY]
    meta["violations"] = violations
    meta["planVersion"] = plan.version
    return None


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"success": False, "error": message}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status)


def _basic_user(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


async def _read_json(request: Request, limit: int) -> object:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:  # compressed or not, a body this large is over the limit
            raise InvalidEvent("body", f"request over the {limit // 1024} KB limit")
    encoding = request.headers.get("content-encoding", "").lower()
    if encoding in ("gzip", "deflate"):
        try:
            inflater = zlib.decompressobj(wbits=31 if encoding == "gzip" else 15)
            raw = inflater.decompress(raw, limit + 1)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
            raise InvalidEvent("body", f"not valid {encoding}") from None
    if len(raw) > limit:
        raise InvalidEvent("body", f"request over the {limit // 1024} KB limit")
    return parse_json(raw)


def _source(request: Request, payload: object, write_keys: dict[str, str]) -> str | JSONResponse:
    key = _basic_user(request)
    in_body = payload.get("writeKey") if isinstance(payload, dict) else None
    if in_body is not None and not isinstance(in_body, str):
        return _error(400, "writeKey: expected a string", "writeKey")
    if key is None and in_body:
        key = in_body
    if key is None:
        return _error(401, "missing write key (HTTP Basic user name or writeKey)")
    source = write_keys.get(key)
    if source is None:
        return _error(401, "unknown write key")
    return source


def tracking_routes(
    write_keys: dict[str, str],
    sender_of: SenderOf,
    plan: TrackingPlan | None = None,
    stats: IngestStats | None = None,
) -> list[Route]:
    """The ``/v1/*`` routes; ``sender_of(request)`` gives the producer from the app state.

    With a tracking plan, each call is checked after the spec: per source, a violation either
    refuses the call (400 naming the field; in a batch, a rejected entry kept on ``cdp.dlq``)
    or flags it (accepted, the violations and plan version kept on its Event), and counted.
    """
    plan = plan or TrackingPlan.empty()
    stats = stats or IngestStats()

    def single(kind: str) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def endpoint(request: Request) -> JSONResponse:
            try:
                payload = await _read_json(request, MAX_EVENT_BYTES)
            except InvalidEvent as err:
                return _error(400, str(err), err.field)
            source = _source(request, payload, write_keys)
            if isinstance(source, JSONResponse):
                return source
            try:
                envelope = validate(kind, payload, source, now_iso())
            except InvalidEvent as err:
                stats.rejected[source] += 1
                return _error(400, str(err), err.field)
            refused = _apply_plan(plan, envelope, source, stats)
            if refused is not None:
                stats.rejected[source] += 1
                return _error(400, str(refused), refused.field)
            await sender_of(request).send([envelope])
            stats.accepted[source] += 1
            return JSONResponse({"success": True})

        return endpoint

    async def batch(request: Request) -> JSONResponse:
        try:
            payload = await _read_json(request, MAX_BATCH_BYTES)
        except InvalidEvent as err:
            return _error(400, str(err), err.field)
        source = _source(request, payload, write_keys)
        if isinstance(source, JSONResponse):
            return source
        received_at = now_iso()
        try:
            result = validate_batch(payload, source, received_at)
        except InvalidEvent as err:
            return _error(400, str(err), err.field)
        accepted = []
        for envelope, index in zip(result.accepted, result.accepted_index, strict=True):
            refused = _apply_plan(plan, envelope, source, stats)
            if refused is None:
                accepted.append(envelope)
            else:
                result.rejected.append((index, refused.at(f"batch[{index}]"), envelope.body))
        result.rejected.sort(key=lambda item: item[0])
        result = BatchResult(accepted, result.rejected, [])
        stats.accepted[source] += len(result.accepted)
        stats.rejected[source] += len(result.rejected)
        sender = sender_of(request)
        if result.accepted:
            await sender.send(result.accepted)
        if result.rejected:
            await sender.dead_letter(
                [
                    {
                        "error": str(err),
                        "field": err.field,
                        "source": source,
                        "received_at": received_at,
                        "stage": "http",
                        "call": call,
                    }
                    for _, err, call in result.rejected
                ]
            )
        body: dict[str, Any] = {"success": True, "accepted": len(result.accepted)}
        if result.rejected:
            body["rejected"] = [
                {"index": i, "field": err.field, "reason": err.reason}
                for i, err, _ in result.rejected
            ]
        return JSONResponse(body)

    routes = [Route(f"/v1/{kind}", single(kind), methods=["POST"]) for kind in CALL_TYPES]
    routes += [
        Route("/v1/batch", batch, methods=["POST"]),
        Route("/v1/import", batch, methods=["POST"]),
    ]
    return routes
