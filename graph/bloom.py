"""The Neo4j Bloom perspective of the graph model (``graphcdp bloom export``).

``perspective()`` builds the JSON Bloom imports (Perspectives > Import), written to
``bloom/graphcdp.perspective.json`` and checked in; a unit test fails when the file is stale.
The categories, styles and hidden types are declared here; the search phrases are the
``cypher/bloom/*.cypher`` files, whose headers name the phrase (``// phrase: ...``) and each
parameter (``// param: $email String Identifier value``: Bloom's data type, then the label and
property Bloom suggests values from), so every phrase is a query the tests run.

The format follows, field for field, published perspectives exported by Bloom: the top level,
categories (``captions``, ``styleRules``, ``textSize``), ``labels``, ``relationshipTypes``,
``templates`` (search phrases with ``params``), ``metadata`` (``pathSegments``, ``indexes``)
and ``version`` as in ``perspective.json`` of halftermeyer/quant-temporal-asset-correlation
(Bloom 2.21.0, 2025), the older icon ids and ``hasCypherErrors`` as in ``perspective.json`` of
neo-technology-field/comms-demo (Bloom 1.1.3). Both have empty ``styleRules`` and
``hiddenRelationshipTypes``; those two follow other exports, which fill them:

- the style rules (objects of a category's ``styleRules``) as in
  ``abridged-demo/bloom-perspective.json`` of neo4j-product-examples/
  demo-fraud-detection-with-p2p (Bloom 2.7.0: a ``range`` rule, the newest published rule and
  its key order, ``midColorValue`` included) and ``PaySim.json`` of
  neo4j-product-examples/ml-paysim-fraud-detection-demo (Bloom 2.3.1: ``single`` rules with the
  same keys but ``midColorValue``, a ``range`` rule sizing nodes): an id ``rule:<epoch ms>``,
  ``basedOn`` the property and its data type joined by ``_`` (``degree_number``), Bloom's
  default gradient, ``minPoint``/``maxPoint`` ``"unprocessed"`` in a single rule and the range's
  ends (strings) in a range rule, where ``conditionValue`` is the lower end, ``rangeValue``
  the upper end plus one (``2``/``8772``/``8773`` there) and ``condition`` ``between``; a
  single rule's ``rangeValue`` is ``2`` and its ``*SizeValue``/``*ColorValue`` empty. The conditions
  ``equals`` (with ``conditionValue``) and ``is-true`` (boolean, no ``conditionValue``) as in
  ``bloom/Windows_Domains.json`` of neo4j-graph-examples/cybersecurity (Bloom 2.0.0). A rule's
  ``captionKeys`` is empty like the categories' (Bloom 2.21.0 keeps them in ``captions``). No
  published export of a Bloom newer than 2.7.0 with a rule was found, so the 2.7.0 keys stand.
  Relationship types have no rules (``"styleRules": []``, as in that file);
- ``hiddenRelationshipTypes`` holds type names (strings): ``["P2P"]`` in
  ``abridged-demo-ar/bloom-perspective.json`` of demo-fraud-detection-with-p2p (Bloom 2.7.0),
  where the hidden type is also listed in ``relationshipTypes``, as here, and
  ``["GENERIC_ALL"]`` in Windows_Domains.json, which also sets ``hideUncategorisedData``.

Icons: Bloom names its icons by ids; the three ids a published export shows
(person, email address, message) are used where they fit, ``no-icon`` (the default Bloom
writes) elsewhere, with each category's colour telling it apart.

Timestamps and ids are fixed, so the same model gives the same file.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from graph.cypher import CypherQuery, queries

BLOOM_VERSION = "2.21.0"
PERSPECTIVE_NAME = "GraphCDP"
PERSPECTIVE_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://graphcdp/bloom/perspective"))
EDITED_AT = 1795737600000  # 2026-11-27T00:00:00Z in epoch milliseconds (Bloom's unit)

# Bloom's default palette, as its exports list it.
PALETTE = ["#FFE081", "#C990C0", "#F79767", "#57C7E3", "#F16667", "#D9C8AE", "#8DCC93",
           "#ECB5C9", "#4C8EDA", "#FFC454", "#DA7194", "#569480", "#959AA1", "#D9D9D9"]  # fmt: skip
RELATIONSHIP_COLOR = "#959AA1"
# The gradient a style rule carries by default, as exports show it (unused by our rules).
RULE_GRADIENT = {"minColor": "#D5EEE2", "midColor": "#81CCA8", "maxColor": "#428C6A"}

ICON_PERSON = "7EFF4DE7-BB68-484B-99BC-63DC14E6D207"
ICON_EMAIL = "72D60851-1092-40E4-BDFE-58EE7798C58C"
ICON_MESSAGE = "0CF829FF-B8AB-4252-982F-BFAA8C1BBF50"
NO_ICON = "no-icon"

DataType = Literal["string", "number", "bigint", "boolean"]


@dataclass(frozen=True)
class Rule:
    """A data-driven style: ``single`` (a condition on one property sets a colour and/or a
    size: ``equals`` a value, or ``is-true`` for a boolean) or ``range`` (the size grows with a
    number between ``low`` and ``high``)."""

    based_on: str
    data_type: DataType
    kind: Literal["single", "range"] = "single"
    condition: Literal["equals", "is-true"] = "equals"
    value: str | int | bool | None = None
    color: str | None = None
    size: float | None = None
    low: int = 0
    high: int = 0


@dataclass(frozen=True)
class Category:
    """One business label: its caption property, icon, colour, size, the properties Bloom
    shows (name, data type) and its style rules."""

    label: str
    caption: str
    icon: str
    color: str
    properties: tuple[tuple[str, DataType], ...]
    size: float = 1
    rules: tuple[Rule, ...] = ()


_TS: DataType = "string"  # timestamps are ISO-8601 UTC strings in this graph

# fmt: off
CATEGORIES: tuple[Category, ...] = (
    Category("Customer", "display_name", ICON_PERSON, "#4C8EDA", (
        ("customer_id", "string"), ("display_name", "string"), ("first_name", "string"),
        ("last_name", "string"), ("email", "string"), ("phone", "string"),
        ("event_count", "bigint"), ("orders_30d", "bigint"), ("revenue_total", "number"),
        ("created_at", _TS), ("updated_at", _TS), ("last_seen_at", _TS),
        ("merged_into", "string"), ("merged_at", _TS),
    ), size=2, rules=(
        # Bigger with more events (50 and more: the largest).
        Rule("event_count", "bigint", kind="range", low=0, high=50),
    )),
    Category("Record", "source", ICON_MESSAGE, "#D9C8AE", (
        ("record_id", "string"), ("source", "string"), ("kind", "string"),
        ("timestamp", _TS), ("received_at", _TS),
    )),
    Category("Identifier", "value", ICON_EMAIL, "#FFE081", (
        ("key", "string"), ("type", "string"), ("value", "string"), ("blocked", "boolean"),
        ("created_at", _TS), ("last_seen", _TS),
    ), rules=(
        Rule("type", "string", value="email", color="#FFE081"),
        Rule("type", "string", value="phone", color="#8DCC93"),
        Rule("type", "string", value="user_id", color="#C990C0"),
        Rule("type", "string", value="crm_id", color="#DA7194"),
        Rule("type", "string", value="anonymous_id", color="#D9D9D9"),
        Rule("type", "string", value="device_id", color="#57C7E3"),
        # Blocked values (test@test.com, 0000000000 ...) never join: red and larger, last so
        # they win over the type's colour.
        Rule("blocked", "boolean", condition="is-true", color="#F16667", size=2),
    )),
    Category("Device", "kind", NO_ICON, "#57C7E3", (
        ("device_id", "string"), ("kind", "string"), ("first_seen", _TS), ("last_seen", _TS),
    )),
    Category("Event", "name", ICON_MESSAGE, "#ECB5C9", (
        ("event_id", "string"), ("type", "string"), ("name", "string"), ("timestamp", _TS),
        ("source", "string"), ("via", "string"),
    ), size=0.5),
    Category("Group", "name", NO_ICON, "#8DCC93", (
        ("group_id", "string"), ("name", "string"), ("type", "string"), ("created_at", _TS),
    ), rules=(Rule("type", "string", value="household", color="#569480", size=2),)),
    Category("Segment", "name", NO_ICON, "#C990C0", (
        ("segment_id", "string"), ("name", "string"), ("version", "bigint"),
        ("definition", "string"), ("updated_at", _TS),
    ), size=2),
    Category("Destination", "name", NO_ICON, "#FFC454", (
        ("destination_id", "string"), ("name", "string"), ("kind", "string"),
    )),
    Category("Conflict", "reason", NO_ICON, "#F16667", (
        ("conflict_id", "string"), ("reason", "string"), ("identifier", "string"),
        ("record_id", "string"), ("at", _TS),
    ), size=2),
    Category("IdentityChange", "kind", NO_ICON, "#F79767", (
        ("change_id", "string"), ("kind", "string"), ("cause", "string"),
        ("identifier", "string"), ("record_id", "string"), ("actor", "string"), ("at", _TS),
    )),
    Category("ConsentChange", "purpose", NO_ICON, "#A5ABB6", (
        ("change_id", "string"), ("purpose", "string"), ("status", "string"),
        ("source", "string"), ("at", _TS), ("expires_at", _TS),
    ), size=0.5, rules=(
        Rule("status", "string", value="granted", color="#8DCC93"),
        Rule("status", "string", value="denied", color="#F16667"),
        Rule("status", "string", value="revoked", color="#F16667"),
    )),
)
# fmt: on

# Labels of the model that are bookkeeping, not something to explore: no category, and the
# perspective hides uncategorised nodes. Every label under a constraint is in one of the two
# (a unit test checks), so a new label has to be placed.
TECHNICAL_LABELS = frozenset({"Setting", "SettingVersion", "SegmentVersion", "MatchModel",
                              "ApiKey", "AuditBatch", "AuditEntry", "SyncRun",
                              "MembershipChange",
                              "Address", "Household", "Suppression", "Job"})  # fmt: skip

# Relationship types people explore, with the property keys worth showing.
RELATIONSHIPS: tuple[tuple[str, tuple[tuple[str, DataType], ...]], ...] = (
    ("BELONGS_TO", ()),
    ("HAS_IDENTIFIER", ()),
    ("HAD_IDENTIFIER", ()),
    ("MATCHES", (("probability", "number"), ("match_weight", "number"),
                 ("model_version", "string"))),
    ("REVIEW", (("probability", "number"), ("match_weight", "number"))),
    ("NOT_MATCH", ()),
    ("MERGED_INTO", (("at", _TS), ("cause", "string"))),
    ("USES_DEVICE", ()),
    ("SEEN_ON", ()),
    ("PERFORMED", ()),
    ("IN_GROUP", ()),
    ("MEMBER_OF", (("since", _TS), ("version", "bigint"))),
    ("ACTIVATED_TO", (("status", "string"), ("last_sync_at", _TS))),
    ("ABOUT", ()),
    ("INVOLVES", ()),
    ("KEPT", ()),
    ("ABSORBED", ()),
    ("SPLIT_OFF", ()),
    ("HAS_CONSENT", ()),
)  # fmt: skip

# Technical relationship types, hidden (listed in ``relationshipTypes`` as well, and named in
# ``hiddenRelationshipTypes``): an event's device (the customer's USES_DEVICE says it), segment
# and setting versions, activation sync runs.
HIDDEN_RELATIONSHIPS = ("ON_DEVICE", "HAD_VERSION", "PREVIOUS", "RAN", "TO")

# (source label, relationship type, target label) of the model, for Bloom's metadata.
PATH_SEGMENTS: tuple[tuple[str, str, str], ...] = (
    ("Record", "BELONGS_TO", "Customer"),
    ("Record", "HAS_IDENTIFIER", "Identifier"),
    ("Record", "HAD_IDENTIFIER", "Identifier"),
    ("Record", "MATCHES", "Record"),
    ("Record", "REVIEW", "Record"),
    ("Record", "NOT_MATCH", "Record"),
    ("Record", "SEEN_ON", "Device"),
    ("Customer", "MERGED_INTO", "Customer"),
    ("Customer", "USES_DEVICE", "Device"),
    ("Customer", "PERFORMED", "Event"),
    ("Customer", "IN_GROUP", "Group"),
    ("Customer", "MEMBER_OF", "Segment"),
    ("Segment", "ACTIVATED_TO", "Destination"),
    ("Conflict", "ABOUT", "Identifier"),
    ("Conflict", "ABOUT", "Record"),
    ("Conflict", "INVOLVES", "Customer"),
    ("IdentityChange", "KEPT", "Customer"),
    ("IdentityChange", "ABSORBED", "Customer"),
    ("IdentityChange", "SPLIT_OFF", "Customer"),
    ("Customer", "HAS_CONSENT", "ConsentChange"),
)


@dataclass(frozen=True)
class Param:
    """A search phrase parameter: ``$name``, Bloom's data type, and where suggestions come from."""

    name: str
    data_type: str
    label: str | None = None
    prop: str | None = None


