from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
import pytest

from ingest.importer import (
    EventRow,
    ImportFileError,
    ImportSummary,
    Mapping,
    MappingError,
    RecordRow,
    Reject,
    detect_format,
    load_mapping,
    read_events,
    read_jsonl,
    read_parquet,
    read_records,
    write_rejects,
)

HEADER = "record_id,source,email,phone,dob"
NEED_ID = (
    "email: missing identifier — need one of email, phone, user_id, anonymous_id, device_id, crm_id"
)


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8", newline="") as out:
            out.write(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def _parquet(tmp_path: Path, columns: dict[str, Any], name: str = "data.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(pa.table(columns), path)
    return path


def _jsonl(tmp_path: Path, rows: list[dict[str, Any]], name: str = "data.jsonl") -> Path:
    return _file(tmp_path, name, "".join(json.dumps(row) + "\n" for row in rows))


def _records(path: Path, mapping: Mapping | None = None) -> list[RecordRow | Reject]:
    return list(read_records(path, mapping))


def _events(path: Path, mapping: Mapping | None = None) -> list[EventRow | Reject]:
    return list(read_events(path, mapping))


def _only_record(items: list[RecordRow | Reject]) -> RecordRow:
    assert len(items) == 1
    assert isinstance(items[0], RecordRow), items[0]
    return items[0]


def _only_reject(items: list[Any]) -> Reject:
    assert len(items) == 1
    assert isinstance(items[0], Reject), items[0]
    return items[0]


def _only_event(items: list[EventRow | Reject]) -> dict[str, Any]:
    assert len(items) == 1
    assert isinstance(items[0], EventRow), items[0]
    return items[0].body


# --- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        ("people.csv", None, "csv"),
        ("people.CSV.gz", None, "csv"),
        ("calls.jsonl", None, "jsonl"),
        ("calls.ndjson", None, "jsonl"),
        ("calls.jsonl.gz", None, "jsonl"),
        ("export.v2.parquet", None, "parquet"),
        ("dump.txt", "csv", "csv"),
        ("dump.txt", "NDJSON", "jsonl"),
        ("people.csv", "parquet", "parquet"),
    ],
)
def test_format_comes_from_the_extension_or_the_argument(
    name: str, fmt: str | None, expected: str
) -> None:
    assert detect_format(name, fmt) == expected


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("dump.txt", None, "cannot tell the format"),
        ("dump", None, "cannot tell the format"),
        ("dump.gz", None, "cannot tell the format"),
        ("export.parquet.gz", None, "gzip-compressed Parquet"),
        ("people.csv", "xml", "unknown format 'xml'"),
    ],
)
def test_unknown_formats_are_refused(name: str, fmt: str | None, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        detect_format(name, fmt)


def test_a_missing_file_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        read_records(tmp_path / "absent.csv")


# --- records: valid rows -------------------------------------------------------------------


def test_csv_record_keeps_canonical_columns_and_extra(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "people.csv",
        "record_id,source,first_name,email,phone,dob,city,loyalty_tier,notes\n"
        "r1, crm ,Ada, ada@example.com ,0447700900123,1980-12-31,London,gold,\n",
    )
    row = _only_record(_records(path))
    assert row == RecordRow(
        line=2,
        record_id="r1",
        source="crm",
        first_name="Ada",
        email="ada@example.com",
        phone="0447700900123",
        dob="1980-12-31",
        city="London",
        extra={"loyalty_tier": "gold"},
    )
    message = row.to_message()
    assert message == {
        "record_id": "r1",
        "source": "crm",
        "first_name": "Ada",
        "email": "ada@example.com",
        "phone": "0447700900123",
        "dob": "1980-12-31",
        "city": "London",
        "extra": {"loyalty_tier": "gold"},
    }
    assert json.loads(json.dumps(message)) == message


def test_message_has_no_extra_key_when_nothing_extra(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.csv", "record_id,source,device_id\nr1,app,dev-9\n")
    assert _only_record(_records(path)).to_message() == {
        "record_id": "r1",
        "source": "app",
        "device_id": "dev-9",
    }


@pytest.mark.parametrize("identifier", ["email", "phone", "user_id", "anonymous_id", "crm_id"])
def test_any_one_identifier_is_enough(tmp_path: Path, identifier: str) -> None:
    path = _file(tmp_path, "p.csv", f"record_id,source,{identifier}\nr1,crm,x-1@y.z\n")
    assert getattr(_only_record(_records(path)), identifier) == "x-1@y.z"


def test_utf8_bom_does_not_rename_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "record_id,source,email\nr1,crm,zoë@example.com\n".encode())
    row = _only_record(_records(path))
    assert (row.record_id, row.email, row.extra) == ("r1", "zoë@example.com", {})


def test_csv_keeps_quoted_cells_and_skips_blank_lines(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "p.csv",
        'record_id,source,email,address_line\n\nr1,crm,a@b.co,"1 High St, Flat 2"\n,,,\n'
        "r2,crm,c@d.co,\n",
    )
    items = _records(path)
    assert [(r.line, r.address_line) for r in items if isinstance(r, RecordRow)] == [
        (3, "1 High St, Flat 2"),
        (5, None),
    ]


def test_short_csv_row_lacks_its_last_columns(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.csv", "record_id,source,email,city\nr1,crm,a@b.co\n")
    row = _only_record(_records(path))
    assert (row.email, row.city) == ("a@b.co", None)


def test_csv_phone_digits_stay_text(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "p.csv",
        f"{HEADER},postcode\nr1,crm,,0447700900123,,01234\nr2,crm,,+44 7700 900123,,1e5\n",
    )
    rows = [r for r in _records(path) if isinstance(r, RecordRow)]
    assert [(r.phone, r.postcode) for r in rows] == [
        ("0447700900123", "01234"),
        ("+44 7700 900123", "1e5"),
    ]


def test_parquet_numbers_become_text_without_a_decimal_point(tmp_path: Path) -> None:
    path = _parquet(
        tmp_path,
        {
            "record_id": pa.array([1001, 1002], pa.int64()),
            "source": ["crm", "crm"],
            "phone": pa.array([447700900123, None], pa.int64()),
            "crm_id": pa.array([None, 77.0], pa.float64()),
            "dob": pa.array([dt.date(1980, 12, 31), None], pa.date32()),
            "score": pa.array([0.25, float("nan")], pa.float64()),
        },
    )
    first, second = _records(path)
    assert first == RecordRow(
        line=1,
        record_id="1001",
        source="crm",
        phone="447700900123",
        dob="1980-12-31",
        extra={"score": "0.25"},
    )
    assert second == RecordRow(line=2, record_id="1002", source="crm", crm_id="77")


def test_jsonl_records_turn_numbers_to_text_and_nest_extra_as_json(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path,
        [
            {
                "record_id": 7,
                "source": "shop",
                "phone": 447700900123,
                "email": None,
                "tags": ["a", "b"],
                "vip": True,
                "extra": {"tier": "gold"},
            }
        ],
    )
    row = _only_record(_records(path))
    assert (row.record_id, row.phone, row.email) == ("7", "447700900123", None)
    assert row.extra == {"tags": '["a","b"]', "vip": "true", "tier": "gold"}


def test_message_round_trips_through_jsonl(tmp_path: Path) -> None:
    original = RecordRow(line=1, record_id="r1", source="crm", email="a@b.co", extra={"k": "v"})
    path = _jsonl(tmp_path, [original.to_message()])
    assert _only_record(_records(path)) == original


@pytest.mark.parametrize("name", ["p.csv.gz", "p.csv"])
def test_gzip_csv_is_read_by_its_content(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("record_id,source,email\nr1,crm,a@b.co\n")
    assert _only_record(_records(path)).email == "a@b.co"


def test_gzip_jsonl(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"record_id": "r1", "source": "x", "user_id": "u1"}], "r.jsonl.gz")
    assert _only_record(_records(path)).user_id == "u1"


# --- records: rejects ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason", "category"),
    [
        (",crm,a@b.co,,", "record_id: missing", None),
        ("  ,crm,a@b.co,,", "record_id: missing", None),
        ("r1,,a@b.co,,", "source: missing", None),
        ("r1,crm, , ,1980-01-01", NEED_ID, None),
        (
            "r1,crm,a@b.co,,31/12/1980",
            "dob: not an ISO date (YYYY-MM-DD): '31/12/1980'",
            "dob: not an ISO date (YYYY-MM-DD)",
        ),
        ("r1,crm,a@b.co,,1980-02-30", "dob: not an ISO date (YYYY-MM-DD): '1980-02-30'", None),
        ("r1,crm,a@b.co,,19801231", "dob: not an ISO date (YYYY-MM-DD): '19801231'", None),
        ("r1,crm,a@b.co,,1980-12-31T00:00", "dob: not an ISO date (YYYY-MM-DD): ", None),
        ("r1,crm,a@b.co,,,surplus", "row: 6 fields but the header has 5", None),
    ],
)
def test_record_reject_reasons_name_the_field(
    tmp_path: Path, line: str, reason: str, category: str | None
) -> None:
    path = _file(tmp_path, "p.csv", f"{HEADER}\n{line}\n")
    reject = _only_reject(_records(path))
    assert reject.reason.startswith(reason)
    assert reject.line == 2
    assert not reject.duplicate
    if category is not None:
        assert reject.category == category


