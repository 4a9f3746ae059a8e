"""Quality of an identity resolution against a labelled truth (see :mod:`bench.synthetic`).

Pure functions over ``truth`` (record_id -> true person id) and ``predicted`` (record_id ->
predicted cluster id). Only record ids present in both are scored; :func:`report` says how many
truth records the prediction is missing. Everything is computed from contingency counts (how
many records each (true id, predicted id) cell, true person and predicted cluster holds), in
time linear in the number of records: record pairs are counted, never enumerated.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    """Precision, recall and their harmonic mean."""

    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class _Counts:
    cells: Counter[tuple[str, str]]
    true_sizes: Counter[str]
    predicted_sizes: Counter[str]
    records: int


def _counts(truth: Mapping[str, str], predicted: Mapping[str, str]) -> _Counts:
    cells: Counter[tuple[str, str]] = Counter()
    for rid, true_id in truth.items():
        cluster = predicted.get(rid)
        if cluster is not None:
            cells[(true_id, cluster)] += 1
    true_sizes: Counter[str] = Counter()
    predicted_sizes: Counter[str] = Counter()
    for (true_id, cluster), n in cells.items():
        true_sizes[true_id] += n
        predicted_sizes[cluster] += n
    return _Counts(cells, true_sizes, predicted_sizes, sum(cells.values()))


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def pairwise(truth: Mapping[str, str], predicted: Mapping[str, str]) -> PRF:
    """Pairwise precision, recall and F1 over the record pairs put together.

    A pair is predicted when both records are in one predicted cluster and true when both
    belong to one person. Precision is 1.0 when no pair is predicted, recall is 1.0 when there
    is no true pair.
    """
    c = _counts(truth, predicted)
    together = sum(_pairs(n) for n in c.cells.values())
    predicted_pairs = sum(_pairs(n) for n in c.predicted_sizes.values())
    true_pairs = sum(_pairs(n) for n in c.true_sizes.values())
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    return PRF(precision, recall, _f1(precision, recall))


def bcubed(truth: Mapping[str, str], predicted: Mapping[str, str]) -> PRF:
    """B-cubed precision, recall and F1 (Bagga & Baldwin 1998), averaged over the records.

    A record's precision is the share of its predicted cluster that belongs to its person; its
    recall is the share of its person's records that are in its predicted cluster. With no
    record to score, both are 1.0.
    """
    c = _counts(truth, predicted)
    if not c.records:
        return PRF(1.0, 1.0, 1.0)
    precision = sum(n * n / c.predicted_sizes[p] for (_, p), n in c.cells.items()) / c.records
    recall = sum(n * n / c.true_sizes[t] for (t, _), n in c.cells.items()) / c.records
    return PRF(precision, recall, _f1(precision, recall))


def over_merged(truth: Mapping[str, str], predicted: Mapping[str, str]) -> list[str]:
    """The predicted cluster ids (sorted) that hold records of two or more true persons."""
    persons: dict[str, set[str]] = defaultdict(set)
    for rid, true_id in truth.items():
        cluster = predicted.get(rid)
        if cluster is not None:
            persons[cluster].add(true_id)
    return sorted(cluster for cluster, ids in persons.items() if len(ids) >= 2)


def over_merged_by_trap(
    truth: Mapping[str, str],
    predicted: Mapping[str, str],
    traps: Mapping[str, frozenset[str]],
) -> dict[str, int]:
    """For each trap name in ``traps``, how many over-merged clusters hold a record of it.

    A cluster counts once for every trap any of its (scored) records takes part in, so one
    cluster can count for several traps. Every trap name seen in ``traps`` is a key (sorted),
    with 0 when no over-merged cluster holds its records.
    """
    names = sorted({name for record_traps in traps.values() for name in record_traps})
    merged = set(over_merged(truth, predicted))
    seen: dict[str, set[str]] = defaultdict(set)
    for rid in truth:
        cluster = predicted.get(rid)
        if cluster in merged:
            seen[cluster].update(traps.get(rid, frozenset()))
    counts = Counter(name for cluster_traps in seen.values() for name in cluster_traps)
    return {name: counts[name] for name in names}


def report(
    truth: Mapping[str, str],
    predicted: Mapping[str, str],
    traps: Mapping[str, frozenset[str]],
) -> dict[str, object]:
    """Every measure of this module as a JSON-ready dict (floats rounded to 4 places).

    Keys: ``records`` (scored: in both truth and prediction), ``missing`` (truth records
    absent from the prediction), ``true_persons`` and ``clusters`` (among the scored
    records), ``pairwise_precision``, ``pairwise_recall``, ``pairwise_f1``,
    ``bcubed_precision``, ``bcubed_recall``, ``bcubed_f1``, ``over_merged_clusters`` and
    ``over_merged_by_trap``.
    """
    c = _counts(truth, predicted)
    pair = pairwise(truth, predicted)
    b3 = bcubed(truth, predicted)
    return {
        "records": c.records,
        "missing": len(truth) - c.records,
        "true_persons": len(c.true_sizes),
        "clusters": len(c.predicted_sizes),
        "pairwise_precision": round(pair.precision, 4),
        "pairwise_recall": round(pair.recall, 4),
        "pairwise_f1": round(pair.f1, 4),
        "bcubed_precision": round(b3.precision, 4),
        "bcubed_recall": round(b3.recall, 4),
        "bcubed_f1": round(b3.f1, 4),
        "over_merged_clusters": len(over_merged(truth, predicted)),
        "over_merged_by_trap": over_merged_by_trap(truth, predicted, traps),
    }
