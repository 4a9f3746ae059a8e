from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest

from ingest.tracking_plan import (
    MAX_VIOLATIONS,
    Action,
    PlanError,
    Schema,
    SourceSettings,
    TrackingPlan,
    Verdict,
    Violation,
    load_plan,
)

PLAN: dict[str, object] = {
    "version": 3,
    "default_mode": "flag",
    "sources": {
        "web": {"mode": "reject", "allow_unplanned": True},
        "crm": {"mode": "flag"},
        "app": {"allow_unplanned": False},
        "strict": {"mode": "reject", "allow_unplanned": False},
    },
    "identify": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "created_at": {"type": "string", "format": "date-time"},
            "plan": {"enum": ["free", "pro"]},
        },
    },
    "group": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "employees": {"type": "integer", "minimum": 0}},
    },
    "page": {"type": "object", "properties": {"path": {"type": "string", "pattern": "^/"}}},
    "events": {
        "Order Completed": {
            "type": "object",
            "required": ["order_id", "revenue"],
            "properties": {
                "order_id": {"type": "string"},
                "revenue": {"type": "number", "minimum": 0},
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["sku"],
                        "properties": {
                            "sku": {"type": "string"},
                            "quantity": {"type": "integer", "minimum": 1},
                        },
                    },
                },
            },
        },
        "Signed Up": None,
    },
}

PLAN_YAML = """\
version: 3
default_mode: flag
sources:
  web: {mode: reject, allow_unplanned: true}
  crm: {mode: flag}
identify:
  type: object
  properties: {email: {type: string, format: email}}
events:
  Order Completed:
    type: object
    required: [order_id, revenue]
    properties:
      order_id: {type: string}
      revenue: {type: number, minimum: 0}
  Signed Up:
"""

ORDER = {"order_id": "o-1", "revenue": 42.5, "items": [{"sku": "A1", "quantity": 2}]}


@pytest.fixture(scope="module")
def plan() -> TrackingPlan:
    return TrackingPlan.from_dict(PLAN)


def _track(properties: object, event: str = "Order Completed") -> dict[str, object]:
    return {"type": "track", "event": event, "userId": "u1", "properties": properties}


def _fields(verdict: Verdict) -> list[str]:
    return [v.field for v in verdict.violations]


# --- loading ---------------------------------------------------------------------------


def test_load_plan_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN_YAML, encoding="utf-8")
    loaded = load_plan(path)
    assert loaded.version == 3
    assert loaded.default_mode == "flag"
    assert loaded.sources == {
        "web": SourceSettings("reject", allow_unplanned=True),
        "crm": SourceSettings("flag"),
    }
    assert set(loaded.events) == {"Order Completed", "Signed Up"}
    assert loaded.events["Signed Up"].document is True  # an empty entry: planned, anything
    assert loaded.summary() == {
        "version": 3,
        "default_mode": "flag",
        "events": 2,
        "identify": True,
        "group": False,
        "page": False,
        "sources": 2,
    }


