"""Identity rules and merge protection: the classic over-merging traps, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.model import ExistingCustomer, Identifier, Observation
from matching.deterministic import resolve
from matching.rules import DEFAULT_RULES, IdentityRules, RulesError, load_rules


def _id(key: str) -> Identifier:
    type_, value = key.split(":", 1)
    return Identifier(type_, value)  # type: ignore[arg-type]


def _obs(record_id: str, *keys: str) -> Observation:
    return Observation(record_id, "crm", "t", "t", tuple(_id(k) for k in keys))


def _clusters(batch: list[Observation], rules: IdentityRules = DEFAULT_RULES) -> list[list[str]]:
    result = resolve(batch, {}, {}, rules)
    return sorted(sorted(a.record_ids) for a in result.assignments)


@pytest.mark.parametrize(
    ("name", "batch", "clusters"),
    [
        ("one person, three sources",
         [_obs("r1", "email:ada@x.co"), _obs("r2", "email:ada@x.co", "user_id:u1"),
          _obs("r3", "user_id:u1", "phone:+441234567001")],
         [["r1", "r2", "r3"]]),
        ("family email, two user ids",
         [_obs("r1", "user_id:mum", "email:family@x.co"),
          _obs("r2", "user_id:dad", "email:family@x.co")],
         [["r1"], ["r2"]]),
        ("test@test.com shared by strangers",
         [_obs("r1", "email:test@test.com", "phone:+441234567001"),
          _obs("r2", "email:test@test.com", "phone:+441234567002")],
         [["r1"], ["r2"]]),
        ("0000000000 and n/a",
         [_obs("r1", "phone:0000000000"), _obs("r2", "phone:0000000000"),
          _obs("r3", "crm_id:n/a"), _obs("r4", "crm_id:N/A")],
         [["r1"], ["r2"], ["r3"], ["r4"]]),
        ("household landline, different names and emails",
         [_obs("r1", "email:a@x.co", "phone:+441234567009", "user_id:a"),
          _obs("r2", "email:b@x.co", "phone:+441234567009", "user_id:b")],
         [["r1"], ["r2"]]),
        ("email alone joins the customer its email leads to",
         [_obs("r1", "email:ada@x.co", "user_id:u1"), _obs("r2", "email:ada@x.co")],
         [["r1", "r2"]]),
    ],
)  # fmt: skip
def test_traps(name: str, batch: list[Observation], clusters: list[list[str]]) -> None:
    assert _clusters(batch) == clusters, name


def test_a_refused_link_is_a_conflict_naming_identifier_and_customers() -> None:
    result = resolve(
        [_obs("r1", "user_id:mum", "email:family@x.co"),
         _obs("r2", "user_id:dad", "email:family@x.co")],
        {}, {},
    )  # fmt: skip
    assert len(result.conflicts) == 1
    conflict = result.conflicts[0]
    assert (conflict.record_id, conflict.identifier, conflict.reason) == (
        "r2",
        "email:family@x.co",
        "limit",
    )
    mum = next(a.customer_id for a in result.assignments if a.record_ids == ("r1",))
    dad = next(a.customer_id for a in result.assignments if a.record_ids == ("r2",))
    assert conflict.customers == (dad, mum)


def test_a_kiosk_anonymous_id_stops_joining_at_its_degree_cap() -> None:
    batch = [_obs(f"r{i}", f"user_id:visitor{i}", "anonymous_id:kiosk-7") for i in range(6)]
    result = resolve(batch, {}, {})
    assert len(result.assignments) == 6  # six people, six customers
    assert "anonymous_id:kiosk-7" in result.flagged


def test_two_existing_customers_that_cannot_merge_keep_the_record_with_the_strongest_link() -> None:
    existing = {
        "user_id:u1": [ExistingCustomer("cus_1", "2026-01")],
        "email:shared@x.co": [ExistingCustomer("cus_2", "2026-02")],
    }
    holdings = {
        "cus_1": [_id("user_id:u1")],
        "cus_2": [_id("user_id:u2"), _id("email:shared@x.co")],
    }
    result = resolve([_obs("r9", "user_id:u1", "email:shared@x.co")], existing, holdings)
    assert [(a.customer_id, a.merged) for a in result.assignments] == [("cus_1", ())]
    assert [(c.identifier, c.customers) for c in result.conflicts] == [
        ("email:shared@x.co", ("cus_1", "cus_2"))
    ]


def test_blocked_values_are_reported() -> None:
    result = resolve([_obs("r1", "email:noemail@shop.com", "user_id:u1")], {}, {})
    assert result.blocked == {"email:noemail@shop.com"}
    assert DEFAULT_RULES.is_blocked(_id("user_id:undefined"))
    assert DEFAULT_RULES.is_blocked(_id("phone:+11111111111"))
    assert not DEFAULT_RULES.is_blocked(_id("phone:+14155550132"))


def test_rules_file_overrides_and_adds(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "types:\n  email: {limit: 1, degree_cap: 10}\n  anonymous_id: {identifying: false}\n"
        "blocked:\n  email: ['.*@mailinator[.]com']\n"
    )
    rules = load_rules(path)
    assert (rules.rule("email").limit, rules.rule("email").degree_cap) == (1, 10)
    assert rules.rule("email").priority == DEFAULT_RULES.rule("email").priority
    assert not rules.links(_id("anonymous_id:abc"))
    assert rules.is_blocked(_id("email:x@mailinator.com"))
    assert rules.is_blocked(_id("email:test@test.com"))  # defaults kept


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("nope: 1\n", "nope"),
        ("types:\n  fax: {limit: 1}\n", "types.fax"),
        ("types:\n  email: {limit: 0}\n", "types.email.limit"),
        ("types:\n  email: {colour: red}\n", "types.email.colour"),
        ("types:\n  email: {identifying: maybe}\n", "types.email.identifying"),
        ("blocked:\n  email: 'x'\n", "blocked.email"),
        ("blocked:\n  email: ['(']\n", "blocked"),
    ],
)
def test_bad_rules_files_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RulesError, match=rf"^{key}"):
        load_rules(path)