def test_reject_keeps_the_row_as_read(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.csv", f"{HEADER},Notes\nr1,crm,a@b.co,,31/12/1980, n \n")
    assert _only_reject(_records(path)).row == {
        "record_id": "r1",
        "source": "crm",
        "email": "a@b.co",
        "phone": "",
        "dob": "31/12/1980",
        "Notes": " n ",
    }


def test_overflowing_csv_row_keeps_the_surplus_cells(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.csv", "record_id,source\nr1,crm,oops,\n")
    reject = _only_reject(_records(path))
    assert reject.row == {"record_id": "r1", "source": "crm", "_overflow": ["oops", ""]}
    assert reject.category == "row: more fields than the header"


def test_nested_value_in_a_canonical_column_is_rejected(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"record_id": "r1", "source": "x", "email": {"work": "a@b.co"}}])
    assert _only_reject(_records(path)).reason == "email: expected a text value, got an object"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[1, 2]", "line: expected a JSON object, got an array"),
        ('"text"', "line: expected a JSON object, got a string"),
        ("{not json", "line: not valid JSON (Expecting property name"),
        ('{"record_id": NaN}', "line: not valid JSON (NaN is not JSON)"),
    ],
)
def test_jsonl_lines_that_are_not_objects_are_rejects(
    tmp_path: Path, text: str, reason: str
) -> None:
    good = json.dumps({"record_id": "r1", "source": "x", "email": "a@b.co"})
    path = _file(tmp_path, "r.jsonl", f"{good}\n\n{text}\n")
    first, second = _records(path)
    assert isinstance(first, RecordRow)
    assert isinstance(second, Reject)
    assert (second.line, second.row) == (3, {"_raw": text})
    assert second.reason.startswith(reason)


