"""GraphQL types of activation: destinations, activations and their sync runs."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON


@strawberry.enum
class DestinationKind(Enum):
    WEBHOOK = "webhook"
    KAFKA = "kafka"
    FILE = "file"


@strawberry.enum
class FileFormat(Enum):
    CSV = "csv"
    PARQUET = "parquet"


@strawberry.enum
class ActivationMode(Enum):
    REALTIME = "realtime"
    SCHEDULED = "scheduled"


@strawberry.input(
    description="A destination: a webhook (url, secret for the HMAC-SHA256 "
    "signature), a Kafka topic, or files (an absolute directory, CSV or Parquet)."
)
class DestinationInput:
    name: str
    kind: DestinationKind
    url: str | None = None
    secret: str | None = None
    erasure_url: str | None = strawberry.field(
        default=None,
        description="Webhook: told of each erasure of a customer it may have received, by a "
        "signed DELETE ({customer_id} in the URL is replaced).",
    )
    topic: str | None = None
    directory: str | None = None
    format: FileFormat = FileFormat.CSV
    purpose: str | None = strawberry.field(
        default=None, description="The consent purpose it serves."
    )
    hash_identifiers: bool = strawberry.field(
        default=False, description="Send email and phone as SHA-256 of the normalised value."
    )
    rate_limit: float = strawberry.field(default=10.0, description="Requests a second.")
    max_attempts: int = strawberry.field(default=5, description="Tries before a dead letter.")


@strawberry.type
class Destination:
    id: strawberry.ID
    name: str
    kind: DestinationKind
    config: JSON
    purpose: str | None
    hash_identifiers: bool
    rate_limit: float
    max_attempts: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Destination:
        return cls(
            id=strawberry.ID(row["destination_id"]), name=row["name"],
            kind=DestinationKind(row["kind"]), config=JSON(json.loads(row["config"])),
            purpose=row.get("purpose"), hash_identifiers=bool(row["hash_identifiers"]),
            rate_limit=float(row["rate_limit"]), max_attempts=int(row["max_attempts"]),
        )  # fmt: skip


@strawberry.type(description="A setting of a destination or an activation is not valid.")
class ActivationInvalid:
    field: str
    reason: str


@strawberry.type
class ActivationNotFound:
    segment_id: strawberry.ID
    destination_id: strawberry.ID


@strawberry.type(description="A sync of this activation is running elsewhere; try later.")
class SyncBusy:
    segment_id: strawberry.ID
    destination_id: strawberry.ID


@strawberry.type(description="A segment sent to a destination, and how far it has got.")
class Activation:
    segment_id: strawberry.ID
    destination_id: strawberry.ID
    destination: str | None
    mode: ActivationMode
    fields: list[str]
    schedule_seconds: int | None
    cursor: int = strawberry.field(description="The last membership change sent (its seq).")
    initial: bool = strawberry.field(description="The starting audience is still to be sent.")
    delivered: int
    failed: int
    last_sync_at: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Activation:
        return cls(
            segment_id=strawberry.ID(row["segment_id"]),
            destination_id=strawberry.ID(row["destination_id"]),
            destination=row.get("destination"), mode=ActivationMode(row["mode"]),
            fields=list(row.get("fields") or []), schedule_seconds=row.get("schedule_seconds"),
            cursor=int(row["cursor"]), initial=bool(row["initial"]),
            delivered=int(row.get("delivered") or 0), failed=int(row.get("failed") or 0),
            last_sync_at=row.get("last_sync_at"),
        )  # fmt: skip


@strawberry.type(description="One sync: deltas sent, failed (dead-lettered) and why.")
class SyncRun:
    id: strawberry.ID
    destination_id: strawberry.ID
    mode: str
    started_at: str
    finished_at: str | None
    entered: int
    exited: int
    failed: int
    withheld: int = strawberry.field(
        description="Enter deltas not sent: the customer's consent for the destination's "
        "purpose did not allow it."
    )
    errors: list[str]

    @classmethod
    def from_row(cls, row: dict[str, Any], destination_id: str | None = None) -> SyncRun:
        return cls(
            id=strawberry.ID(row["sync_id"]),
            destination_id=strawberry.ID(destination_id or row["destination_id"]),
            mode=row["mode"], started_at=row["started_at"], finished_at=row.get("finished_at"),
            entered=int(row["entered"]), exited=int(row["exited"]), failed=int(row["failed"]),
            withheld=int(row.get("withheld") or 0), errors=list(row.get("errors") or []),
        )  # fmt: skip


DestinationResult = Annotated[Destination | ActivationInvalid,
                              strawberry.union("DestinationResult")]  # fmt: skip
ActivateResult = Annotated[Activation | ActivationInvalid | ActivationNotFound,
                           strawberry.union("ActivateResult")]  # fmt: skip
SyncResult = Annotated[SyncRun | SyncBusy | ActivationNotFound, strawberry.union("SyncResult")]
