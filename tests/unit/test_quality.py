"""bench.quality: pairwise and B-cubed scores, over-merges, against hand-computed numbers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bench.quality import PRF, bcubed, over_merged, over_merged_by_trap, pairwise, report

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Case:
    truth: dict[str, str]
    predicted: dict[str, str]
    pairwise: PRF
    bcubed: PRF
    over_merged: list[str]


FIVE = {"a": "1", "b": "1", "c": "1", "d": "2", "e": "2"}
# Bagga & Baldwin's example: true {1..5} {6,7} {8..C}, response {1..5} {6..C}.
TEXTBOOK_TRUTH = {str(i): "A" for i in range(1, 6)} | {"6": "B", "7": "B"}
TEXTBOOK_TRUTH |= {k: "C" for k in ("8", "9", "10", "11", "12")}
TEXTBOOK_PREDICTED = {k: ("X" if k in {"1", "2", "3", "4", "5"} else "Y") for k in TEXTBOOK_TRUTH}

CASES = {
    "perfect": Case(
        truth={"a": "1", "b": "1", "c": "2", "d": "3"},
        predicted={"a": "X", "b": "X", "c": "Y", "d": "Z"},
        pairwise=PRF(1.0, 1.0, 1.0),
        bcubed=PRF(1.0, 1.0, 1.0),
        over_merged=[],
    ),
    # No predicted pair: precision 1.0 by definition; true pairs 3 + 1, none found.
    # B-cubed recall: a, b, c 1/3 each, d, e 1/2 each -> 2/5; F1 = 0.8 / 1.4.
    "all singletons": Case(
        truth=FIVE,
        predicted={k: f"s{k}" for k in FIVE},
        pairwise=PRF(1.0, 0.0, 0.0),
        bcubed=PRF(1.0, 0.4, 0.8 / 1.4),
        over_merged=[],
    ),
    # 10 predicted pairs, 4 of them true. B-cubed precision (3 * 3/5 + 2 * 2/5) / 5 = 13/25.
    "one cluster": Case(
        truth=FIVE,
        predicted=dict.fromkeys(FIVE, "all"),
        pairwise=PRF(0.4, 1.0, 0.8 / 1.4),
        bcubed=PRF(13 / 25, 1.0, 2 * 0.52 / 1.52),
        over_merged=["all"],
    ),
    # Pairs: 21 true, 31 predicted (10 + 21), 21 together. B-cubed precision:
    # (5 * 1 + 2 * 2/7 + 5 * 5/7) / 12 = 16/21; F1 = 2 * 16/21 / (37/21) = 32/37.
    "textbook": Case(
        truth=TEXTBOOK_TRUTH,
        predicted=TEXTBOOK_PREDICTED,
        pairwise=PRF(21 / 31, 1.0, 42 / 52),
        bcubed=PRF(16 / 21, 1.0, 32 / 37),
        over_merged=["Y"],
    ),
    # X holds persons 1 (a, b) and 2 (c); person 3 is split over Y and Z.
    # Pairs: predicted 3 (X), true 2 (ab, de), together 1 (ab) -> P 1/3, R 1/2, F1 0.4.
    # B-cubed P: (2/3 + 2/3 + 1/3 + 1 + 1) / 5 = 11/15; R: (1 + 1 + 1 + 1/2 + 1/2) / 5 = 4/5;
    # F1 = 2 * (44/75) / (23/15) = 88/115.
    "over-merge": Case(
        truth={"a": "1", "b": "1", "c": "2", "d": "3", "e": "3"},
        predicted={"a": "X", "b": "X", "c": "X", "d": "Y", "e": "Z"},
        pairwise=PRF(1 / 3, 0.5, 0.4),
        bcubed=PRF(11 / 15, 0.8, 88 / 115),
        over_merged=["X"],
    ),
    # c is missing from the prediction and z is not in the truth: only a and b are scored.
    "missing record": Case(
        truth={"a": "1", "b": "1", "c": "2"},
        predicted={"a": "X", "b": "X", "z": "Q"},
        pairwise=PRF(1.0, 1.0, 1.0),
        bcubed=PRF(1.0, 1.0, 1.0),
        over_merged=[],
    ),
}


def _close(actual: PRF, expected: PRF) -> None:
    assert actual.precision == pytest.approx(expected.precision)
    assert actual.recall == pytest.approx(expected.recall)
    assert actual.f1 == pytest.approx(expected.f1)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_pairwise(case: Case) -> None:
    _close(pairwise(case.truth, case.predicted), case.pairwise)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bcubed(case: Case) -> None:
    _close(bcubed(case.truth, case.predicted), case.bcubed)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_over_merged(case: Case) -> None:
    assert over_merged(case.truth, case.predicted) == case.over_merged


def test_cluster_ids_are_only_labels() -> None:
    case = CASES["over-merge"]
    renamed = {rid: f"cluster-{cluster}" for rid, cluster in case.predicted.items()}
    _close(pairwise(case.truth, renamed), case.pairwise)
    _close(bcubed(case.truth, renamed), case.bcubed)


def test_nothing_to_score() -> None:
    _close(pairwise({}, {}), PRF(1.0, 1.0, 1.0))
    _close(bcubed({"a": "1"}, {}), PRF(1.0, 1.0, 1.0))


def test_over_merged_by_trap_counts_each_cluster_once_per_trap() -> None:
    truth = {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "6"}
    predicted = {"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Z", "f": "W", "g": "W"}
    traps = {
        "a": frozenset({"kiosk"}),
        "b": frozenset({"kiosk"}),
        "c": frozenset({"household"}),
        "d": frozenset({"household", "junk"}),
        "e": frozenset({"twins"}),
        "f": frozenset({"common_name"}),
        "g": frozenset(),
    }
    assert over_merged_by_trap(truth, predicted, traps) == {
        "common_name": 0,
        "household": 1,
        "junk": 1,
        "kiosk": 1,
        "twins": 0,
    }


def test_report() -> None:
    case = CASES["over-merge"]
    truth = case.truth | {"f": "4"}  # missing from the prediction
    traps = {"a": frozenset(), "c": frozenset({"household"}), "e": frozenset({"junk"})}
    assert report(truth, case.predicted, traps) == {
        "records": 5,
        "missing": 1,
        "true_persons": 3,
        "clusters": 3,
        "pairwise_precision": 0.3333,
        "pairwise_recall": 0.5,
        "pairwise_f1": 0.4,
        "bcubed_precision": 0.7333,
        "bcubed_recall": 0.8,
        "bcubed_f1": 0.7652,
        "over_merged_clusters": 1,
        "over_merged_by_trap": {"household": 1, "junk": 0},
    }
