"""A segment definition compiled to one parameterised Cypher condition over the customer ``c``.

Each kind of condition is a building block in ``cypher/segment/when_*.cypher``: a query that
answers it for one customer (``RETURN <expression> AS holds``, so each block runs on its own in
the tests). The compiler takes each block's expression, renames its parameters per node
(``$op`` of the third node becomes ``$n3_op``), and joins the expressions with AND, OR and NOT.
Values from the definition only ever travel as parameters; the text is the blocks' own. The
result goes in place of ``true /* condition */`` in ``segment.evaluate_members`` (all
customers) or ``segment.evaluate_customers`` (the customers a change touched).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from segments.definition import (
    All,
    AnyOf,
    Compare,
    Definition,
    InSegment,
    Near,
    Node,
    Not,
    NotPerformed,
    Occurrence,
    Performed,
    Property,
    SharesWith,
    Window,
)

SHARED_CAP = 50  # a device or group shared by more customers relates no one (as in related)
PLACEHOLDER = "true /* condition */"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_RETURN = re.compile(r"\bRETURN\s+(.*)\s+AS\s+holds\s*$", re.S)


@dataclass(frozen=True)
class Compiled:
    condition: str
    params: dict[str, object]

    def into(self, query: str) -> str:
        """``query`` (an evaluate query's text) with this condition in place."""
        head, marker, tail = query.rpartition(PLACEHOLDER)
        if not marker:
            raise ValueError("the query has no `true /* condition */` to replace")
        return f"{head}({self.condition}){tail}"


def block_expression(text: str) -> str:
    """The expression a building block returns (``RETURN <expression> AS holds``)."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    match = _RETURN.search(body)
    if match is None:
        raise ValueError("a building block must end with RETURN <expression> AS holds")
    return match.group(1).strip()


def compile_definition(
    definition: Definition, blocks: Mapping[str, str], now: datetime, cap: int = SHARED_CAP
) -> Compiled:
    """The definition's condition at time ``now`` (windows of days end there).

    ``blocks`` maps a block name (``segment.when_property`` ...) to its query text.
    """
    params: dict[str, object] = {}
    counter = iter(range(1, 10**6))

    def leaf(block: str, values: Mapping[str, object]) -> str:
        n = next(counter)
        expression = block_expression(blocks[block])

        def rename(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise ValueError(f"{block} needs ${name}")
            params[f"n{n}_{name}"] = values[name]
            return f"$n{n}_{name}"

        return _PARAM.sub(rename, expression)

    def node(x: Node) -> str:
        if isinstance(x, All):
            return "(" + " AND ".join(node(n) for n in x.nodes) + ")"
        if isinstance(x, AnyOf):
            return "(" + " OR ".join(node(n) for n in x.nodes) + ")"
        if isinstance(x, Not):
            return f"(NOT {node(x.node)})"
        return "(" + _LEAVES[type(x)](x, leaf, now, cap) + ")"

    return Compiled(node(definition.rule), params)


def compile_leaves(
    definition: Definition, blocks: Mapping[str, str], now: datetime, cap: int = SHARED_CAP
) -> tuple[list[tuple[str, Node]], Compiled]:
    """Each leaf condition on its own, with its path (``rule.all[1]``): the paths and nodes,
    and one Compiled whose condition is the leaves' expressions, comma separated, in order
    (for a list of booleans: which condition holds for a customer)."""
    leaves: list[tuple[str, Node]] = []

    def collect(x: Node, path: str) -> None:
        if isinstance(x, All | AnyOf):
            key = "all" if isinstance(x, All) else "any"
            for i, n in enumerate(x.nodes):
                collect(n, f"{path}.{key}[{i}]")
        elif isinstance(x, Not):
            collect(x.node, f"{path}.not")
        else:
            leaves.append((path, x))

    collect(definition.rule, "rule")
    parts: list[str] = []
    params: dict[str, object] = {}
    for i, (_, node) in enumerate(leaves):
        one = compile_definition(Definition(node), blocks, now, cap)
        parts.append(_PARAM.sub(rf"$l{i}_\1", one.condition))
        params.update({f"l{i}_{k}": v for k, v in one.params.items()})
    return leaves, Compiled(", ".join(parts), params)


def combine(node: Node, holds: Mapping[str, bool], path: str = "rule") -> bool:
    """Whether ``node`` holds, given whether each leaf (by path) holds."""
    if isinstance(node, All):
        return all(combine(n, holds, f"{path}.all[{i}]") for i, n in enumerate(node.nodes))
    if isinstance(node, AnyOf):
        return any(combine(n, holds, f"{path}.any[{i}]") for i, n in enumerate(node.nodes))
    if isinstance(node, Not):
        return not combine(node.node, holds, f"{path}.not")
    return holds[path]


Leaf = Callable[[str, Mapping[str, object]], str]


def _compare(c: Compare) -> dict[str, object]:
    listed = isinstance(c.value, list)
    return {
        "op": c.op, "field": c.field,
        "value": None if listed else c.value,
        "list": c.value if c.op == "in" else None,
        "low": c.value[0] if c.op == "between" and isinstance(c.value, list) else None,
        "high": c.value[1] if c.op == "between" and isinstance(c.value, list) else None,
        "text": c.value if c.op == "contains" else None,
    }  # fmt: skip


def _since(window: Window, now: datetime) -> str | None:
    if window.days is not None:
        return iso(now - timedelta(days=window.days))
    return window.since


def iso(t: datetime) -> str:
    """The graph's time format: ISO-8601, milliseconds, UTC, ``Z``."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _property(x: Property, leaf: Leaf, now: datetime, cap: int) -> str:
    return leaf("segment.when_property", _compare(x.compare))


def _performed(x: Performed, leaf: Leaf, now: datetime, cap: int) -> str:
    where = [_compare(f) for f in x.where]
    return leaf("segment.when_performed", {"event": x.event, "since": _since(x.window, now),
                                           "at_least": x.at_least, "where": where})  # fmt: skip


def _not_performed(x: NotPerformed, leaf: Leaf, now: datetime, cap: int) -> str:
    return leaf("segment.when_not_performed", {"event": x.event, "since": _since(x.window, now)})


def _occurrence(x: Occurrence, leaf: Leaf, now: datetime, cap: int) -> str:
    values = {"which": x.which, "event": x.event, "since": _since(x.window, now),
              "before": x.before}  # fmt: skip
    return leaf("segment.when_occurrence", values)


def _in_segment(x: InSegment, leaf: Leaf, now: datetime, cap: int) -> str:
    return leaf("segment.when_in_segment", {"segment": x.segment_id})


def _shares(x: SharesWith, leaf: Leaf, now: datetime, cap: int) -> str:
    block = "segment.when_shares_device" if x.kind == "device" else "segment.when_shares_household"
    return leaf(block, {"segment": x.segment_id, "cap": cap})


def _near(x: Near, leaf: Leaf, now: datetime, cap: int) -> str:
    return leaf("segment.when_near", {**_compare(x.compare), "hops": x.hops, "cap": cap})


_LEAVES: dict[type, Callable[..., str]] = {
    Property: _property, Performed: _performed, NotPerformed: _not_performed,
    Occurrence: _occurrence, InSegment: _in_segment, SharesWith: _shares, Near: _near,
}  # fmt: skip

BLOCKS = tuple(
    f"segment.{name}"
    for name in ("when_property", "when_performed", "when_not_performed", "when_occurrence",
                 "when_in_segment", "when_shares_device", "when_shares_household", "when_near")
)  # fmt: skip
