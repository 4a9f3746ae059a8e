"""Batch linking's preparation: purged blocking keys, and write lanes that share no record."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from ingest.link_job import lanes
from matching.features import BLOCKING_RULES, blocking_keys, purged_keys_sql

pytestmark = pytest.mark.unit


def test_lanes_share_no_record_and_keep_every_verdict() -> None:
    rnd = random.Random(5)
    verdicts = [{"from": f"r{rnd.randrange(400)}", "to": f"r{rnd.randrange(400)}", "n": i}
                for i in range(300)]  # fmt: skip
    parts = lanes(verdicts, 2)
    assert sorted(v["n"] for part in parts for v in part) == list(range(300))
    records = [{r for v in part for r in (v["from"], v["to"])} for part in parts]
    assert not records[0] & records[1]
    assert all(parts)  # 300 random pairs over 400 records make many groups: both lanes work


def test_purged_keys_are_the_blocking_keys_except_for_large_blocks() -> None:
    people = [{"record_id": f"r{i}", "first_name": "john", "last_name": "smith",
               "dob": f"1980-01-{i % 28 + 1:02d}", "email": None, "postcode": ""}
              for i in range(6)]  # fmt: skip
    people.append({"record_id": "r_ada", "first_name": "ada", "last_name": "lovelace",
                   "dob": "1815-12-10", "email": "ada@example.com", "postcode": "W1"})  # fmt: skip
    columns = sorted({c for cols in BLOCKING_RULES.values() for c in cols} | {"record_id"})
    table = pa.Table.from_pylist([{c: p.get(c) for c in columns} for p in people])
    con = duckdb.connect()
    con.register("people", table)
    rows = con.sql(purged_keys_sql("people", limit=5)).to_arrow_table().to_pylist()
    by_id = {r["record_id"]: r for r in rows}
    for person in people:
        kept = by_id[person["record_id"]]
        expected = dict(blocking_keys(person))
        if person["first_name"] == "john":
            expected.pop("bk_names")  # six records share it, over the limit of five
        assert {k: kept[k] for k in BLOCKING_RULES if kept[k] is not None} == expected