def test_jsonl_reader_skips_blank_lines_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n   \n{"b": "\xc3\xa9"}\r\n\xff\n')
    items = list(read_jsonl(path))
    assert items[:2] == [(1, {"a": 1}), (4, {"b": "é"})]
    assert isinstance(items[2], Reject)
    assert (items[2].line, items[2].reason) == (5, "line: not UTF-8 text")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.csv", b"record_id,source\nr1,\xff\n", "not UTF-8 text"),
        ("bad.csv.gz", b"\x1f\x8b\x08\x00garbage", "cannot read"),
        ("dup.csv", b"record_id,source,email,email\n", "duplicate column in the header: email"),
        ("bad.parquet", b"PAR1 this is not parquet", "not readable as Parquet"),
    ],
)
def test_unreadable_files_raise(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        _records(path)


# --- duplicates ----------------------------------------------------------------------------


def test_duplicate_record_ids_first_valid_row_wins(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "p.csv",
        f"{HEADER}\nr1,crm,,,\nr1,crm,first@x.co,,\nr2,crm,b@x.co,,\nr1,crm,again@x.co,,\n",
    )
    items = _records(path)
    assert [type(item).__name__ for item in items] == ["Reject", "RecordRow", "RecordRow", "Reject"]
    assert isinstance(items[1], RecordRow)
    assert items[1].email == "first@x.co"
    duplicate = items[3]
    assert isinstance(duplicate, Reject)
    assert duplicate.duplicate
    assert duplicate.reason == "duplicate record_id 'r1' (first seen on line 3)"
    assert duplicate.row["email"] == "again@x.co"


def test_duplicate_message_ids(tmp_path: Path) -> None:
    call = {"type": "track", "event": "Viewed", "userId": "u1", "messageId": "m1"}
    other = {**call, "messageId": "m2"}
    path = _jsonl(tmp_path, [call, other, {**call, "event": "Again"}, {**call, "messageId": None}])
    items = _events(path)
    assert [isinstance(item, Reject) and item.duplicate for item in items] == [
        False,
        False,
        True,
        False,
    ]
    duplicate = items[2]
    assert isinstance(duplicate, Reject)
    assert duplicate.reason == "duplicate messageId 'm1' (first seen on line 1)"


# --- mappings ------------------------------------------------------------------------------


CRM_CSV = (
    "Id,EmailAddress,Mobile,Birthday,Notes,city,source\n"
    "c-1,ada@example.com,07700900123,1980-12-31,likes tea,Leeds,legacy\n"
)


def test_mapping_renames_sets_constants_and_keeps_the_rest_in_extra(tmp_path: Path) -> None:
    path = _file(tmp_path, "crm.csv", CRM_CSV)
    mapping = Mapping(
        columns={"record_id": "Id", "email": "EmailAddress", "phone": "Mobile", "dob": "Birthday"},
        constants={"source": "crm"},
    )
    assert _only_record(_records(path, mapping)) == RecordRow(
        line=2,
        record_id="c-1",
        source="crm",
        email="ada@example.com",
        phone="07700900123",
        dob="1980-12-31",
        city="Leeds",
        # The file's own source column is not lost: the constant takes its place.
        extra={"Notes": "likes tea", "source": "legacy"},
    )


def test_drop_unmapped_keeps_only_canonical_columns(tmp_path: Path) -> None:
    path = _file(tmp_path, "crm.csv", CRM_CSV)
    mapping = Mapping(
        columns={"record_id": "Id", "crm_id": "Id"},
        constants={"source": "crm"},
        drop_unmapped=True,
    )
    row = _only_record(_records(path, mapping))
    assert (row.record_id, row.crm_id, row.source, row.city, row.email) == (
        "c-1",
        "c-1",
        "crm",
        "Leeds",
        None,
    )
    assert row.extra == {}


def test_integer_constant_becomes_text(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.csv", "id,email\n1,a@b.co\n")
    mapping = Mapping(columns={"record_id": "id"}, constants={"source": 42})
    assert _only_record(_records(path, mapping)).source == "42"


def test_mapped_column_missing_from_a_csv_header_is_a_mapping_error(tmp_path: Path) -> None:
    path = _file(tmp_path, "crm.csv", CRM_CSV)
    mapping = Mapping(
        columns={"record_id": "ID", "email": "EmailAddress"}, constants={"source": "x"}
    )
    with pytest.raises(MappingError, match="no column 'ID' in the file") as err:
        _records(path, mapping)
    assert err.value.key == "columns.record_id"


def test_mapped_key_missing_from_a_jsonl_row_is_just_missing(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"Id": "c-1", "Mail": "a@b.co"}, {"Id": "c-2"}])
    mapping = Mapping(columns={"record_id": "Id", "email": "Mail"}, constants={"source": "x"})
    first, second = _records(path, mapping)
    assert isinstance(first, RecordRow)
    assert isinstance(second, Reject)
    assert second.reason == NEED_ID


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "map.yaml",
            "columns:\n  record_id: Id\n  email: EmailAddress\nconstants:\n  source: crm\n"
            "drop_unmapped: true\n",
        ),
        (
            "map.json",
            '{"columns": {"record_id": "Id", "email": "EmailAddress"},'
            ' "constants": {"source": "crm"}, "drop_unmapped": true}',
        ),
    ],
)
def test_load_mapping_from_yaml_or_json(tmp_path: Path, name: str, text: str) -> None:
    mapping = load_mapping(_file(tmp_path, name, text))
    assert mapping == Mapping(
        columns={"record_id": "Id", "email": "EmailAddress"},
        constants={"source": "crm"},
        drop_unmapped=True,
    )


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("columns:\n  emial: Email\n", "columns.emial", "unknown record column"),
        ("columns:\n  email: 3\n", "columns.email", "expected a column name, got 3"),
        ("columns:\n  email: [a, b]\n", "columns.email", "expected a column name"),
        ("columns:\n  email: ''\n", "columns.email", "expected a column name"),
        ("columns:\n  7: Email\n", "columns.7", "expected a field name"),
        ("columns: [email]\n", "columns", "expected a mapping of names, got list"),
        ("column:\n  email: Email\n", "column", "unknown key"),
        ("drop_unmapped: 'yes'\n", "drop_unmapped", "expected true or false"),
        ("constants:\n  source: true\n", "constants.source", "expected a string"),
        ("constants:\n  source: {a: 1}\n", "constants.source", "expected a plain value"),
        ("constants:\n  sauce: crm\n", "constants.sauce", "unknown record column"),
        ("constants:\n  source: ' '\n", "constants.source", "empty value"),
        (
            "columns:\n  source: Src\nconstants:\n  source: crm\n",
            "constants.source",
            "also read from a column",
        ),
        ("- email\n", "mapping", "expected a mapping"),
        ("columns: {email: [\n", "map.yaml", "not valid YAML"),
    ],
)
def test_mapping_errors_name_the_key(tmp_path: Path, text: str, key: str, message: str) -> None:
    path = _file(tmp_path, "map.yaml", text)
    with pytest.raises(MappingError, match=message) as err:
        load_mapping(path)
    assert err.value.key == key


