"""Tracking plans: optional JSON Schemas that incoming Segment-spec calls are checked against.

A plan (as Segment Protocols and RudderStack tracking plans have) is a YAML or JSON file::

    version: 3
    default_mode: flag            # flag | reject, for sources without a setting of their own
    sources:
      web: {mode: reject, allow_unplanned: false}
    identify: {type: object, properties: {email: {type: string, format: email}}}
    group: {...}                  # group traits
    page: {...}                   # page and screen properties
    events:                       # track events by name: a schema for their properties
      Order Completed: {type: object, required: [order_id]}
      Signed Up:                  # planned, any properties (same as ``true`` or ``{}``)

``version`` (an integer or a string) is required, so a flagged call can record which plan
flagged it. Schemas are JSON Schema 2020-12 unless they declare another draft in
``$schema`` (Segment Protocols exports draft-07); ``$ref`` must resolve inside the schema
itself. Every schema is checked and compiled once, when the plan loads;
:meth:`TrackingPlan.check` only runs the compiled validators, as it sits on the ingest hot
path.

A violation's ``field`` is a path into the call: object keys joined with ``.``, array indices
in brackets (``properties.items[0].sku``); a key that holds ``.``, ``[``, ``]`` or ``"`` or
is empty is written as a JSON string in brackets (``properties["a.b"]``).
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Specification
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012, UnknownDialect, specification_with

Mode = Literal["flag", "reject"]
Action = Literal["accept", "flag", "reject"]
MODES: tuple[Mode, ...] = ("flag", "reject")
MAX_VIOLATIONS = 10
MAX_VALUE_CHARS = 60
MAX_REASON_CHARS = 200
PLAN_KEYS = ("version", "default_mode", "sources", "identify", "group", "page", "events")
SOURCE_KEYS = ("mode", "allow_unplanned")
_SCAN_LIMIT = 100  # errors read from a validator before sorting and keeping MAX_VIOLATIONS
_NOT_SCHEMAS = frozenset({"const", "enum", "default", "examples"})  # values, not subschemas
_PLAIN_KEY = re.compile(r'[^.\[\]"]+')
_DATE_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|[+-](\d\d):(\d\d))"
)
_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|[+-](\d\d):(\d\d))")


class PlanError(ValueError):
    """A tracking plan that cannot be used; ``key`` is the path to the offending part."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class Violation:
    """One way a call breaks the plan: ``field`` is a path into the call (module docstring)."""

    field: str
    reason: str


@dataclass(frozen=True)
class Verdict:
    """What to do with a call: ``accept`` when it keeps the plan, else the source's mode."""

    violations: tuple[Violation, ...]
    action: Action


@dataclass(frozen=True)
class SourceSettings:
    """A source's own settings; ``mode`` None means the plan's ``default_mode``."""

    mode: Mode | None = None
    allow_unplanned: bool = True


@dataclass(frozen=True)
class Schema:
    """A checked JSON Schema and its validator, compiled once."""

    document: Mapping[str, object] | bool
    validator: Validator = field(repr=False, compare=False)

    @classmethod
    def compile(cls, key: str, document: object) -> Schema:
        """Check ``document`` as a JSON Schema and build its validator.

        Raises:
            PlanError: not a JSON Schema, or a ``$ref`` that does not resolve inside it.
        """
        if isinstance(document, bool):
            return cls(document, Draft202012Validator(document, format_checker=_FORMATS))
        if not isinstance(document, Mapping):
            raise PlanError(key, "expected a JSON Schema (a mapping)")
        try:
            # A JSON copy: YAML dates and NaN are refused and non-string keys become strings.
            doc: dict[str, Any] = json.loads(json.dumps(document, allow_nan=False))
        except (TypeError, ValueError) as err:
            raise PlanError(key, f"not JSON data: {err}") from None
        dialect = doc.get("$schema")
        try:
            if "$schema" in doc and not isinstance(dialect, str):
                raise UnknownDialect(str(dialect))
            spec = DRAFT202012 if dialect is None else specification_with(dialect)
        except UnknownDialect:
            raise PlanError(
                f"{key}.$schema", f"unknown JSON Schema dialect {_short(dialect)}"
            ) from None
        validator_class = validator_for(doc, default=Draft202012Validator)
        try:
            validator_class.check_schema(doc)
        except SchemaError as err:
            raise PlanError(_join(key, err.absolute_path), _shorten(err)) from None
        _check_refs(key, doc, spec)
        return cls(doc, validator_class(doc, format_checker=_FORMATS))


