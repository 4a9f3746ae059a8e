"""``graphcdp resolve``: a record file through the worker's resolution path into the graph."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

import pytest
from neo4j import AsyncDriver

from graphcdp.cli import main
from graphcdp.settings import Settings
from ingest.resolve_job import clear_graph, resolve_file, write_clusters

COLUMNS = ["record_id", "source", "first_name", "last_name", "email", "phone", "dob",
           "user_id", "anonymous_id", "updated_at"]  # fmt: skip


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in COLUMNS})


async def test_a_file_resolves_to_clusters_and_keeps_households_apart(
    settings: Settings, driver: AsyncDriver, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:10]
    n = int(tag[:6], 16)
    landline = f"+1415{200 + n % 800}{n % 10**4:04d}"  # an exchange from 200 up is valid
    rows = [
        # Ann: CRM row, then a web row with her email and an anonymous id, then the app.
        {"record_id": f"{tag}-1", "source": "crm", "first_name": "Ann", "last_name": "Lee",
         "email": f"ann-{tag}@example.org", "phone": landline, "dob": "1980-02-03",
         "updated_at": "2026-01-01T10:00:00Z"},
        {"record_id": f"{tag}-2", "source": "web", "email": f"ANN-{tag}@example.org ",
         "anonymous_id": f"anon-{tag}", "updated_at": "2026-02-01T10:00:00Z"},
        {"record_id": f"{tag}-3", "source": "mobile", "anonymous_id": f"anon-{tag}",
         "user_id": f"ann-{tag}", "email": f"ann-{tag}@example.org",
         "updated_at": "2026-03-01T10:00:00Z"},
        # Her anonymous id with another user id only: a shared browser, not Ann.
        {"record_id": f"{tag}-8", "source": "web", "anonymous_id": f"anon-{tag}",
         "user_id": f"kim-{tag}", "updated_at": "2026-03-02T10:00:00Z"},
        # Bo shares the landline, nothing else: a different person.
        {"record_id": f"{tag}-4", "source": "crm", "first_name": "Bo", "last_name": "Lee",
         "email": f"bo-{tag}@example.org", "phone": landline, "dob": "1982-05-06",
         "updated_at": "2026-01-02T10:00:00Z"},
        # A point-of-sale row with the landline and Bo's name joins Bo.
        {"record_id": f"{tag}-5", "source": "pos", "first_name": "Bo", "phone": landline,
         "updated_at": "2026-04-01T10:00:00Z"},
        # Junk: test@test.com joins no one.
        {"record_id": f"{tag}-6", "source": "support", "first_name": "Cy",
         "email": "test@test.com", "updated_at": "2026-04-02T10:00:00Z"},
        {"record_id": f"{tag}-1", "source": "crm", "email": f"dup-{tag}@example.org"},
        {"record_id": f"{tag}-7", "source": "crm", "first_name": "Nobody"},
    ]  # fmt: skip
    source = tmp_path / "records.csv"
    _write(source, rows)
    report = await resolve_file(settings, driver, source, require_empty=False, progress=None)
    clusters = report.clusters
    assert (report.records, report.duplicates, report.rejected) == (7, 1, 1)
    assert clusters[f"{tag}-1"] == clusters[f"{tag}-2"] == clusters[f"{tag}-3"]
    assert clusters[f"{tag}-4"] == clusters[f"{tag}-5"] != clusters[f"{tag}-1"]
    assert clusters[f"{tag}-6"] not in {clusters[f"{tag}-1"], clusters[f"{tag}-4"]}
    assert clusters[f"{tag}-8"] not in {clusters[f"{tag}-1"], clusters[f"{tag}-4"]}
    assert report.customers == 4
    assert report.blocked_identifiers == {"email:test@test.com"}
    assert (tmp_path / "records.csv.rejects.jsonl").read_text().count("\n") == 2
    output = tmp_path / "clusters.csv"
    write_clusters(report, output)
    with output.open() as out:
        written = {row["record_id"]: row["customer_id"] for row in csv.DictReader(out)}
    assert written == clusters


def test_resolve_refuses_a_non_empty_graph_without_fresh(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "records.csv"
    _write(source, [{"record_id": "x", "source": "crm", "email": "x@example.org"}])
    code = main(["resolve", "--input", str(source), "--output", str(tmp_path / "out.csv")])
    assert code == 2
    assert "the graph is not empty: pass --fresh" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


async def test_clear_graph_deletes_the_label_it_is_given_only(driver: AsyncDriver) -> None:
    label = f"Probe{uuid.uuid4().hex[:8]}"
    await driver.execute_query(f"UNWIND range(1, 25) AS i CREATE (:{label} {{i: i}})")
    before, _, _ = await driver.execute_query("MATCH (n) RETURN count(n) AS n")
    assert await clear_graph(driver, "neo4j", label) == 25
    after, _, _ = await driver.execute_query("MATCH (n) RETURN count(n) AS n")
    assert after[0]["n"] == before[0]["n"] - 25


def test_match_train_reads_the_records_in_the_graph(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    import json

    from bench.synthetic import generate, write
    from graph.driver import open_driver

    dataset = generate(200, 11)
    for row in dataset.records:  # ids of this run only
        row["record_id"] = f"mt-{uuid.uuid4().hex[:6]}-{row['record_id']}"
    write(dataset, tmp_path / "records.csv", tmp_path / "truth.csv")

    async def load() -> None:
        driver = await open_driver(settings)
        try:
            await resolve_file(settings, driver, tmp_path / "records.csv", require_empty=False,
                               progress=None)  # fmt: skip
        finally:
            await driver.close()

    asyncio.run(load())
    out = tmp_path / "model.json"
    assert main(["match", "train", "--from-graph", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"] >= 500
    saved = json.loads(out.read_text())
    assert saved["format"] == "graphcdp-model/1"
    assert saved["version"] == summary["version"]
    assert [c["name"] for c in saved["scoring"]["comparisons"]][:2] == ["first_name", "last_name"]
    assert (tmp_path / "model.mu-chart.html").stat().st_size > 10_000


def test_a_trained_model_is_stored_activated_and_listed(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.synthetic import generate, write

    write(generate(300, 13), tmp_path / "records.csv", tmp_path / "truth.csv")
    out = tmp_path / "model.json"
    try:
        assert main(["match", "train", "--input", str(tmp_path / "records.csv"),
                     "--out", str(out), "--activate"]) == 0  # fmt: skip
        version = json.loads(out.read_text())["version"]
        capsys.readouterr()
        assert main(["match", "list"]) == 0
        assert f"* {version}" in capsys.readouterr().out
        assert main(["match", "activate", "m-no-such-version"]) == 2
        assert "no stored model m-no-such-version" in capsys.readouterr().err
    finally:
        assert main(["match", "deactivate"]) == 0
    assert main(["match", "list"]) == 0
    assert f"* {version}" not in capsys.readouterr().out