def test_load_plan_from_json(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({**PLAN, "version": "2026-11-a"}), encoding="utf-8")
    loaded = load_plan(str(path))
    assert loaded.version == "2026-11-a"
    assert loaded.summary()["events"] == 2
    assert loaded.summary()["sources"] == 4
    assert loaded.check(_track({"order_id": 1, "revenue": 1}), "crm") == Verdict(
        (Violation("properties.order_id", "1 is not of type 'string'"),), "flag"
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [("plan.json", '{"version": 1,'), ("plan.yaml", "version: [1\n"), ("plan.yml", "a: b: c")],
)
def test_load_plan_names_the_file_that_does_not_parse(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert err.value.key == name
    assert err.value.reason.startswith("does not parse")


def test_load_plan_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_plan(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("data", "key", "reason"),
    [
        ([1, 2], "plan", "expected a mapping"),
        ({"default_mode": "flag"}, "version", "is required"),
        ({"version": True}, "version", "expected an integer or a non-empty string"),
        ({"version": 1, "protocols": {}}, "protocols", "unknown key"),
        ({"version": 1, "default_mode": "block"}, "default_mode", "expected flag or reject"),
        ({"version": 1, "sources": ["web"]}, "sources", "expected a mapping"),
        ({"version": 1, "sources": {"web": "reject"}}, "sources.web", "expected a mapping"),
        ({"version": 1, "sources": {"web": {"mode": "drop"}}}, "sources.web.mode", "flag or"),
        ({"version": 1, "sources": {"web": {"strict": True}}}, "sources.web.strict", "unknown"),
        (
            {"version": 1, "sources": {"web": {"allow_unplanned": "yes"}}},
            "sources.web.allow_unplanned",
            "expected true or false",
        ),
        ({"version": 1, "events": ["Order Completed"]}, "events", "expected a mapping"),
        ({"version": 1, "events": "Order Completed"}, "events", "expected a mapping"),
        ({"version": 1, "events": {404: {}}}, "events.404", "non-empty string"),
        ({"version": 1, "events": {"A": [1]}}, "events.A", "expected a JSON Schema"),
        (
            {"version": 1, "events": {"Order Completed": {"type": "strng"}}},
            "events.Order Completed.type",
            "'strng' is not valid",
        ),
        (
            {"version": 1, "events": {"A": {"properties": {"n": {"minimum": "0"}}}}},
            "events.A.properties.n.minimum",
            "'0' is not of type 'number'",
        ),
        ({"version": 1, "identify": {"required": "email"}}, "identify.required", "not of type"),
        ({"version": 1, "group": {"type": 5}}, "group.type", "is not valid"),
        ({"version": 1, "page": "object"}, "page", "expected a JSON Schema"),
        (
            {"version": 1, "events": {"A": {"properties": {"x": {"$ref": "#/$defs/nope"}}}}},
            "events.A.properties.x.$ref",
            "does not resolve",
        ),
        (
            {"version": 1, "events": {"A": {"$ref": "https://example.com/a.json"}}},
            "events.A.$ref",
            "does not resolve",
        ),
        (
            {"version": 1, "events": {"A": {"$schema": "https://example.com/mine"}}},
            "events.A.$schema",
            "unknown JSON Schema dialect",
        ),
        (
            {"version": 1, "events": {"A": {"const": date(2026, 1, 1)}}},
            "events.A",
            "not JSON data",
        ),
    ],
)
def test_plan_errors_name_the_key(data: object, key: str, reason: str) -> None:
    with pytest.raises(PlanError) as err:
        TrackingPlan.from_dict(data)
    assert isinstance(err.value, ValueError)
    assert err.value.key == key
    assert reason in err.value.reason
    assert str(err.value) == f"{key}: {err.value.reason}"


def test_schemas_are_compiled_once_when_the_plan_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[str] = []
    original = Schema.compile

    def counting(cls: type[Schema], key: str, document: object) -> Schema:
        compiled.append(key)
        return original(key, document)

    monkeypatch.setattr(Schema, "compile", classmethod(counting))
    loaded = TrackingPlan.from_dict(PLAN)
    assert sorted(compiled) == [
        "events.Order Completed",
        "events.Signed Up",
        "group",
        "identify",
        "page",
    ]
    for _ in range(3):
        loaded.check(_track({"revenue": -1}), "web")
        loaded.check({"type": "identify", "traits": {"email": "x"}}, "web")
    assert len(compiled) == 5


def test_local_refs_resolve_and_report_paths_inside_the_call() -> None:
    loaded = TrackingPlan.from_dict(
        {
            "version": 1,
            "events": {
                "Cart Viewed": {
                    "$defs": {"product": {"type": "object", "required": ["sku"]}},
                    "properties": {"products": {"items": {"$ref": "#/$defs/product"}}},
                }
            },
        }
    )
    verdict = loaded.check(_track({"products": [{"sku": "a"}, {}]}, "Cart Viewed"), "crm")
    expected = Violation("properties.products[1].sku", "is a required property")
    assert verdict.violations == (expected,)


def test_a_declared_draft_07_schema_is_checked_as_draft_07() -> None:
    # Segment Protocols exports draft-07; its tuple form of ``items`` is invalid in 2020-12.
    document = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "properties": {"pair": {"type": "array", "items": [{"type": "string"}]}},
    }
    loaded = TrackingPlan.from_dict({"version": 1, "events": {"Paired": document}})
    verdict = loaded.check(_track({"pair": [1, 2]}, "Paired"), "crm")
    assert verdict.violations == (Violation("properties.pair[0]", "1 is not of type 'string'"),)
    with pytest.raises(PlanError) as err:
        TrackingPlan.from_dict({"version": 1, "events": {"Paired": {**document, "$schema": None}}})
    assert err.value.key == "events.Paired.$schema"


