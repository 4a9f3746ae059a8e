"""The checked-in Bloom perspective is the one ``graph/bloom.py`` builds, in Bloom's format,
and names only what the model has (the e2e test runs its phrases on a real demo graph)."""

from __future__ import annotations

import json
import pathlib

import pytest

from graph.bloom import (
    CATEGORIES,
    HIDDEN_RELATIONSHIPS,
    PATH_SEGMENTS,
    TECHNICAL_LABELS,
    perspective,
    perspective_json,
    phrases,
    written_labels_and_types,
)
from graph.cypher import queries
from graphcdp.cli import main

pytestmark = pytest.mark.unit

CHECKED_IN = pathlib.Path(__file__).resolve().parents[2] / "bloom" / "graphcdp.perspective.json"

# The keys of published exports (Bloom 2.21.0: halftermeyer/quant-temporal-asset-correlation
# perspective.json), level by level.
TOP = ["name", "id", "categories", "labels", "relationshipTypes", "palette", "createdAt",
       "lastEditedAt", "templates", "sceneActions", "hiddenRelationshipTypes",
       "hideUncategorisedData", "type", "maxLimitToastMsgEnabled", "parentPerspectiveId",
       "metadata", "version"]  # fmt: skip
CATEGORY = ["id", "name", "labels", "properties", "createdAt", "lastEditedAt", "color", "size",
            "icon", "captionKeys", "captions", "textSize", "textAlign", "styleRules"]  # fmt: skip
RELATIONSHIP = ["properties", "name", "id", "color", "size", "captionKeys", "captions",
                "textSize", "textAlign", "styleRules"]  # fmt: skip
TEMPLATE = ["name", "id", "createdAt", "text", "cypher", "isUpdateQuery",
            "isWriteTransactionChecked", "params", "hasCypherErrors"]  # fmt: skip
PARAM = ["name", "dataType", "collapsed", "suggestionLabel", "suggestionProp",
         "suggestionBoolean", "cypher"]  # fmt: skip
# Style rules: neo4j-product-examples/demo-fraud-detection-with-p2p
# abridged-demo/bloom-perspective.json (Bloom 2.7.0, a range rule) and
# neo4j-product-examples/ml-paysim-fraud-detection-demo PaySim.json (Bloom 2.3.1, single rules:
# the same keys without midColorValue); an is-true rule has no conditionValue
# (neo4j-graph-examples/cybersecurity bloom/Windows_Domains.json, Bloom 2.0.0).
RULE = ["id", "type", "size", "minSize", "maxSize", "minColor", "midColor", "maxColor",
        "minPoint", "maxPoint", "applyColor", "applySize", "applyCaption", "captionKeys",
        "color", "isTimeZoneConvertEnabled", "selectedTimeZone", "basedOn", "valuesMapper",
        "existingValues", "maxSizeValue", "maxColorValue", "minSizeValue", "minColorValue",
        "conditionValue", "rangeValue", "condition", "midColorValue"]  # fmt: skip

REQUIRED_PHRASES = {
    "customer with email $email",
    "who shares a device with $email",
    "household of $customer",
    "identity graph of $customer",
    "why are $a and $b the same customer",
    "members of segment $name",
    "conflicts in the last $days days",
}


def test_the_checked_in_perspective_is_current() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == perspective_json(), (
        "bloom/graphcdp.perspective.json is stale: run `graphcdp bloom export` and commit it"
    )


