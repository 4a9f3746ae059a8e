"""A subgraph written for other tools (``graphcdp graph export``): GraphML for Gephi and
Cytoscape, JSON as ``{nodes, relationships}``, and Cypher that loads into another Neo4j.

Pure functions over ``graph.repository.neighbourhood.Subgraph``. Choices:

- GraphML (standard library ``xml.etree``): one ``<key>`` per property name and element kind,
  typed ``boolean``/``long``/``double`` when every value is one, else ``string``; lists are
  JSON text. Each node has ``labels`` (``:Customer``, as APOC writes it) and ``label`` (the
  caption Bloom shows: a customer's display name, an identifier's value ...), which Gephi
  shows; each edge has ``label`` (its type). Ids are ``n0``, ``e0`` ...
- JSON: ``{"nodes": [{id, labels, properties}], "relationships": [{id, type, start, end,
  properties}]}`` with the source database's element ids.
- Cypher: one statement a line, each ending with ``;`` (``cypher-shell -f`` runs it). Nodes are
  MERGEd on their label's key (the uniqueness constraints of ``cypher/schema``), so loading
  twice changes nothing and a node already there is updated, not duplicated; a node without
  a key gets ``_export_id`` (its element id here). ``label_prefix`` prefixes every label, to
  load a copy beside the original (the tests do).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Literal

from graph.bloom import CATEGORIES
from graph.cypher import queries
from graph.repository.neighbourhood import Subgraph

Format = Literal["graphml", "json", "cypher"]
FORMATS: tuple[Format, ...] = ("graphml", "json", "cypher")
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
EXPORT_ID = "_export_id"

_CONSTRAINT = re.compile(
    r"^CREATE CONSTRAINT \w+ IF NOT EXISTS FOR \(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE$"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def render(subgraph: Subgraph, fmt: Format, label_prefix: str = "") -> str:
    """The subgraph in ``fmt`` (``label_prefix`` applies to Cypher only)."""
    if fmt == "graphml":
        return to_graphml(subgraph)
    if fmt == "json":
        return to_json(subgraph)
    return to_cypher(subgraph, label_prefix)


def to_json(subgraph: Subgraph) -> str:
    body = {"nodes": list(subgraph.nodes), "relationships": list(subgraph.relationships)}
    return json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n"


def to_graphml(subgraph: Subgraph) -> str:
    ET.register_namespace("", GRAPHML_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml")
    node_keys = _keys(root, "node", [n["properties"] for n in subgraph.nodes],
                      fixed=("labels", "label"))  # fmt: skip
    edge_keys = _keys(root, "edge", [r["properties"] for r in subgraph.relationships],
                      fixed=("label",))  # fmt: skip
    graph = ET.SubElement(root, f"{{{GRAPHML_NS}}}graph", id="G", edgedefault="directed")
    ids = {n["id"]: f"n{i}" for i, n in enumerate(subgraph.nodes)}
    for n in subgraph.nodes:
        el = ET.SubElement(graph, f"{{{GRAPHML_NS}}}node", id=ids[n["id"]])
        _data(el, node_keys["labels"], "".join(f":{label}" for label in n["labels"]))
        _data(el, node_keys["label"], caption(n["labels"], n["properties"]))
        for key, value in sorted(n["properties"].items()):
            _data(el, node_keys[f"p:{key}"], _text(value))
    for i, r in enumerate(subgraph.relationships):
        el = ET.SubElement(graph, f"{{{GRAPHML_NS}}}edge", id=f"e{i}", source=ids[r["start"]],
                           target=ids[r["end"]])  # fmt: skip
        _data(el, edge_keys["label"], r["type"])
        for key, value in sorted(r["properties"].items()):
            _data(el, edge_keys[f"p:{key}"], _text(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def to_cypher(subgraph: Subgraph, label_prefix: str = "") -> str:
    keys = label_keys()
    lines = [
        f"// GraphCDP export: {len(subgraph.nodes)} nodes, "
        f"{len(subgraph.relationships)} relationships; one statement a line "
        "(cypher-shell -f FILE). Nodes are MERGEd on their key: loading twice changes nothing."
    ]
    refs = {}
    for n in subgraph.nodes:
        label, key, value = _identity(n, keys)
        ref = f"(n:{_name(label_prefix + label)} {{{_name(key)}: {literal(value)}}})"
        refs[n["id"]] = ref
        extra = "".join(f":{_name(label_prefix + other)}" for other in n["labels"][1:])
        props = dict(n["properties"]) | ({EXPORT_ID: value} if key == EXPORT_ID else {})
        lines.append(f"MERGE {ref} SET n{extra} += {literal(props)};")
    for r in subgraph.relationships:
        start = refs[r["start"]].replace("(n:", "(a:", 1)
        end = refs[r["end"]].replace("(n:", "(b:", 1)
        lines.append(
            f"MATCH {start} MATCH {end} MERGE (a)-[r:{_name(r['type'])}]->(b) "
            f"SET r += {literal(r['properties'])};"
        )
    return "\n".join(lines) + "\n"


@cache
def label_keys() -> Mapping[str, str]:
    """Each label's key property: the first uniqueness constraint on it in cypher/schema."""
    found: dict[str, str] = {}
    for statement in queries()["schema.constraints"].statements():
        match = _CONSTRAINT.match(" ".join(statement.split()))
        if match:
            found.setdefault(match.group(1), match.group(2))
    return found


def caption(labels: Sequence[str], properties: Mapping[str, Any]) -> str:
    """What Bloom's perspective captions a node with, else its key, else its first label."""
    captions = {c.label: c.caption for c in CATEGORIES}
    for label in labels:
        for prop in (captions.get(label), label_keys().get(label)):
            if prop and properties.get(prop) not in (None, ""):
                return _text(properties[prop])
    return labels[0] if labels else ""


def literal(value: Any) -> str:
    """A Cypher literal of a property value (or a map of them)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else "null"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_name(str(k))}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # JSON string escapes are Cypher's


def _identity(node: Mapping[str, Any], keys: Mapping[str, str]) -> tuple[str, str, Any]:
    labels, props = node["labels"], node["properties"]
    for label in labels:
        key = keys.get(label)
        if key and props.get(key) is not None:
            return label, key, props[key]
    return (labels[0] if labels else "Node"), EXPORT_ID, node["id"]


def _name(name: str) -> str:
    return name if _IDENTIFIER.match(name) else "`" + name.replace("`", "``") + "`"


def _keys(
    root: ET.Element, kind: str, rows: list[Mapping[str, Any]], fixed: tuple[str, ...]
) -> dict[str, str]:
    ids = {}
    for name in fixed:
        ids[name] = f"{kind[0]}_{name}"
        ET.SubElement(root, f"{{{GRAPHML_NS}}}key", id=ids[name], attrib={
            "for": kind, "attr.name": name, "attr.type": "string"})  # fmt: skip
    names = sorted({k for row in rows for k in row})
    for i, name in enumerate(names):
        ids[f"p:{name}"] = f"{kind[0]}{i}"
        values = [row[name] for row in rows if row.get(name) is not None]
        ET.SubElement(root, f"{{{GRAPHML_NS}}}key", id=ids[f"p:{name}"], attrib={
            "for": kind, "attr.name": name, "attr.type": _graphml_type(values)})  # fmt: skip
    return ids


def _graphml_type(values: list[Any]) -> str:
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "long"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "double"
    return "string"


def _data(el: ET.Element, key: str, text: str) -> None:
    ET.SubElement(el, f"{{{GRAPHML_NS}}}data", key=key).text = text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return json.dumps(list(value), ensure_ascii=False, default=str)
    return str(value)