# --- checking --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "source", "violations", "action"),
    [
        pytest.param(_track(ORDER), "strict", [], "accept", id="valid track"),
        pytest.param(
            _track({"order_id": "o-1"}),
            "crm",
            [("properties.revenue", "is a required property")],
            "flag",
            id="missing required",
        ),
        pytest.param(
            _track(None),
            "crm",
            [
                ("properties.order_id", "is a required property"),
                ("properties.revenue", "is a required property"),
            ],
            "flag",
            id="properties absent are an empty object",
        ),
        pytest.param(
            _track({**ORDER, "order_id": 42}),
            "crm",
            [("properties.order_id", "42 is not of type 'string'")],
            "flag",
            id="wrong type",
        ),
        pytest.param(
            _track({**ORDER, "revenue": -5}),
            "crm",
            [("properties.revenue", "-5 is less than the minimum of 0")],
            "flag",
            id="minimum",
        ),
        pytest.param(
            _track({**ORDER, "items": [{"sku": "A", "quantity": 0}, {"quantity": 1}]}),
            "crm",
            [
                ("properties.items[0].quantity", "0 is less than the minimum of 1"),
                ("properties.items[1].sku", "is a required property"),
            ],
            "flag",
            id="nested paths",
        ),
        pytest.param(
            _track({"order_id": 1, "revenue": "1", "items": {}}),
            "crm",
            [
                ("properties.items", "{} is not of type 'array'"),
                ("properties.order_id", "1 is not of type 'string'"),
                ("properties.revenue", "'1' is not of type 'number'"),
            ],
            "flag",
            id="sorted by field",
        ),
        pytest.param(
            _track([1]),
            "crm",
            [("properties", "[1] is not of type 'object'")],
            "flag",
            id="properties not an object",
        ),
        pytest.param(
            _track({"anything": [1, 2]}, "Signed Up"),
            "strict",
            [],
            "accept",
            id="planned without schema",
        ),
        pytest.param(
            _track({}, "Order Refunded"),
            "app",
            [("event", "unplanned event 'Order Refunded'")],
            "flag",
            id="unplanned, allow_unplanned false, default mode",
        ),
        pytest.param(
            _track({}, "Order Refunded"),
            "strict",
            [("event", "unplanned event 'Order Refunded'")],
            "reject",
            id="unplanned, allow_unplanned false, reject",
        ),
        pytest.param(
            _track({}, "Order Refunded"), "web", [], "accept", id="unplanned, allow_unplanned true"
        ),
        pytest.param(
            _track({}, "Order Refunded"), "elsewhere", [], "accept", id="unplanned, unknown source"
        ),
        pytest.param(
            {"type": "track", "properties": {}},
            "strict",
            [("event", "unplanned event None")],
            "reject",
            id="track without a name",
        ),
        pytest.param(
            {"type": "identify", "traits": {"email": "ada@example.com", "plan": "pro"}},
            "strict",
            [],
            "accept",
            id="identify valid",
        ),
        pytest.param(
            {"type": "identify", "traits": {"email": "not-an-email"}},
            "web",
            [("traits.email", "'not-an-email' is not a 'email'")],
            "reject",
            id="format email",
        ),
        pytest.param(
            {"type": "identify", "traits": {"created_at": "2026-02-30T10:00:00Z"}},
            "crm",
            [("traits.created_at", "'2026-02-30T10:00:00Z' is not a 'date-time'")],
            "flag",
            id="format date-time",
        ),
        pytest.param(
            {"type": "identify", "traits": {"created_at": "2026-11-27T10:00:00.123+01:00"}},
            "crm",
            [],
            "accept",
            id="format date-time valid",
        ),
        pytest.param(
            {"type": "identify", "context": {"traits": {"email": "nope", "plan": "gold"}}},
            "crm",
            [
                ("context.traits.email", "'nope' is not a 'email'"),
                ("context.traits.plan", "'gold' is not one of ['free', 'pro']"),
            ],
            "flag",
            id="identify traits from context.traits",
        ),
        pytest.param(
            {
                "type": "identify",
                "traits": {"email": "ada@example.com"},
                "context": {"traits": {"email": "nope"}},
            },
            "crm",
            [],
            "accept",
            id="top-level traits win over context.traits",
        ),
        pytest.param(
            {"type": "group", "groupId": "g1", "traits": {"employees": -1}},
            "crm",
            [
                ("traits.employees", "-1 is less than the minimum of 0"),
                ("traits.name", "is a required property"),
            ],
            "flag",
            id="group traits",
        ),
        pytest.param(
            {"type": "page", "properties": {"path": "pricing"}},
            "crm",
            [("properties.path", "'pricing' does not match '^/'")],
            "flag",
            id="page properties",
        ),
        pytest.param(
            {"type": "screen", "properties": {"path": "/home"}},
            "strict",
            [],
            "accept",
            id="screen uses the page schema",
        ),
        pytest.param(
            {"type": "alias", "userId": "u1", "previousId": "a1"},
            "strict",
            [],
            "accept",
            id="alias",
        ),
    ],
)
def test_check(
    plan: TrackingPlan,
    call: Mapping[str, object],
    source: str,
    violations: list[tuple[str, str]],
    action: Action,
) -> None:
    verdict = plan.check(call, source)
    assert verdict == Verdict(tuple(Violation(f, r) for f, r in violations), action)


