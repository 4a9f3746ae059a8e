"""The graph model's values: plain frozen dataclasses, no I/O (DESIGN.md "Graph model")."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

IdentifierType = Literal["user_id", "anonymous_id", "email", "phone", "device_id", "crm_id"]
IDENTIFIER_TYPES: tuple[IdentifierType, ...] = (
    "user_id",
    "anonymous_id",
    "email",
    "phone",
    "device_id",
    "crm_id",
)
CallType = Literal["identify", "track", "page", "screen", "group", "alias"]
CALL_TYPES: tuple[CallType, ...] = ("identify", "track", "page", "screen", "group", "alias")
_CUSTOMER_NS = uuid.UUID("6f1c4c1e-9d0e-4c52-8a5e-2f3a8e1b7c10")
_PHONE_JUNK = re.compile(r"[\s().\-/]")


class FieldError(ValueError):
    """Bad input that names its field: ``str(err)`` is ``"<field>: <reason>"``."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidIdentifier(ValueError):
    """An identifier value that normalises to nothing usable."""


@dataclass(frozen=True, order=True)
class Identifier:
    """An identifier as stored: ``key`` is ``type:normalised_value`` (unique in the graph)."""

    type: IdentifierType
    value: str

    @property
    def key(self) -> str:
        return f"{self.type}:{self.value}"

    @classmethod
    def from_key(cls, key: str) -> Identifier:
        """The identifier of a stored key (``type:value``), as the graph holds it."""
        type_, _, value = key.partition(":")
        for known in IDENTIFIER_TYPES:
            if known == type_:
                return cls(known, value)
        raise InvalidIdentifier(f"unknown identifier type in key {key!r}")

    @classmethod
    def of(cls, type_: IdentifierType, raw: str) -> Identifier:
        """Normalise ``raw`` for its type (emails lower-cased, phones reduced to digits)."""
        return cls(type_, normalise(type_, raw))


def normalise(type_: IdentifierType, raw: str) -> str:
    """The canonical form of an identifier value.

    Raises:
        InvalidIdentifier: nothing usable remains after normalisation.
    """
    value = raw.strip()
    if type_ == "email":
        value = value.lower()
        local, at, domain = value.partition("@")
        if not at or not local or "." not in domain or " " in value:
            raise InvalidIdentifier(f"not an email address: {raw!r}")
    elif type_ == "phone":
        plus = value.startswith("+")
        digits = _PHONE_JUNK.sub("", value.removeprefix("+"))
        if not digits.isdigit() or not 6 <= len(digits) <= 15:
            raise InvalidIdentifier(f"not a phone number: {raw!r}")
        value = ("+" if plus else "") + digits
    if not value:
        raise InvalidIdentifier(f"empty {type_}")
    if len(value) > 256:
        raise InvalidIdentifier(f"{type_} longer than 256 characters")
    return value


@dataclass(frozen=True)
class Device:
    device_id: str
    kind: str = "unknown"
    os: str | None = None
    user_agent: str | None = None
    browser: str | None = None


@dataclass(frozen=True)
class EventData:
    """A call as an ``Event`` node: what the person did, when, on which device."""

    type: CallType
    name: str | None
    properties_json: str = "{}"
    group_id: str | None = None
    group_traits: dict[str, str | int | float | bool] = field(default_factory=dict)
    utm: dict[str, str] = field(default_factory=dict)
    violations_json: str | None = None  # tracking-plan violations, when the call was flagged
    plan_version: str | None = None


ConsentStatus = Literal["granted", "denied", "revoked"]
CONSENT_STATUSES: tuple[ConsentStatus, ...] = ("granted", "denied", "revoked")


@dataclass(frozen=True)
class ConsentChange:
    """A person's choice for one purpose (analytics, marketing ...), as stated at ``at`` by
    ``source``. The latest change of a purpose is the customer's consent for it (see
    privacy.consent); every change is kept as the consent history."""

    purpose: str
    status: ConsentStatus
    at: str
    source: str
    expires_at: str | None = None


@dataclass(frozen=True)
class Observation:
    """One message about a person: an identify call, a CRM row, a track call ...

    ``record_id`` is the idempotency key (``messageId`` or ``record_id``). A ``Record`` node is
    written when the observation says something about identity (identify, alias, a record
    row, or identifiers not yet linked together); an ``Event`` node when ``event`` is set.
    """

    record_id: str
    source: str
    received_at: str
    timestamp: str
    identifiers: tuple[Identifier, ...]
    attributes_json: str = "{}"
    golden: dict[str, str | int | float | bool] = field(default_factory=dict)
    devices: tuple[Device, ...] = ()
    kind: str = "identify"
    event: EventData | None = None
    always_record: bool = True
    # (Record property, key) pairs the probabilistic model finds this record by
    # (matching.features.blocking_keys); empty when it states nothing the model compares.
    blocking: tuple[tuple[str, str], ...] = ()
    # Consent the message states (``context.consent``; privacy.consent.from_context).
    consents: tuple[ConsentChange, ...] = ()

    def person(self) -> tuple[set[str], set[str]]:
        """The folded first name and the birth date this states (empty sets when silent)."""
        first = self.golden.get("first_name")
        dob = self.golden.get("dob")
        key = fold_name(first) if isinstance(first, str) else ""
        born = dob.strip() if isinstance(dob, str) else ""
        return ({key} if key else set()), ({born} if born else set())


