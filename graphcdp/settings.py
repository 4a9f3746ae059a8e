"""One typed settings object, read from ``GRAPHCDP_*`` environment variables.

Every default points at the local stack (``graphcdp stack up``) on 127.0.0.1, so a newcomer
needs no configuration. A bad value fails at start-up with a :class:`SettingsError` naming the
variable. ``docker-compose.yml`` uses the same variable names (a unit test checks it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from matching.normalise import NormaliseOptions
from matching.rules import DEFAULT_RULES, IdentityRules, load_rules
from privacy.consent import purpose_name
from privacy.retention import Retention
from traits.computed import Trait, load_traits, predicted_names

if TYPE_CHECKING:
    from matching.realtime import Matcher

PREFIX = "GRAPHCDP_"
_SIZE = re.compile(r"^[1-9][0-9]*[kmg]$")
_WRITE_KEY = re.compile(r"^[A-Za-z0-9_.\-]{8,128}$")
_SOURCE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")

T = TypeVar("T")


class SettingsError(ValueError):
    """A ``GRAPHCDP_*`` variable holds a value that cannot be used."""

    def __init__(self, variable: str, value: str, reason: str) -> None:
        super().__init__(f"{variable}={value!r}: {reason}")
        self.variable = variable


@dataclass(frozen=True)
class Topics:
    """The Kafka topics of the flow in DESIGN.md (created by ``graphcdp stack up``)."""

    events: str = "cdp.events"
    records: str = "cdp.records"
    changes: str = "cdp.changes"
    dlq: str = "cdp.dlq"

    def all(self) -> tuple[str, ...]:
        return (self.events, self.records, self.changes, self.dlq)


@dataclass(frozen=True)
class Settings:
    """Everything a GraphCDP process needs to know about its environment.

    Attributes are documented in README.md ("Configuration"); the environment variable of
    an attribute is ``GRAPHCDP_`` plus its upper-cased name.
    """

    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = ""
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_partitions: int = 6
    redis_url: str = "redis://127.0.0.1:6379/0"
    # OpenSearch backs searchCustomers when set; empty (GRAPHCDP_OPENSEARCH_URL=) or "none":
    # search runs on Neo4j's full-text index instead.
    opensearch_url: str | None = "http://127.0.0.1:9200"
    # The customer search index in OpenSearch, and the API processes' consumer group on
    # cdp.changes that keeps it current.
    search_index: str = "graphcdp-customers"
    search_group: str = "graphcdp-search"
    # The workers' consumer group on cdp.changes that keeps segment memberships current, and
    # how often segments with windows of days (or graph neighbours) are evaluated in full.
    segment_group: str = "graphcdp-segments"
    segment_refresh_seconds: int = 300
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 1  # API processes sharing the port (each with its own profile cache)
    # "key:source,key:source": the write keys the tracking API accepts, each naming its source.
    write_keys: str = "graphcdp-demo-write-key:demo"
    worker_group: str = "graphcdp-worker"
    worker_batch: int = 500
    # How long the broker may hold a fetch of the worker's and the change followers' consumers
    # when the partitions it asks for have nothing new (Kafka's fetch.max.wait.ms; aiokafka's
    # default is 500 ms). A consumer leaves out of its next fetch the partitions whose fetched
    # records it has not handed out yet, and sends no other fetch to the broker while one is
    # held: a message on a left-out partition waits for the held fetch. Measured at 500
    # events/s (broker append time to the idle worker's fetch): 119 ms median, up to 633 ms,
    # with 500; 64 ms, up to 117 ms, with 50. The price is idle fetching: with nothing to
    # read, Kafka used 6.6% of a core instead of 2.0%, a worker 5.4% instead of 2.2% (10 ms:
    # 21% and 15%).
    fetch_wait_ms: int = 50
    event_retention_days: int = 90
    # Retention rules by call type, event name and source ("type:page=30,source:kiosk=7";
    # privacy/retention.py), and how often the worker deletes events past their retention.
    event_retention: str = ""
    retention_interval_seconds: int = 3600
    # The audit log's retention: the same scheduled job deletes audit entries older than this
    # (0: keep them forever). A year, as access logs are commonly kept; set it to your policy.
    audit_retention_days: int = 365
    # A tracking plan (YAML or JSON: JSON Schemas per event, mode per source), or none.
    tracking_plan: Path | None = None
    # Identity rules (YAML: limits, priorities, degree caps, blocked values per identifier
    # type); the defaults in matching/rules.py apply when unset.
    identity_rules: Path | None = None
    # Computed traits (YAML: traits: {name: {function, event, property, where, window_days}});
    # the defaults in traits/computed.py apply when unset.
    traits: Path | None = None
    # The probabilistic model the worker scores records with (a `graphcdp match train` file);
    # none: deterministic resolution only. Thresholds are match probabilities.
    match_model: Path | None = None
    match_link: float = 0.99
    match_review: float = 0.90
    # Batch linking on Spark (`local[2]`, `spark://host:7077`); none: DuckDB in the process.
    spark_master: str | None = None
    # The API's profile cache: in each process (entries, seconds), then Redis (seconds); the
    # API processes' consumer group on cdp.changes that invalidates it.
    cache_local_size: int = 10_000
    cache_local_ttl: int = 30
    cache_redis_ttl: int = 300
    # Whole GraphQL responses of profile-only queries kept in each API process (entries; 0:
    # off), for cache_local_ttl seconds at most (api/response_cache.py).
    response_cache_size: int = 10_000
    # Long-running processes freeze their start-up objects and collect garbage less often
    # (graphcdp.gc_tuning): no 100-200 ms pauses of the event loop.
    gc_tuning: bool = True
    # The largest /graphql request body accepted (bytes); larger ones are answered 413.
    graphql_max_bytes: int = 1024 * 1024
    cache_group: str = "graphcdp-api-cache"
    # How often the worker refreshes windowed traits whose value changed with time (seconds).
    trait_refresh_seconds: int = 3600
    # Predictive traits (`graphcdp predict`): the purchase event and its revenue property.
    predict_event: str = "Order Completed"
    predict_revenue: str = "revenue"
    # Its default horizon: expected_purchases_<N>d and the CLV's; the API lists those traits.
    predict_horizon_days: int = 365
    state_dir: Path = Path(".stack")
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "512m"
    kafka_heap: str = "512m"
    kafka_controller_port: int = 9093
    opensearch_heap: str = "1g"
    opensearch_transport_port: int = 9300
    log_level: str = "INFO"
    log_format: str = "json"  # json (one object a line, with request ids) or text
    # Identifier normalisation: the region national phone numbers are read in, and whether
    # emails are folded by their provider's rules (Gmail dots and +tags ...) for matching.
    phone_region: str = "US"
    email_provider_rules: bool = False
    # GraphQL API security: the bootstrap admin API key (hashed and stored as the ApiKey
    # "bootstrap-admin" when the API starts; none: only keys from `graphcdp apikey create`),
    # the HS256 secret of accepted JWT bearer tokens (none: JWTs are refused), the mode
    # (production: introspection for admins only, unexpected errors masked) and the largest
    # query cost accepted (fields, multiplied by the `first` of the lists around them).
    admin_key: str | None = None
    jwt_secret: str | None = None
    env: str = "development"
    query_cost_limit: int = 5000
    # Privacy: the consent purposes that need an explicit grant before a destination may
    # receive a customer (comma-separated; others are allowed unless denied or revoked), and
    # the HMAC key of the suppression hashes of erased identifiers (none: one made once and
    # kept in the state directory, `.stack/privacy-key`; every process must share it).
    consent_opt_in: str = ""
    privacy_key: str | None = None
    topics: Topics = field(default_factory=Topics)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default: ``os.environ``), validating every value.

        Raises:
            SettingsError: a variable is malformed; the message names it.
        """
        source = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name == "topics":
                continue
            var = PREFIX + f.name.upper()
            raw = source.get(var)
            if raw is None:
                continue
            values[f.name] = _PARSERS.get(f.name, _text)(var, raw.strip())
        settings = cls(**values)  # type: ignore[arg-type]
        settings.parsed_write_keys()  # validate early
        try:
            settings.retention()
        except ValueError as err:
            raise SettingsError(PREFIX + "EVENT_RETENTION", settings.event_retention,
                                str(err)) from None  # fmt: skip
        try:
            settings.opt_in_purposes()
        except ValueError as err:
            raise SettingsError(
                PREFIX + "CONSENT_OPT_IN", settings.consent_opt_in, str(err)
            ) from None
        return settings

    def parsed_write_keys(self) -> dict[str, str]:
        """Map each accepted write key to the name of its source."""
        var = PREFIX + "WRITE_KEYS"
        keys: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in self.write_keys.split(","))):
            key, sep, source = item.partition(":")
            if not sep or not _WRITE_KEY.match(key) or not _SOURCE.match(source):
                raise SettingsError(
                    var,
                    self.write_keys,
                    "expected comma-separated key:source pairs, keys of 8-128 characters "
                    "[A-Za-z0-9_.-], sources of 1-64",
                )
            keys[key] = source
        return keys

    @property
    def production(self) -> bool:
        """``GRAPHCDP_ENV=production``: introspection for admins only, unexpected errors masked."""
        return self.env == "production"

    def normalise_options(self) -> NormaliseOptions:
        """How identifiers are normalised in this deployment (ingest and lookups alike)."""
        return NormaliseOptions(self.phone_region, self.email_provider_rules)

    def retention(self) -> Retention:
        """The event retention: the rules of ``event_retention`` over the default days."""
        return Retention.parse(self.event_retention, self.event_retention_days)

    def opt_in_purposes(self) -> frozenset[str]:
        """The purposes of ``consent_opt_in``, folded as consent purposes are."""
        return frozenset(purpose_name(p) for p in self.consent_opt_in.split(",") if p.strip())

    def trait_definitions(self) -> tuple[Trait, ...]:
        """The computed traits: the defaults, or the file of ``traits``."""
        return load_traits(self.traits)

    def trait_names(self) -> tuple[str, ...]:
        """Every trait a customer can carry: the computed ones, then those of
        ``graphcdp predict`` at the default horizon (GraphQL lists and filters these)."""
        return tuple(t.name for t in self.trait_definitions()) + self.predicted_trait_names()

    def predicted_trait_names(self) -> tuple[str, ...]:
        """The traits ``graphcdp predict`` writes at the default horizon."""
        return predicted_names(self.predict_horizon_days)

    def matcher(self) -> Matcher | None:
        """The active model with its thresholds, or None without ``match_model``."""
        if self.match_model is None:
            return None
        from matching.realtime import Matcher, Thresholds
        from matching.train import load_model

        return Matcher(load_model(self.match_model), Thresholds(self.match_link, self.match_review))

    def rules(self) -> IdentityRules:
        """The identity rules: the defaults, overridden by the file of identity_rules."""
        return load_rules(self.identity_rules) if self.identity_rules else DEFAULT_RULES

    def address(self, server: str) -> tuple[str, int]:
        """The (host, port) a server of the stack listens on, from its URL setting."""
        url = {
            "neo4j": self.neo4j_uri,
            "kafka": "kafka://" + self.kafka_bootstrap.split(",")[0],
            "redis": self.redis_url,
            "opensearch": self.opensearch_url or "",
        }[server]
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise SettingsError(f"{PREFIX}{server.upper()}", url, "no host:port")
        return parts.hostname, parts.port


