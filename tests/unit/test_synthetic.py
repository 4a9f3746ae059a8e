"""bench.synthetic: the labelled records are deterministic, well-formed and hold every trap."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest

from bench.synthetic import (
    COLUMNS,
    COMMON_NAMES,
    END,
    IDENTIFIER_COLUMNS,
    JUNK_EMAILS,
    JUNK_PHONES,
    JUNK_USER_IDS,
    JUNK_VALUES,
    NICKNAMES,
    TRAPS,
    Dataset,
    generate,
    main,
    write,
)
from matching.normalise import normalise_email, to_e164

pytestmark = pytest.mark.unit

SOURCE_COLUMNS = {
    "crm": {"crm_id", "first_name", "last_name", "email", "phone", "dob", "address_line"}
    | {"city", "postcode", "country"},
    "web": {"anonymous_id", "user_id", "email", "device_id", "first_name", "last_name"},
    "mobile": {"device_id", "user_id", "phone", "email"},
    "pos": {"first_name", "last_name", "phone", "email", "postcode"},
    "support": {"first_name", "last_name", "email", "phone"},
}
ALWAYS = {"record_id", "source", "updated_at"}


@pytest.fixture(scope="module")
def data() -> Dataset:
    return generate(2000, 7)


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-10:]


def _persons(data: Dataset, rids: list[str]) -> set[str]:
    return {data.truth[rid] for rid in rids}


def _trap_records(data: Dataset, trap: str) -> list[dict[str, str]]:
    return [r for r in data.records if trap in data.traps[r["record_id"]]]


def test_same_seed_same_dataset_other_seed_another() -> None:
    assert generate(300, 3) == generate(300, 3)
    assert generate(300, 3).records != generate(300, 4).records


def test_rejects_no_persons() -> None:
    with pytest.raises(ValueError, match="persons"):
        generate(0)


def test_records_are_well_formed(data: Dataset) -> None:
    ids = [r["record_id"] for r in data.records]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"r\d{6}", rid) for rid in ids)
    assert set(data.truth) == set(ids) == set(data.traps)
    assert len(set(data.truth.values())) == 2000
    for r in data.records:
        assert tuple(r) == COLUMNS
        assert all(isinstance(v, str) for v in r.values())
        filled = {c for c, v in r.items() if v}
        assert filled - ALWAYS <= SOURCE_COLUMNS[r["source"]], r
        assert set(data.traps[r["record_id"]]) <= set(TRAPS)


def test_every_record_has_a_real_identifier(data: Dataset) -> None:
    for r in data.records:
        assert any(r[c] and r[c] not in JUNK_VALUES for c in IDENTIFIER_COLUMNS), r


def test_records_per_person_and_sources(data: Dataset) -> None:
    per_person: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in data.records:
        per_person[data.truth[r["record_id"]]].append(r)
    assert all(1 <= len(rs) <= 6 for rs in per_person.values())
    assert {r["source"] for r in data.records} == set(SOURCE_COLUMNS)


def test_updated_at_spans_the_last_two_years(data: Dataset) -> None:
    stamps = sorted(r["updated_at"] for r in data.records)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) for s in stamps)
    start = (END - timedelta(days=730)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert start <= stamps[0] < stamps[-1] <= END.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_phones_and_emails_normalise_unless_junk(data: Dataset) -> None:
    formats = set()
    for r in data.records:
        if r["phone"] and r["phone"] not in JUNK_PHONES:
            assert to_e164(r["phone"]).startswith("+1")
            formats.add(re.sub(r"\d", "9", r["phone"]))
        if r["email"] and r["email"] not in JUNK_EMAILS:
            normalise_email(r["email"])
    assert len(formats) == 5
    emails = [r["email"] for r in data.records if r["email"]]
    assert any(e != e.strip() for e in emails)
    assert any(e.strip() != e.strip().lower() for e in emails)


@pytest.mark.parametrize("trap", TRAPS)
def test_every_trap_spans_persons(data: Dataset, trap: str) -> None:
    records = _trap_records(data, trap)
    assert len(_persons(data, [r["record_id"] for r in records])) >= 2


def test_households_share_address_and_landline(data: Dataset) -> None:
    by_phone: dict[str, list[str]] = defaultdict(list)
    records = _trap_records(data, "household")
    for r in records:
        if r["phone"]:
            by_phone[_digits(r["phone"])].append(r["record_id"])
    landlines = {p: rids for p, rids in by_phone.items() if len(_persons(data, rids)) >= 2}
    assert len(landlines) >= 10
    for rids in landlines.values():
        members = _persons(data, rids)
        addresses = {
            r["address_line"]
            for r in records
            if r["address_line"] and data.truth[r["record_id"]] in members
        }
        assert len(addresses) == 1
        last_names = {r["last_name"] for r in records if r["record_id"] in rids and r["last_name"]}
        assert len(last_names) == 1
    family = defaultdict(set)
    for r in records:
        if r["email"].strip().lower().startswith("the"):
            family[r["email"].strip().lower()].add(data.truth[r["record_id"]])
    assert family
    assert all(len(persons) >= 2 for persons in family.values())


def test_twins_share_all_but_first_name_and_email(data: Dataset) -> None:
    records = _trap_records(data, "twins")
    by_phone: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in records:
        if r["phone"]:
            by_phone[_digits(r["phone"])].append(r)
    pairs = [
        rs for rs in by_phone.values() if len(_persons(data, [r["record_id"] for r in rs])) == 2
    ]
    assert len(pairs) >= 5
    for rs in pairs:
        twins = _persons(data, [r["record_id"] for r in rs])
        mine = [r for r in records if data.truth[r["record_id"]] in twins]
        assert len({r["dob"] for r in mine if r["dob"]}) == 1
        assert len({r["address_line"] for r in mine if r["address_line"]}) == 1
        assert len({r["last_name"] for r in mine if r["last_name"]}) == 1
        first = {data.truth[r["record_id"]]: r["first_name"][0] for r in mine if r["first_name"]}
        assert len(set(first.values())) == len(first)


def test_shared_devices_span_two_or_three_persons(data: Dataset) -> None:
    by_device: dict[str, list[str]] = defaultdict(list)
    for r in _trap_records(data, "shared_device"):
        by_device[r["device_id"]].append(r["record_id"])
        assert r["user_id"] or r["email"]
    assert len(by_device) >= 10
    assert all(2 <= len(_persons(data, rids)) <= 3 for rids in by_device.values())


def test_common_names_belong_to_many_persons_and_only_to_the_trap(data: Dataset) -> None:
    by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in data.records:
        name = (r["first_name"], r["last_name"])
        if name in COMMON_NAMES:
            assert "common_name" in data.traps[r["record_id"]]
            by_name[name].append(r["record_id"])
    assert set(by_name) == set(COMMON_NAMES)
    assert all(len(_persons(data, rids)) >= 5 for rids in by_name.values())


def test_junk_values_appear_for_many_persons(data: Dataset) -> None:
    by_value: dict[str, list[str]] = defaultdict(list)
    for r in _trap_records(data, "junk"):
        for column in ("email", "phone", "user_id"):
            if r[column] in JUNK_VALUES:
                by_value[r[column]].append(r["record_id"])
    assert set(by_value) == set(JUNK_EMAILS + JUNK_PHONES + JUNK_USER_IDS)
    assert all(len(_persons(data, rids)) >= 3 for rids in by_value.values())


def test_kiosk_spans_many_persons(data: Dataset) -> None:
    records = _trap_records(data, "kiosk")
    assert len({r["anonymous_id"] for r in records}) == 1
    assert len({r["device_id"] for r in records}) == 1
    assert all(r["source"] == "web" and (r["email"] or r["user_id"]) for r in records)
    assert len(_persons(data, [r["record_id"] for r in records])) >= 5


def _is_typo(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    if len(a) == len(b) + 1:
        return any(a[:i] + a[i + 1 :] == b for i in range(len(a)))
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
    return False


def test_nickname_and_typo_variants(data: Dataset) -> None:
    names: dict[str, set[str]] = defaultdict(set)
    for r in data.records:
        if r["first_name"]:
            names[data.truth[r["record_id"]]].add(r["first_name"])
    nicknamed = [ns for ns in names.values() if any(NICKNAMES.get(n) in ns for n in ns)]
    typos = [ns for ns in names.values() if any(_is_typo(a, b) for a in ns for b in ns)]
    assert len(nicknamed) >= 20
    assert len(typos) >= 20


def test_people_move_and_change_email(data: Dataset) -> None:
    addresses: dict[str, set[str]] = defaultdict(set)
    emails: dict[str, set[str]] = defaultdict(set)
    for r in data.records:
        person = data.truth[r["record_id"]]
        if r["address_line"]:
            addresses[person].add(r["address_line"])
        if r["email"] and r["email"] not in JUNK_EMAILS and not data.traps[r["record_id"]]:
            emails[person].add(r["email"].strip().lower())
    assert sum(len(a) >= 2 for a in addresses.values()) >= 50
    assert sum(len(e) >= 2 for e in emails.values()) >= 40


def test_write_and_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = generate(50, 1)
    write(data, tmp_path / "r.csv", tmp_path / "t.csv")
    with (tmp_path / "r.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == data.records
    with (tmp_path / "t.csv").open(newline="") as f:
        truth = list(csv.DictReader(f))
    assert {t["record_id"]: t["true_id"] for t in truth} == data.truth
    assert {t["record_id"]: frozenset(filter(None, t["traps"].split("|"))) for t in truth} == (
        data.traps
    )

    main(["--persons", "50", "--seed", "1", "--out", str(tmp_path / "out")])
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"] == len(data.records)
    assert summary["persons"] == 50
    assert set(summary["traps"]) == set(TRAPS)
    assert (tmp_path / "out" / "records.csv").read_text() == (tmp_path / "r.csv").read_text()
