"""Graph exports: GraphML that Gephi and Cytoscape read, JSON, and Cypher that MERGEs on keys
(the e2e test loads a real export into Neo4j)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from graph.export import GRAPHML_NS, label_keys, literal, render, to_cypher, to_graphml, to_json
from graph.repository.neighbourhood import Subgraph

pytestmark = pytest.mark.unit

SUB = Subgraph(
    nodes=(
        {"id": "4:x:1", "labels": ["Customer"],
         "properties": {"customer_id": "cus_1", "display_name": 'Ada "The" Smith',
                        "event_count": 3, "first_names": ["ada"]}},
        {"id": "4:x:2", "labels": ["Identifier"],
         "properties": {"key": "email:ada@example.com", "type": "email",
                        "value": "ada@example.com", "blocked": False}},
        {"id": "4:x:3", "labels": ["Record"], "properties": {"record_id": "rec\n1"}},
        {"id": "4:x:4", "labels": ["SegmentVersion"], "properties": {"version": 1}},
    ),
    relationships=(
        {"id": "5:x:1", "type": "BELONGS_TO", "start": "4:x:3", "end": "4:x:1",
         "properties": {}},
        {"id": "5:x:2", "type": "HAS_IDENTIFIER", "start": "4:x:3", "end": "4:x:2",
         "properties": {"probability": 0.5}},
    ),
)  # fmt: skip


def _ns(tag: str) -> str:
    return f"{{{GRAPHML_NS}}}{tag}"


def test_graphml_declares_typed_keys_and_links_nodes_by_their_ids() -> None:
    root = ET.fromstring(to_graphml(SUB))  # noqa: S314 (our own output)
    keys = {(k.get("for"), k.get("attr.name")): k for k in root.iter(_ns("key"))}
    assert keys[("node", "event_count")].get("attr.type") == "long"
    assert keys[("node", "blocked")].get("attr.type") == "boolean"
    assert keys[("node", "display_name")].get("attr.type") == "string"
    assert keys[("edge", "probability")].get("attr.type") == "double"
    graph = root.find(_ns("graph"))
    assert graph is not None
    assert graph.get("edgedefault") == "directed"
    nodes = {n.get("id"): n for n in graph.iter(_ns("node"))}
    assert len(nodes) == 4

    def data(el: ET.Element, kind: str, name: str) -> str | None:
        key = keys[(kind, name)].get("id")
        return next((d.text for d in el.iter(_ns("data")) if d.get("key") == key), None)

    assert data(nodes["n0"], "node", "labels") == ":Customer"
    assert data(nodes["n0"], "node", "label") == 'Ada "The" Smith'  # Bloom's caption
    assert data(nodes["n0"], "node", "first_names") == '["ada"]'
    assert data(nodes["n1"], "node", "label") == "ada@example.com"
    assert data(nodes["n3"], "node", "label") == "SegmentVersion"  # no caption, no key
    edges = list(graph.iter(_ns("edge")))
    assert [(e.get("source"), e.get("target"), data(e, "edge", "label")) for e in edges] == [
        ("n2", "n0", "BELONGS_TO"),
        ("n2", "n1", "HAS_IDENTIFIER"),
    ]


def test_json_is_nodes_and_relationships() -> None:
    body = json.loads(to_json(SUB))
    assert body == {"nodes": list(SUB.nodes), "relationships": list(SUB.relationships)}


def test_cypher_merges_nodes_on_their_keys_one_statement_a_line() -> None:
    lines = to_cypher(SUB, label_prefix="Copy_").splitlines()
    assert lines[0].startswith("// GraphCDP export: 4 nodes, 2 relationships")
    statements = lines[1:]
    assert all(s.endswith(";") for s in statements)
    assert len(statements) == 6
    assert statements[0] == (
        'MERGE (n:Copy_Customer {customer_id: "cus_1"}) SET n += {customer_id: "cus_1", '
        'display_name: "Ada \\"The\\" Smith", event_count: 3, first_names: ["ada"]};'
    )
    assert statements[2].startswith('MERGE (n:Copy_Record {record_id: "rec\\n1"})')
    assert statements[3] == (
        'MERGE (n:Copy_SegmentVersion {_export_id: "4:x:4"}) '
        'SET n += {version: 1, _export_id: "4:x:4"};'
    )
    assert statements[5] == (
        'MATCH (a:Copy_Record {record_id: "rec\\n1"}) '
        'MATCH (b:Copy_Identifier {key: "email:ada@example.com"}) '
        "MERGE (a)-[r:HAS_IDENTIFIER]->(b) SET r += {probability: 0.5};"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "null"), (True, "true"), (7, "7"), (0.25, "0.25"), (float("nan"), "null"),
     ("it's \\ \"x\"", '"it\'s \\\\ \\"x\\""'), (["a", 1], '["a", 1]'),
     ({"odd key": 1}, "{`odd key`: 1}")],
)  # fmt: skip
def test_literals(value: object, expected: str) -> None:
    assert literal(value) == expected


def test_keys_come_from_the_uniqueness_constraints() -> None:
    keys = label_keys()
    assert keys["Customer"] == "customer_id"
    assert keys["Identifier"] == "key"
    assert keys["ApiKey"] == "name"  # the first of its two constraints


def test_render_picks_the_format() -> None:
    assert render(SUB, "json") == to_json(SUB)
    assert render(SUB, "cypher", "P_") == to_cypher(SUB, "P_")
    assert render(SUB, "graphml").startswith("<?xml")
