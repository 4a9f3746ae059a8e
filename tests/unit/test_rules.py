"""Identity rules and merge protection: the classic over-merging traps, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.model import ExistingCustomer, Identifier, Observation
from matching.deterministic import resolve
from matching.rules import (
    DEFAULT_RULES,
    IdentityRules,
    RulesError,
    RulesSource,
    load_rules,
    parse_rules,
)


def _id(key: str) -> Identifier:
    type_, value = key.split(":", 1)
    return Identifier(type_, value)  # type: ignore[arg-type]


def _obs(record_id: str, *keys: str) -> Observation:
    return Observation(record_id, "crm", "t", "t", tuple(_id(k) for k in keys))


def _named(record_id: str, first: str, dob: str, *keys: str) -> Observation:
    golden: dict[str, str | int | float | bool] = {"first_name": first}
    if dob:
        golden["dob"] = dob
    return Observation(record_id, "crm", "t", "t", tuple(_id(k) for k in keys), golden=golden)


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
         [_obs("r1", "user_id:mum", "email:kim.and.lee@x.co"),
          _obs("r2", "user_id:dad", "email:kim.and.lee@x.co")],
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
        ("kiosk anonymous id, each visitor with an own email",
         [_obs("r1", "anonymous_id:kiosk", "email:a@x.co"),
          _obs("r2", "anonymous_id:kiosk", "email:b@x.co"),
          _obs("r3", "anonymous_id:kiosk", "email:c@x.co")],
         [["r1"], ["r2"], ["r3"]]),
        ("family tablet, two logged-in emails",
         [_obs("r1", "device_id:tab", "email:mum@x.co"),
          _obs("r2", "device_id:tab", "email:kid@x.co")],
         [["r1"], ["r2"]]),
        ("a weak link joins an anonymous side to an identified one",
         [_obs("r1", "anonymous_id:a1", "device_id:d1"),
          _obs("r2", "anonymous_id:a1", "user_id:u1"),
          _obs("r3", "device_id:d1", "user_id:u1", "email:ada@x.co")],
         [["r1", "r2", "r3"]]),
        ("a weak link never joins two differently identified sides",
         [_obs("r1", "anonymous_id:a1", "email:ada@x.co"),
          _obs("r2", "anonymous_id:a1", "user_id:u1")],
         [["r1"], ["r2"]]),
        ("a family address joins only records that name the same person",
         [_named("r1", "Ann", "", "email:thesmiths@x.co", "user_id:ann"),
          _obs("r2", "email:thesmiths@x.co", "anonymous_id:a9"),
          _named("r3", "Ann", "", "email:thesmiths@x.co"),
          _named("r4", "Bob", "", "email:thesmiths@x.co")],
         [["r1", "r3"], ["r2"], ["r4"]]),
        ("family email, different first names",
         [_named("r1", "Anna", "", "email:smiths@x.co", "phone:+14155550101"),
          _named("r2", "Ben", "", "email:smiths@x.co", "phone:+14155550102")],
         [["r1"], ["r2"]]),
        ("twins: one landline, one birthday, two names",
         [_named("r1", "Emma", "2001-04-02", "phone:+14155550111", "email:emma@x.co"),
          _named("r2", "Olivia", "2001-04-02", "phone:+14155550111", "email:liv@x.co"),
          _named("r3", "Olivia", "", "phone:+14155550111"),
          _obs("r4", "phone:+14155550111")],
         [["r1"], ["r2", "r3"], ["r4"]]),
        ("household landline: a named record joins the member it names",
         [_named("r1", "Anna", "", "phone:+14155550120", "email:anna@x.co"),
          _named("r2", "Anna", "", "phone:+14155550120")],
         [["r1", "r2"]]),
        ("nickname and typo join through an email",
         [_named("r1", "Robert", "1980-01-01", "email:rob@x.co"),
          _named("r2", "Bob", "1980-01-01", "email:rob@x.co"),
          _named("r3", "Rboert", "", "email:rob@x.co")],
         [["r1", "r2", "r3"]]),
        ("same email, two birth dates",
         [_named("r1", "Sam", "1980-01-01", "email:sam@x.co"),
          _named("r2", "Sam", "1990-05-05", "email:sam@x.co")],
         [["r1"], ["r2"]]),
        ("a user id joins whatever the name says",
         [_named("r1", "Robert", "", "user_id:u7"), _named("r2", "Zed", "", "user_id:u7")],
         [["r1", "r2"]]),
        ("email alone joins the customer its email leads to",
         [_obs("r1", "email:ada@x.co", "user_id:u1"), _obs("r2", "email:ada@x.co")],
         [["r1", "r2"]]),
    ],
)  # fmt: skip
def test_traps(name: str, batch: list[Observation], clusters: list[list[str]]) -> None:
    assert _clusters(batch) == clusters, name


def test_a_refused_link_is_a_conflict_naming_identifier_and_customers() -> None:
    result = resolve(
        [_obs("r1", "user_id:mum", "email:kim.and.lee@x.co"),
         _obs("r2", "user_id:dad", "email:kim.and.lee@x.co")],
        {}, {},
    )  # fmt: skip
    assert len(result.conflicts) == 1
    conflict = result.conflicts[0]
    assert (conflict.record_id, conflict.identifier, conflict.reason) == (
        "r2",
        "email:kim.and.lee@x.co",
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


def test_an_identifier_shared_by_two_customers_never_decides_alone() -> None:
    existing = {
        "phone:+14155550130": [ExistingCustomer("cus_1", "1"), ExistingCustomer("cus_2", "2")]
    }
    holdings = {"cus_1": [_id("phone:+14155550130")], "cus_2": [_id("phone:+14155550130")]}
    result = resolve([_obs("r9", "phone:+14155550130")], existing, holdings)
    assert [(a.created, a.merged) for a in result.assignments] == [(True, ())]
    assert not result.conflicts
    assert not result.flagged


def test_refusals_name_their_reason() -> None:
    result = resolve(
        [_obs("r1", "anonymous_id:k", "email:a@x.co"), _obs("r2", "anonymous_id:k", "email:b@x.co"),
         _named("r3", "Ann", "", "email:s@x.co"), _named("r4", "Bo", "", "email:s@x.co")],
        {}, {},
    )  # fmt: skip
    assert [(c.record_id, c.identifier, c.reason) for c in result.conflicts] == [
        ("r2", "anonymous_id:k", "contradiction"),
        ("r4", "email:s@x.co", "disagree"),
    ]


def test_a_merge_names_the_record_and_identifier_that_caused_it() -> None:
    existing = {
        "user_id:u": [ExistingCustomer("cus_old", "2026-01")],
        "email:a@x.co": [ExistingCustomer("cus_new", "2026-02")],
    }
    holdings = {"cus_old": [_id("user_id:u")], "cus_new": [_id("email:a@x.co")]}
    result = resolve([_obs("r5", "user_id:u", "email:a@x.co")], existing, holdings)
    (assignment,) = result.assignments
    assert assignment.customer_id == "cus_old"
    assert assignment.merged_via == {"cus_new": ("r5", "email:a@x.co")}


async def test_the_rules_source_follows_the_graph_setting_within_its_ttl() -> None:
    now = [0.0]
    setting: list[tuple[str, int] | None] = [None]

    async def fetch() -> tuple[str, int] | None:
        return setting[0]

    base = IdentityRules()
    source = RulesSource(base, fetch, ttl=5, clock=lambda: now[0])
    assert await source.current() is base
    setting[0] = ("types:\n  email: {limit: 1}\n", 1)
    now[0] = 4.0
    assert (await source.current()).rule("email").limit == 5  # cached until the ttl passes
    now[0] = 5.5
    assert (await source.current()).rule("email").limit == 1
    assert source.version == 1
    setting[0] = ("types: [", 2)  # unusable: the last good rules stay
    now[0] = 11.0
    assert (await source.current()).rule("email").limit == 1
    setting[0] = None  # the setting is gone: back to the configured base
    now[0] = 17.0
    assert await source.current() is base


def test_rules_parse_from_text_with_their_origin_in_errors() -> None:
    assert parse_rules("types:\n  phone: {weak: false}\n").rule("phone").weak is False
    with pytest.raises(RulesError, match=r"^setting v3: expected a mapping"):
        parse_rules("- 1\n", "setting v3")


def test_model_links_may_skip_the_name_check() -> None:
    assert parse_rules("{}").model_check_names is True
    assert parse_rules("model_links: {check_names: false}\n").model_check_names is False
    with pytest.raises(RulesError, match=r"^model_links"):
        parse_rules("model_links: {check_names: maybe}\n")
    existing = {"email:x@y.co": [ExistingCustomer("cus_1", "1", first_names=frozenset({"ann"}))]}
    holdings = {"cus_1": [_id("email:x@y.co")]}
    record = _named("r2", "Bob", "", "crm_id:C2")
    links = {"r2": [("cus_1", "r1")]}
    strict = resolve([record], existing, holdings, model_links=links)
    assert [c.reason for c in strict.conflicts] == ["disagree"]
    relaxed_rules = parse_rules("model_links: {check_names: false}\n")
    relaxed = resolve([record], existing, holdings, relaxed_rules, model_links=links)
    assert [a.customer_id for a in relaxed.assignments] == ["cus_1"]