@dataclass(frozen=True)
class Phrase:
    """A search phrase: the ``cypher/bloom`` query it runs."""

    query: CypherQuery
    text: str
    params: tuple[Param, ...] = field(default=())

    @property
    def cypher(self) -> str:
        """The query without its header comments (what Bloom shows and runs)."""
        return "\n".join(
            line for line in self.query.text.splitlines() if not line.lstrip().startswith("//")
        ).strip()


_PHRASE = re.compile(r"^//\s*phrase:\s*(.+?)\s*$")
_PARAM = re.compile(r"^//\s*param:\s*(\$\w+)\s+(\w+)(?:\s+(\w+)\s+(\w+))?\s*$")


def phrase_of(query: CypherQuery) -> Phrase:
    """The phrase declared by a ``cypher/bloom`` file's header.

    Raises:
        ValueError: no ``// phrase:`` line, or a ``$parameter`` of the phrase without its
            ``// param:`` line (or the other way round).
    """
    text, params = None, []
    for line in query.text.splitlines():
        if not line.lstrip().startswith("//"):
            break
        if match := _PHRASE.match(line.strip()):
            text = match.group(1)
        elif match := _PARAM.match(line.strip()):
            params.append(Param(*match.groups()))
    if text is None:
        raise ValueError(f"{query.path}: no '// phrase:' line")
    named = re.findall(r"\$\w+", text)
    if sorted(named) != sorted(p.name for p in params):
        raise ValueError(f"{query.path}: the phrase names {named}, the params {params}")
    return Phrase(query, text, tuple(params))


