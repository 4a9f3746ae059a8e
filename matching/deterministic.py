"""Deterministic resolution of a batch of observations: pure logic over plain values.

Records that share an identifier belong to one customer. Given the batch and, for each of its
identifier keys, the customers those keys already lead to, :func:`plan` says which customer
each record joins, which customers are created, and which merge into which (the oldest
customer survives, so customer ids stay stable). Merge protection (limits, degree caps,
blocked values) arrives with the identity-rules issue and will plug in here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from graph.model import Assignment, ExistingCustomer, Observation, new_customer_id


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def plan(
    batch: Sequence[Observation],
    existing: Mapping[str, Iterable[ExistingCustomer]],
) -> list[Assignment]:
    """Cluster ``batch`` with the customers its identifier keys already lead to.

    Args:
        batch: new observations (records already in the graph must be left out).
        existing: identifier key -> customers reachable through that key today.

    Returns:
        One assignment per cluster, in the order of each cluster's first record.
    """
    uf = _UnionFind()
    customers: dict[str, ExistingCustomer] = {}
    for obs in batch:
        node = "r:" + obs.record_id
        uf.find(node)
        for ident in obs.identifiers:
            uf.union(node, "k:" + ident.key)
            for customer in existing.get(ident.key, ()):
                customers[customer.customer_id] = customer
                uf.union(node, "c:" + customer.customer_id)
    clusters: dict[str, list[str]] = {}
    members: dict[str, list[ExistingCustomer]] = {}
    for obs in batch:
        clusters.setdefault(uf.find("r:" + obs.record_id), []).append(obs.record_id)
    for customer in customers.values():
        members.setdefault(uf.find("c:" + customer.customer_id), []).append(customer)
    new_records = set(_new_records(batch, existing))
    result = []
    for root, record_ids in clusters.items():
        found = sorted(members.get(root, []), key=lambda c: (c.created_at, c.customer_id))
        fresh = tuple(r for r in record_ids if r in new_records)
        if found:
            survivor, losers = found[0].customer_id, tuple(c.customer_id for c in found[1:])
            result.append(Assignment(survivor, False, tuple(record_ids), losers, fresh))
        else:
            customer_id = new_customer_id(record_ids[0])
            result.append(Assignment(customer_id, True, tuple(record_ids), (), fresh))
    return result


def _new_records(
    batch: Sequence[Observation], existing: Mapping[str, Iterable[ExistingCustomer]]
) -> list[str]:
    """The observations that teach the graph something about identity, in batch order.

    Identify calls and record rows always do (``always_record``). A track or page call does
    only when it brings an identifier the graph does not know yet, or links customers that
    were apart; otherwise its event simply joins the customer, and the identity graph keeps
    one Record per identity fact instead of one per event.
    """
    known = {key for key, customers in existing.items() if list(customers)}
    links_seen: set[frozenset[str]] = set()
    chosen = []
    for obs in batch:
        keys = {i.key for i in obs.identifiers}
        linked = frozenset(c.customer_id for k in keys for c in existing.get(k, ()))
        new_link = len(linked) > 1 and linked not in links_seen
        if obs.always_record or not keys <= known or new_link:
            chosen.append(obs.record_id)
            known |= keys
            links_seen.add(linked)
    return chosen