def test_invalid_json_mapping_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "map.json", '{"columns": ')
    with pytest.raises(MappingError, match="not valid JSON") as err:
        load_mapping(path)
    assert err.value.key == "map.json"


@pytest.mark.parametrize(
    ("columns", "ok"),
    [
        ({"userId": "customer"}, True),
        ({"properties.revenue": "amount"}, True),
        ({"context.device.id": "device"}, True),
        ({"properties": "props_json"}, True),
        ({"revenue": "amount"}, False),
        ({"properties.": "amount"}, False),
        ({"email": "mail"}, False),
    ],
)
def test_event_mapping_names_are_segment_paths(
    tmp_path: Path, columns: dict[str, str], ok: bool
) -> None:
    path = _file(tmp_path, "map.yaml", json.dumps({"columns": columns}))
    if ok:
        assert load_mapping(path, "events").columns == columns
    else:
        with pytest.raises(MappingError, match="unknown Segment field") as err:
            load_mapping(path, "events")
        assert err.value.key == f"columns.{next(iter(columns))}"


def test_readers_check_the_mapping_for_their_kind(tmp_path: Path) -> None:
    path = _file(tmp_path, "e.jsonl", "")
    with pytest.raises(MappingError) as err:
        read_events(path, Mapping(columns={"email": "mail"}))
    assert err.value.key == "columns.email"