_NO_SOURCE = SourceSettings()
_ACCEPT = Verdict((), "accept")


@dataclass(frozen=True)
class TrackingPlan:
    """A loaded tracking plan; build it with :func:`load_plan` or :meth:`from_dict`."""

    version: int | str | None
    default_mode: Mode = "flag"
    sources: Mapping[str, SourceSettings] = field(default_factory=dict)
    identify: Schema | None = None
    group: Schema | None = None
    page: Schema | None = None
    events: Mapping[str, Schema] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> TrackingPlan:
        """A plan with no schemas: every call is accepted."""
        return cls(version=None)

    @classmethod
    def from_dict(cls, data: object) -> TrackingPlan:
        """Check a plan as parsed from YAML or JSON and compile its schemas.

        Raises:
            PlanError: the plan is malformed; the error names the key path.
        """
        if not isinstance(data, Mapping):
            raise PlanError("plan", "expected a mapping")
        for key in data:
            if key not in PLAN_KEYS:
                raise PlanError(str(key), f"unknown key (expected one of {', '.join(PLAN_KEYS)})")
        if "version" not in data:
            raise PlanError("version", "is required")
        version = data["version"]
        if isinstance(version, bool) or not isinstance(version, (int, str)) or version == "":
            raise PlanError("version", "expected an integer or a non-empty string")
        return cls(
            version=version,
            default_mode=_mode("default_mode", data.get("default_mode", "flag")),
            sources=_sources(data.get("sources")),
            identify=_optional_schema("identify", data.get("identify")),
            group=_optional_schema("group", data.get("group")),
            page=_optional_schema("page", data.get("page")),
            events=_events(data.get("events")),
        )

    def settings(self, source: str) -> tuple[Mode, bool]:
        """The mode and whether unplanned track events are allowed, for ``source``."""
        own = self.sources.get(source, _NO_SOURCE)
        return own.mode or self.default_mode, own.allow_unplanned

    def check(self, call: Mapping[str, object], source: str) -> Verdict:
        """Check one Segment call (its JSON body) from ``source`` against the plan.

        At most :data:`MAX_VIOLATIONS` violations are reported, sorted by field. Calls of a
        type the plan has no schema for (``alias``, or ``page`` without a ``page`` schema)
        are accepted.
        """
        kind = call.get("type")
        if kind == "track":
            name = call.get("event")
            schema = self.events.get(name) if isinstance(name, str) else None
            if schema is None:
                mode, allow_unplanned = self.settings(source)
                if allow_unplanned:
                    return _ACCEPT
                return Verdict((Violation("event", f"unplanned event {_short(name)}"),), mode)
            return self._verdict(schema, "properties", call.get("properties"), source)
        if kind in ("page", "screen") and self.page is not None:
            return self._verdict(self.page, "properties", call.get("properties"), source)
        if kind == "group" and self.group is not None:
            return self._verdict(self.group, "traits", call.get("traits"), source)
        if kind == "identify" and self.identify is not None:
            traits = call.get("traits")
            if traits is None:
                # RudderStack's SDKs send identify traits in context.traits.
                context = call.get("context")
                inner = context.get("traits") if isinstance(context, Mapping) else None
                if inner is not None:
                    return self._verdict(self.identify, "context.traits", inner, source)
            return self._verdict(self.identify, "traits", traits, source)
        return _ACCEPT

    def summary(self) -> dict[str, int | str | bool | None]:
        """What the plan covers, for logs and the admin API."""
        return {
            "version": self.version,
            "default_mode": self.default_mode,
            "events": len(self.events),
            "identify": self.identify is not None,
            "group": self.group is not None,
            "page": self.page is not None,
            "sources": len(self.sources),
        }

    def _verdict(self, schema: Schema, root: str, value: object, source: str) -> Verdict:
        # A missing object is an empty one, as in the Segment spec (so ``required`` applies).
        instance = cast(Any, {} if value is None else value)
        errors = schema.validator.iter_errors(instance)
        try:
            first = next(errors, None)
            if first is None:
                return _ACCEPT
            found = _violations(root, itertools.chain((first,), errors))
        except Unresolvable as err:  # refused at load; kept so a plan bug cannot stop ingest
            found = [((), Violation(root, _cap(f"plan error: unresolvable $ref: {err}")))]
        found.sort(key=lambda item: (item[0], item[1].reason))
        kept: list[Violation] = []
        for _key, violation in found:
            if violation not in kept:
                kept.append(violation)
                if len(kept) == MAX_VIOLATIONS:
                    break
        return Verdict(tuple(kept), self.settings(source)[0])


