"""Senders: a webhook (signed JSON over HTTP), a Kafka topic (one message per delta) and
files (CSV or Parquet, one per delivery). Each raises :class:`DeliveryError` saying whether
trying again can help."""

from __future__ import annotations

import asyncio
import csv
import json
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import httpx

from activation.model import SIGNATURE_HEADER, Delta, Destination, body, signature
from graph.model import now_iso


class DeliveryError(Exception):
    """A delivery that failed; ``permanent`` when retrying cannot help (a 4xx answer)."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Sender(Protocol):
    async def send(self, destination: Destination, segment_id: str, deltas: Sequence[Delta],
                   delivery: str) -> None: ...  # fmt: skip


class WebhookSender:
    """POST the deltas as JSON, signed with the destination's secret (HMAC-SHA256 of the body
    in ``X-GraphCDP-Signature``), with the delivery id in ``X-GraphCDP-Delivery`` for the
    receiver to drop a repeat. 2xx is delivered; 429, 5xx and network errors are retried; any
    other answer is permanent."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, destination: Destination, segment_id: str, deltas: Sequence[Delta],
                   delivery: str) -> None:  # fmt: skip
        payload = body(segment_id, destination.destination_id, deltas, delivery)
        headers = {"content-type": "application/json", "x-graphcdp-delivery": delivery}
        if destination.secret:
            headers[SIGNATURE_HEADER] = signature(destination.secret, payload)
        try:
            reply = await self._client.post(destination.config["url"], content=payload,
                                            headers=headers, timeout=10.0)  # fmt: skip
        except httpx.HTTPError as err:
            raise DeliveryError(f"{type(err).__name__}: {err}") from None
        if reply.status_code // 100 == 2:
            return
        permanent = reply.status_code // 100 == 4 and reply.status_code != 429
        raise DeliveryError(f"HTTP {reply.status_code}: {reply.text[:200]}", permanent)


async def notify_erasure(
    client: httpx.AsyncClient, destination: Destination, customer_id: str, erasure_id: str,
    at: str, attempts: int = 3,
) -> bool:  # fmt: skip
    """Tell a webhook destination with an ``erasure_url`` that a customer was erased: a
    ``DELETE`` (``{customer_id}`` in the URL replaced) whose JSON body names the customer and
    the erasure (no PII), signed as deliveries are, the erasure id in ``X-GraphCDP-Delivery``.
    Tried ``attempts`` times on 429, 5xx and network errors. True once a 2xx answered;
    False when it did not or the destination has no erasure URL (the caller dead-letters)."""
    url = destination.config.get("erasure_url")
    if destination.kind != "webhook" or not url:
        return False
    payload = json.dumps({"type": "customer.erased", "customer_id": customer_id,
                          "erasure_id": erasure_id, "at": at}).encode()  # fmt: skip
    headers = {"content-type": "application/json", "x-graphcdp-delivery": erasure_id}
    if destination.secret:
        headers[SIGNATURE_HEADER] = signature(destination.secret, payload)
    for attempt in range(attempts):
        try:
            target = url.replace("{customer_id}", customer_id)
            reply = await client.request(
                "DELETE", target, content=payload, headers=headers, timeout=10.0
            )
        except httpx.HTTPError:
            reply = None
        if reply is not None and reply.status_code // 100 == 2:
            return True
        if reply is not None and reply.status_code // 100 == 4 and reply.status_code != 429:
            return False
        await asyncio.sleep(0.5 * 2**attempt)
    return False


def erasure_notifier(
    destinations: Callable[[list[str], bool], Awaitable[list[dict[str, Any]]]],
    client: httpx.AsyncClient,
) -> Callable[[str, str, str], Awaitable[bool]]:
    """privacy.erase's ``notify``: the destination read by id with its secret
    (``destinations``: ActivationRepository.destinations), then :func:`notify_erasure`."""

    async def notify(destination_id: str, customer_id: str, erasure_id: str) -> bool:
        rows = await destinations([destination_id], True)
        if not rows:
            return False
        return await notify_erasure(client, Destination.from_row(rows[0]), customer_id,
                                    erasure_id, now_iso())  # fmt: skip

    return notify


Produce = Callable[[str, bytes, bytes], Awaitable[None]]  # (topic, value, key), acks=all


class KafkaSender:
    """One message per delta on the destination's topic, keyed by customer id."""

    def __init__(self, produce: Produce) -> None:
        self._produce = produce

    async def send(self, destination: Destination, segment_id: str, deltas: Sequence[Delta],
                   delivery: str) -> None:  # fmt: skip
        for d in deltas:
            value = json.dumps({"delivery_id": delivery, "segment_id": segment_id,
                                **d.as_json()}, default=str).encode()  # fmt: skip
            try:
                await self._produce(destination.config["topic"], value, d.customer_id.encode())
            except Exception as err:  # the client's errors differ by cause; all retryable
                raise DeliveryError(f"kafka: {type(err).__name__}: {err}") from None


class FileSender:
    """A file per delivery in the destination's directory:
    ``<segment>__<delivery>.csv`` (columns type, customer_id, at, seq, fields as JSON) or
    ``.parquet`` (the same columns), written to a temporary name and renamed when complete."""

    async def send(self, destination: Destination, segment_id: str, deltas: Sequence[Delta],
                   delivery: str) -> None:  # fmt: skip
        directory = Path(destination.config["directory"])
        fmt = destination.config.get("format", "csv")
        rows = [{"type": d.kind, "customer_id": d.customer_id, "at": d.at, "seq": d.seq,
                 "fields": json.dumps(dict(d.fields), default=str, sort_keys=True)}
                for d in deltas]  # fmt: skip
        safe = delivery.replace(":", "_").replace("/", "_")
        try:
            await asyncio.to_thread(_write, directory / f"{segment_id}__{safe}.{fmt}", fmt, rows)
        except OSError as err:
            raise DeliveryError(f"file: {err}") from None


def _write(final: Path, fmt: str, rows: list[dict[str, object]]) -> None:
    partial = final.with_suffix(final.suffix + ".partial")
    final.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), partial)
    else:
        with partial.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, ["type", "customer_id", "at", "seq", "fields"])
            writer.writeheader()
            writer.writerows(rows)
    os.replace(partial, final)


class Senders:
    """The sender of each destination kind."""

    def __init__(self, webhook: Sender, kafka: Sender, file: Sender) -> None:
        self._by_kind: dict[str, Sender] = {"webhook": webhook, "kafka": kafka, "file": file}

    def of(self, destination: Destination) -> Sender:
        return self._by_kind[destination.kind]
