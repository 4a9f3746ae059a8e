"""The GraphQL API's security through the running service: keys made with the CLI, 401s,
masked PII, FORBIDDEN fields, JWTs, the audit log an admin reads, revocation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from graphcdp.settings import Settings
from tests.e2e.conftest import ADMIN, ADMIN_ACTOR, DEMO_KEY, JWT_SECRET
from tests.e2e.graph_check import query

PROFILE = """query Pii{tag}($value: String!) {{
  customer(identifier: {{type: USER_ID, value: $value}}) {{
    id email firstName identifiers {{ type value }} }} }}"""
SPLIT = """mutation Split{tag}($id: ID!) {{
  splitCustomer(customerId: $id, correction: {{kind: RECORD, recordId: "r"}}) {{ __typename }} }}"""
AUDIT = """query ($actor: String) { auditLog(first: 200, actor: $actor) {
  entries { actor role operation kind fields customerIds at } } }"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphcdp.cli", *args],
        env=os.environ, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _key(name: str, role: str) -> str:
    made = _cli("apikey", "create", "--name", name, "--role", role)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("gcdp_"), made.stdout
    return secret


def _post(base: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{base}/graphql", json=body, headers=headers, timeout=10)


def _ok(base: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    reply = _post(base, body, headers)
    assert reply.status_code == 200, reply.text
    payload: dict[str, Any] = reply.json()
    return payload


def _audit(base: str, actor: str) -> list[dict[str, Any]]:
    """The audit log's newest entries of ``actor``, read by the admin."""
    body = {"query": AUDIT, "variables": {"actor": actor}}
    entries: list[dict[str, Any]] = _ok(base, body, ADMIN)["data"]["auditLog"]["entries"]
    return entries


@pytest.fixture(scope="module")
def keys(service: str, settings: Settings) -> Any:
    tag = uuid.uuid4().hex[:10]
    names = {role: f"e2e-{role}-{tag}" for role in ("viewer", "analyst")}
    secrets = {role: _key(name, role) for role, name in names.items()}
    yield tag, names, secrets
    query(settings, "MATCH (k:ApiKey) WHERE k.name IN $names DELETE k",
          names=list(names.values()))  # fmt: skip


def test_graphql_without_a_usable_credential_is_401(service: str) -> None:
    body = {"query": "{ __typename }"}
    missing = _post(service, body, {})
    assert missing.status_code == 401
    assert missing.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "missing credentials" in missing.json()["errors"][0]["message"]
    unknown = _post(service, body, {"X-API-Key": "gcdp_nobody"})
    assert unknown.status_code == 401
    assert unknown.json()["errors"][0]["message"] == "unknown API key"
    forged = jwt.encode({"sub": "eve", "role": "admin"}, "x" * 40, algorithm="HS256")
    bad = _post(service, body, {"Authorization": f"Bearer {forged}"})
    assert bad.status_code == 401
    assert "Signature verification failed" in bad.json()["errors"][0]["message"]
    # What stays open: health, readiness and metrics carry no customer data.
    assert httpx.get(f"{service}/healthz", timeout=5).status_code == 200
    assert httpx.get(f"{service}/metrics", timeout=5).status_code == 200


def test_roles_see_masked_pii_forbidden_fields_and_the_audit_log(
    service: str, settings: Settings, keys: Any
) -> None:
    tag, names, secrets = keys
    user, email = f"sec-{tag}", f"kim.{tag}@example.com"
    call = {"userId": user, "traits": {"email": email, "firstName": "Kimberly"}}
    sent = httpx.post(f"{service}/v1/identify", auth=(DEMO_KEY, ""), json=call, timeout=10)
    assert sent.status_code == 200, sent.text
    read = {"query": PROFILE.format(tag=tag), "variables": {"value": user}}
    deadline, customer = time.monotonic() + 30, None
    while customer is None and time.monotonic() < deadline:
        customer = _ok(service, read, ADMIN)["data"]["customer"]
        time.sleep(0.2)
    assert customer is not None, "the customer never appeared"
    assert (customer["email"], customer["firstName"]) == (email, "Kimberly")  # admin: PII

    viewer = _ok(service, read, {"X-API-Key": secrets["viewer"]})
    assert viewer["data"]["customer"] | {"identifiers": None} == {
        "id": customer["id"], "email": "k***@e***.com", "firstName": "K*******",
        "identifiers": None,
    }  # fmt: skip
    assert {"type": "EMAIL", "value": "k***@e***.com"} in viewer["data"]["customer"]["identifiers"]
    assert {"type": "USER_ID", "value": user} in viewer["data"]["customer"]["identifiers"]

    def bearer(sub: str, role: str) -> dict[str, str]:
        token = jwt.encode({"sub": sub, "role": role, "exp": int(time.time()) + 60}, JWT_SECRET,
                           algorithm="HS256")  # fmt: skip
        return {"Authorization": f"Bearer {token}"}

    assert _ok(service, read, bearer(f"ann-{tag}", "analyst"))["data"]["customer"]["email"] == (
        "k***@e***.com"
    )
    marketer = _ok(service, read, bearer(f"mo-{tag}", "marketer"))["data"]["customer"]
    assert marketer["email"] == email

    analyst = {"Authorization": f"Bearer {secrets['analyst']}"}
    split = {"query": SPLIT.format(tag=tag), "variables": {"id": f"cus_missing_{tag}"}}
    refused = _ok(service, split, analyst)
    assert refused["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in refused["errors"]] == [
        (["splitCustomer"], "FORBIDDEN")
    ]
    audit_refused = _ok(service, {"query": AUDIT}, analyst)
    assert audit_refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = _ok(service, split, ADMIN)
    assert done["data"]["splitCustomer"] == {"__typename": "CustomerNotFound"}

    # The admin finds the PII reads and the mutation (and the refusals) in the audit log.
    wanted = {f"Pii{tag}", f"Split{tag}"}
    deadline, found = time.monotonic() + 15, {}
    while time.monotonic() < deadline:
        entries = _audit(service, ADMIN_ACTOR)
        found = {e["operation"]: e for e in entries if e["operation"] in wanted}
        if set(found) == wanted:
            break
        time.sleep(0.3)
    pii = found[f"Pii{tag}"]
    assert (pii["kind"], pii["role"], pii["customerIds"]) == ("pii_read", "admin", [customer["id"]])
    assert {"Query.customer", "Customer.email", "Customer.firstName"} <= set(pii["fields"])
    assert email not in str(pii)  # names of fields, never values
    mutation = found[f"Split{tag}"]
    assert (mutation["kind"], mutation["fields"], mutation["customerIds"]) == (
        "mutation", ["Mutation.splitCustomer"], [f"cus_missing_{tag}"],
    )  # fmt: skip
    analyst_entries = _audit(service, f"key:{names['analyst']}")
    assert sorted(e["fields"][0] for e in analyst_entries) == [
        "Mutation.splitCustomer", "Query.auditLog",
    ]  # fmt: skip
    assert {e["kind"] for e in analyst_entries} == {"forbidden"}
    viewer_entries = _audit(service, f"key:{names['viewer']}")
    assert viewer_entries == []  # masked reads are not PII reads


def test_a_revoked_key_is_refused_within_seconds(service: str, keys: Any) -> None:
    _, names, secrets = keys
    headers = {"X-API-Key": secrets["viewer"]}
    assert _post(service, {"query": "{ __typename }"}, headers).status_code == 200
    revoked = _cli("apikey", "revoke", names["viewer"])
    assert revoked.returncode == 0, revoked.stderr
    listed = _cli("apikey", "list")
    assert any(line.startswith(names["viewer"]) and "revoked" in line
               for line in listed.stdout.splitlines())  # fmt: skip
    deadline, reply = time.monotonic() + 20, None
    while time.monotonic() < deadline:
        reply = _post(service, {"query": "{ __typename }"}, headers)
        if reply.status_code == 401:
            break
        time.sleep(0.5)
    assert reply is not None
    assert (reply.status_code, reply.json()["errors"][0]["message"]) == (401, "revoked API key")


def test_production_keeps_introspection_and_graphiql_from_non_admins(
    production_api: str,
) -> None:
    introspect = {"query": "{ __schema { queryType { name } } }"}
    token = jwt.encode({"sub": "vic", "role": "viewer"}, JWT_SECRET, algorithm="HS256")
    viewer = _ok(production_api, introspect, {"Authorization": f"Bearer {token}"})
    assert viewer["data"] is None
    assert [e["extensions"]["code"] for e in viewer["errors"]] == ["FORBIDDEN"]
    admin = _ok(production_api, introspect, ADMIN)
    assert admin == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    page = httpx.get(f"{production_api}/graphql", headers={"accept": "text/html"}, timeout=10)
    assert page.status_code == 401  # no GraphiQL page in production
    with_key = httpx.get(f"{production_api}/graphql", headers={"accept": "text/html", **ADMIN},
                         timeout=10)  # fmt: skip
    assert "graphiql" not in with_key.text.lower()


def test_a_subscription_needs_a_key_and_a_viewer_gets_masked_profiles(
    service: str, keys: Any
) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect
    from websockets.typing import Subprotocol

    url = service.replace("http", "ws") + "/graphql"
    protocols = [Subprotocol("graphql-transport-ws")]
    with pytest.raises(InvalidStatus) as refused:
        connect(url, subprotocols=protocols, open_timeout=10)
    assert refused.value.response.status_code == 403
    tag, _, secrets = keys
    user, email = f"sub-{tag}", f"sub.{tag}@example.com"
    call = {"userId": user, "traits": {"email": email}}
    assert httpx.post(f"{service}/v1/identify", auth=(DEMO_KEY, ""), json=call,
                      timeout=10).status_code == 200  # fmt: skip
    read = {"query": PROFILE.format(tag=f"Sub{tag}"), "variables": {"value": user}}
    deadline, customer = time.monotonic() + 30, None
    while customer is None and time.monotonic() < deadline:
        customer = _ok(service, read, ADMIN)["data"]["customer"]
        time.sleep(0.2)
    assert customer is not None
    changed = "subscription ($id: ID!) { customerChanged(id: $id) { id email } }"
    with connect(url, subprotocols=protocols, additional_headers={"X-API-Key": secrets["analyst"]},
                 open_timeout=10) as ws:  # fmt: skip
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "connection_ack"
        payload = {"query": changed, "variables": {"id": customer["id"]}}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        time.sleep(0.5)  # the subscription is registered
        again = {"userId": user, "traits": {"city": "Oslo"}}
        assert httpx.post(f"{service}/v1/identify", auth=(DEMO_KEY, ""), json=again,
                          timeout=10).status_code == 200  # fmt: skip
        message = json.loads(ws.recv(timeout=15))
    assert message["type"] == "next", message
    assert message["payload"]["data"]["customerChanged"] == {
        "id": customer["id"], "email": "s***@e***.com",
    }  # fmt: skip
