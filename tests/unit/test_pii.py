"""PII is masked for roles without PII access (shape kept, never null), read as stored and
noted for the audit log for roles with it."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from graph.repository import Profile
from matching.rules import DEFAULT_RULES
from resolvers.context import Context
from resolvers.pii import (
    json_has_pii,
    mask,
    mask_email,
    mask_identifier_key,
    mask_json,
    mask_keys_in_text,
    mask_phone,
)
from resolvers.schema import schema

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("email", "john@example.com", "j***@e***.com"),
        ("email", "Kim.Lee+news@mail.example.co.uk", "K***@m***.uk"),
        ("email", "nodomain@localhost", "n***@l***"),
        ("email", "not-an-email", "n**-a*-e****"),
        ("phone", "+441234567834", "+4*********34"),
        ("phone", "+14155550199", "+1********99"),
        ("phone", "12345", "*****"),
        ("name", "Kim", "K**"),
        ("name", "Mary-Ann O'Neil", "M***-A** O'N***"),
        ("address", "12 High Street", "1* H*** S*****"),
        ("dob", "1990-05-17", "****-**-**"),
    ],
)
def test_masks_keep_the_shape_and_hide_the_value(kind: Any, value: str, masked: str) -> None:
    assert mask(kind, value) == masked
    assert len(mask(kind, value)) > 0


def test_email_and_phone_helpers_match_the_issue_examples() -> None:
    assert mask_email("jane@example.com") == "j***@e***.com"
    assert mask_phone("+44123456734") == "+4********34"


def test_identifier_keys_are_masked_by_type() -> None:
    assert mask_identifier_key("email:kim@example.com") == "email:k***@e***.com"
    assert mask_identifier_key("phone:+14155550199") == "phone:+1********99"
    assert mask_identifier_key("user_id:u-42") == "user_id:u-42"
    assert mask_identifier_key("anonymous_id:browser-9") == "anonymous_id:browser-9"
    assert (
        mask_keys_in_text("shares email:kim@example.com with record(s) r1 (email: priority 2)")
        == "shares email:k***@e***.com with record(s) r1 (email: priority 2)"
    )


class Tripwire:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"not used in this test: {name}")


class Profiles:
    """The profile cache, holding one profile."""

    def __init__(self, profile: Profile) -> None:
        self._profile = profile

    async def profile(self, customer_id: str) -> Profile | None:
        return self._profile if customer_id == self._profile.customer["customer_id"] else None


PROFILE = Profile(
    customer={
        "customer_id": "cus_1",
        "display_name": "Kim Lee",
        "email": "kim@example.com",
        "phone": "+14155550199",
        "first_name": "Kim",
        "last_name": "Lee",
        "city": "Leeds",
        "golden_provenance": json.dumps(
            {
                "email": {"record_id": "r1", "source": "web", "timestamp": "t", "policy": "p"},
                "city": {"record_id": "r1", "source": "web", "timestamp": "t", "policy": "p"},
            }
        ),
    },
    requested_id="cus_1",
    identifiers=[
        {"key": "email:kim@example.com", "type": "email", "value": "kim@example.com"},
        {"key": "user_id:u-42", "type": "user_id", "value": "u-42"},
    ],
    devices=[],
    record_count=2,
)

QUERY = """query Profile { customer(id: "cus_1") {
  id displayName email phone firstName lastName
  identifiers { key type value } provenance { attribute value } } }"""


async def _read(role: str) -> tuple[dict[str, Any], Context]:
    wire = cast(Any, Tripwire())
    ctx = Context(
        profiles=wire, normalise=wire, rules=DEFAULT_RULES, settings=wire, splits=wire,
        changes=None, trait_store=wire, reviews=wire, traits=(),
        cached=cast(Any, Profiles(PROFILE)),
        related=wire, loaders=wire, hub=wire, search=wire, segments=wire, activations=wire,
        audit_entries=wire,
        actor="key:t", role=role,
    )  # fmt: skip
    result = await schema.execute(QUERY, context_value=ctx)
    assert result.errors is None
    assert result.data is not None
    return result.data["customer"], ctx


@pytest.mark.parametrize("role", ["analyst", "viewer"])
async def test_roles_without_pii_access_read_masked_values(role: str) -> None:
    customer, ctx = await _read(role)
    assert customer == {
        "id": "cus_1",
        "displayName": "K** L**",
        "email": "k***@e***.com",
        "phone": "+1********99",
        "firstName": "K**",
        "lastName": "L**",
        "identifiers": [
            {"key": "email:k***@e***.com", "type": "EMAIL", "value": "k***@e***.com"},
            {"key": "user_id:u-42", "type": "USER_ID", "value": "u-42"},
        ],
        "provenance": [
            {"attribute": "city", "value": "Leeds"},
            {"attribute": "email", "value": "k***@e***.com"},
        ],
    }
    assert ctx.access.pii_fields == set()  # nothing to audit: no PII was read
    assert ctx.access.kind(mutation=False) is None


@pytest.mark.parametrize("role", ["admin", "marketer"])
async def test_roles_with_pii_access_read_values_and_the_read_is_noted(role: str) -> None:
    customer, ctx = await _read(role)
    assert customer["email"] == "kim@example.com"
    assert customer["displayName"] == "Kim Lee"
    assert customer["identifiers"][0]["value"] == "kim@example.com"
    assert customer["provenance"][1] == {"attribute": "email", "value": "kim@example.com"}
    assert ctx.access.pii_fields == {
        "Customer.displayName", "Customer.email", "Customer.phone", "Customer.firstName",
        "Customer.lastName", "Identifier.key", "Identifier.value", "AttributeProvenance.value",
    }  # fmt: skip
    assert ctx.access.customer_ids == {"cus_1"}
    assert ctx.access.kind(mutation=False) == "pii_read"


def test_json_values_under_pii_keys_are_masked_at_any_depth() -> None:
    properties = {
        "revenue": 42, "email": "kim@example.com", "firstName": "Kim",
        "shipping": {"street_address": "1 High St", "address-line-1": "1 High St", "zip": 94110},
        "items": [{"name": "Lamp", "sku": "L-1"}], "phone": None, "dob": {"y": 1990},
    }  # fmt: skip
    assert json_has_pii(properties)
    assert mask_json(properties) == {
        "revenue": 42, "email": "k***@e***.com", "firstName": "K**",
        "shipping": {"street_address": "1 H*** S*", "address-line-1": "1 H*** S*", "zip": "***"},
        "items": [{"name": "L***", "sku": "L-1"}], "phone": None, "dob": {"y": 1990},
    }  # fmt: skip
    assert not json_has_pii({"revenue": 1, "items": [{"sku": "x"}], "phone": None})
    assert mask_json(["a", 1, None]) == ["a", 1, None]


class Loader:
    def __init__(self, value: Any) -> None:
        self.value = value

    async def load(self, key: str) -> Any:
        return self.value


class Loaders:
    """Per-request loaders: one customer's events and groups."""

    groups = Loader([{"group_id": "g1", "type": "household", "name": "The Lees",
                      "email": "home@lee.example"}])  # fmt: skip

    def events(self, page: Any) -> Loader:
        return Loader([
            {"event_id": "e2", "type": "track", "name": "Order Completed", "timestamp": "t2",
             "properties": json.dumps({"revenue": 9}), "device_ids": []},
            {"event_id": "e1", "type": "identify", "name": None, "timestamp": "t1",
             "properties": json.dumps({"email": "kim@example.com"}), "device_ids": []},
        ])  # fmt: skip