def _text(var: str, raw: str) -> str:
    if not raw:
        raise SettingsError(var, raw, "must not be empty")
    return raw


def _int_between(low: int, high: int) -> Callable[[str, str], int]:
    def parse(var: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(var, raw, "not an integer") from None
        if not low <= value <= high:
            raise SettingsError(var, raw, f"must be between {low} and {high}")
        return value

    return parse


def _url(*schemes: str) -> Callable[[str, str], str]:
    def parse(var: str, raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in schemes:
            raise SettingsError(var, raw, f"scheme must be one of {', '.join(schemes)}")
        try:
            port = parts.port
        except ValueError:
            raise SettingsError(var, raw, "port is not a number in 1-65535") from None
        if not parts.hostname or port is None:
            raise SettingsError(var, raw, "expected scheme://host:port")
        return raw

    return parse


def _index_name(var: str, raw: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,199}", raw):
        raise SettingsError(var, raw, "expected an index name: lower-case letters, digits, _ or -")
    return raw


def _bootstrap(var: str, raw: str) -> str:
    for server in raw.split(","):
        host, sep, port = server.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(var, raw, "expected host:port[,host:port...]")
    return raw


def _size(var: str, raw: str) -> str:
    if not _SIZE.match(raw.lower()):
        raise SettingsError(var, raw, "expected a size such as 512m or 1g")
    return raw.lower()


def _level(var: str, raw: str) -> str:
    if raw.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(var, raw, "expected DEBUG, INFO, WARNING or ERROR")
    return raw.upper()


def _choice(var: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw.lower() not in choices:
        raise SettingsError(var, raw, "expected " + " or ".join(choices))
    return raw.lower()


def _region(var: str, raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2}", raw):
        raise SettingsError(var, raw, "expected a 2-letter region code such as US or GB")
    return raw.upper()


def _spark_master(var: str, raw: str) -> str:
    if re.fullmatch(r"local(\[(\d+|\*)\])?", raw):
        return raw
    parts = urlsplit(raw)
    if parts.scheme in {"spark", "yarn", "k8s"} and (parts.hostname or parts.scheme == "yarn"):
        return raw
    raise SettingsError(var, raw, "expected local[N] or spark://host:port")


def _bool(var: str, raw: str) -> bool:
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(var, raw, "expected true or false")


def _probability(var: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(var, raw, "not a number") from None
    if not 0 < value < 1:
        raise SettingsError(var, raw, "must be a probability between 0 and 1 (exclusive)")
    return value


def _secret(shortest: int) -> Callable[[str, str], str]:
    def parse(var: str, raw: str) -> str:
        if len(raw) < shortest or not re.fullmatch(r"[!-~]+", raw):
            raise SettingsError(
                var, "<hidden>", f"expected at least {shortest} printable characters, no spaces"
            )
        return raw

    return parse


def _env(var: str, raw: str) -> str:
    if raw.lower() not in {"development", "production"}:
        raise SettingsError(var, raw, "expected development or production")
    return raw.lower()


def _path(var: str, raw: str) -> Path:
    if not raw:
        raise SettingsError(var, raw, "must not be empty")
    return Path(raw)


_PORT = _int_between(1, 65535)
_PARSERS: dict[str, Callable[[str, str], object]] = {
    "neo4j_uri": _url("bolt", "neo4j", "bolt+s", "neo4j+s"),
    "neo4j_user": lambda _var, raw: raw,
    "neo4j_password": lambda _var, raw: raw,
    "kafka_bootstrap": _bootstrap,
    "kafka_partitions": _int_between(1, 256),
    "redis_url": _url("redis", "rediss"),
    "opensearch_url": lambda var, raw: (
        None if raw.lower() in {"", "none"} else _url("http", "https")(var, raw)
    ),
    "search_index": _index_name,
    "api_port": _PORT,
    "api_workers": _int_between(1, 64),
    "worker_batch": _int_between(1, 10_000),
    "fetch_wait_ms": _int_between(0, 10_000),
    "event_retention_days": _int_between(1, 36_500),
    "audit_retention_days": _int_between(0, 36_500),
    "retention_interval_seconds": _int_between(1, 7 * 86_400),
    "tracking_plan": _path,
    "identity_rules": _path,
    "traits": _path,
    "match_model": _path,
    "match_link": _probability,
    "match_review": _probability,
    "spark_master": _spark_master,
    "trait_refresh_seconds": _int_between(10, 86_400),
    "segment_refresh_seconds": _int_between(5, 86_400),
    "predict_horizon_days": _int_between(1, 3650),
    "cache_local_size": _int_between(1, 10_000_000),
    "cache_local_ttl": _int_between(0, 86_400),
    "response_cache_size": _int_between(0, 10_000_000),
    "gc_tuning": _bool,
    "graphql_max_bytes": _int_between(1024, 64 * 1024 * 1024),
    "cache_redis_ttl": _int_between(1, 86_400 * 30),
    "state_dir": _path,
    "neo4j_heap": _size,
    "neo4j_pagecache": _size,
    "kafka_heap": _size,
    "kafka_controller_port": _PORT,
    "opensearch_heap": _size,
    "opensearch_transport_port": _PORT,
    "log_level": _level,
    "log_format": lambda var, raw: _choice(var, raw, ("json", "text")),
    "phone_region": _region,
    "email_provider_rules": _bool,
    "admin_key": _secret(16),
    "jwt_secret": _secret(32),
    "env": _env,
    "query_cost_limit": _int_between(10, 10_000_000),
}