def phrases() -> list[Phrase]:
    """Every search phrase, in the order of their query names."""
    return [phrase_of(qy) for name, qy in sorted(queries().items()) if name.startswith("bloom.")]


_WRITE = re.compile(r"(?:CREATE|MERGE)\s*\([^;]*?(?=\n|$)")


def written_labels_and_types() -> tuple[set[str], set[str]]:
    """The labels and relationship types the project's Cypher writes (in CREATE and MERGE
    patterns), and the labels its constraints name: the schema the project creates."""
    labels = set(re.findall(r"FOR \(n:(\w+)\)", queries()["schema.constraints"].text))
    types: set[str] = set()
    for query in queries().values():
        for clause in _WRITE.findall(query.text):
            labels |= set(re.findall(r"\(\w*:([A-Z]\w+)", clause))
            types |= set(re.findall(r"\[\w*:([A-Z_]+)", clause))
    return labels, types


def perspective() -> dict[str, Any]:
    """The perspective as Bloom exports it (see the module docstring for the format)."""
    return {
        "name": PERSPECTIVE_NAME,
        "id": PERSPECTIVE_ID,
        "categories": [_category(i, c) for i, c in enumerate(CATEGORIES, start=1)],
        "labels": {
            c.label: [{"propertyKey": k, "type": c.label, "dataType": t} for k, t in c.properties]
            for c in CATEGORIES
        },
        "relationshipTypes": [
            *(_relationship(name, props) for name, props in RELATIONSHIPS),
            *(_relationship(name, ()) for name in HIDDEN_RELATIONSHIPS),
        ],
        "palette": {"colors": PALETTE, "currentIndex": len(CATEGORIES) % len(PALETTE)},
        "createdAt": EDITED_AT,
        "lastEditedAt": EDITED_AT,
        "templates": [_template(i, p) for i, p in enumerate(phrases(), start=1)],
        "sceneActions": [],
        "hiddenRelationshipTypes": list(HIDDEN_RELATIONSHIPS),
        "hideUncategorisedData": True,
        "type": "STANDARD_PERSPECTIVE",
        "maxLimitToastMsgEnabled": False,
        "parentPerspectiveId": None,
        "metadata": {
            "pathSegments": [
                {"source": s, "relationshipType": r, "target": t} for s, r, t in PATH_SEGMENTS
            ],
            "indexes": _indexes(),
        },
        "version": BLOOM_VERSION,
    }


