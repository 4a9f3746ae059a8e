"""The in-process scorer gives Splink's own scores: 10,000 pairs scored both ways.

Splink 5 and DuckDB run in-process here (no server): a model is trained on labelled
synthetic records, then Splink's ``score_pairs`` and :class:`matching.scorer.Scorer` score the
same 100 x 100 pairs (100 true pairs on the diagonal, the rest random), with the same
term-frequency values. Every comparison level chosen and every match weight must agree.
"""

from __future__ import annotations

import collections
import random
import statistics
from typing import Any

import pytest

from bench.synthetic import generate
from matching.features import model_record
from matching.scorer import Scorer
from matching.train import TrainedModel, load_model, train

pytestmark = pytest.mark.unit

TF_COLUMNS = ("first_name", "last_name", "email", "city")


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    dataset = generate(800, 3)
    out: list[dict[str, Any]] = [model_record(r["record_id"], r) for r in dataset.records]
    freq = {c: collections.Counter(r[c] for r in out if r[c]) for c in TF_COLUMNS}
    total = {c: sum(freq[c].values()) for c in TF_COLUMNS}
    for r in out:
        r["person"] = dataset.truth[r["record_id"]]
        for c in TF_COLUMNS:
            r["tf_" + c] = freq[c][r[c]] / total[c] if r[c] else None
    return out


@pytest.fixture(scope="module")
def model(records: list[dict[str, Any]]) -> TrainedModel:
    features = [{k: v for k, v in r.items() if k != "person" and not k.startswith("tf_")}
                for r in records]  # fmt: skip
    return train(features, max_pairs=3e5, seed=2)


def test_ten_thousand_pairs_score_as_splink_scores_them(
    records: list[dict[str, Any]], model: TrainedModel
) -> None:
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI, Linker

    by_person: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in records:
        by_person[r["person"]].append({k: v for k, v in r.items() if k != "person"})
    people = [rs for rs in by_person.values() if len(rs) >= 2]
    random.Random(1).shuffle(people)
    left, right = [p[0] for p in people[:100]], [p[1] for p in people[:100]]
    plain = [{k: v for k, v in r.items() if k != "person"} for r in records]
    db = DuckDBAPI(connection=duckdb.connect())
    linker = Linker(db.register(pa.Table.from_pylist(plain)), model.splink)
    rows = linker.inference.score_pairs(left, right).as_record_list()
    assert len(rows) == 10_000
    scorer = Scorer(model.scoring)
    by_id = {r["record_id"]: r for r in plain}
    worst = 0.0
    for row in rows:
        score = scorer.score(by_id[row["record_id_l"]], by_id[row["record_id_r"]])
        levels = {c.comparison: c.value for c in score.contributions}
        assert {k[6:]: v for k, v in row.items() if k.startswith("gamma_")} == levels
        # Splink's levels alone (batch linking's path) give the same score, to the last bit
        gammas = [row["gamma_" + c.name] for c in scorer.comparisons]
        left_r, right_r = by_id[row["record_id_l"]], by_id[row["record_id_r"]]
        assert scorer.score_levels(gammas, left_r, right_r) == score
        worst = max(worst, abs(score.match_weight - row["match_weight"]))
        assert score.probability == pytest.approx(row["match_probability"], abs=1e-9)
    assert worst < 1e-6
    # The model tells true pairs apart (many true pairs share little: a web and a CRM record).
    weights = {(row["record_id_l"], row["record_id_r"]): row["match_weight"] for row in rows}
    true = {(a["record_id"], b["record_id"]) for a, b in zip(left, right, strict=True)}
    assert statistics.mean(weights[p] for p in true) > 10 + statistics.mean(
        w for p, w in weights.items() if p not in true
    )


def test_a_saved_model_loads_back_with_its_summary(model: TrainedModel, tmp_path: Any) -> None:
    path = tmp_path / "model.json"
    model.save(path)
    again = load_model(path)
    assert (again.version, again.scoring, again.summary) == (
        model.version,
        model.scoring,
        model.summary,
    )
    assert model.summary["records"] > 1000
    assert 0 < model.summary["probability_two_random_records_match"] < 0.01
    assert "<html" in model.chart_html.lower()
