"""Model verdicts: corroboration beyond names, and the explanation's shape."""

from __future__ import annotations

import json

import pytest

from matching.realtime import corroborated, explain
from matching.scorer import Contribution, Score

pytestmark = pytest.mark.unit


def _score(*parts: tuple[str, str, float]) -> Score:
    contributions = tuple(Contribution(c, level, 1, w, 0.0) for c, level, w in parts)
    return Score(sum(w for _, _, w in parts), 0.999, contributions)


@pytest.mark.parametrize(
    ("parts", "linked"),
    [
        ([("first_name", "Exact match on first_name", 6.0),
          ("last_name", "Exact match on last_name", 7.0), ("city", "Exact match on city", 1.0)],
         False),
        ([("first_name", "Exact match on first_name", 6.0),
          ("email", "Exact match on username", 9.6)], False),
        ([("first_name", "Exact match on first_name", 6.0),
          ("email", "Exact match on email", 11.6)], True),
        ([("last_name", "Exact match on last_name", 7.0), ("dob", "Exact match on dob", 11.0)],
         True),
        ([("last_name", "Exact match on last_name", 7.0), ("phone", "All other", -1.0)], False),
    ],
)  # fmt: skip
def test_a_link_needs_more_than_a_name(parts: list[tuple[str, str, float]], linked: bool) -> None:
    assert corroborated(_score(*parts)) is linked


def test_the_explanation_lists_every_comparison_in_order() -> None:
    steps = json.loads(explain(_score(("first_name", "Exact", 6.123456), ("dob", "Else", -2.0))))
    assert steps == [
        {"comparison": "first_name", "level": "Exact", "weight": 6.1235, "tf_adjustment": 0.0},
        {"comparison": "dob", "level": "Else", "weight": -2.0, "tf_adjustment": 0.0},
    ]


async def test_the_model_source_follows_the_active_version() -> None:
    from matching.realtime import ModelSource, Thresholds
    from matching.train import TrainedModel

    spec = {"version": "v1", "prior_weight": -10.0, "comparisons": []}
    texts = {v: TrainedModel(v, {}, {**spec, "version": v}).text() for v in ("v1", "v2")}
    active: list[str | None] = [None]
    fetched: list[str] = []
    now = [0.0]

    async def current() -> str | None:
        return active[0]

    async def fetch(version: str) -> str | None:
        fetched.append(version)
        return texts.get(version)

    source = ModelSource(current, fetch, Thresholds(), clock=lambda: now[0])
    assert await source.current() is None
    active[0], now[0] = "v1", 6.0
    assert (await source.current()).version == "v1"  # type: ignore[union-attr]
    now[0] = 8.0
    assert (await source.current()).version == "v1"  # type: ignore[union-attr]
    active[0], now[0] = "v2", 12.0
    assert (await source.current()).version == "v2"  # type: ignore[union-attr]
    active[0], now[0] = "gone", 18.0
    assert await source.current() is None  # an unknown version turns matching off
    assert fetched == ["v1", "v2", "gone"]


def test_an_accepted_review_still_obeys_limits_and_splits() -> None:
    from graph.model import Identifier
    from matching.review import merge_refusal
    from matching.rules import DEFAULT_RULES

    ann, bob = [Identifier.of("user_id", "ann")], [Identifier.of("user_id", "bob")]
    email = [Identifier.of("email", "a@x.co")]
    assert merge_refusal(DEFAULT_RULES, ann, email, [], [], "c1", "c2") is None
    assert "identifier limit" in str(merge_refusal(DEFAULT_RULES, ann, bob, [], [], "c1", "c2"))
    assert "kept apart" in str(merge_refusal(DEFAULT_RULES, ann, email, ["c2"], [], "c1", "c2"))
