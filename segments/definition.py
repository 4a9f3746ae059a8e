"""Segment definitions: a typed, versioned JSON rule tree, parsed with the path of a bad node.

A definition is ``{"version": 1, "rule": <node>}``; a node is one of

- ``{"all": [node, ...]}``, ``{"any": [node, ...]}``, ``{"not": node}``;
- ``{"attribute": "city", "op": "eq", "value": "Oslo"}``: a golden attribute of the customer;
  ``{"trait": "order_count", "op": "gte", "value": 2}``: a computed or predictive trait.
  Ops: ``eq ne gt gte lt lte`` (a value), ``in`` (a list), ``between`` (``[low, high]``,
  inclusive), ``contains`` (text), ``exists`` (no value);
- ``{"performed": "Order Completed", "atLeast": 2, "withinDays": 30,
  "where": [{"property": "revenue", "op": "gte", "value": 50}]}``: events of that name, at
  least ``atLeast`` (default 1), in the last ``withinDays`` days or since ``since`` (an ISO
  time), with property filters (the ops above);
- ``{"notPerformed": "Order Completed", "withinDays": 90}`` (or ``since``): none of them;
- ``{"lastPerformed": "Signed In", "withinDays": 7}`` / ``{"firstPerformed": "Order
  Completed", "before": "2026-01-01"}``: the most recent / first occurrence is in the window
  (``withinDays`` or ``since``) or before a time;
- ``{"inSegment": "seg_..."}``: a member of another segment;
- ``{"sharesWith": "device" | "household", "segment": "seg_..."}``: shares a device (or a
  household group) with a member of that segment (graph-native);
- ``{"near": {"trait": "vip", "op": "eq", "value": true}, "hops": 2}``: within ``hops`` (1
  or 2) shared devices or groups of a customer matching the condition (graph-native).

Times are compared as ISO-8601 text in UTC, as the graph stores them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

Op = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "between", "contains", "exists"]
OPS: tuple[Op, ...] = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "between", "contains", "exists")
Scalar = str | int | float | bool
Value = Scalar | list[Scalar] | None
VERSION = 1
MAX_NODES = 50
MAX_DEPTH = 8


class InvalidDefinition(ValueError):
    """A definition that cannot be used; ``path`` points at the bad node (``rule.all[1].op``)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


@dataclass(frozen=True)
class Compare:
    """``field op value`` on a map (a customer's properties, an event's properties)."""

    field: str
    op: Op
    value: Value = None


@dataclass(frozen=True)
class Property:
    compare: Compare
    kind: Literal["attribute", "trait"]


@dataclass(frozen=True)
class Window:
    """Since an ISO time, or within the last ``days`` days of the evaluation time."""

    since: str | None = None
    days: int | None = None


@dataclass(frozen=True)
class Performed:
    event: str
    at_least: int = 1
    window: Window = Window()
    where: tuple[Compare, ...] = ()


@dataclass(frozen=True)
class NotPerformed:
    event: str
    window: Window = Window()


@dataclass(frozen=True)
class Occurrence:
    """The ``which`` occurrence of the event is in ``window`` (or before ``before``)."""

    which: Literal["first", "last"]
    event: str
    window: Window = Window()
    before: str | None = None


@dataclass(frozen=True)
class InSegment:
    segment_id: str


@dataclass(frozen=True)
class SharesWith:
    kind: Literal["device", "household"]
    segment_id: str


@dataclass(frozen=True)
class Near:
    compare: Compare
    hops: int


@dataclass(frozen=True)
class All:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    node: Node


Node = (
    All | AnyOf | Not | Property | Performed | NotPerformed | Occurrence | InSegment | SharesWith
    | Near
)  # fmt: skip


@dataclass(frozen=True)
class Definition:
    rule: Node
    version: int = VERSION

    def segments_used(self) -> frozenset[str]:
        """The other segments this one reads (inSegment, sharesWith)."""
        return frozenset(s for n in walk(self.rule) for s in _segment_of(n))

    def event_names(self) -> frozenset[str]:
        """The events whose arrival can change this segment's members."""
        return frozenset(n.event for n in walk(self.rule)
                         if isinstance(n, Performed | NotPerformed | Occurrence))  # fmt: skip

    def windowed(self) -> bool:
        """Whether time alone can change the members (a window of days passes)."""
        return any(
            isinstance(n, Performed | NotPerformed | Occurrence) and n.window.days is not None
            for n in walk(self.rule)
        )