def perspective_json() -> str:
    """The file ``graphcdp bloom export`` writes (two-space indents, a final newline)."""
    return json.dumps(perspective(), indent=2, ensure_ascii=False) + "\n"


def _category(number: int, c: Category) -> dict[str, Any]:
    captions: list[dict[str, Any]] = [
        {"inTooltip": False, "styles": [], "isCaption": False, "key": c.label, "type": "label"}
    ]
    captions += [
        {"inTooltip": key != c.caption, "styles": [], "isCaption": key == c.caption, "key": key,
         "type": "property", "isGdsData": False}
        for key, _ in c.properties
    ]  # fmt: skip
    return {
        "id": number,
        "name": c.label,
        "labels": [c.label],
        "properties": [{"name": k, "exclude": False, "dataType": t} for k, t in c.properties],
        "createdAt": EDITED_AT,
        "lastEditedAt": EDITED_AT,
        "color": c.color,
        "size": c.size,
        "icon": c.icon,
        "captionKeys": [],
        "captions": captions,
        "textSize": 1,
        "textAlign": "top",
        "styleRules": [
            _rule(EDITED_AT + 100 * number + i, r, c) for i, r in enumerate(c.rules, start=1)
        ],
    }


def _rule(stamp: int, r: Rule, c: Category) -> dict[str, Any]:
    """A style rule with the keys, in the order, of Bloom 2.7.0's export (module docstring)."""
    single = r.kind == "single"
    low, high = str(r.low), str(r.high)
    rule: dict[str, Any] = {
        "id": f"rule:{stamp}",
        "type": r.kind,
        "size": r.size if r.size is not None else 1,
        "minSize": 1,
        "maxSize": 2 if single else 4,
        **RULE_GRADIENT,
        "minPoint": "unprocessed" if single else low,
        "maxPoint": "unprocessed" if single else high,
        "applyColor": r.color is not None,
        "applySize": r.size is not None or not single,
        "applyCaption": False,
        "captionKeys": [],
        "color": r.color or c.color,
        "isTimeZoneConvertEnabled": False,
        "selectedTimeZone": "Z",
        "basedOn": f"{r.based_on}_{r.data_type}",
        "valuesMapper": [],
        "existingValues": [],
        "maxSizeValue": "" if single else high,
        "maxColorValue": "" if single else high,
        "minSizeValue": "" if single else low,
        "minColorValue": "" if single else low,
    }
    if r.condition == "equals" or not single:
        rule["conditionValue"] = r.value if single else r.low
    rule["rangeValue"] = 2 if single else r.high + 1
    rule["condition"] = r.condition if single else "between"
    if not single:
        rule["midColorValue"] = str((r.low + r.high) // 2)
    return rule


def _relationship(name: str, props: tuple[tuple[str, DataType], ...]) -> dict[str, Any]:
    return {
        "properties": [{"dataType": t, "propertyKey": k, "type": name} for k, t in props],
        "name": name,
        "id": name,
        "color": RELATIONSHIP_COLOR,
        "size": 1,
        "captionKeys": [],
        "captions": [
            {
                "inTooltip": True,
                "isCaption": True,
                "styles": [],
                "key": name,
                "type": "relationship",
            }
        ],
        "textSize": 1,
        "textAlign": "top",
        "styleRules": [],
    }


def _template(number: int, p: Phrase) -> dict[str, Any]:
    return {
        "name": p.query.name,
        "id": f"tmpl:{EDITED_AT + number}",
        "createdAt": EDITED_AT + number,
        "text": p.text,
        "cypher": p.cypher,
        "isUpdateQuery": None,
        "isWriteTransactionChecked": None,
        "params": [
            {
                "name": a.name,
                "dataType": a.data_type,
                "collapsed": False,
                "suggestionLabel": a.label,
                "suggestionProp": a.prop,
                "suggestionBoolean": False,
                "cypher": None,
            }
            for a in p.params
        ],
        "hasCypherErrors": False,
    }


_SINGLE_INDEX = re.compile(
    r"^CREATE (?:CONSTRAINT|INDEX) \w+ IF NOT EXISTS FOR \(n:(\w+)\) "
    r"(?:REQUIRE|ON) \(?n\.(\w+)\)?(?: IS UNIQUE)?$"
)


def _indexes() -> list[dict[str, Any]]:
    """The single-property indexes of ``cypher/schema`` (uniqueness constraints are backed by
    one) on the categories' labels, as Bloom lists them in ``metadata.indexes``."""
    labels = {c.label for c in CATEGORIES}
    rows: list[dict[str, Any]] = []
    for name in ("schema.constraints", "schema.indexes"):
        for statement in queries()[name].statements():
            match = _SINGLE_INDEX.match(" ".join(statement.split()))
            if match and match.group(1) in labels:
                rows.append(
                    {
                        "label": match.group(1),
                        "type": "native",
                        "propertyKeys": [{"key": match.group(2), "metadataProp": False}],
                    }
                )
    return [*rows, {"label": None, "type": "native", "propertyKeys": []}]
