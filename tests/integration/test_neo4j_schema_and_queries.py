"""Every Cypher file runs against the real Neo4j; the constraints of the model exist."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import AsyncDriver

from graph.cypher import queries
from graph.model import EventData, Identifier, Observation, iso_utc, now_iso
from graph.repository import (
    AuditRepository,
    EventRepository,
    IdentityRepository,
    ProfileRepository,
)
from graph.repository.housekeeping import one_cutoff
from graph.schema import apply_schema
from graphcdp.settings import Settings
from ingest.retention_loop import AuditRetention, prune_once
from matching.deterministic import resolve
from privacy.retention import Retention

MODEL_KEYS = {
    ("Customer", "customer_id"),
    ("Record", "record_id"),
    ("Identifier", "key"),
    ("Device", "device_id"),
    ("Event", "event_id"),
    ("Segment", "segment_id"),
    ("Destination", "destination_id"),
    ("Address", "address_id"),
    ("Household", "household_id"),
    ("Group", "group_id"),
    ("Conflict", "conflict_id"),
    ("IdentityChange", "change_id"),
    ("Setting", "name"),
    ("MatchModel", "version"),
    ("ApiKey", "name"),
    ("ApiKey", "key_hash"),
    ("AuditBatch", "batch_id"),
    ("AuditEntry", "entry_id"),  # the log before AuditBatch, until graph.schema moves it
}


async def test_every_model_key_has_a_uniqueness_constraint(driver: AsyncDriver) -> None:
    records, _, _ = await driver.execute_query(queries()["schema.show_constraints"].query())
    unique = {
        (row["labels"][0], row["properties"][0])
        for row in records
        if row["type"] == "UNIQUENESS" and len(row["properties"]) == 1
    }
    assert unique >= MODEL_KEYS


async def test_the_indexes_bloom_searches_exist(driver: AsyncDriver) -> None:
    records, _, _ = await driver.execute_query(queries()["schema.show_indexes"].query())
    online = {
        (row["name"], row["type"], tuple(row["labels"] or ()), tuple(row["properties"] or ()))
        for row in records
        if row["state"] == "ONLINE"
    }
    assert {
        ("identifier_value", "RANGE", ("Identifier",), ("value",)),
        ("customer_display_name", "RANGE", ("Customer",), ("display_name",)),
        ("customer_email", "RANGE", ("Customer",), ("email",)),
        ("customer_phone", "RANGE", ("Customer",), ("phone",)),
        ("segment_name", "RANGE", ("Segment",), ("name",)),
        ("group_name", "RANGE", ("Group",), ("name",)),
        ("identifier_text", "FULLTEXT", ("Identifier",), ("value",)),
        ("name_text", "FULLTEXT", ("Segment", "Group", "Destination"), ("name",)),
        ("customer_text", "FULLTEXT", ("Customer",), ("display_name", "email", "phone")),
    } <= online


def test_schema_apply_is_idempotent(settings: Settings) -> None:
    assert apply_schema(settings) == apply_schema(settings) > 0


def _sample_params(tag: str) -> dict[str, dict[str, Any]]:
    now = now_iso()
    row = {
        "customer_id": f"cus_{tag}",
        "record_id": f"rec_{tag}",
        "source": "test",
        "kind": "identify",
        "received_at": now,
        "timestamp": now,
        "attributes": "{}",
        "golden_json": json.dumps({"email": f"{tag}@example.com"}),
        "first_names": ["ada"],
        "blocking": {"bk_email": f"{tag}@example.com"},
        "dobs": [],
        "identifier_keys": [f"email:{tag}@example.com"],
        "devices": [
            {
                "device_id": f"dev_{tag}",
                "kind": "ios",
                "os": "iOS",
                "user_agent": None,
                "browser": "Chrome",
            }
        ],
    }
    return {
        "identity.lock_identifiers": {
            "identifiers": [
                {"key": f"email:{tag}@example.com", "type": "email", "value": f"{tag}@example.com"}
            ],
            "ids": [f"rec_{tag}"],
            "hashes": [f"h_{tag}"],
            "now": now,
        },
        "identity.write_records": {"rows": [row], "now": now},
        "identity.find_seen": {"ids": [f"rec_{tag}", f"evt_{tag}"], "hashes": [f"h_{tag}"]},
        "identity.write_golden": {
            "rows": [
                {
                    "customer_id": f"cus_{tag}",
                    "values": {"email": f"{tag}@example.com"},
                    "clear": {"phone": None},
                    "provenance": "{}",
                    "stats": "{}",
                }
            ]
        },
        "event.write_events": {
            "devices": [
                {
                    "customer_id": f"cus_{tag}",
                    "device_id": f"dev_{tag}",
                    "kind": "desktop",
                    "os": "Linux",
                    "user_agent": None,
                    "browser": "Chrome",
                    "first_seen": now,
                    "last_seen": now,
                }
            ],
            "events": [
                {
                    "customer_id": f"cus_{tag}",
                    "device_ids": [f"dev_{tag}"],
                    "event": {
                        "event_id": f"evt_{tag}",
                        "type": "track",
                        "name": "Order Completed",
                        "timestamp": now,
                        "received_at": now,
                        "source": "test",
                        "properties": "{}",
                        "via": f"email:{tag}@example.com",
                        "utm_source": "news",
                    },
                }
            ],
            "customers": [{"customer_id": f"cus_{tag}", "last_seen_at": now}],
            "traits": [
                {
                    "customer_id": f"cus_{tag}",
                    "values": {"event_count": 1},
                    "state": "{}",
                    "expires": None,
                }
            ],
            "now": now,
        },
        "event.write_groups": {
            "groups": [
                {"customer_id": f"cus_{tag}", "group_id": f"grp_{tag}", "traits": {"name": "Acme"}}
            ],
            "now": now,
        },
        "identity.customers_for_identifiers": {
            "keys": [f"email:{tag}@example.com"],
            "customer_ids": [f"cus_{tag}"],
        },
        "identity.merge_customers": {
            "merges": [
                {
                    "survivor": f"cus_{tag}",
                    "loser": f"cus_missing_{tag}",
                    "cause": "test",
                    "record_id": f"rec_{tag}",
                    "identifier": f"email:{tag}@example.com",
                    "actor": "test",
                    "detail": None,
                    "change_id": f"chg_{tag}",
                }
            ],
            "now": now,
        },
        "identity.lock_customers": {
            "keys": [f"email:{tag}@example.com"],
            "customer_ids": [f"cus_{tag}"],
            "now": now,
        },
        "identity.holdings_of": {"ids": [f"cus_{tag}"]},
        "identity.write_conflicts": {
            "conflicts": [
                {
                    "conflict_id": f"conf_{tag}",
                    "reason": "limit",
                    "record_id": f"rec_{tag}",
                    "identifier": f"email:{tag}@example.com",
                    "customers": [f"cus_{tag}"],
                }
            ],
            "flags": [{"key": f"email:{tag}@example.com", "blocked": False, "over_degree": True}],
            "now": now,
        },
        "conflict.list_conflicts": {"since": "", "first": 5, "customer_id": f"cus_{tag}"},
        "event.prune_events": {
            "default_cutoff": "1900-01-01T00:00:00.000Z",
            "rules": [{"selector": "event", "value": f"none-{tag}", "cutoff": "1900-01-02"}],
            "latest_cutoff": "1900-01-02",
            "batch": 100,
        },
        "event.claim_retention": {
            "owner": f"test-{tag}",
            "now": now,
            "due_before": "1900-01-01",
            "until": now,
        },
        "event.finish_retention": {"owner": f"test-{tag}", "now": now, "deleted": 0},
        "customer.find_by_identifier": {"key": f"email:{tag}@example.com"},
        "customer.get_profile": {"customer_id": f"cus_{tag}"},
        "customer.get_profile_by_identifier": {"key": f"email:{tag}@example.com"},
        "customer.get_history": {"customer_id": f"cus_{tag}", "first": 10},
        "record.customers_of_records": {"ids": [f"rec_{tag}"]},
        "customer.get_profiles": {"ids": [f"cus_{tag}"]},
        "customer.list_events": {
            "ids": [f"cus_{tag}"],
            "names": ["x"],
            "since": None,
            "until": None,
            "before_ts": None,
            "before_id": None,
            "limit": 5,
        },
        "customer.list_groups": {"ids": [f"cus_{tag}"]},
        "customer.list_customers": {
            "after": f"cus_{tag}",
            "limit": 2,
            "source": f"src_{tag}",
            "updated_since": None,
            "updated_before": None,
            "identifier_type": "email",
            "trait": None,
            "trait_value": None,
        },
        "related.device_neighbours": {"ids": [f"cus_{tag}"], "cap": 50},
        "related.address_neighbours": {"ids": [f"cus_{tag}"], "cap": 50},
        "related.group_neighbours": {"ids": [f"cus_{tag}"], "cap": 50, "household": True},
        "related.identity_path": {"from": f"cus_{tag}", "to": f"rec_{tag}"},
        "related.customers_of_devices": {"ids": [f"dev_{tag}"]},
        "related.customers_of_identifiers": {"keys": [f"email:{tag}@example.com"]},
        "bench.load_records": {"rows": [], "now": now},
        "bench.load_devices": {"rows": [], "now": now},
        "segment.when_property": {
            "customer_id": f"cus_{tag}",
            "op": "eq",
            "field": "city",
            "value": "Oslo",
            "list": None,
            "low": None,
            "high": None,
            "text": None,
        },
        "segment.when_performed": {
            "customer_id": f"cus_{tag}",
            "event": "x",
            "since": None,
            "at_least": 1,
            "where": [
                {
                    "op": "eq",
                    "field": "city",
                    "value": "Oslo",
                    "list": None,
                    "low": None,
                    "high": None,
                    "text": None,
                }
            ],
        },
        "segment.when_not_performed": {"customer_id": f"cus_{tag}", "event": "x", "since": None},
        "segment.when_occurrence": {
            "customer_id": f"cus_{tag}",
            "event": "x",
            "which": "last",
            "since": None,
            "before": None,
        },
        "segment.when_in_segment": {"customer_id": f"cus_{tag}", "segment": f"seg_{tag}"},
        "segment.when_shares_device": {"customer_id": f"cus_{tag}", "segment": "s", "cap": 50},
        "segment.when_shares_household": {"customer_id": f"cus_{tag}", "segment": "s", "cap": 5},
        "segment.when_near": {
            "customer_id": f"cus_{tag}",
            "hops": 2,
            "cap": 50,
            "op": "eq",
            "field": "city",
            "value": "Oslo",
            "list": None,
            "low": None,
            "high": None,
            "text": None,
        },
        "segment.evaluate_members": {},
        "segment.evaluate_customers": {"ids": [f"cus_{tag}"]},
        "segment.put_segment": {
            "segment_id": f"seg_{tag}",
            "name": "t",
            "definition": '{"rule": {"inSegment": "none"}}',
            "actor": "t",
            "now": now,
        },
        "segment.get_segments": {"ids": [f"seg_{tag}"]},
        "segment.write_membership": {
            "segment_id": f"seg_{tag}",
            "entered": [f"cus_{tag}"],
            "exited": [],
            "now": now,
        },
        "segment.list_members": {"segment_id": f"seg_{tag}", "after": "", "limit": 5},
        "segment.current_members": {"segment_id": f"seg_{tag}"},
        "segment.segments_of_customers": {"ids": [f"cus_{tag}"]},
        "segment.delete_segment": {"segment_id": f"seg_{tag}", "now": now},
        "segment.check_conditions": {"customer_id": f"cus_{tag}"},
        "activation.put_destination": {
            "destination_id": f"dst_{tag}",
            "name": "t",
            "kind": "file",
            "config": '{"directory": "/tmp/x", "format": "csv"}',
            "secret": None,
            "purpose": None,
            "hash_identifiers": False,
            "rate_limit": 1.0,
            "max_attempts": 1,
            "now": now,
        },
        "activation.get_destinations": {"ids": [f"dst_{tag}"], "with_secret": False},
        "activation.activate_segment": {
            "segment_id": f"seg_{tag}",
            "destination_id": f"dst_{tag}",
            "mode": "scheduled",
            "fields": [],
            "schedule_seconds": 3600,
            "now": now,
        },
        "activation.due_activations": {"now": now, "settled": now},
        "activation.claim_activation": {
            "segment_id": f"seg_{tag}",
            "destination_id": f"dst_{tag}",
            "owner": "t",
            "now": now,
            "until": now,
        },
        "activation.pending_deltas": {
            "segment_id": f"seg_{tag}",
            "cursor": 0,
            "upto": 5,
            "limit": 5,
            "purpose": "marketing",
            "opt_in": False,
            "now": now,
        },
        "activation.initial_audience": {
            "segment_id": f"seg_{tag}",
            "after": "",
            "limit": 5,
            "purpose": "marketing",
            "opt_in": True,
            "now": now,
        },
        "activation.finish_sync": {
            "segment_id": f"seg_{tag}",
            "destination_id": f"dst_{tag}",
            "owner": "t",
            "cursor": 0,
            "initial_done": True,
            "sync_id": f"sync_{tag}",
            "mode": "manual",
            "started_at": now,
            "entered": 0,
            "exited": 0,
            "failed": 0,
            "withheld": 0,
            "errors": [],
            "consent_cursor": now,
            "now": now,
        },
        "activation.consent_deltas": {
            "segment_id": f"seg_{tag}",
            "purpose": "marketing",
            "since": "",
            "upto": now,
            "opt_in": False,
            "now": now,
        },
        "activation.list_sync_runs": {"segment_id": f"seg_{tag}", "first": 5},
        "segment.overlap": {"ids": [f"seg_{tag}", "other"]},
        "segment.membership_history": {"segment_id": f"seg_{tag}", "since": "2026-01-01"},
        "bench.load_events": {"rows": []},
        "bench.load_golden": {"rows": []},
        "record.model_records": {"after": f"rec_{tag}", "limit": 5, "source": None},
        "match.candidates": {
            "rows": [
                {
                    "record_id": f"rec_new_{tag}",
                    "bk_email": f"{tag}@example.com",
                    "bk_phone": None,
                    "bk_last_dob": None,
                    "bk_names": None,
                    "bk_post_last": None,
                    "bk_first_dob": None,
                    "bk_post_dob": None,
                    "bk_addr_city": None,
                    "bk_first_post": None,
                    "bk_dob_city": None,
                    "bk_addr_dob": None,
                    "bk_names_swapped": None,
                }
            ],
            "per_record": 5,
        },
        "match.put_model": {
            "version": f"m-{tag}",
            "text": "{}",
            "summary": "{}",
            "trained_at": now,
            "now": now,
        },
        "match.get_model": {"version": f"m-{tag}"},
        "match.list_reviews": {"status": "open", "first": 5},
        "match.not_matches": {},
        "match.join_linked": {
            "pairs": [{"record_id": f"rec_{tag}", "other_record_id": f"rec_{tag}"}],
            "now": now,
        },
        "match.get_review": {
            "record_id": f"rec_{tag}",
            "other_record_id": f"rec_{tag}",
            "now": now,
        },
        "match.decide_review": {
            "record_id": f"rec_{tag}",
            "other_record_id": f"rec_x{tag}",
            "status": "rejected",
            "actor": "t",
            "reason": None,
            "apart": [],
            "now": now,
        },
        "match.list_models": {},
        "match.write_links": {
            "links": [
                {
                    "from": f"rec_{tag}",
                    "to": f"rec_{tag}",
                    "kind": "review",
                    "probability": 0.95,
                    "match_weight": 4.2,
                    "model_version": "m1",
                    "explanation": "[]",
                }
            ],
            "now": now,
        },
        "identity.get_cluster": {"customer_id": f"cus_{tag}", "now": now},
        "identity.write_traits": {
            "rows": [
                {
                    "customer_id": f"cus_{tag}",
                    "values": {"event_count": 1},
                    "state": "{}",
                    "expires": None,
                }
            ],
            "now": now,
        },
        "customer.due_traits": {"day": "1900-01-01", "limit": 5},
        "setting.put_setting": {"name": f"test-{tag}", "text": "{}", "actor": "t", "now": now},
        "setting.get_setting": {"name": f"test-{tag}"},
        "conflict.count_conflicts": {"since": now},
        "customer.events_for_traits": {"ids": [f"cus_{tag}"]},
        "customer.list_customer_ids": {"after": "", "limit": 5},
        "customer.purchases_for_predictions": {
            "event": "Order Completed",
            "until": "9999",
            "after": "",
            "limit": 5,
            "ids": [f"cus_{tag}"],
        },
        "customer.write_predictions": {
            "rows": [{"customer_id": f"cus_{tag}", "values": {"churn_risk": 0.5}}],
        },
        "identity.split_customer": {
            "customer_id": f"cus_{tag}",
            "now": now,
            "actor": "test",
            "detail": None,
            "parts": [
                {
                    "customer_id": f"cus_{tag}",
                    "new": False,
                    "record_ids": [f"rec_{tag}"],
                    "apart": [],
                    "first_names": ["ada"],
                    "dobs": [],
                }
            ],
            "removed_links": [],
            "detached": [],
            "blocked": [],
            "event_moves": [],
            "change_id": f"chg_split_{tag}",
            "record_id": None,
            "identifier": None,
        },
        "graph.count_nodes": {},
        "graph.clear_graph": {"label": f"Probe{tag}", "batch": 10},
        "customer.get_identity_graph": {"customer_id": f"cus_{tag}"},
        "apikey.create_api_key": {
            "name": f"test-{tag}",
            "role": "viewer",
            "key_hash": f"hash-{tag}",
            "now": now,
        },
        "apikey.put_bootstrap_key": {
            "name": f"test-boot-{tag}",
            "role": "admin",
            "key_hash": f"hash-{tag}",
            "now": now,
        },
        "apikey.find_api_key": {"key_hash": f"hash-{tag}"},
        "apikey.list_api_keys": {},
        "apikey.revoke_api_key": {"name": f"test-{tag}", "now": now},
        "audit.write_batch": {
            "batch_id": f"audb_{tag}",
            "first_at": now,
            "last_at": now,
            "count": 1,
            "actors": ["key:test"],
            "kinds": ["pii_read"],
            "customer_ids": [f"cus_{tag}"],
            "entries": json.dumps(
                [
                    {
                        "entry_id": f"aud_{tag}",
                        "at": now,
                        "actor": "key:test",
                        "role": "admin",
                        "operation": "Test",
                        "kind": "pii_read",
                        "fields": ["Customer.email"],
                        "customer_ids": [f"cus_{tag}"],
                    }
                ]
            ),
        },
        "audit.list_batches": {
            "n": 5,
            "below_at": "~",
            "below_id": "",
            "before": "~",
            "actor": "key:test",
        },
        "audit.legacy_entries": {"n": 1},
        "audit.prune_batches": {"before": "1970-01-01T00:00:00.000Z", "n": 10},
        "audit.delete_legacy_entries": {"ids": [f"aud_{tag}"]},
        "privacy.write_consents": {
            "consents": [
                {
                    "change_id": f"rec_{tag}:marketing",
                    "customer_id": f"cus_{tag}",
                    "purpose": "marketing",
                    "status": "granted",
                    "at": now,
                    "source": "test",
                    "expires_at": None,
                    "record_id": f"rec_{tag}",
                }
            ],
            "now": now,
        },
        "privacy.consent_history": {"customer_ids": [f"cus_{tag}"]},
        "privacy.set_consent": {
            "customer_id": f"cus_{tag}",
            "change_id": f"api_{tag}",
            "purpose": "analytics",
            "status": "denied",
            "at": now,
            "source": "test",
            "expires_at": None,
            "now": now,
        },
        # Another (missing) customer: the sample customer must outlive this test's queries.
        "privacy.erase_scope": {"customer_id": f"cus_gone_{tag}"},
        "privacy.erase_customer": {
            "customer_id": f"cus_gone_{tag}",
            "ids": [f"cus_gone_{tag}"],
            "identifiers": [],
            "devices": [],
            "hashes": [],
            "erasure_id": f"era_{tag}",
            "now": now,
        },
        "privacy.export_customer": {"customer_id": f"cus_{tag}"},
        "privacy.count_dropped": {"drops": [{"hash": f"h_{tag}", "messages": 1}], "now": now},
        "privacy.get_suppressions": {"hashes": [f"h_{tag}"]},
        "bloom.customer_with_email": {"email": f"{tag}@example.com"},
        "bloom.shares_device_with": {"email": f"{tag}@example.com"},
        "bloom.household_of": {"customer": f"cus_{tag}"},
        "bloom.identity_graph_of": {"customer": f"cus_{tag}"},
        "bloom.why_same_customer": {"a": f"{tag}@example.com", "b": f"rec_{tag}"},
        "bloom.members_of_segment": {"name": f"seg-{tag}"},
        "bloom.recent_conflicts": {"days": 1},
        "graph.customer_node": {"customer_id": f"cus_{tag}"},
        "graph.expand_nodes": {"ids": [], "cap": 10, "skip": ["ON_DEVICE"]},
        "search.read_documents": {
            "ids": [f"cus_{tag}", f"cus_missing_{tag}"],
            "traits": ["event_count"],
        },
        "search.find_customers": {
            "lucene": f"*{tag}*",
            "cap": 100,
            "limit": 5,
            "sources": ["test"],
            "segments": None,
            "traits": [{"name": "event_count", "equals": None, "gte": 1, "lte": None}],
            "after_score": None,
            "after_id": None,
        },
    }


async def test_every_cypher_file_executes(driver: AsyncDriver) -> None:
    tag = uuid.uuid4().hex[:12]
    params = _sample_params(tag)
    ran = set()
    # Writes first, in dependency order, then everything else.
    order = ["identity.lock_identifiers", "identity.write_records", "identity.write_golden",
             "apikey.create_api_key"]  # fmt: skip
    last = ["segment.delete_segment"]  # after segment.put_segment: no test segment stays live
    names = order + sorted(n for n in queries() if n not in order + last) + last
    for name in names:
        query = queries()[name]
        if name.startswith("schema."):
            for statement in query.statements():
                await driver.execute_query(statement)
        elif "IN TRANSACTIONS" in query.text:  # only valid in an auto-commit query
            async with driver.session() as session:
                await (await session.run(query.query(), params[name])).consume()
        else:
            assert name in params, f"add sample parameters for {name} to this test"
            await driver.execute_query(query.query(), params[name])
        ran.add(name)
    assert ran == set(queries())
    records, _, _ = await driver.execute_query(
        queries()["customer.get_profile"].query(), params["customer.get_profile"]
    )
    events, _, _ = await driver.execute_query(
        "MATCH (c:Customer {customer_id: $c})-[:PERFORMED]->(e:Event)-[:ON_DEVICE]->(d:Device) "
        "MATCH (c)-[:IN_GROUP]->(g:Group) "
        "RETURN e.utm_source AS utm, d.browser AS browser, g.name AS grp, c.last_seen_at AS seen",
        c=f"cus_{tag}",
    )
    assert [r.data() for r in events] == [
        {
            "utm": "news",
            "browser": "Chrome",
            "grp": "Acme",
            "seen": params["event.write_events"]["now"],
        }
    ]
    assert records[0]["identifiers"] == [
        {"key": f"email:{tag}@example.com", "type": "email", "value": f"{tag}@example.com"}
    ]
    # The sample API key and audit batch go (`graphcdp apikey list` would show the key).
    _, removed, _ = await driver.execute_query(
        "MATCH (n) WHERE (n:ApiKey AND n.name = $key) OR (n:AuditBatch AND n.batch_id = $batch) "
        "DETACH DELETE n",
        key=f"test-{tag}",
        batch=f"audb_{tag}",
    )
    assert removed.counters.nodes_deleted == 2


def _obs(record_id: str, *idents: Identifier) -> Observation:
    now = now_iso()
    return Observation(record_id, "test", now, now, tuple(idents), golden={"first_name": "T"})


async def test_batches_resolve_merge_and_replay_idempotently(driver: AsyncDriver) -> None:
    tag = uuid.uuid4().hex[:10]
    repo = IdentityRepository(driver, "neo4j")
    reads = ProfileRepository(driver, "neo4j")
    email = Identifier.of("email", f"{tag}@example.com")
    user = Identifier.of("user_id", f"u-{tag}")
    phone = Identifier.of("phone", "+4420" + str(int(tag[:6], 16) % 10**7).zfill(7))
    first = await repo.apply([_obs(f"{tag}-1", email)], resolve)
    await asyncio.sleep(0.01)  # created_at has millisecond resolution
    newer = await repo.apply([_obs(f"{tag}-2", user)], resolve)
    assert len(first.created) == len(newer.created) == 1
    older, younger = first.written[f"{tag}-1"], newer.written[f"{tag}-2"]
    # A third record links the two customers: they merge into the older one.
    second = await repo.apply([_obs(f"{tag}-3", email, user, phone)], resolve)
    assert second.merges == ((older, younger),)
    # The loser's id still answers (a redirect) with the survivor's profile.
    profile = await reads.profile(younger)
    assert profile is not None
    assert profile.customer["customer_id"] == older
    assert profile.record_count == 3
    assert {i["key"] for i in profile.identifiers} == {email.key, user.key, phone.key}
    assert await reads.customer_id_for(phone.key) == older
    # By identifier in one query: the survivor's profile, whichever record holds it.
    for key in (email.key, user.key, phone.key):
        by_key = await reads.profile_by_identifier(key)
        assert by_key is not None
        assert by_key.customer == profile.customer
        assert (by_key.requested_id, by_key.identifiers, by_key.record_count) == (
            older, profile.identifiers, 3,
        )  # fmt: skip
    assert await reads.profile_by_identifier(f"email:nobody-{tag}@example.com") is None
    # Replaying the same records changes nothing, not even when their identifiers were last
    # seen (the first attempt goes straight to the identifier locks, finds the replays there
    # and starts again checking first).
    seen_at = "MATCH (i:Identifier) WHERE i.key IN $keys RETURN i.key AS key, i.last_seen AS at"
    keys = [email.key, user.key, phone.key]
    before, _, _ = await driver.execute_query(seen_at, keys=keys)
    replay = await repo.apply(
        [_obs(f"{tag}-1", email), _obs(f"{tag}-2", user), _obs(f"{tag}-3", email, user, phone)],
        resolve,
    )
    assert replay.written == {}
    assert replay.events == {}
    assert set(replay.skipped) == {f"{tag}-1", f"{tag}-2", f"{tag}-3"}
    # Each replay names the customer its record belongs to now (the merge moved tag-2's to
    # the survivor), so the worker can publish the change again: the first batch may have
    # died between its commit and its publish.
    assert replay.replayed_records == {f"{tag}-1": older, f"{tag}-2": older, f"{tag}-3": older}
    assert replay.replayed_events == {}
    after, _, _ = await driver.execute_query(seen_at, keys=keys)
    assert sorted(map(dict, after), key=str) == sorted(map(dict, before), key=str)
    # A replay beside a new message: the new one is applied, the replay skipped.
    mixed = await repo.apply([_obs(f"{tag}-1", email), _obs(f"{tag}-4", phone)], resolve)
    assert set(mixed.written) == {f"{tag}-4"}
    assert mixed.written[f"{tag}-4"] == older
    assert mixed.skipped == (f"{tag}-1",)
    assert mixed.replayed_records == {f"{tag}-1": older}
    # An event's replay names the customer who performed it.
    now = now_iso()
    event = Observation(f"{tag}-e", "test", now, now, (phone,), kind="track",
                        event=EventData("track", "Replayed"), always_record=False)  # fmt: skip
    assert (await repo.apply([event], resolve)).events == {f"{tag}-e": older}
    again = await repo.apply([event], resolve)
    assert (again.events, again.replayed_events) == ({}, {f"{tag}-e": older})


async def test_prune_deletes_only_events_older_than_the_cutoff(driver: AsyncDriver) -> None:
    tag = uuid.uuid4().hex[:10]
    repo = IdentityRepository(driver, "neo4j")
    now = now_iso()
    user = Identifier.of("user_id", f"prune-{tag}")
    old = [
        Observation(f"{tag}-old-{i}", "test", now, f"1999-0{i + 1}-01T00:00:00.000Z", (user,),
                    kind="track", event=EventData("track", "Old"), always_record=False)
        for i in range(3)
    ]  # fmt: skip
    fresh = Observation(f"{tag}-new", "test", now, now, (user,), kind="track",
                        event=EventData("track", "New"), always_record=False)  # fmt: skip
    await repo.apply([*old, fresh], resolve)
    deleted = await EventRepository(driver, "neo4j").prune(
        one_cutoff("2000-01-01T00:00:00.000Z"), batch=2
    )
    assert deleted >= 3  # other runs may have left ancient events too
    records, _, _ = await driver.execute_query(
        "MATCH (e:Event) WHERE e.event_id STARTS WITH $tag RETURN e.name AS name", tag=tag
    )
    assert [r["name"] for r in records] == ["New"]


async def test_retention_rules_keep_each_event_for_the_fewest_days_it_matches(
    driver: AsyncDriver,
) -> None:
    tag = uuid.uuid4().hex[:10]
    repo = IdentityRepository(driver, "neo4j")
    now = datetime.now(UTC)
    user = Identifier.of("user_id", f"keep-{tag}")

    def event(n: int, name: str, days_ago: int, source: str = "web") -> Observation:
        at = iso_utc(now - timedelta(days=days_ago))
        viewed = EventData("track", f"{name} {tag}")
        return Observation(f"{tag}-{n}", source, at, at, (user,), kind="track", event=viewed,
                           always_record=False)  # fmt: skip

    await repo.apply([event(1, "Viewed", 10), event(2, "Viewed", 2), event(3, "Order", 400),
                      event(4, "Order", 10, f"kiosk-{tag}"), event(5, "Other", 400)],
                     resolve)  # fmt: skip
    # Rules only this test's events match; the default (100 years) spares everything else.
    retention = Retention.parse(
        f"event:Viewed {tag}=5, event:Order {tag}=730, source:kiosk-{tag}=7", 36_500
    )
    deleted = await EventRepository(driver, "neo4j").prune(retention.query_params(now))
    assert deleted >= 2
    records, _, _ = await driver.execute_query(
        "MATCH (e:Event) WHERE e.event_id STARTS WITH $tag RETURN e.event_id AS id ORDER BY id",
        tag=tag,
    )
    assert [r["id"] for r in records] == [f"{tag}-2", f"{tag}-3", f"{tag}-5"]


async def test_a_refused_merge_is_a_conflict_in_the_graph(driver: AsyncDriver) -> None:
    tag = uuid.uuid4().hex[:10]
    repo = IdentityRepository(driver, "neo4j")
    family = Identifier.of("email", f"family-{tag}@example.org")
    mum = await repo.apply(
        [_obs(f"{tag}-mum", Identifier.of("user_id", f"mum-{tag}"), family)], resolve
    )
    dad = await repo.apply(
        [_obs(f"{tag}-dad", Identifier.of("user_id", f"dad-{tag}"), family)], resolve
    )
    assert dad.merges == ()
    assert dad.conflicts == 1
    mum_id, dad_id = mum.written[f"{tag}-mum"], dad.written[f"{tag}-dad"]
    assert mum_id != dad_id
    records, _, _ = await driver.execute_query(
        "MATCH (k:Conflict)-[:ABOUT]->(i:Identifier {key: $key}) "
        "MATCH (k)-[:INVOLVES]->(c:Customer) "
        "RETURN k.reason AS reason, k.record_id AS record, collect(c.customer_id) AS customers",
        key=family.key,
    )
    assert [(r["reason"], r["record"], sorted(r["customers"])) for r in records] == [
        ("limit", f"{tag}-dad", sorted([mum_id, dad_id]))
    ]
    rows = await ProfileRepository(driver, "neo4j").conflicts("", 10, mum_id)
    assert [(r["identifier"], sorted(r["customers"])) for r in rows] == [
        (family.key, sorted([mum_id, dad_id]))
    ]


async def test_golden_attributes_follow_the_policy_across_batches_and_merges(
    driver: AsyncDriver,
) -> None:
    tag = uuid.uuid4().hex[:10]
    repo = IdentityRepository(driver, "neo4j")
    reads = ProfileRepository(driver, "neo4j")
    email = Identifier.of("email", f"sv-{tag}@example.com")
    user = Identifier.of("user_id", f"sv-{tag}")

    def stated(
        record_id: str, source: str, day: int, *idents: Identifier, **golden: str
    ) -> Observation:
        ts = f"2026-01-{day:02d}T00:00:00.000Z"
        return Observation(record_id, source, ts, ts, idents, golden=golden)

    # Batch 1: the CRM says Robert; batch 2, newer: the web says Bob and a new city. Apart
    # until batch 3 joins them, where the app says Rob in an even newer record.
    await repo.apply([stated(f"{tag}-1", "crm", 1, email, first_name="Robert", city="Leeds")],
                     resolve)  # fmt: skip
    await repo.apply([stated(f"{tag}-2", "web", 5, user, first_name="Bob", city="York")], resolve)
    third = await repo.apply(
        [stated(f"{tag}-3", "mobile", 9, email, user, first_name="Rob")], resolve
    )
    customer = third.written[f"{tag}-3"]
    profile = await reads.profile(customer)
    assert profile is not None
    assert profile.customer["first_name"] == "Robert"  # source_priority: crm first
    assert profile.customer["city"] == "York"  # most_recent
    assert profile.customer["display_name"] == "Robert"
    provenance = json.loads(profile.customer["golden_provenance"])
    assert provenance["first_name"] == {
        "record_id": f"{tag}-1", "source": "crm", "timestamp": "2026-01-01T00:00:00.000Z",
        "policy": "source_priority",
    }  # fmt: skip
    assert provenance["city"]["record_id"] == f"{tag}-2"
    # Losing values stay on their records.
    records, _, _ = await driver.execute_query(
        "MATCH (r:Record) WHERE r.record_id STARTS WITH $tag RETURN r.record_id AS id, "
        "r.golden AS golden ORDER BY id",
        tag=tag,
    )
    assert [json.loads(r["golden"]).get("first_name") for r in records] == ["Robert", "Bob", "Rob"]


async def test_one_worker_at_a_time_runs_the_retention_job_when_it_is_due(
    driver: AsyncDriver,
) -> None:
    events = EventRepository(driver, "neo4j")
    # The same job deletes audit entries past the audit log's retention (30 days here).
    audit = AuditRepository(driver, "neo4j")
    actor = f"key:retention-{uuid.uuid4().hex[:10]}"
    entry = {"actor": actor, "role": "admin", "operation": "Old", "kind": "pii_read",
             "fields": ["Customer.email"], "customer_ids": ["cus_x"]}  # fmt: skip
    await audit.write([entry | {"entry_id": f"aud_{actor}_old", "at": "2000-01-01T00:00:00.000Z"}])
    await audit.write([entry | {"entry_id": f"aud_{actor}_new", "at": now_iso()}])
    # Due once the last run is older than the interval; not again within it.
    retention = Retention.parse(f"event:none-{uuid.uuid4().hex}=1", 36_500)
    first = await prune_once(events, retention, interval=0.5, audit=AuditRetention(audit, 30))
    assert first is not None  # it was due (0.5 s since any run) and this process took it
    kept = await audit.entries(10, None, actor)
    await driver.execute_query(
        "MATCH (b:AuditBatch) WHERE $actor IN b.actors DETACH DELETE b", actor=actor
    )
    assert [e["entry_id"] for e in kept] == [f"aud_{actor}_new"]
    assert await prune_once(events, retention, interval=3600) is None  # it just ran
    records, _, _ = await driver.execute_query(
        "MATCH (j:Job {name: 'retention'}) RETURN j.lease_until AS lease, j.last_run_at AS ran"
    )
    assert records[0]["lease"] is None  # released
    assert records[0]["ran"] is not None
    await asyncio.sleep(0.6)
    assert await prune_once(events, retention, interval=0.5) is not None