def _segment_of(node: Node) -> tuple[str, ...]:
    if isinstance(node, InSegment | SharesWith):
        return (node.segment_id,)
    return ()


def walk(node: Node) -> list[Node]:
    """The node and every node under it, depth first."""
    if isinstance(node, All | AnyOf):
        return [node, *(m for n in node.nodes for m in walk(n))]
    if isinstance(node, Not):
        return [node, *walk(node.node)]
    return [node]


def parse(raw: object, traits: Sequence[str] | None = None) -> Definition:
    """The definition of a JSON value; ``traits``, when given, are the trait names allowed.

    Raises:
        InvalidDefinition: with the path of the first bad node and the reason.
    """
    top = _map(raw, "definition")
    _only(top, "definition", {"version", "rule"})
    version = top.get("version", VERSION)
    if version != VERSION:
        raise InvalidDefinition(
            "definition.version", f"unknown version {version!r} (expected {VERSION})"
        )
    if "rule" not in top:
        raise InvalidDefinition("definition", "missing 'rule'")
    parser = _Parser(frozenset(traits) if traits is not None else None)
    rule = parser.node(top["rule"], "rule", 1)
    return Definition(rule, VERSION)


_KEYS = ("all", "any", "not", "attribute", "trait", "performed", "notPerformed",
         "lastPerformed", "firstPerformed", "inSegment", "sharesWith", "near")  # fmt: skip


class _Parser:
    def __init__(self, traits: frozenset[str] | None) -> None:
        self.traits, self.count = traits, 0

    def node(self, raw: object, path: str, depth: int) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise InvalidDefinition(path, f"more than {MAX_NODES} conditions")
        if depth > MAX_DEPTH:
            raise InvalidDefinition(path, f"nested deeper than {MAX_DEPTH}")
        m = _map(raw, path)
        kinds = [k for k in _KEYS if k in m]
        if len(kinds) != 1:
            raise InvalidDefinition(path, f"expected exactly one of {', '.join(_KEYS)}")
        kind = kinds[0]
        if kind in ("all", "any"):
            _only(m, path, {kind})
            items = m[kind]
            if not isinstance(items, list) or not items:
                raise InvalidDefinition(f"{path}.{kind}", "expected a non-empty list of conditions")
            nodes = tuple(
                self.node(x, f"{path}.{kind}[{i}]", depth + 1) for i, x in enumerate(items)
            )
            return All(nodes) if kind == "all" else AnyOf(nodes)
        if kind == "not":
            _only(m, path, {"not"})
            return Not(self.node(m["not"], f"{path}.not", depth + 1))
        if kind in ("attribute", "trait"):
            _only(m, path, {kind, "op", "value"})
            name = _name(m[kind], f"{path}.{kind}")
            if kind == "trait" and self.traits is not None and name not in self.traits:
                raise InvalidDefinition(f"{path}.trait", f"unknown trait {name!r}")
            return Property(_compare(m, name, path), cast(Literal["attribute", "trait"], kind))
        if kind == "performed":
            _only(m, path, {"performed", "atLeast", "withinDays", "since", "where"})
            at_least = m.get("atLeast", 1)
            if (
                not isinstance(at_least, int)
                or isinstance(at_least, bool)
                or not 1 <= at_least <= 10_000
            ):
                raise InvalidDefinition(
                    f"{path}.atLeast", "expected a whole number from 1 to 10000"
                )
            where = m.get("where", [])
            if not isinstance(where, list):
                raise InvalidDefinition(f"{path}.where", "expected a list of property filters")
            filters = []
            for i, f in enumerate(where):
                fm = _map(f, f"{path}.where[{i}]")
                _only(fm, f"{path}.where[{i}]", {"property", "op", "value"})
                prop = _name(fm.get("property"), f"{path}.where[{i}].property")
                filters.append(_compare(fm, prop, f"{path}.where[{i}]"))
            return Performed(_name(m["performed"], f"{path}.performed"), at_least,
                             _window(m, path), tuple(filters))  # fmt: skip
        if kind == "notPerformed":
            _only(m, path, {"notPerformed", "withinDays", "since"})
            return NotPerformed(_name(m["notPerformed"], f"{path}.notPerformed"), _window(m, path))
        if kind in ("lastPerformed", "firstPerformed"):
            _only(m, path, {kind, "withinDays", "since", "before"})
            window = _window(m, path, required=False)
            before = m.get("before")
            if before is not None and not isinstance(before, str):
                raise InvalidDefinition(f"{path}.before", "expected an ISO time")
            if before is None and window == Window():
                raise InvalidDefinition(path, "expected withinDays, since or before")
            which: Literal["first", "last"] = "last" if kind == "lastPerformed" else "first"
            return Occurrence(which, _name(m[kind], f"{path}.{kind}"), window, before)
        if kind == "inSegment":
            _only(m, path, {"inSegment"})
            return InSegment(_name(m["inSegment"], f"{path}.inSegment"))
        if kind == "sharesWith":
            _only(m, path, {"sharesWith", "segment"})
            what = m["sharesWith"]
            if what not in ("device", "household"):
                raise InvalidDefinition(f"{path}.sharesWith", "expected 'device' or 'household'")
            return SharesWith(what, _name(m.get("segment"), f"{path}.segment"))
        # near
        _only(m, path, {"near", "hops"})
        inner = _map(m["near"], f"{path}.near")
        kinds = [k for k in ("attribute", "trait") if k in inner]
        if len(kinds) != 1:
            raise InvalidDefinition(f"{path}.near", "expected an attribute or a trait condition")
        _only(inner, f"{path}.near", {kinds[0], "op", "value"})
        name = _name(inner[kinds[0]], f"{path}.near.{kinds[0]}")
        if kinds[0] == "trait" and self.traits is not None and name not in self.traits:
            raise InvalidDefinition(f"{path}.near.trait", f"unknown trait {name!r}")
        hops = m.get("hops", 1)
        if hops not in (1, 2) or isinstance(hops, bool):
            raise InvalidDefinition(f"{path}.hops", "expected 1 or 2")
        return Near(_compare(inner, name, f"{path}.near"), int(hops))


