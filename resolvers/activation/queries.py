"""Activation through GraphQL: createDestination, activateSegment, syncNow, destinations,
and a segment's activations and sync runs."""

from __future__ import annotations

from dataclasses import asdict

import strawberry

from activation.model import InvalidDestination, check_config
from activation.sync import run_sync
from graph.model import GOLDEN, now_iso
from resolvers.activation.types import (
    ActivateResult,
    Activation,
    ActivationInvalid,
    ActivationMode,
    ActivationNotFound,
    Destination,
    DestinationInput,
    DestinationResult,
    SyncBusy,
    SyncResult,
    SyncRun,
)
from resolvers.context import Info
from resolvers.pagination import bad_input

# What a delta may carry besides the customer id: golden attributes and traits.
_OWN = ("display_name", "created_at", "updated_at", "last_seen_at")


def _allowed_fields(info: Info) -> set[str]:
    return {*GOLDEN, *_OWN, *(t.name for t in info.context.traits), *info.context.predicted}


@strawberry.type
class ActivationQueries:
    @strawberry.field(description="Every destination, by name (secrets are never shown).")
    async def destinations(self, info: Info) -> list[Destination]:
        return [Destination.from_row(d) for d in await info.context.activations.destinations()]

    @strawberry.field(description="A segment's activations and its latest sync runs.")
    async def activations(
        self, info: Info, segment_id: strawberry.ID, runs: int = 20
    ) -> list[Activation]:
        _, rows = await info.context.activations.runs(str(segment_id), 1)
        return [Activation.from_row({**r, "segment_id": str(segment_id)}) for r in rows]

    @strawberry.field(description="A segment's sync runs, newest first.")
    async def sync_runs(
        self, info: Info, segment_id: strawberry.ID, first: int = 20
    ) -> list[SyncRun]:
        if not 1 <= first <= 100:
            raise bad_input("first must be between 1 and 100")
        rows, _ = await info.context.activations.runs(str(segment_id), first)
        return [SyncRun.from_row(r) for r in rows]


@strawberry.type
class ActivationMutations:
    @strawberry.mutation(description="A new destination: webhook, Kafka topic or files.")
    async def create_destination(self, info: Info, input: DestinationInput) -> DestinationResult:
        if not input.name.strip():
            return ActivationInvalid(field="name", reason="expected a non-empty name")
        try:
            config = check_config(input.kind.value, {
                "url": input.url, "erasure_url": input.erasure_url, "topic": input.topic,
                "directory": input.directory,
                "format": input.format.value,
            })  # fmt: skip
        except InvalidDestination as err:
            return ActivationInvalid(field=err.field, reason=err.reason)
        if not 0.1 <= input.rate_limit <= 10_000:
            return ActivationInvalid(field="rateLimit", reason="expected 0.1 to 10000 a second")
        if not 1 <= input.max_attempts <= 20:
            return ActivationInvalid(field="maxAttempts", reason="expected 1 to 20")
        row = await info.context.activations.save_destination(
            input.name.strip(), input.kind.value, config, input.secret, input.purpose,
            input.hash_identifiers, input.rate_limit, input.max_attempts,
        )  # fmt: skip
        return Destination.from_row(row)

    @strawberry.mutation(
        description="Send a segment to a destination: its members now as enter deltas, then "
        "every enter and exit (realtime: within a second; scheduled: every scheduleSeconds), "
        "each delta with the chosen fields."
    )
    async def activate_segment(
        self, info: Info, segment_id: strawberry.ID, destination_id: strawberry.ID,
        mode: ActivationMode = ActivationMode.REALTIME, fields: list[str] | None = None,
        schedule_seconds: int | None = None,
    ) -> ActivateResult:  # fmt: skip
        chosen = list(dict.fromkeys(fields or []))
        unknown = sorted(set(chosen) - _allowed_fields(info))
        if unknown:
            return ActivationInvalid(field="fields", reason=f"unknown fields: {', '.join(unknown)}")
        if mode is ActivationMode.SCHEDULED and not (schedule_seconds or 0) >= 60:
            return ActivationInvalid(field="scheduleSeconds", reason="expected at least 60")
        row = await info.context.activations.activate(
            str(segment_id), str(destination_id), mode.value, chosen,
            schedule_seconds if mode is ActivationMode.SCHEDULED else None,
        )  # fmt: skip
        if row is None:
            return ActivationNotFound(segment_id=segment_id, destination_id=destination_id)
        return Activation.from_row(row)

    @strawberry.mutation(description="Sync an activation now (the deltas since the last sync).")
    async def sync_now(
        self, info: Info, segment_id: strawberry.ID, destination_id: strawberry.ID
    ) -> SyncResult:
        ctx = info.context
        found = await ctx.activations.runs(str(segment_id), 1)
        if not any(a["destination_id"] == str(destination_id) for a in found[1]):
            return ActivationNotFound(segment_id=segment_id, destination_id=destination_id)
        if ctx.senders is None or ctx.dead_letter is None:
            raise RuntimeError("this process cannot deliver (no senders)")
        run = await run_sync(
            ctx.activations, ctx.senders, str(segment_id), str(destination_id),
            f"api:{ctx.actor}", now_iso, ctx.dead_letter, mode="manual",
        )  # fmt: skip
        if run is None:
            return SyncBusy(segment_id=segment_id, destination_id=destination_id)
        return SyncRun.from_row({**asdict(run), "finished_at": now_iso()}, str(destination_id))