def load_plan(path: str | os.PathLike[str]) -> TrackingPlan:
    """Read a tracking plan file: JSON when it ends in ``.json``, YAML otherwise.

    Raises:
        PlanError: the file does not parse, or the plan is malformed.
        OSError: the file cannot be read.
    """
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as err:
        raise PlanError(file.name, f"does not parse: {_cap(str(err))}") from None
    return TrackingPlan.from_dict(data)


# --- loading ---------------------------------------------------------------------------


def _mode(key: str, value: object) -> Mode:
    if value == "flag" or value == "reject":
        return value
    raise PlanError(key, f"expected flag or reject, got {_short(value)}")


def _sources(value: object) -> dict[str, SourceSettings]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PlanError("sources", "expected a mapping of source name to settings")
    sources: dict[str, SourceSettings] = {}
    for name, settings in value.items():
        key = f"sources.{name}"
        if not isinstance(name, str) or not name:
            raise PlanError(key, "a source name must be a non-empty string")
        if settings is None:
            settings = {}
        if not isinstance(settings, Mapping):
            raise PlanError(key, "expected a mapping (mode, allow_unplanned)")
        for setting in settings:
            if setting not in SOURCE_KEYS:
                raise PlanError(f"{key}.{setting}", "unknown key (expected mode, allow_unplanned)")
        mode = settings.get("mode")
        allow = settings.get("allow_unplanned", True)
        if not isinstance(allow, bool):
            raise PlanError(f"{key}.allow_unplanned", "expected true or false")
        sources[name] = SourceSettings(
            None if mode is None else _mode(f"{key}.mode", mode), allow_unplanned=allow
        )
    return sources


def _optional_schema(key: str, value: object) -> Schema | None:
    return None if value is None else Schema.compile(key, value)


def _events(value: object) -> dict[str, Schema]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PlanError("events", "expected a mapping of event name to JSON Schema")
    events: dict[str, Schema] = {}
    for name, document in value.items():
        key = f"events.{name}"
        if not isinstance(name, str) or not name:
            raise PlanError(key, "an event name must be a non-empty string")
        events[name] = Schema.compile(key, True if document is None else document)
    return events


def _check_refs(key: str, document: dict[str, Any], spec: Specification[Any]) -> None:
    """Every ``$ref`` must resolve within the schema (nothing is fetched at check time)."""
    resolver = Registry().resolver_with_root(spec.create_resource(document))
    for path, ref in _refs(document, ()):
        try:
            resolver.lookup(ref)
        except Unresolvable:
            raise PlanError(_join(key, path), f"$ref {_short(ref)} does not resolve") from None