def fold_name(name: str) -> str:
    """A first name folded for comparison: lower case, no accents, letters only."""
    folded = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(ch for ch in folded if ch.isalpha() and ch.isascii())


def iso_utc(moment: datetime) -> str:
    """The one timestamp format of the graph: ISO-8601 UTC, milliseconds, ``Z``.

    Strings in this format sort in time order, which the retention and the timestamp index
    rely on.
    """
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso_utc(datetime.now(UTC))


def days_ago_iso(days: int) -> str:
    """The retention cutoff ``days`` before now, in the graph's timestamp format."""
    return iso_utc(datetime.now(UTC) - timedelta(days=days))


def new_customer_id(first_record_id: str) -> str:
    """A customer id derived from the record that created it, so a replay gives the same id."""
    return "cus_" + uuid.uuid5(_CUSTOMER_NS, first_record_id).hex[:20]


@dataclass(frozen=True)
class ExistingCustomer:
    """A customer an identifier already leads to (as the graph knows it)."""

    customer_id: str
    created_at: str
    first_names: frozenset[str] = frozenset()  # folded (matching.agreement.name_key)
    dobs: frozenset[str] = frozenset()
    golden_stats: str | None = None  # survivorship statistics, JSON (matching.survivorship)
    trait_state: str | None = None  # computed-trait state, JSON (traits.computed)
    kept_apart: frozenset[str] = frozenset()  # customers an operator split from this one


@dataclass(frozen=True)
class Assignment:
    """Where resolution put one connected cluster of a batch."""

    customer_id: str
    created: bool
    record_ids: tuple[str, ...]
    merged: tuple[str, ...]  # customers folded into ``customer_id`` (they become redirects)
    new_records: tuple[str, ...] = ()  # observations that must become Record nodes
    # loser -> (record id, identifier key): the record whose identifier joined it
    merged_via: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ConflictNote:
    """A link resolution refused: the record, the identifier, the customers kept apart, why."""

    record_id: str
    identifier: str
    customers: tuple[str, ...]
    # limit: a per-type limit; contradiction: a weak link between different strong ids;
    # disagree: first names or birth dates disagree; kept_apart: an operator split them
    reason: Literal["limit", "contradiction", "disagree", "kept_apart"]


@dataclass(frozen=True)
class GoldenUpdate:
    """A customer's golden attributes after a batch, their provenance and statistics."""

    values: dict[str, str | int | float | bool]
    provenance_json: str
    stats_json: str


@dataclass(frozen=True)
class Candidate:
    """A record the probabilistic model may match an observation with (found by a blocking
    key), its stated attributes and its live customer."""

    record_id: str
    golden_json: str
    customer_id: str


@dataclass(frozen=True)
class MatchLink:
    """The model's verdict on a pair: 'link' (above the link threshold) or 'review'."""

    from_record: str
    to_record: str
    kind: Literal["link", "review"]
    probability: float
    match_weight: float
    model_version: str
    explanation_json: str  # [{comparison, level, weight, tf_adjustment}]


@dataclass(frozen=True)
class TraitUpdate:
    """A customer's computed traits after a batch, and the state they continue from."""

    values: dict[str, str | int | float | bool | None]
    state_json: str
    expires: str | None  # ISO date when a windowed trait next changes


@dataclass
class Plan:
    assignments: list[Assignment]
    conflicts: list[ConflictNote]
    flagged: set[str]  # identifier keys over their degree cap (they no longer join anyone)
    blocked: set[str]  # identifier keys with blocked values seen in the batch
    golden: dict[str, GoldenUpdate] = field(default_factory=dict)  # customer_id -> update
    traits: dict[str, TraitUpdate] = field(default_factory=dict)  # customer_id -> update
    matches: list[MatchLink] = field(default_factory=list)


SplitKind = Literal["link", "identifier", "record", "block"]
# Golden attributes a record may state (record columns and identify traits).
GOLDEN = ("first_name", "last_name", "name", "email", "phone", "dob", "address_line", "city",
          "postcode", "country")  # fmt: skip


@dataclass(frozen=True)
class Correction:
    kind: SplitKind
    record_id: str | None = None  # link, record
    identifier: str | None = None  # link, identifier, block (an identifier key)


@dataclass(frozen=True)
class ClusterRecord:
    """A record of the customer, as the graph holds it."""

    record_id: str
    source: str
    timestamp: str
    identifiers: tuple[Identifier, ...]  # active links only
    golden: Mapping[str, str | int | float | bool]
    detached: bool = False


@dataclass(frozen=True)
class Part:
    customer_id: str
    new: bool
    record_ids: tuple[str, ...]
    identifiers: tuple[str, ...]  # keys the part's records hold
    first_names: tuple[str, ...]
    dobs: tuple[str, ...]
    golden: GoldenUpdate
    events: int  # events that follow this part


@dataclass(frozen=True)
class SplitPlan:
    customer_id: str
    parts: list[Part]
    removed_links: list[tuple[str, str]]  # (record_id, identifier key)
    detached: list[str]
    blocked: list[str]
    event_moves: dict[str, str]  # via identifier key -> customer id (parts other than the old)

    @property
    def split(self) -> bool:
        return len(self.parts) > 1
