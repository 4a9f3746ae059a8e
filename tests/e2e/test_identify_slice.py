"""POST /v1/identify -> Kafka -> worker -> Neo4j -> GraphQL, through the running service."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from typing import Any

import httpx

from graphcdp.settings import Settings
from tests.e2e.conftest import ADMIN, ADMIN_ACTOR

CHROME_ON_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
PROFILE = """
query ($type: IdentifierType!, $value: String!) {
  customer(identifier: {type: $type, value: $value}) {
    id requestedId displayName email recordCount
    identifiers { type value }
    devices { id kind os }
    provenance { attribute value source policy }
  }
}"""


def _key(settings: Settings) -> str:
    return next(iter(settings.parsed_write_keys()))


def _graphql(base: str, query: str, **variables: Any) -> dict[str, Any]:
    reply = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables},
                       headers=ADMIN, timeout=10)  # fmt: skip
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def _wait_for(
    base: str, type_: str, value: str, records: int, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    customer = None
    while time.monotonic() < deadline:
        customer = _graphql(base, PROFILE, type=type_, value=value)["data"]["customer"]
        if customer and customer["recordCount"] >= records:
            return dict(customer)
        time.sleep(0.2)
    raise AssertionError(f"no customer with {records} records for {type_} {value}: {customer}")


def test_two_identify_calls_sharing_an_email_land_in_one_customer(
    service: str, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    email = f"Ada.{tag}@Example.com"
    auth = (_key(settings), "")
    first = httpx.post(
        f"{service}/v1/identify",
        auth=auth,
        json={
            "anonymousId": f"anon-{tag}",
            "traits": {"email": email, "firstName": "Ada"},
            "context": {"userAgent": CHROME_ON_LINUX},
        },
    )
    assert first.status_code == 200
    assert first.json() == {"success": True}
    second = httpx.post(
        f"{service}/v1/identify",
        auth=auth,
        json={
            "userId": f"user-{tag}",
            "traits": {"email": email.lower(), "lastName": "Lovelace"},
            "context": {"device": {"id": f"ios-{tag}", "type": "ios"}, "os": {"name": "iOS"}},
        },
    )
    assert second.status_code == 200
    customer = _wait_for(service, "EMAIL", email, records=2)
    assert customer["email"] == email.lower()
    assert customer["displayName"] == "Ada Lovelace"
    assert {p["attribute"]: (p["value"], p["policy"]) for p in customer["provenance"]} == {
        "email": (email.lower(), "most_recent"),
        "first_name": ("Ada", "source_priority"),
        "last_name": ("Lovelace", "source_priority"),
    }
    assert {(i["type"], i["value"]) for i in customer["identifiers"]} == {
        ("ANONYMOUS_ID", f"anon-{tag}"),
        ("USER_ID", f"user-{tag}"),
        ("EMAIL", email.lower()),
    }
    assert {(d["id"], d["kind"]) for d in customer["devices"]} == {
        (f"anon-{tag}", "desktop"),
        (f"ios-{tag}", "ios"),
    }
    # Every identifier leads to the same customer, and so does its id.
    for type_, value in (("USER_ID", f"user-{tag}"), ("ANONYMOUS_ID", f"anon-{tag}")):
        assert _wait_for(service, type_, value, records=2)["id"] == customer["id"]
    by_id = _graphql(service, "query ($id: ID!) { customer(id: $id) { id } }", id=customer["id"])
    assert by_id["data"]["customer"]["id"] == customer["id"]


def test_write_key_in_the_body_and_gzip_bodies_are_accepted(
    service: str, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    n = int(tag[:6], 16)  # unique, or it would join earlier runs; exchanges start at 200
    phone = f"+1 415 {200 + n % 800} {n % 10**4:04d}"
    body = {"userId": f"gz-{tag}", "writeKey": _key(settings), "traits": {"phone": phone}}
    reply = httpx.post(
        f"{service}/v1/identify",
        content=gzip.compress(json.dumps(body).encode()),
        headers={"content-encoding": "gzip", "content-type": "application/json"},
    )
    assert reply.status_code == 200, reply.text
    assert _wait_for(service, "USER_ID", f"gz-{tag}", records=1)["recordCount"] == 1


def test_a_wrong_or_missing_write_key_is_rejected_with_401(service: str) -> None:
    call = {"userId": "nobody"}
    wrong = httpx.post(f"{service}/v1/identify", auth=("not-a-real-key", ""), json=call)
    assert wrong.status_code == 401
    assert wrong.json() == {"success": False, "error": "unknown write key"}
    missing = httpx.post(f"{service}/v1/identify", json=call)
    assert missing.status_code == 401
    assert "missing write key" in missing.json()["error"]


def test_invalid_calls_get_400_naming_the_field(service: str, settings: Settings) -> None:
    auth = (_key(settings), "")
    cases = [
        (b"{not json", "body"),
        (json.dumps({"traits": {}}).encode(), "userId"),
        (json.dumps({"userId": "u", "timestamp": "yesterday"}).encode(), "timestamp"),
        (json.dumps({"userId": "u", "traits": "x" * 40_000}).encode(), "body"),
    ]
    for content, field in cases:
        reply = httpx.post(f"{service}/v1/identify", auth=auth, content=content)
        assert reply.status_code == 400, (field, reply.text)
        assert reply.json()["field"] == field


def test_graphql_rejects_ambiguous_lookups_and_bad_identifiers(service: str) -> None:
    both = _graphql(
        service, '{ customer(id: "x", identifier: {type: EMAIL, value: "a@b.co"}) { id } }'
    )
    assert both["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad = _graphql(service, PROFILE, type="EMAIL", value="not-an-email")
    assert bad["errors"][0]["message"].startswith("email: not an address")
    assert _graphql(service, PROFILE, type="USER_ID", value=f"none-{uuid.uuid4()}")["data"] == {
        "customer": None
    }


def test_a_shared_family_email_is_a_conflict_not_a_merge(service: str, settings: Settings) -> None:
    tag = uuid.uuid4().hex[:10]
    family = f"family-{tag}@example.org"
    auth = (_key(settings), "")
    for user in ("mum", "dad"):
        call = {"userId": f"{user}-{tag}", "traits": {"email": family, "firstName": user}}
        assert httpx.post(f"{service}/v1/identify", auth=auth, json=call).status_code == 200
    mum = _wait_for(service, "USER_ID", f"mum-{tag}", records=1)
    dad = _wait_for(service, "USER_ID", f"dad-{tag}", records=1)
    assert mum["id"] != dad["id"]
    query = (
        "query ($c: ID!) { conflicts(customerId: $c) { reason identifier recordId customerIds } }"
    )
    deadline = time.monotonic() + 30
    conflicts: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not conflicts:
        conflicts = _graphql(service, query, c=dad["id"])["data"]["conflicts"]
        time.sleep(0.2)
    assert len(conflicts) == 1
    assert conflicts[0]["reason"] == "limit"
    assert conflicts[0]["identifier"] == f"email:{family}"
    assert set(conflicts[0]["customerIds"]) == {mum["id"], dad["id"]}
    bad = _graphql(service, "{ conflicts(first: 0) { reason } }")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


EXPLAIN = """
query ($id: ID!) {
  customer(id: $id) {
    id
    history { kind cause recordId identifier actor kept absorbed splitOff }
    identityGraph {
      records { id source }
      identifiers { key blocked customerCount }
      links { recordId identifier joins why }
      merges { kind identifier }
    }
  }
}"""


def test_a_merge_is_in_the_history_and_every_link_is_explained(
    service: str, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    email = f"grace-{tag}@example.org"
    auth = (_key(settings), "")
    calls = [
        {"anonymousId": f"anon-{tag}", "traits": {"email": email}},
        {"userId": f"u-{tag}", "traits": {"email": "test@test.com"}},
        {"userId": f"u-{tag}", "traits": {"email": email}, "messageId": f"join-{tag}"},
    ]
    for n, call in enumerate(calls):
        assert httpx.post(f"{service}/v1/identify", auth=auth, json=call).status_code == 200
        if n == 0:
            older = _wait_for(service, "EMAIL", email, records=1)
        if n == 1:
            younger = _wait_for(service, "USER_ID", f"u-{tag}", records=1)
    merged = _wait_for(service, "EMAIL", email, records=3)
    assert merged["id"] == older["id"] != younger["id"]
    data = _graphql(service, EXPLAIN, id=younger["id"])["data"]["customer"]
    assert data["id"] == older["id"]  # the younger id is a redirect now
    assert data["history"] == [
        {"kind": "merge", "cause": "rule", "recordId": f"join-{tag}",
         "identifier": f"user_id:u-{tag}", "actor": "resolver", "kept": [older["id"]],
         "absorbed": [younger["id"]], "splitOff": []}
    ]  # fmt: skip
    graph = data["identityGraph"]
    assert len(graph["records"]) == 3
    assert graph["merges"] == [{"kind": "merge", "identifier": f"user_id:u-{tag}"}]
    why = {(link["recordId"], link["identifier"]): link for link in graph["links"]}
    junk = next(v for (r, i), v in why.items() if i == "email:test@test.com")
    assert not junk["joins"]
    assert "blocked value" in junk["why"]
    shared = why[(f"join-{tag}", f"email:{email}")]
    assert shared["joins"]
    assert shared["why"].startswith(f"shares email:{email} with record(s) ")
    assert {i["key"]: i["blocked"] for i in graph["identifiers"]}["email:test@test.com"]


SPLIT = """
mutation ($id: ID!, $kind: CorrectionKind!, $record: String, $identifier: String) {
  splitCustomer(customerId: $id, reason: "e2e",
                correction: {kind: $kind, recordId: $record, identifier: $identifier}) {
    __typename
    ... on SplitDone { customerId split parts { customerId new recordIds } }
    ... on SplitRefused { reason }
    ... on CustomerNotFound { customerId }
  }
}"""


def test_split_customer_unmerges_through_graphql(service: str, settings: Settings) -> None:
    tag = uuid.uuid4().hex[:10]
    shared = f"desk-{tag}@example.org"
    auth = (_key(settings), "")
    for user in ("kim", "lee"):
        call = {
            "userId": f"{user}-{tag}",
            "traits": {"email": shared},
            "messageId": f"{user}-{tag}",
        }
        assert httpx.post(f"{service}/v1/identify", auth=auth, json=call).status_code == 200
        _wait_for(service, "USER_ID", f"{user}-{tag}", records=1)
    kim = _wait_for(service, "USER_ID", f"kim-{tag}", records=1)
    # Two user ids never fuse; detach the desk address from Kim's customer and split nothing.
    done = _graphql(service, SPLIT, id=kim["id"], kind="IDENTIFIER",
                    identifier=f"email:{shared.upper()}")["data"]["splitCustomer"]  # fmt: skip
    assert done == {"__typename": "SplitDone", "customerId": kim["id"], "split": False,
                    "parts": [{"customerId": kim["id"], "new": False,
                               "recordIds": [f"kim-{tag}"]}]}  # fmt: skip
    refused = _graphql(service, SPLIT, id=kim["id"], kind="RECORD", record="nope")
    assert refused["data"]["splitCustomer"] == {
        "__typename": "SplitRefused", "reason": f"record nope does not belong to {kim['id']}"
    }  # fmt: skip
    missing = _graphql(service, SPLIT, id="cus_none", kind="RECORD", record="x")
    assert missing["data"]["splitCustomer"]["__typename"] == "CustomerNotFound"
    wrong = _graphql(service, SPLIT, id=kim["id"], kind="LINK", record=f"kim-{tag}")
    assert wrong["data"]["splitCustomer"]["reason"] == "link needs identifier"
    query = "query ($id: ID!) { customer(id: $id) { history { kind actor detail identifier } } }"
    history = _graphql(service, query, id=kim["id"])["data"]["customer"]["history"]
    assert history == [{"kind": "split", "actor": ADMIN_ACTOR, "detail": "e2e",
                        "identifier": f"email:{shared}"}]  # fmt: skip


def test_computed_traits_follow_track_calls(service: str, settings: Settings) -> None:
    tag = uuid.uuid4().hex[:10]
    auth = (_key(settings), "")
    calls = [
        {"type": "identify", "userId": f"buyer-{tag}", "traits": {"email": f"b-{tag}@x.org"}},
        {"type": "track", "userId": f"buyer-{tag}", "event": "Order Completed",
         "properties": {"revenue": 30, "category": "games"}},
        {"type": "track", "userId": f"buyer-{tag}", "event": "Order Completed",
         "properties": {"revenue": 12.5}},
        {"type": "track", "userId": f"buyer-{tag}", "event": "Product Viewed",
         "properties": {"category": "games"}},
    ]  # fmt: skip
    reply = httpx.post(f"{service}/v1/batch", auth=auth, json={"batch": calls})
    assert reply.status_code == 200, reply.text
    query = (
        "query ($v: String!) { customer(identifier: {type: USER_ID, value: $v}) "
        "{ traits { name value } } }"
    )
    deadline = time.monotonic() + 30
    traits: dict[str, Any] = {}
    while time.monotonic() < deadline and traits.get("event_count") != 4:
        customer = _graphql(service, query, v=f"buyer-{tag}")["data"]["customer"]
        traits = {t["name"]: t["value"] for t in (customer or {}).get("traits", [])}
        time.sleep(0.2)
    last_order = traits.pop("last_order_at")
    predicted = {name: traits.pop(name) for name in settings.predicted_trait_names()}
    assert predicted == dict.fromkeys(predicted)  # listed, unset until `graphcdp predict`
    assert traits == {"event_count": 4, "orders_30d": 2, "revenue_total": 42.5,
                      "favourite_category": "games"}  # fmt: skip
    assert str(last_order).startswith("20")


def test_identity_rules_set_through_graphql_reach_the_worker(
    service: str, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    domain = f"blocked-{tag}.example"
    save = "mutation ($y: String!) { setIdentityRules(yaml: $y) { __typename "
    save += "... on RulesSaved { version } ... on RulesInvalid { reason } } }"
    bad = _graphql(service, save, y="types:\n  fax: {limit: 1}\n")["data"]["setIdentityRules"]
    assert bad == {"__typename": "RulesInvalid", "reason": bad["reason"]}
    assert bad["reason"].startswith("types.fax: unknown identifier type")
    yaml = f"blocked:\n  email: ['.*@{domain.replace('.', '[.]')}']\n"
    saved = _graphql(service, save, y=yaml)["data"]["setIdentityRules"]
    assert saved["__typename"] == "RulesSaved"
    try:
        shown = _graphql(service, "{ identityRules { source version yaml types { type limit } } }")
        rules = shown["data"]["identityRules"]
        assert (rules["source"], rules["version"], rules["yaml"]) == (
            "graph",
            saved["version"],
            yaml,
        )
        assert {"type": "email", "limit": 5} in rules["types"]
        time.sleep(5.5)  # every process re-reads the setting within 5 s
        auth = (_key(settings), "")
        for n in (1, 2):
            call = {"anonymousId": f"kiosk{n}-{tag}", "traits": {"email": f"desk@{domain}"}}
            assert httpx.post(f"{service}/v1/identify", auth=auth, json=call).status_code == 200
        first = _wait_for(service, "ANONYMOUS_ID", f"kiosk1-{tag}", records=1)
        second = _wait_for(service, "ANONYMOUS_ID", f"kiosk2-{tag}", records=1)
        assert first["id"] != second["id"]  # the blocked address joins no one
    finally:
        assert _graphql(service, save, y="{}\n")["data"]["setIdentityRules"]["version"] > 0
    counts = _graphql(service, "{ conflictCounts { reason count } }")["data"]["conflictCounts"]
    assert all(c["count"] > 0 for c in counts)
