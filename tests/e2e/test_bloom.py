"""The Bloom perspective on a real demo graph: ``graphcdp demo load`` through the running
service, every label, property and relationship type the perspective names present in the
graph's schema, every search phrase answering with the demo's rows; and graph exports of a
demo customer, the Cypher one loaded back into Neo4j."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from neo4j import GraphDatabase, graph

from graph.bloom import CATEGORIES, written_labels_and_types
from graph.driver import open_driver
from graph.export import GRAPHML_NS, label_keys, to_cypher, to_graphml, to_json
from graph.repository.activations import ActivationRepository
from graph.repository.neighbourhood import NeighbourhoodRepository, Subgraph
from graphcdp.settings import Settings
from ingest.demo import DemoNames, load_demo
from tests.e2e.graph_check import query

pytestmark = pytest.mark.e2e

CHECKED_IN = Path(__file__).resolve().parents[2] / "bloom" / "graphcdp.perspective.json"
TESTED_PHRASES = {
    "customer with email $email",
    "who shares a device with $email",
    "household of $customer",
    "identity graph of $customer",
    "why are $a and $b the same customer",
    "members of segment $name",
    "conflicts in the last $days days",
}


@dataclass(frozen=True)
class Demo:
    names: DemoNames
    ada: str
    ada_before: str  # Ada's anonymous customer, merged into her identified one
    charles: str
    grace: str
    bob: str


def _customer_of(settings: Settings, key: str) -> str:
    rows = query(
        settings,
        "MATCH (:Identifier {key: $key})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->"
        "(c:Customer) RETURN DISTINCT c.customer_id AS id",
        key=key,
    )
    assert len(rows) == 1, rows
    return str(rows[0]["id"])


@pytest.fixture(scope="module")
def demo(service: str, settings: Settings) -> Iterator[Demo]:
    names = DemoNames(uuid.uuid4().hex[:10])
    sent, segments = load_demo(service, settings, tag=names.tag)
    assert sent == 14
    assert len(segments) == 2
    ada = _customer_of(settings, f"user_id:u-ada{names.suffix}")
    merged = query(settings, "MATCH (c:Customer)-[:MERGED_INTO]->(:Customer {customer_id: $id}) "
                   "RETURN c.customer_id AS id", id=ada)  # fmt: skip
    assert len(merged) == 1
    # A destination, as createDestination saves one (the demo activates nothing).
    destination = asyncio.run(_destination(settings, names))
    yield Demo(names, ada, str(merged[0]["id"]),
               _customer_of(settings, f"user_id:u-charles{names.suffix}"),
               _customer_of(settings, f"user_id:u-grace{names.suffix}"),
               _customer_of(settings, f"user_id:u-bob{names.suffix}"))  # fmt: skip
    query(settings, "MATCH (d:Destination {destination_id: $id}) DETACH DELETE d", id=destination)


async def _destination(settings: Settings, names: DemoNames) -> str:
    driver = await open_driver(settings)
    try:
        saved = await ActivationRepository(driver, settings.neo4j_database).save_destination(
            f"Demo files{names.name_suffix}", "file", {"directory": "/tmp", "format": "csv"},
            None, None, False, 1.0, 1,
        )  # fmt: skip
        return str(saved["destination_id"])
    finally:
        await driver.close()


def test_the_perspective_names_only_what_the_graph_has(demo: Demo, settings: Settings) -> None:
    p = json.loads(CHECKED_IN.read_text(encoding="utf-8"))
    constrained = {row["labels"][0] for row in query(
        settings, "SHOW CONSTRAINTS YIELD labelsOrTypes AS labels, type "
        "WHERE type = 'UNIQUENESS' RETURN labels")}  # fmt: skip
    node_props: dict[str, set[str]] = {}
    for row in query(settings, "CALL db.schema.nodeTypeProperties() YIELD nodeLabels, "
                     "propertyName RETURN nodeLabels, propertyName"):  # fmt: skip
        for label in row["nodeLabels"]:
            node_props.setdefault(label, set()).add(row["propertyName"])
    rel_props: dict[str, set[str]] = {}
    for row in query(settings, "CALL db.schema.relTypeProperties() YIELD relType, "
                     "propertyName RETURN relType, propertyName"):  # fmt: skip
        rel_props.setdefault(row["relType"].strip(":`"), set()).add(row["propertyName"])
    all_types = "CALL db.relationshipTypes() YIELD relationshipType AS t RETURN t"
    types = {row["t"] for row in query(settings, all_types)}
    _, written = written_labels_and_types()
    # Labels and their properties: on the graph's nodes (the demo and a destination).
    assert set(p["labels"]) == {c["name"] for c in p["categories"]}
    for category in p["categories"]:
        [label] = category["labels"]
        assert label in constrained, label
        named = {x["name"] for x in category["properties"]}
        named |= {x["propertyKey"] for x in p["labels"][label]}
        named |= {r["basedOn"].rsplit("_", 1)[0] for r in category["styleRules"]}
        named |= {c["key"] for c in category["captions"] if c["type"] == "property"}
        assert named <= node_props[label], (label, named - node_props[label])
    # Relationship types: in the graph, or (model links, reviews, splits, activations the
    # demo does not make) written by the project's Cypher; properties on the graph's.
    named_types = {r["name"] for r in p["relationshipTypes"]} | set(p["hiddenRelationshipTypes"])
    assert named_types <= types | written
    demo_types = {"BELONGS_TO", "HAS_IDENTIFIER", "MERGED_INTO", "USES_DEVICE", "PERFORMED",
                  "IN_GROUP", "MEMBER_OF", "ABOUT", "INVOLVES", "KEPT", "ABSORBED"}  # fmt: skip
    assert demo_types <= named_types & types
    for rel in p["relationshipTypes"]:
        if rel["name"] in demo_types:
            keys = {x["propertyKey"] for x in rel["properties"]}
            assert keys <= rel_props.get(rel["name"], set()), rel["name"]
    # The search phrases: the ones these tests run, reading types the graph can hold.
    assert {t["text"] for t in p["templates"]} == TESTED_PHRASES
    for template in p["templates"]:
        for rel in {t for part in _types(template["cypher"]) for t in part.split("|")}:
            assert rel in types | written, rel


def _types(cypher: str) -> list[str]:
    return re.findall(r"\[\w*:([A-Z_|]+)", cypher)


def _run(settings: Settings, cypher: str, **params: Any) -> list[list[Any]]:
    with GraphDatabase.driver(settings.neo4j_uri) as driver:
        records, _, _ = driver.execute_query(cypher, params)  # type: ignore[call-overload]
        return [list(r.values()) for r in records]


def _ids(values: Any, label: str) -> set[str]:
    """The keys of the ``label`` nodes in query results (nodes, paths and lists of them)."""
    found: set[str] = set()
    if isinstance(values, graph.Node):
        if label in values.labels:
            found.add(str(values[label_keys()[label]]))
    elif isinstance(values, graph.Path):
        for node in values.nodes:
            found |= _ids(node, label)
    elif isinstance(values, list):
        for value in values:
            found |= _ids(value, label)
    return found


def _phrase(text: str) -> str:
    """The Cypher of a search phrase, as the checked-in perspective holds it."""
    templates = json.loads(CHECKED_IN.read_text(encoding="utf-8"))["templates"]
    return str(next(t["cypher"] for t in templates if t["text"] == text))


def test_customer_with_email(demo: Demo, settings: Settings) -> None:
    n = demo.names
    rows = _run(settings, _phrase("customer with email $email"), email=f" Ada@{n.domain} ")
    assert len(rows) == 1  # one record states the email
    assert _ids(rows, "Customer") == {demo.ada}
    assert _ids(rows, "Identifier") == {f"email:ada@{n.domain}"}


def test_who_shares_a_device_with(demo: Demo, settings: Settings) -> None:
    n = demo.names
    rows = _run(settings, _phrase("who shares a device with $email"), email=f"ada@{n.domain}")
    assert _ids(rows, "Customer") == {demo.ada, demo.charles}
    # The family tablet, and Ada's laptop browser Charles signed in on.
    assert _ids(rows, "Device") == {f"tablet-smith{n.suffix}", f"anon-ada-laptop{n.suffix}"}
    grace = _run(settings, _phrase("who shares a device with $email"), email=f"grace@{n.domain}")
    assert grace == []


def test_household_of(demo: Demo, settings: Settings) -> None:
    # Ada's id from before her merge still leads to her household.
    rows = _run(settings, _phrase("household of $customer"), customer=demo.ada_before)
    assert _ids(rows, "Customer") == {demo.ada, demo.charles}
    assert _ids(rows, "Group") == {f"hh-smith{demo.names.suffix}"}
    assert _run(settings, _phrase("household of $customer"), customer=demo.grace) == []


def test_identity_graph_of(demo: Demo, settings: Settings) -> None:
    n = demo.names
    rows = _run(settings, _phrase("identity graph of $customer"), customer=demo.ada)
    assert _ids(rows, "Customer") == {demo.ada, demo.ada_before}
    # The anonymous page view, the first identify, and the identify that merged them.
    assert _ids(rows, "Record") == {n.message_id(1, 1), n.message_id(1, 2), n.message_id(2, 1)}
    assert _ids(rows, "Identifier") == {
        f"email:ada@{n.domain}", f"user_id:u-ada{n.suffix}",
        "phone:" + n.phone.replace(" ", ""),
        f"anonymous_id:anon-ada-laptop{n.suffix}",
    }  # fmt: skip


def test_why_are_two_identifiers_the_same_customer(demo: Demo, settings: Settings) -> None:
    n = demo.names
    why = _phrase("why are $a and $b the same customer")
    rows = _run(settings, why, a=f"ada@{n.domain}", b=f"anon-ada-laptop{n.suffix}")
    assert len(rows) == 1
    path, customer = rows[0]
    assert customer["customer_id"] == demo.ada
    # The email's record and the merging record share Ada's user id.
    assert [dict(x).get("key") or x["record_id"] for x in path.nodes] == [
        f"email:ada@{n.domain}", n.message_id(1, 2), f"user_id:u-ada{n.suffix}",
        n.message_id(2, 1), f"anonymous_id:anon-ada-laptop{n.suffix}",
    ]  # fmt: skip
    # Charles used Ada's browser, but the link was refused: not the same customer.
    assert _run(settings, why, a=f"ada@{n.domain}", b=f"charles@{n.domain}") == []


def test_members_of_segment(demo: Demo, settings: Settings) -> None:
    members = _phrase("members of segment $name")
    buyers = _run(settings, members, name=f"Demo buyers{demo.names.name_suffix}")
    assert _ids(buyers, "Customer") == {demo.ada, demo.grace}
    repeat = _run(settings, members, name=f"Demo repeat buyers{demo.names.name_suffix}")
    assert _ids(repeat, "Customer") == {demo.ada}


def test_conflicts_in_the_last_days(demo: Demo, settings: Settings) -> None:
    rows = _run(settings, _phrase("conflicts in the last $days days"), days=1)
    mine = [r for r in rows if r[0]["record_id"] == demo.names.message_id(2, 2)]
    assert {r[0]["conflict_id"] for r in mine}
    assert len({r[0]["conflict_id"] for r in mine}) == 1
    assert _ids([r[1] for r in mine], "Customer") == {demo.ada, demo.charles}
    assert _ids([r[1] for r in mine], "Identifier") == {
        f"anonymous_id:anon-ada-laptop{demo.names.suffix}"
    }


def test_blocked_identifiers_are_flagged_for_the_style_rule(demo: Demo, settings: Settings) -> None:
    rows = query(settings, "MATCH (i:Identifier {key: 'email:test@test.com'})<-[:HAS_IDENTIFIER]-"
                 "(:Record)-[:BELONGS_TO]->(c:Customer {customer_id: $id}) RETURN i.blocked AS b",
                 id=demo.bob)  # fmt: skip
    assert rows == [{"b": True}]
    identifier = next(c for c in CATEGORIES if c.label == "Identifier")
    assert any(r.based_on == "blocked" and r.condition == "is-true" for r in identifier.rules)


def _neighbourhood(settings: Settings, customer: str, depth: int) -> Subgraph:
    async def read() -> Subgraph | None:
        driver = await open_driver(settings)
        try:
            repo = NeighbourhoodRepository(driver, settings.neo4j_database)
            return await repo.neighbourhood(customer, depth, cap=200)
        finally:
            await driver.close()

    found = asyncio.run(read())
    assert found is not None
    return found


def test_graph_exports_of_a_demo_customer(demo: Demo, settings: Settings, tmp_path: Path) -> None:
    n = demo.names
    one = _neighbourhood(settings, demo.ada_before, 1)  # a merged id leads to the survivor
    assert one.nodes[0]["properties"]["customer_id"] == demo.ada
    labels = {node["labels"][0] for node in one.nodes}
    assert {"Customer", "Record", "Device", "Event", "Group", "Segment", "Conflict",
            "IdentityChange"} <= labels  # fmt: skip
    assert "Identifier" not in labels  # two hops away
    two = _neighbourhood(settings, demo.ada, 2)
    keys = {str(node["properties"].get("key")) for node in two.nodes}
    assert f"email:ada@{n.domain}" in keys
    assert len(two.nodes) > len(one.nodes)
    ids = {node["id"] for node in two.nodes}
    assert all(r["start"] in ids and r["end"] in ids for r in two.relationships)

    body = json.loads(to_json(two))
    assert len(body["nodes"]) == len(two.nodes)
    assert len(body["relationships"]) == len(two.relationships)
    out = tmp_path / "ada.json"
    cli = [sys.executable, "-m", "graphcdp.cli", "graph", "export", "--customer", demo.ada,
           "--depth", "2", "--cap", "200", "--format", "json", "--out", str(out)]  # fmt: skip
    subprocess.run(cli, check=True, timeout=120)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert {x["id"] for x in written["nodes"]} == {x["id"] for x in body["nodes"]}
    root = ET.fromstring(to_graphml(two))  # noqa: S314 (our own output)
    assert len(list(root.iter(f"{{{GRAPHML_NS}}}node"))) == len(two.nodes)
    assert len(list(root.iter(f"{{{GRAPHML_NS}}}edge"))) == len(two.relationships)

    # The Cypher export loads into Neo4j: a copy under a label prefix, counted, then removed.
    prefix = f"Copy{n.tag}_"
    statements = [s for s in to_cypher(two, prefix).splitlines() if not s.startswith("//")]
    with GraphDatabase.driver(settings.neo4j_uri) as driver:
        try:
            for _ in range(2):  # loading twice changes nothing (MERGE on keys)
                with driver.session() as session:
                    for statement in statements:
                        session.run(statement).consume()  # type: ignore[arg-type]
            counts = {}
            for node in two.nodes:
                label = node["labels"][0]
                counts[label] = counts.get(label, 0) + 1
            for label, count in counts.items():
                records, _, _ = driver.execute_query(
                    f"MATCH (x:{prefix}{label}) RETURN count(x) AS n"
                )  # type: ignore[call-overload]
                assert records[0]["n"] == count, label
            copied = 0
            for label in counts:
                records, _, _ = driver.execute_query(
                    f"MATCH (:{prefix}{label})-[r]->() RETURN count(r) AS n"
                )  # type: ignore[call-overload]
                copied += records[0]["n"]
            assert copied == len(two.relationships)
            records, _, _ = driver.execute_query(
                f"MATCH (c:{prefix}Customer {{customer_id: $id}}) RETURN c.display_name AS name",
                id=demo.ada,
            )
            assert [r["name"] for r in records] == ["Ada Smith"]
        finally:
            for label in {node["labels"][0] for node in two.nodes}:
                driver.execute_query(f"MATCH (x:{prefix}{label}) DETACH DELETE x")  # type: ignore[call-overload]
