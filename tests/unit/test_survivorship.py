"""Survivorship policies over golden-attribute statistics, table-driven."""

from __future__ import annotations

import random

import pytest

from matching.survivorship import (
    StatedRecord,
    SurvivorshipError,
    SurvivorshipPolicy,
    combine,
    dumps,
    golden,
    load_policy,
    loads,
    stats_of,
)

pytestmark = pytest.mark.unit

RECORDS = [
    StatedRecord("r1", "web", "2026-01-01", {"first_name": "Bob", "email": "b@x.co"}),
    StatedRecord("r2", "crm", "2026-02-01", {"first_name": "Robert", "city": "Leeds"}),
    StatedRecord("r3", "web", "2026-03-01", {"first_name": "Bob", "city": "York"}),
    StatedRecord("r4", "pos", "2026-04-01", {"first_name": "Rob", "email": "rob@x.co"}),
]


@pytest.mark.parametrize(
    ("policy", "expected", "record"),
    [
        ("most_recent", "Rob", "r4"),
        ("source_priority", "Robert", "r2"),  # crm ranks first
        ("most_frequent", "Bob", "r3"),  # two records; the newest of them is the provenance
        ("first_seen", "Bob", "r1"),
    ],
)
def test_each_policy_picks_its_winner_with_provenance(
    policy: str, expected: str, record: str
) -> None:
    chosen = SurvivorshipPolicy(attributes={"first_name": policy})  # type: ignore[dict-item]
    result = golden(stats_of(RECORDS, chosen), chosen)
    assert result.values["first_name"] == expected
    assert result.provenance["first_name"]["record_id"] == record
    assert result.provenance["first_name"]["policy"] == policy


def test_defaults_names_by_source_rank_and_contacts_by_recency() -> None:
    result = golden(stats_of(RECORDS))
    assert result.values == {"first_name": "Robert", "email": "rob@x.co", "city": "York"}


def test_unranked_sources_come_last_and_ties_go_to_the_newest() -> None:
    policy = SurvivorshipPolicy(default="source_priority", sources=("crm",))
    records = [
        StatedRecord("a", "kiosk", "2026-01-01", {"city": "Ely"}),
        StatedRecord("b", "partner", "2026-05-01", {"city": "Bath"}),
    ]
    assert golden(stats_of(records, policy), policy).values["city"] == "Bath"


def test_combined_statistics_equal_those_of_all_records_at_once() -> None:
    rng = random.Random(3)
    records = [
        StatedRecord(f"r{i}", rng.choice(["crm", "web", "pos", "x"]), f"2026-0{rng.randint(1, 9)}",
                     {"city": rng.choice(["A", "B", "C"]), "n": rng.choice([1, "1", 2])})
        for i in range(60)
    ]  # fmt: skip
    parts = [stats_of(records[i::3]) for i in range(3)]
    assert dumps(combine(*parts)) == dumps(stats_of(records))
    for policy in ("most_recent", "source_priority", "most_frequent", "first_seen"):
        chosen = SurvivorshipPolicy(default=policy)  # type: ignore[arg-type]
        assert golden(combine(*parts), chosen) == golden(stats_of(records), chosen)


def test_statistics_survive_json_and_keep_value_types() -> None:
    stats = stats_of([StatedRecord("r", "crm", "t", {"n": 5, "s": "5", "ok": True})])
    again = loads(dumps(stats))
    assert dumps(again) == dumps(stats)
    assert golden(again).values == {"n": 5, "s": "5", "ok": True}
    assert loads(None) == {}


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ([], "survivorship"),
        ({"colour": 1}, "survivorship.colour"),
        ({"default": "loudest"}, "survivorship.default"),
        ({"attributes": {"email": "oldest"}}, "survivorship.attributes.email"),
        ({"sources": "crm"}, "survivorship.sources"),
    ],
)
def test_bad_policies_name_the_key(section: object, key: str) -> None:
    with pytest.raises(SurvivorshipError, match=rf"^{key}"):
        load_policy(section)


def test_a_policy_section_overrides_the_defaults() -> None:
    policy = load_policy({"attributes": {"email": "first_seen"}, "sources": ["pos", "crm"]})
    assert policy.policy("email") == "first_seen"
    assert policy.policy("first_name") == "source_priority"
    assert policy.rank("crm") == 1
