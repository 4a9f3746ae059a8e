"""graphcdp import: files through Kafka and the worker into the graph, rejects reported."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from graphcdp.settings import Settings
from tests.e2e.graph_check import wait_rows


def _import(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "graphcdp.cli", "import", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_records_csv_with_a_mapping(service: str, settings: Settings, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:10]
    csv_file = tmp_path / "crm.csv"
    csv_file.write_text(
        "Id,Email,Phone,First,Last,Birth\n"
        f"{tag}-1,Zed.{tag}@Example.com,+1 212 555 0134,Zed,One,1980-01-02\n"
        f"{tag}-2,zed.{tag}@example.com,,Zed,,1980-01-02\n"
        f"{tag}-3,,,No,Ids,\n"
        f"{tag}-4,{tag}-bad@nowhere,,Bad,Date,31/12/1980\n"
        f"{tag}-1,dupe@example.com,,,,\n"
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns: {record_id: Id, email: Email, phone: Phone, first_name: First,"
        " last_name: Last, dob: Birth}\nconstants: {source: crm}\n"
    )
    report = _import("records", str(csv_file), "--mapping", str(mapping))
    assert (report["accepted"], report["rejected"], report["duplicates"]) == (2, 2, 1)
    rejects = [
        json.loads(line) for line in Path(str(report["rejects_file"])).read_text().splitlines()
    ]
    assert [(r["line"], r["reason"].split(":")[0]) for r in rejects] == [
        (4, "email"),
        (5, "dob"),
        (6, f"duplicate record_id '{tag}-1' (first seen on line 2)"),
    ]
    assert rejects[1]["row"]["Birth"] == "31/12/1980"  # the row as it was in the file
    rows = wait_rows(
        settings,
        "MATCH (r:Record)-[:BELONGS_TO]->(c:Customer) WHERE r.record_id STARTS WITH $tag "
        "RETURN r.record_id AS id, c.customer_id AS customer, c.email AS email, c.dob AS dob, "
        "c.phone AS phone",
        2,
        tag=tag,
    )
    assert len({r["customer"] for r in rows}) == 1
    assert rows[0]["email"] == f"zed.{tag}@example.com"
    assert rows[0]["dob"] == "1980-01-02"
    assert rows[0]["phone"] == "+12125550134"


def test_events_jsonl_import_is_idempotent(
    service: str, settings: Settings, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:10]
    events = tmp_path / "events.jsonl"
    lines = [
        {"type": "track", "userId": f"{tag}-u", "event": "Order Completed",
         "properties": {"revenue": 10}, "timestamp": "2026-11-01T10:00:00Z"},
        {"type": "page", "userId": f"{tag}-u", "name": "Home", "timestamp": "2026-11-01T09:00:00Z"},
        {"type": "track", "userId": f"{tag}-u"},
    ]  # fmt: skip
    events.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    first = _import("events", str(events), "--source", "backfill")
    assert (first["accepted"], first["rejected"]) == (2, 1)
    second = _import("events", str(events), "--source", "backfill")
    assert second["accepted"] == 2
    query = (
        "MATCH (c:Customer)-[:PERFORMED]->(e:Event) WHERE e.via = $via "
        "RETURN e.name AS name, e.source AS source, e.timestamp AS ts ORDER BY ts"
    )
    rows = wait_rows(settings, query, 2, via=f"user_id:{tag}-u")
    assert [(r["name"], r["source"]) for r in rows] == [
        ("Home", "backfill"),
        ("Order Completed", "backfill"),
    ]
    # The second import produced the same message ids. A sentinel on the same partition key
    # (so the same partition, behind the replays) shows when the worker is past them.
    sentinel = tmp_path / "sentinel.jsonl"
    sentinel.write_text(json.dumps({"type": "track", "userId": f"{tag}-u", "event": "Zz"}) + "\n")
    _import("events", str(sentinel))
    rows = wait_rows(settings, query, 3, via=f"user_id:{tag}-u")
    assert [r["name"] for r in rows] == ["Home", "Order Completed", "Zz"]