# --- events --------------------------------------------------------------------------------


def test_csv_event_dotted_columns_fold_into_objects(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "events.csv",
        "type,event,userId,anonymousId,messageId,timestamp,properties.revenue,"
        "properties.currency,context.device.id,context.ip,traits.plan,properties\n"
        "track,Order Completed, u1 ,,m-1,2026-01-02T03:04:05Z,19.99,EUR,dev-1,,,"
        '"{""sku"": ""A""}"\n',
    )
    assert _only_event(_events(path)) == {
        "type": "track",
        "event": "Order Completed",
        "userId": "u1",
        "messageId": "m-1",
        "timestamp": "2026-01-02T03:04:05Z",
        "properties": {"sku": "A", "revenue": "19.99", "currency": "EUR"},
        "context": {"device": {"id": "dev-1"}},
    }


def test_jsonl_event_keeps_its_shape_and_merges_dotted_keys(tmp_path: Path) -> None:
    call = {
        "type": "identify",
        "userId": 42,
        "traits": {"email": "a@b.co"},
        "traits.plan": "pro",
        "context": None,
        "custom.field": 1,
    }
    path = _jsonl(tmp_path, [call])
    assert _only_event(_events(path)) == {
        "type": "identify",
        "userId": "42",
        "traits": {"email": "a@b.co", "plan": "pro"},
        "context": None,
        "custom.field": 1,
    }