def _map(raw: object, path: str) -> Mapping[str, object]:
    if not isinstance(raw, Mapping):
        raise InvalidDefinition(path, "expected an object")
    return cast(Mapping[str, object], raw)


def _only(m: Mapping[str, object], path: str, allowed: set[str]) -> None:
    extra = sorted(set(m) - allowed)
    if extra:
        raise InvalidDefinition(f"{path}.{extra[0]}", "unknown field")


def _name(raw: object, path: str) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 200:
        raise InvalidDefinition(path, "expected a non-empty name")
    return raw


def _scalar(raw: object) -> bool:
    return isinstance(raw, str | int | float | bool)


def _compare(m: Mapping[str, object], name: str, path: str) -> Compare:
    op = m.get("op")
    if op not in OPS:
        raise InvalidDefinition(f"{path}.op", f"expected one of {', '.join(OPS)}")
    value = m.get("value")
    if op == "exists":
        if value is not None:
            raise InvalidDefinition(f"{path}.value", "exists takes no value")
        return Compare(name, "exists")
    if op == "in":
        if not isinstance(value, list) or not value or not all(_scalar(v) for v in value):
            raise InvalidDefinition(f"{path}.value", "expected a non-empty list of values")
        return Compare(name, "in", cast(list[Scalar], value))
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2 and all(_scalar(v) for v in value)):
            raise InvalidDefinition(f"{path}.value", "expected [low, high]")
        return Compare(name, "between", cast(list[Scalar], value))
    if op == "contains" and not isinstance(value, str):
        raise InvalidDefinition(f"{path}.value", "contains expects text")
    if not _scalar(value):
        raise InvalidDefinition(f"{path}.value", "expected a string, a number or a boolean")
    return Compare(name, cast(Op, op), cast(Scalar, value))


def _window(m: Mapping[str, object], path: str, required: bool = False) -> Window:
    days, since = m.get("withinDays"), m.get("since")
    if days is not None and since is not None:
        raise InvalidDefinition(f"{path}.since", "give withinDays or since, not both")
    if days is not None:
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
            raise InvalidDefinition(f"{path}.withinDays", "expected a whole number from 1 to 3650")
        return Window(days=days)
    if since is not None:
        if not isinstance(since, str) or len(since) < 10:
            raise InvalidDefinition(f"{path}.since", "expected an ISO time")
        return Window(since=since)
    if required:
        raise InvalidDefinition(path, "expected withinDays or since")
    return Window()