EVENTS = """query Events { customer(id: "cus_1") {
  events(first: 5) { edges { node { id properties } } } groups { traits } } }"""


async def _events(role: str) -> tuple[dict[str, Any], Context]:
    wire = cast(Any, Tripwire())
    ctx = Context(
        profiles=wire, normalise=wire, rules=DEFAULT_RULES, settings=wire, splits=wire,
        changes=None, trait_store=wire, reviews=wire, traits=(),
        cached=cast(Any, Profiles(PROFILE)), related=wire, loaders=cast(Any, Loaders()),
        hub=wire, search=wire, segments=wire, activations=wire,
        audit_entries=wire, actor="key:t", role=role,
    )  # fmt: skip
    result = await schema.execute(EVENTS, context_value=ctx)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["customer"], ctx


async def test_event_properties_and_group_traits_are_masked_by_key() -> None:
    viewer, ctx = await _events("viewer")
    assert [e["node"]["properties"] for e in viewer["events"]["edges"]] == [
        {"revenue": 9}, {"email": "k***@e***.com"},
    ]  # fmt: skip
    assert viewer["groups"] == [
        {"traits": {"type": "household", "name": "T** L***", "email": "h***@l***.example"}}
    ]
    assert ctx.access.pii_fields == set()
    admin, ctx = await _events("admin")
    assert admin["events"]["edges"][1]["node"]["properties"] == {"email": "kim@example.com"}
    assert ctx.access.pii_fields == {"Event.properties", "Group.traits"}
