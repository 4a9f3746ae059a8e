from __future__ import annotations

from graph.model import ExistingCustomer, Identifier, Observation, new_customer_id
from matching.deterministic import plan


def _obs(record_id: str, *keys: str) -> Observation:
    idents = tuple(Identifier(k.split(":")[0], k.split(":", 1)[1]) for k in keys)  # type: ignore[arg-type]
    return Observation(record_id, "web", "t", "t", idents)


def test_records_sharing_an_identifier_form_one_new_customer() -> None:
    out = plan(
        [
            _obs("r1", "email:a@x.co"),
            _obs("r2", "email:a@x.co", "user_id:u"),
            _obs("r3", "user_id:other"),
        ],
        {},
    )
    assert [(a.record_ids, a.created) for a in out] == [(("r1", "r2"), True), (("r3",), True)]
    assert out[0].customer_id == new_customer_id("r1")  # stable across replays


def test_record_joins_the_customer_its_identifier_leads_to() -> None:
    out = plan([_obs("r9", "phone:+1555")], {"phone:+1555": [ExistingCustomer("cus_a", "2026")]})
    assert [(a.customer_id, a.created, a.merged) for a in out] == [("cus_a", False, ())]


def test_a_record_connecting_two_customers_merges_them_into_the_older() -> None:
    existing = {
        "email:a@x.co": [ExistingCustomer("cus_new", "2026-02")],
        "user_id:u": [ExistingCustomer("cus_old", "2026-01")],
    }
    out = plan([_obs("r5", "email:a@x.co", "user_id:u")], existing)
    assert [(a.customer_id, a.merged) for a in out] == [("cus_old", ("cus_new",))]


def test_transitive_links_inside_one_batch() -> None:
    existing = {"user_id:c": [ExistingCustomer("cus_c", "2026-03")]}
    out = plan(
        [
            _obs("r1", "email:a@x.co"),
            _obs("r2", "phone:+1"),
            _obs("r3", "email:a@x.co", "phone:+1", "user_id:c"),
        ],
        existing,
    )
    assert len(out) == 1
    assert out[0].customer_id == "cus_c"
    assert sorted(out[0].record_ids) == ["r1", "r2", "r3"]


def test_a_record_without_identifiers_is_its_own_customer() -> None:
    out = plan([_obs("lonely")], {})
    assert [(a.record_ids, a.created) for a in out] == [(("lonely",), True)]


def _event(record_id: str, *keys: str) -> Observation:
    idents = tuple(Identifier(k.split(":")[0], k.split(":", 1)[1]) for k in keys)  # type: ignore[arg-type]
    return Observation(record_id, "web", "t", "t", idents, kind="track", always_record=False)


def test_events_create_records_only_when_they_teach_something_about_identity() -> None:
    existing = {
        "anonymous_id:a": [ExistingCustomer("cus_a", "1")],
        "user_id:u": [ExistingCustomer("cus_u", "2")],
    }
    batch = [
        _event("e1", "anonymous_id:a"),  # known: no record
        _event("e2", "anonymous_id:new"),  # new identifier: record
        _event("e3", "anonymous_id:new"),  # already recorded in this batch: no record
        _event("e4", "anonymous_id:a", "user_id:u"),  # links two customers: record
        _event("e5", "anonymous_id:a", "user_id:u"),  # same link again: no record
    ]
    holdings = {
        "cus_a": [Identifier("anonymous_id", "a")],
        "cus_u": [Identifier("user_id", "u")],
    }
    out = plan(batch, existing, holdings)
    assert sorted(r for a in out for r in a.new_records) == ["e2", "e4"]
    merged = next(a for a in out if "e4" in a.record_ids)
    assert (merged.customer_id, merged.merged) == ("cus_a", ("cus_u",))


def test_only_records_stating_golden_attributes_or_merges_rewrite_the_golden_values() -> None:
    import dataclasses

    from matching.deterministic import resolve
    from matching.rules import DEFAULT_RULES

    track = _obs("t1", "user_id:u1")  # a track call: identifiers, no golden attribute
    stated = dataclasses.replace(_obs("i1", "user_id:u2"), golden={"email": "a@x.co"})
    existing = {
        "email:a@x.co": [ExistingCustomer("cus_new", "2026-02")],
        "user_id:u9": [ExistingCustomer("cus_old", "2026-01")],
    }
    merging = _obs("m1", "email:a@x.co", "user_id:u9")  # no attribute, but a merge
    out = resolve([track, stated, merging], existing, {}, DEFAULT_RULES)
    assert set(out.golden) == {new_customer_id("i1"), "cus_old"}
    assert out.golden[new_customer_id("i1")].values == {"email": "a@x.co"}
