"""The Segment-compatible tracking API (``/v1/identify`` so far): auth, validation, produce.

Write keys come as HTTP Basic user names (as Segment's SDKs send them) or as ``writeKey`` in
the body (as analytics.js does). A call is answered ``200 {"success": true}`` only after Kafka
acknowledged it; a bad one gets 400 naming the field, a missing or unknown key 401.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph.repository import now_iso
from ingest.spec import MAX_EVENT_BYTES, Envelope, InvalidEvent, validate


class Sender(Protocol):
    async def send(self, envelopes: list[Envelope]) -> None: ...


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
    raw = await request.body()
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            raise InvalidEvent("body", "not valid gzip") from None
    if len(raw) > limit:
        raise InvalidEvent("body", f"request larger than {limit // 1024} KB")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InvalidEvent("body", f"not valid JSON ({err})") from None


def tracking_routes(write_keys: dict[str, str], sender_of: Any) -> list[Route]:
    """The ``/v1/*`` routes; ``sender_of(request)`` gives the producer from the app state."""

    async def identify(request: Request) -> JSONResponse:
        try:
            payload = await _read_json(request, MAX_EVENT_BYTES)
        except InvalidEvent as err:
            return _error(400, str(err), err.field)
        key = _basic_user(request)
        if key is None and isinstance(payload, dict) and isinstance(payload.get("writeKey"), str):
            key = payload["writeKey"]
        if key is None:
            return _error(401, "missing write key (HTTP Basic user name or writeKey)")
        source = write_keys.get(key)
        if source is None:
            return _error(401, "unknown write key")
        try:
            envelope = validate("identify", payload, source, now_iso())
        except InvalidEvent as err:
            return _error(400, str(err), err.field)
        sender: Sender = sender_of(request)
        await sender.send([envelope])
        return JSONResponse({"success": True})

    return [Route("/v1/identify", identify, methods=["POST"])]