@pytest.mark.parametrize(
    ("default_mode", "source", "action"),
    [
        ("flag", "web", "reject"),
        ("flag", "crm", "flag"),
        ("flag", "app", "flag"),  # listed without a mode: the default
        ("flag", "elsewhere", "flag"),
        ("reject", "crm", "flag"),
        ("reject", "app", "reject"),
        ("reject", "elsewhere", "reject"),
    ],
)
def test_action_is_the_source_mode_or_the_default(
    default_mode: str, source: str, action: str
) -> None:
    loaded = TrackingPlan.from_dict({**PLAN, "default_mode": default_mode})
    verdict = loaded.check(_track({"order_id": "o-1", "revenue": -1}), source)
    assert verdict.action == action
    assert _fields(verdict) == ["properties.revenue"]


def test_long_values_are_truncated_in_reasons(plan: TrackingPlan) -> None:
    long_id = "x" * 5000
    verdict = plan.check(_track({**ORDER, "order_id": {"blob": long_id}}), "crm")
    [violation] = verdict.violations
    assert violation.field == "properties.order_id"
    assert violation.reason.endswith("... is not of type 'string'")
    assert violation.reason.startswith("{'blob': 'xxx")
    assert len(violation.reason) == 60 + len(" is not of type 'string'")
    email = "a" * 300
    [violation] = plan.check({"type": "identify", "traits": {"email": email}}, "crm").violations
    assert violation.reason == "'" + "a" * 56 + "... is not a 'email'"


def test_long_unplanned_event_names_are_truncated(plan: TrackingPlan) -> None:
    verdict = plan.check(_track({}, "E" * 400), "strict")
    [violation] = verdict.violations
    assert violation.reason == "unplanned event '" + "E" * 56 + "..."


