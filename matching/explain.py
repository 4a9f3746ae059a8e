"""Why each link of a customer's identity graph exists: pure logic over what the graph holds.

A customer is its records and the identifiers they hold (``HAS_IDENTIFIER``); records share
identifiers, and merges recorded as identity changes name the record and identifier that
joined two customers. :func:`explain` says, for each record-identifier link, whether the
identifier joins records under the identity rules, and why or why not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph.model import Identifier, IdentifierType
from matching.rules import IdentityRules


@dataclass(frozen=True)
class HeldIdentifier:
    key: str
    type: IdentifierType
    value: str
    blocked: bool = False  # flagged in the graph as a junk value
    over_degree: bool = False  # flagged in the graph as shared by too many customers
    customers: int = 1  # live customers the identifier leads to


@dataclass(frozen=True)
class HeldRecord:
    record_id: str
    source: str
    kind: str
    timestamp: str
    identifiers: tuple[HeldIdentifier, ...]


@dataclass(frozen=True)
class Link:
    record_id: str
    identifier: str
    joins: bool
    why: str


def explain(records: Sequence[HeldRecord], rules: IdentityRules) -> list[Link]:
    """One :class:`Link` per record and identifier it holds, in record order."""
    holders: dict[str, list[str]] = {}
    for record in records:
        for ident in record.identifiers:
            holders.setdefault(ident.key, []).append(record.record_id)
    links = []
    for record in records:
        for ident in record.identifiers:
            joins, why = _why(record.record_id, ident, holders[ident.key], rules)
            links.append(Link(record.record_id, ident.key, joins, why))
    return links


def _why(
    record_id: str, ident: HeldIdentifier, holders: list[str], rules: IdentityRules
) -> tuple[bool, str]:
    rule = rules.rule(ident.type)
    if ident.blocked or rules.is_blocked(Identifier(ident.type, ident.value)):
        return False, f"{ident.key} is a blocked value: it never joins records"
    if not rule.identifying:
        return False, f"{ident.type} is not an identifying type in the identity rules"
    cap = rule.degree_cap
    if ident.over_degree or (cap is not None and ident.customers > cap):
        return False, (
            f"{ident.key} is shared by {ident.customers} customers, over the degree cap of "
            f"{cap}: it stopped joining anyone"
        )
    others = [r for r in holders if r != record_id]
    strength = "weak (joins only where no stronger id disagrees)" if rule.weak else "strong"
    terms = f"{ident.type}: priority {rule.priority}, {strength}, limit {rule.limit} per customer"
    shared = ""
    if ident.customers > 1:
        shared = (
            f"; also held by {ident.customers - 1} other customer(s) it could not join "
            "(see conflicts)"
        )
    if not others:
        return True, f"only this record holds {ident.key} ({terms}){shared}"
    listed = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    return True, f"shares {ident.key} with record(s) {listed} ({terms}){shared}"