def test_bloom_export_writes_the_file(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "p.json"
    assert main(["bloom", "export", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == CHECKED_IN.read_text(encoding="utf-8")


def test_the_perspective_has_the_fields_of_a_bloom_export() -> None:
    p = perspective()
    assert list(p) == TOP
    assert p["version"] == "2.21.0"
    assert p["type"] == "STANDARD_PERSPECTIVE"
    assert all(list(c) == CATEGORY for c in p["categories"])
    assert all(list(r) == RELATIONSHIP for r in p["relationshipTypes"])
    assert all(list(t) == TEMPLATE for t in p["templates"])
    assert all(list(a) == PARAM for t in p["templates"] for a in t["params"])
    assert all(
        set(c) == {"inTooltip", "styles", "isCaption", "key", "type"} | (
            {"isGdsData"} if c["type"] == "property" else set())
        for cat in p["categories"] for c in cat["captions"]
    )  # fmt: skip
    assert [t["id"] for t in p["templates"]] == sorted({t["id"] for t in p["templates"]})
    rules = [r for c in p["categories"] for r in c["styleRules"]]
    for r in rules:
        dropped = {"midColorValue"} if r["type"] == "single" else set()
        if r["condition"] == "is-true":
            dropped.add("conditionValue")
        assert list(r) == [k for k in RULE if k not in dropped], r["id"]
        assert r["id"].startswith("rule:")
    assert len({r["id"] for r in rules}) == len(rules)
    assert all(isinstance(t, str) for t in p["hiddenRelationshipTypes"])


def test_one_category_per_business_label_with_a_caption_and_an_icon() -> None:
    p = perspective()
    assert [c["labels"] for c in p["categories"]] == [[c["name"]] for c in p["categories"]]
    names = [c["name"] for c in p["categories"]]
    assert len(names) == len(set(names))
    for c in p["categories"]:
        captions = [x["key"] for x in c["captions"] if x["isCaption"]]
        assert len(captions) == 1
        assert captions[0] in {x["name"] for x in c["properties"]}
        assert c["icon"]
        assert set(p["labels"][c["name"]][0]) == {"propertyKey", "type", "dataType"}


def test_every_label_of_the_model_is_a_category_or_declared_technical() -> None:
    labels, _ = written_labels_and_types()
    categories = {c.label for c in CATEGORIES}
    assert not categories & TECHNICAL_LABELS
    assert labels == categories | TECHNICAL_LABELS


def test_style_rules_read_properties_of_their_category() -> None:
    for c in CATEGORIES:
        types = dict(c.properties)
        assert all(types.get(r.based_on) == r.data_type for r in c.rules), c.label
    categories = {c["name"]: c for c in perspective()["categories"]}
    for c in categories.values():
        types = {x["name"]: x["dataType"] for x in c["properties"]}
        assert {r["basedOn"] for r in c["styleRules"]} <= {f"{k}_{t}" for k, t in types.items()}
    rules = categories["Identifier"]["styleRules"]
    colours = {r["conditionValue"]: r["color"] for r in rules if r["condition"] == "equals"}
    assert len(set(colours.values())) == len(colours)  # one colour per identifier type
    blocked = rules[-1]  # last: wins over the type's colour
    assert (blocked["basedOn"], blocked["condition"]) == ("blocked_boolean", "is-true")
    assert (blocked["color"], blocked["applySize"]) == ("#F16667", True)  # red, larger
    [by_events] = categories["Customer"]["styleRules"]
    assert (by_events["basedOn"], by_events["type"]) == ("event_count_bigint", "range")
    assert (by_events["applySize"], by_events["applyColor"]) == (True, False)


def test_relationship_types_are_the_ones_the_project_writes() -> None:
    p = perspective()
    named = {r["name"] for r in p["relationshipTypes"]} | set(p["hiddenRelationshipTypes"])
    assert named <= written_labels_and_types()[1]
    # Hidden types are listed too, as in a Bloom 2.7.0 export that hides one (module docstring).
    assert set(HIDDEN_RELATIONSHIPS) <= {r["name"] for r in p["relationshipTypes"]}
    assert set(p["hiddenRelationshipTypes"]) == set(HIDDEN_RELATIONSHIPS)
    for rel in p["relationshipTypes"]:
        writers = [q.text for q in queries().values() if f":{rel['name']}" in q.text]
        for prop in rel["properties"]:
            assert any(prop["propertyKey"] in text for text in writers), prop
    categories = {c.label for c in CATEGORIES}
    for source, rel, target in PATH_SEGMENTS:
        assert {source, target} <= categories
        assert rel in named


def test_the_search_phrases_are_the_bloom_cypher_files() -> None:
    found = {p.text: p for p in phrases()}
    assert set(found) >= REQUIRED_PHRASES
    for text, phrase in found.items():
        assert not phrase.cypher.startswith("//")
        assert "$" in phrase.cypher
        for param in phrase.params:
            assert param.name in text
            assert param.name in phrase.cypher
    templates = {t["text"]: t for t in perspective()["templates"]}
    email = templates["customer with email $email"]["params"]
    assert email == [
        {"name": "$email", "dataType": "String", "collapsed": False,
         "suggestionLabel": "Identifier", "suggestionProp": "value",
         "suggestionBoolean": False, "cypher": None}
    ]  # fmt: skip
    days = templates["conflicts in the last $days days"]["params"][0]
    assert (days["dataType"], days["suggestionLabel"]) == ("Integer", None)


def test_the_perspective_lists_the_indexes_bloom_searches() -> None:
    indexed = {
        (i["label"], i["propertyKeys"][0]["key"])
        for i in perspective()["metadata"]["indexes"]
        if i["label"]
    }
    assert {("Identifier", "value"), ("Customer", "display_name"), ("Customer", "email"),
            ("Customer", "phone"), ("Segment", "name"), ("Group", "name"),
            ("Customer", "customer_id")} <= indexed  # fmt: skip
    text = queries()["schema.indexes"].text
    assert "FULLTEXT INDEX identifier_text" in text
    assert "FULLTEXT INDEX name_text" in text
    assert json.loads(perspective_json()) == perspective()
