"""The model's view of a record and the blocking keys it is found by."""

from __future__ import annotations

import pytest

from graph.model import Observation
from graph.repository.identity import _BLOCKING_PROPS, _lookup
from matching.features import (
    BLOCKING_RULES,
    blocking_keys,
    model_record,
    splink_blocking_rules,
    swapped_names_key,
)

pytestmark = pytest.mark.unit

PERSON = {
    "first_name": " Ewan ", "last_name": "Whiteley", "dob": "1984-02-05T00:00:00Z",
    "email": "Ewan.W@Example.com", "address_line": "23 Bennelong  Crescent",
    "postcode": "31 71", "city": "Glen Innes",
}  # fmt: skip


def test_a_record_is_normalised_and_keyed_by_every_rule_it_has_columns_for() -> None:
    record = model_record("r1", PERSON)
    assert record["first_name"] == "ewan"
    assert record["address_line"] == "23 bennelong crescent"
    assert record["postcode"] == "3171"
    assert record["dob"] == "1984-02-05"
    keys = dict(blocking_keys(record))
    assert keys["bk_names"] == "ewan|whiteley"
    assert keys["bk_addr_city"] == "23 bennelong crescent|glen innes"
    assert keys["bk_dob_city"] == "1984-02-05|glen innes"
    assert "bk_phone" not in keys  # no phone, no key
    assert set(keys) == set(BLOCKING_RULES) - {"bk_phone"}


def test_swapped_names_are_sought_where_the_other_order_is_stored() -> None:
    swapped = model_record("r2", PERSON | {"first_name": "Whiteley", "last_name": "Ewan"})
    assert swapped_names_key(swapped) == dict(blocking_keys(model_record("r1", PERSON)))["bk_names"]
    # The repository builds the same lookup from the observation's keys alone.
    row = _lookup(_observation("r2", blocking_keys(swapped)))
    assert row["bk_names_swapped"] == "ewan|whiteley"
    assert set(_BLOCKING_PROPS) == set(BLOCKING_RULES)
    no_last = _lookup(_observation("r3", (("bk_email", "a@b.c"),)))
    assert no_last["bk_names_swapped"] is None
    assert no_last["bk_phone"] is None


def test_splink_blocks_on_the_same_rules_plus_the_swap() -> None:
    rules = [r.get_blocking_rule("duckdb").blocking_rule_sql for r in splink_blocking_rules()]
    assert len(rules) == len(BLOCKING_RULES) + 1
    assert (
        'l."address_line" = r."address_line"' in rules[list(BLOCKING_RULES).index("bk_addr_city")]
    )
    assert rules[-1] == "l.first_name = r.last_name and l.last_name = r.first_name"


def _observation(record_id: str, blocking: tuple[tuple[str, str], ...]) -> Observation:
    now = "2026-11-27T00:00:00.000Z"
    return Observation(record_id, "crm", now, now, (), blocking=blocking)


def test_spark_settings_refuse_a_model_with_other_levels() -> None:
    from matching.spark import ModelMismatch, spark_settings

    trained = {
        "link_type": "dedupe_only", "unique_id_column_name": "record_id",
        "probability_two_random_records_match": 0.001,
        "comparisons": [{"output_column_name": "first_name", "comparison_levels": [{}]}],
    }  # fmt: skip
    with pytest.raises(ModelMismatch, match="first_name: the model has other levels"):
        spark_settings(trained)