def _refs(node: object, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, dict):
        if path and "$id" in node:
            return  # an embedded resource: its references are relative to its own $id
        for name, child in node.items():
            if name == "$ref" and isinstance(child, str):
                yield (*path, name), child
            elif name not in _NOT_SCHEMAS:
                yield from _refs(child, (*path, name))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _refs(child, (*path, index))


def _join(key: str, path: Sequence[str | int]) -> str:
    return ".".join([key, *(str(part) for part in path)])


# --- checking --------------------------------------------------------------------------


_SortKey = tuple[tuple[int, int, str], ...]


def _violations(root: str, errors: Iterator[ValidationError]) -> list[tuple[_SortKey, Violation]]:
    found: list[tuple[_SortKey, Violation]] = []
    for error in itertools.islice(errors, _SCAN_LIMIT):
        path = tuple(error.absolute_path)
        instance = error.instance
        if error.validator == "required" and isinstance(instance, Mapping):
            # Point at the missing properties themselves (duplicates are dropped later).
            missing = _missing(instance, error.validator_value)
            for name in missing:
                found.append(_entry(root, (*path, name), "is a required property"))
            if missing:
                continue
        if (
            error.validator == "additionalProperties"
            and error.validator_value is False
            and isinstance(instance, Mapping)
            and isinstance(error.schema, Mapping)
        ):
            for name in _unexpected(instance, error.schema):
                found.append(_entry(root, (*path, name), "unexpected property (not in the plan)"))
            continue
        found.append(_entry(root, path, _shorten(error)))
    return found


def _missing(instance: Mapping[str, object], required: object) -> list[str]:
    if not isinstance(required, list):
        return []
    return [name for name in required if isinstance(name, str) and name not in instance]


def _unexpected(instance: Mapping[str, object], schema: Mapping[str, Any]) -> list[str]:
    known = schema.get("properties") or {}
    patterns = list(schema.get("patternProperties") or {})
    return [
        name
        for name in instance
        if name not in known and not any(re.search(pattern, name) for pattern in patterns)
    ]


def _entry(root: str, path: Sequence[str | int], reason: str) -> tuple[_SortKey, Violation]:
    key = tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in path)
    return key, Violation(_field(root, path), reason)


def _field(root: str, path: Sequence[str | int]) -> str:
    parts = [root]
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif _PLAIN_KEY.fullmatch(part):
            parts.append(f".{part}")
        else:
            parts.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(parts)


def _shorten(error: ValidationError | SchemaError) -> str:
    """jsonschema's message, with the offending value cut to :data:`MAX_VALUE_CHARS`."""
    message = error.message
    shown = repr(error.instance)
    if len(shown) > MAX_VALUE_CHARS and shown in message:
        message = message.replace(shown, _short(error.instance))
    return _cap(message)


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= MAX_VALUE_CHARS else shown[: MAX_VALUE_CHARS - 3] + "..."


def _cap(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 3] + "..."


# --- formats ---------------------------------------------------------------------------
# jsonschema checks date-time and time only when the optional rfc3339-validator is
# installed (without it, date-time passes anything and time fails everything): these two
# checkers make the formats independent of which optional packages happen to be present.


def _is_date_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    match = _DATE_TIME.fullmatch(instance)
    if match is None:
        return False
    try:
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return _clock_ok(match, 4)


def _is_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    match = _TIME.fullmatch(instance)
    return match is not None and _clock_ok(match, 1)


def _clock_ok(match: re.Match[str], first: int) -> bool:
    hour, minute, second = (int(match[first + i]) for i in range(3))
    off_hour, off_minute = match[first + 3], match[first + 4]
    offset_ok = off_hour is None or (int(off_hour) < 24 and int(off_minute) < 60)
    return hour < 24 and minute < 60 and second <= 60 and offset_ok


_FORMATS = FormatChecker()
_FORMATS.checks("date-time")(_is_date_time)
_FORMATS.checks("time")(_is_time)