def test_parquet_events_keep_types_and_stringify_ids(tmp_path: Path) -> None:
    path = _parquet(
        tmp_path,
        {
            "type": ["track", "page"],
            "event": ["Viewed", None],
            "userId": pa.array([1001, None], pa.int64()),
            "anonymousId": [None, "anon-1"],
            "properties.revenue": [9.5, None],
            "timestamp": [dt.datetime(2026, 1, 2, 3, 4, 5), None],
        },
    )
    first, second = _events(path)
    assert isinstance(first, EventRow)
    assert isinstance(second, EventRow)
    assert first.body == {
        "type": "track",
        "event": "Viewed",
        "userId": "1001",
        "properties": {"revenue": 9.5},
        "timestamp": "2026-01-02T03:04:05",
    }
    assert (second.line, second.body) == (2, {"type": "page", "anonymousId": "anon-1"})


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        ({"userId": "u1"}, "type: missing — expected one of"),
        ({"type": "purchase", "userId": "u1"}, "type: not a Segment call type"),
        ({"type": 5, "userId": "u1"}, "type: not a Segment call type"),
        ({"type": "identify"}, "userId: missing — need userId or anonymousId"),
        ({"type": "page", "userId": " ", "anonymousId": ""}, "userId: missing"),
        ({"type": "track", "userId": "u1"}, "event: missing — a track call needs an event"),
        ({"type": "track", "userId": "u1", "event": 3}, "event: expected a string"),
        ({"type": "alias", "previousId": "a1"}, "userId: missing — an alias call needs"),
        ({"type": "alias", "userId": "u1", "anonymousId": "a1"}, "previousId: missing"),
        ({"type": "group", "userId": ["u1"]}, "userId: expected a string or a number"),
        (
            {"type": "track", "userId": "u", "event": "E", "properties": 1, "properties.a": 2},
            "properties.a: conflicts with properties",
        ),
    ],
)
def test_event_reject_reasons_name_the_field(
    tmp_path: Path, call: dict[str, Any], reason: str
) -> None:
    reject = _only_reject(_events(_jsonl(tmp_path, [call])))
    assert reject.reason.startswith(reason), reject.reason
    assert (reject.line, reject.row) == (1, call)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ({"type": "page", "anonymousId": "a1"}, {"type": "page", "anonymousId": "a1"}),
        (
            {"type": "screen", "userId": 7, "name": "Home"},
            {"type": "screen", "userId": "7", "name": "Home"},
        ),
        (
            {"type": "group", "userId": "u1", "groupId": 9.0},
            {"type": "group", "userId": "u1", "groupId": "9"},
        ),
        (
            {"type": "alias", "userId": "u1", "previousId": " a1 "},
            {"type": "alias", "userId": "u1", "previousId": "a1"},
        ),
        (
            {"type": " track ", "userId": "u1", "event": "Signed Up"},
            {"type": "track", "userId": "u1", "event": "Signed Up"},
        ),
    ],
)
def test_valid_calls_of_each_type(
    tmp_path: Path, call: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert _only_event(_events(_jsonl(tmp_path, [call]))) == expected


def test_csv_object_cell_that_is_not_json_is_a_reject(tmp_path: Path) -> None:
    path = _file(tmp_path, "e.csv", "type,userId,traits\nidentify,u1,plan=pro\n")
    assert _only_reject(_events(path)).reason == "traits: expected a JSON object: 'plan=pro'"


def test_event_mapping_renames_into_segment_paths(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "orders.csv",
        "order_id,customer,amount,kind,channel_code,userId\n"
        "o-1,c-9,12.50,Order Completed,web,ignored\n",
    )
    mapping = Mapping(
        columns={
            "messageId": "order_id",
            "userId": "customer",
            "event": "kind",
            "properties.revenue": "amount",
        },
        constants={"type": "track", "context.library.name": "graphcdp-import"},
    )
    assert _only_event(_events(path, mapping)) == {
        "type": "track",
        "event": "Order Completed",
        "userId": "c-9",
        "messageId": "o-1",
        "properties": {"revenue": "12.50"},
        "context": {"library": {"name": "graphcdp-import"}},
        "channel_code": "web",
    }
    dropped = Mapping(mapping.columns, mapping.constants, drop_unmapped=True)
    assert "channel_code" not in _only_event(_events(path, dropped))


# --- parquet streaming ---------------------------------------------------------------------


def test_parquet_rows_are_numbered_across_batches(tmp_path: Path) -> None:
    path = _parquet(tmp_path, {"n": list(range(5))})
    assert list(read_parquet(path, batch_rows=2)) == [(i + 1, {"n": i}) for i in range(5)]


# --- summary and rejects file --------------------------------------------------------------


def test_summary_counts_accepted_rejected_duplicates_and_reasons(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "p.csv",
        f"{HEADER}\nr1,crm,a@b.co,,\nr1,crm,a@b.co,,\nr2,crm,,,\nr3,crm,,,\n"
        "r4,crm,c@d.co,,31/12/1980\nr5,crm,e@f.co,,1/1/1990\n,crm,g@h.co,,\n",
    )
    summary = ImportSummary()
    for item in read_records(path):
        summary.add(item)
    assert (summary.accepted, summary.rejected, summary.duplicates, summary.total) == (1, 5, 1, 7)
    assert summary.reasons == Counter(
        {
            NEED_ID: 2,
            "dob: not an ISO date (YYYY-MM-DD)": 2,
            "record_id: missing": 1,
        }
    )
    assert sum(summary.reasons.values()) == summary.rejected


def test_write_rejects_writes_one_json_object_a_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.csv", f"{HEADER}\nr1,crm,,,\nr2,crm,zoë@b.co,,31/12/1980\n")
    rejects = [item for item in read_records(path) if isinstance(item, Reject)]
    out = tmp_path / "rejects.jsonl"
    assert write_rejects(out, rejects) == 2
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "line": 2,
            "reason": NEED_ID,
            "row": {"record_id": "r1", "source": "crm", "email": "", "phone": "", "dob": ""},
        },
        {
            "line": 3,
            "reason": "dob: not an ISO date (YYYY-MM-DD): '31/12/1980'",
            "row": {
                "record_id": "r2",
                "source": "crm",
                "email": "zoë@b.co",
                "phone": "",
                "dob": "31/12/1980",
            },
        },
    ]
    assert "zoë" in lines[1]


def test_write_rejects_with_nothing_leaves_an_empty_file(tmp_path: Path) -> None:
    out = tmp_path / "rejects.jsonl"
    assert write_rejects(out, []) == 0
    assert out.read_text(encoding="utf-8") == ""