def test_at_most_ten_violations_sorted_by_field_with_indices_in_numeric_order(
    plan: TrackingPlan,
) -> None:
    items = [{"quantity": 1} for _ in range(30)]
    verdict = plan.check(_track({"order_id": "o-1", "revenue": 1, "items": items}), "crm")
    assert len(verdict.violations) == MAX_VIOLATIONS == 10
    assert _fields(verdict) == [f"properties.items[{i}].sku" for i in range(10)]
    assert {v.reason for v in verdict.violations} == {"is a required property"}


def test_unexpected_properties_are_named_one_by_one() -> None:
    loaded = TrackingPlan.from_dict(
        {
            "version": 1,
            "events": {
                "Strict": {
                    "type": "object",
                    "properties": {"a": {}},
                    "patternProperties": {"^x_": {}},
                    "additionalProperties": False,
                }
            },
        }
    )
    verdict = loaded.check(_track({"a": 1, "x_ok": 2, "b": 3, "c": 4}, "Strict"), "crm")
    assert verdict.violations == (
        Violation("properties.b", "unexpected property (not in the plan)"),
        Violation("properties.c", "unexpected property (not in the plan)"),
    )


def test_keys_with_dots_or_brackets_are_quoted_in_field_paths() -> None:
    loaded = TrackingPlan.from_dict(
        {
            "version": 1,
            "events": {
                "Odd": {
                    "properties": {
                        "a.b": {"type": "string"},
                        "c[0]": {"type": "string"},
                        "first name": {"type": "string"},
                    }
                }
            },
        }
    )
    verdict = loaded.check(_track({"a.b": 1, "c[0]": 2, "first name": 3}, "Odd"), "crm")
    assert _fields(verdict) == ['properties["a.b"]', 'properties["c[0]"]', "properties.first name"]


@pytest.mark.parametrize(
    "call",
    [
        _track({"order_id": 1}),
        _track({}, "Anything"),
        {"type": "identify", "traits": {"email": "nope"}},
        {"type": "group", "traits": {}},
        {"type": "page", "properties": {"path": 1}},
        {"type": "alias"},
        {},
    ],
)
def test_the_empty_plan_accepts_everything(call: Mapping[str, object]) -> None:
    empty = TrackingPlan.empty()
    assert empty.check(call, "strict") == Verdict((), "accept")
    assert empty.version is None
    assert empty.summary()["events"] == 0


def test_a_ref_that_fails_at_check_time_is_a_violation_not_a_crash() -> None:
    # References inside an embedded resource ($id) are relative to it and not checked at load.
    inner = {"$id": "https://plans.example/inner", "$ref": "missing.json"}
    loaded = TrackingPlan.from_dict(
        {"version": 1, "events": {"A": {"properties": {"x": inner}}}, "default_mode": "reject"}
    )
    verdict = loaded.check(_track({"x": 1}, "A"), "crm")
    assert verdict.action == "reject"
    [violation] = verdict.violations
    assert violation.field == "properties"
    assert violation.reason.startswith("plan error: unresolvable $ref")
    assert loaded.check(_track({}, "A"), "crm") == Verdict((), "accept")


@pytest.mark.parametrize(
    ("value", "format_", "ok"),
    [
        ("2026-11-27T10:00:00Z", "date-time", True),
        ("2026-11-27t10:00:00.5-03:30", "date-time", True),
        ("2026-11-27T10:00:00", "date-time", False),  # no offset
        ("2026-11-27 10:00:00Z", "date-time", False),
        ("2026-13-01T10:00:00Z", "date-time", False),
        ("2026-11-27T24:00:00Z", "date-time", False),
        ("10:00:00+01:00", "time", True),
        ("10:61:00Z", "time", False),
        ("2026-11-27", "date", True),
        ("27/11/2026", "date", False),
    ],
)
def test_formats(value: str, format_: str, ok: bool) -> None:
    loaded = TrackingPlan.from_dict(
        {"version": 1, "events": {"T": {"properties": {"at": {"format": format_}}}}}
    )
    verdict = loaded.check(_track({"at": value}, "T"), "crm")
    assert verdict.violations == (
        () if ok else (Violation("properties.at", f"{value!r} is not a {format_!r}"),)
    )
