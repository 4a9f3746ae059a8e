"""Batch import of customer records and Segment calls from files (``graphcdp import``).

Pure reading and validation: the caller iterates what :func:`read_records` or
:func:`read_events` yields, produces the accepted rows to Kafka, tallies everything in an
:class:`ImportSummary` and writes the rejects with :func:`write_rejects`.

Files are CSV (UTF-8 with a header row, an optional BOM), JSONL (one JSON object a line, blank
lines skipped) or Parquet (read in record batches, so a large file streams). CSV and JSONL may be
gzip-compressed. Every row comes with its position in the file: the physical line for CSV and
JSONL (a CSV header is line 1), the 1-based row number for Parquet.

A mapping file (YAML or JSON) fits a foreign layout to the canonical one::

    columns: {email: EmailAddress, record_id: Id}   # canonical name: source column
    constants: {source: crm}                        # canonical name: value for every row
    drop_unmapped: false                            # true drops other source columns

A source column named by ``columns`` is consumed. A source column that already carries a
canonical name passes through as that name, unless the mapping sets that name itself (then a
record keeps it under ``extra`` and an event drops it). Any other source column is kept (under
``extra`` for records, as-is in the body for events) unless ``drop_unmapped`` is true.

A bad row never stops an import: it becomes a :class:`Reject` whose reason names the field.
A bad file (unknown format, not UTF-8, corrupt gzip or Parquet) raises :class:`ImportFileError`
and a bad mapping :class:`MappingError`.
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
import json
import math
import os
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeVar, cast

import yaml

from graph.model import CALL_TYPES

ImportKind = Literal["records", "events"]
Format = Literal["csv", "jsonl", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl", "parquet")
Scalar = str | int | float | bool
Row = dict[str, object]
"""One source row: source column names to JSON-safe values."""

RECORD_COLUMNS: tuple[str, ...] = (
    "record_id",
    "source",
    "first_name",
    "last_name",
    "email",
    "phone",
    "dob",
    "address_line",
    "city",
    "postcode",
    "country",
    "user_id",
    "anonymous_id",
    "device_id",
    "crm_id",
)
IDENTIFIER_COLUMNS: tuple[str, ...] = (
    "email",
    "phone",
    "user_id",
    "anonymous_id",
    "device_id",
    "crm_id",
)
EVENT_FIELDS: frozenset[str] = frozenset(
    {
        "type",
        "event",
        "name",
        "category",
        "userId",
        "anonymousId",
        "previousId",
        "groupId",
        "messageId",
        "timestamp",
        "originalTimestamp",
        "sentAt",
        "receivedAt",
        "version",
        "channel",
        "properties",
        "traits",
        "context",
        "integrations",
    }
)
"""Top-level Segment fields a mapping may name (besides dotted paths into the objects)."""
EVENT_OBJECTS: frozenset[str] = frozenset({"properties", "traits", "context", "integrations"})
"""Fields whose dotted columns (``properties.revenue``) fold into one nested object."""
PARQUET_BATCH_ROWS = 10_000

_RECORD_SET = frozenset(RECORD_COLUMNS)
_ID_FIELDS = ("userId", "anonymousId", "previousId", "groupId", "messageId")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAPPING_KEYS = ("columns", "constants", "drop_unmapped")
_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"
_SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
_NO_VALUE = object()


class ImportFileError(ValueError):
    """A file that cannot be read as a whole (unknown format, not UTF-8, corrupt)."""


class MappingError(ValueError):
    """A mapping file that is not valid; ``key`` names the offending entry (``columns.email``)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class Reject:
    """A row that was not accepted.

    Attributes:
        line: where the row is in the file (the line, or the row number for Parquet).
        reason: what is wrong, starting with the field's name (or ``duplicate``).
        row: the row as read from the file, source column names and all (JSON-safe).
        duplicate: the row repeats a ``record_id``/``messageId`` seen earlier in the file.
        category: the reason without the offending value, for counting
            (``dob: not an ISO date (YYYY-MM-DD)``); empty means the reason itself.
    """

    line: int
    reason: str
    row: Row
    duplicate: bool = False
    category: str = ""

    def to_json(self) -> dict[str, object]:
        """The line of the rejects file: ``{"line": n, "reason": "...", "row": {...}}``."""
        return {"line": self.line, "reason": self.reason, "row": self.row}


@dataclass(frozen=True)
class RecordRow:
    """One valid customer record in canonical columns; values are stripped, never empty."""

    line: int
    record_id: str
    source: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    dob: str | None = None
    address_line: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    user_id: str | None = None
    anonymous_id: str | None = None
    device_id: str | None = None
    crm_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def to_message(self) -> dict[str, str | dict[str, str]]:
        """The JSON-serialisable message: canonical keys that have a value, ``extra`` if any."""
        message: dict[str, str | dict[str, str]] = {}
        for name in RECORD_COLUMNS:
            value = getattr(self, name)
            if value is not None:
                message[name] = value
        if self.extra:
            message["extra"] = dict(self.extra)
        return message


@dataclass(frozen=True)
class EventRow:
    """One Segment call that passed the import's checks; ``body`` is the call as a JSON object.

    Ids (``userId``, ``anonymousId``, ``previousId``, ``groupId``, ``messageId``) are stripped
    strings; other values are as read (CSV cells stay text). The spec's own validation is the
    caller's.
    """

    line: int
    body: dict[str, Any]


@dataclass
class ImportSummary:
    """Counts for one import: fold every yielded item in with :meth:`add`.

    ``rejected`` excludes duplicates, and ``reasons`` counts the rejected rows by category, so
    ``sum(reasons.values()) == rejected``.
    """

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.accepted + self.rejected + self.duplicates

    def add(self, item: RecordRow | EventRow | Reject) -> None:
        if not isinstance(item, Reject):
            self.accepted += 1
        elif item.duplicate:
            self.duplicates += 1
        else:
            self.rejected += 1
            self.reasons[item.category or item.reason] += 1


@dataclass(frozen=True)
class Mapping:
    """How a foreign layout maps to the canonical one (see the module's docstring).

    Attributes:
        columns: canonical name (a record column, or a Segment field path for events) to the
            source column it is read from.
        constants: canonical name to a value set on every row.
        drop_unmapped: drop source columns the mapping does not place, instead of keeping them.
    """

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Scalar] = field(default_factory=dict)
    drop_unmapped: bool = False

    @classmethod
    def from_dict(cls, data: object, kind: ImportKind = "records") -> Mapping:
        """Build and check a mapping from a parsed mapping file.

        Raises:
            MappingError: the mapping is malformed or names a field that ``kind`` lacks.
        """
        if not isinstance(data, dict):
            raise MappingError("mapping", "expected a mapping with columns, constants, ...")
        for key in data:
            if key not in _MAPPING_KEYS:
                raise MappingError(
                    str(key), f"unknown key (expected one of {', '.join(_MAPPING_KEYS)})"
                )
        columns = _section(data, "columns")
        constants = _section(data, "constants")
        drop = data.get("drop_unmapped", False)
        if not isinstance(drop, bool):
            raise MappingError("drop_unmapped", f"expected true or false, got {drop!r}")
        sources: dict[str, str] = {}
        for name, source in columns.items():
            if not isinstance(source, str):
                raise MappingError(f"columns.{name}", f"expected a column name, got {source!r}")
            sources[name] = source
        values: dict[str, Scalar] = {}
        for name, value in constants.items():
            if not isinstance(value, (str, int, float, bool)):
                raise MappingError(f"constants.{name}", f"expected a plain value, got {value!r}")
            values[name] = value
        mapping = cls(sources, values, drop)
        mapping.check(kind)
        return mapping

    def check(self, kind: ImportKind) -> None:
        """Check every entry against the canonical names of ``kind``.

        Raises:
            MappingError: an unknown canonical name, an empty or non-string source column, a
                constant of the wrong type, or a name set both by ``columns`` and ``constants``.
        """
        for name, source in self.columns.items():
            _check_name("columns", name, kind)
            if not isinstance(source, str) or not source.strip():
                raise MappingError(f"columns.{name}", f"expected a column name, got {source!r}")
        for name, value in self.constants.items():
            _check_name("constants", name, kind)
            if name in self.columns:
                raise MappingError(f"constants.{name}", "also read from a column in columns")
            if kind == "records":
                if isinstance(value, bool) or not isinstance(value, (str, int)):
                    raise MappingError(f"constants.{name}", f"expected a string, got {value!r}")
                if not str(value).strip():
                    raise MappingError(f"constants.{name}", "empty value")
            elif not isinstance(value, (str, int, float, bool)):
                raise MappingError(f"constants.{name}", f"expected a plain value, got {value!r}")

    def sets(self) -> frozenset[str]:
        """The canonical names this mapping sets (from a column or a constant)."""
        return frozenset(self.columns) | frozenset(self.constants)


def load_mapping(path: str | os.PathLike[str], kind: ImportKind = "records") -> Mapping:
    """Read and check a mapping file: JSON for ``.json``, else YAML.

    Raises:
        MappingError: the file does not parse or its content is not a valid mapping for
            ``kind``; the error names the key.
        OSError: the file cannot be read.
    """
    file = Path(path)
    text = file.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise MappingError(file.name, f"not valid {_syntax(file)}: {err}") from None
    return Mapping.from_dict(data, kind)


def detect_format(path: str | os.PathLike[str], fmt: str | None = None) -> Format:
    """The format of ``path``: ``fmt`` when given (``ndjson`` is ``jsonl``), else its extension.

    Raises:
        ImportFileError: an unknown ``fmt`` or extension, or gzip-compressed Parquet.
    """
    if fmt is not None:
        wanted = "jsonl" if fmt.lower() == "ndjson" else fmt.lower()
        for known in FORMATS:
            if wanted == known:
                return known
        raise ImportFileError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes.pop()
    found = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise ImportFileError(
            f"{Path(path).name}: cannot tell the format from the extension "
            "(.csv, .jsonl, .ndjson, .parquet, optionally .gz) — give the format"
        )
    if found == "parquet" and compressed:
        raise ImportFileError(f"{Path(path).name}: gzip-compressed Parquet is not supported")
    return found


def read_rows(
    path: str | os.PathLike[str], fmt: str | None = None
) -> Iterator[tuple[int, Row] | Reject]:
    """The rows of a file in its format, as ``(line, row)``; unreadable lines as rejects.

    Raises:
        ImportFileError: the format is unknown or the file does not exist (at once), or the
            file turns out unreadable (while iterating).
    """
    found = detect_format(path, fmt)
    if not Path(path).is_file():
        raise ImportFileError(f"{path}: no such file")
    if found == "csv":
        return read_csv(path)
    if found == "jsonl":
        return read_jsonl(path)
    return read_parquet(path)


def read_csv(path: str | os.PathLike[str]) -> Iterator[tuple[int, Row] | Reject]:
    """Rows of a CSV file (gzip or not), every cell as text, keyed by the header's names.

    Blank lines are skipped, a short row lacks its last columns, and a row with more non-empty
    cells than the header has columns is a reject. Columns with an empty header are ignored.

    Raises:
        ImportFileError: the file is not UTF-8 text, not valid gzip, has a duplicate column in
            its header, or is malformed CSV.
    """
    line = 0
    with (
        _open_binary(path) as raw,
        io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text,
    ):
        reader = csv.reader(text)
        try:
            header: list[str] | None = None
            while True:
                before = reader.line_num
                fields = next(reader, None)
                if fields is None:
                    return
                line = before + 1
                if not any(cell.strip() for cell in fields):
                    continue
                if header is None:
                    header = [name.strip() for name in fields]
                    _check_header(path, header)
                    continue
                yield _csv_row(line, header, fields)
        except UnicodeDecodeError:
            raise ImportFileError(f"{path}: not UTF-8 text (near line {line + 1})") from None
        except (OSError, EOFError, zlib.error) as err:
            raise ImportFileError(f"{path}: cannot read past line {line}: {err}") from None
        except csv.Error as err:
            raise ImportFileError(f"{path}: malformed CSV near line {line}: {err}") from None


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, Row] | Reject]:
    """Rows of a JSONL file (gzip or not); a line that is not a JSON object is a reject.

    Raises:
        ImportFileError: the file is not valid gzip.
    """
    line = 0
    with _open_binary(path) as raw:
        try:
            for line, data in enumerate(raw, start=1):
                if line == 1:
                    data = data.removeprefix(_UTF8_BOM)
                if not data.strip():
                    continue
                yield _json_row(line, data)
        except (OSError, EOFError, zlib.error) as err:
            raise ImportFileError(f"{path}: cannot read past line {line}: {err}") from None


def read_parquet(
    path: str | os.PathLike[str], batch_rows: int = PARQUET_BATCH_ROWS
) -> Iterator[tuple[int, Row]]:
    """Rows of a Parquet file, ``batch_rows`` at a time, with JSON-safe values.

    Dates and times become ISO strings, decimals numbers, NaN a missing value.

    Raises:
        ImportFileError: pyarrow is not installed, or the file is not valid Parquet.
    """
    try:
        import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ImportFileError("reading Parquet needs pyarrow (pip install pyarrow)") from None
    index = 0
    try:
        with pq.ParquetFile(os.fspath(path)) as parquet:
            for batch in parquet.iter_batches(batch_size=batch_rows):
                for values in batch.to_pylist():
                    index += 1
                    yield index, {str(k): _jsonable(v) for k, v in values.items()}
    except (pa.ArrowException, OSError) as err:
        raise ImportFileError(f"{path}: not readable as Parquet (row {index}): {err}") from None


def read_records(
    path: str | os.PathLike[str], mapping: Mapping | None = None, fmt: str | None = None
) -> Iterator[RecordRow | Reject]:
    """Customer records from a file, each a :class:`RecordRow` or a :class:`Reject`.

    A record needs a ``record_id``, a ``source`` and at least one identifier (``email``,
    ``phone``, ``user_id``, ``anonymous_id``, ``device_id``, ``crm_id``); ``dob``, if given, must
    be an ISO date. A ``record_id`` seen earlier in the file is a duplicate (the first wins).

    Raises:
        ImportFileError: the format is unknown or the file missing (at once), or the file is
            unreadable (while iterating).
        MappingError: the mapping does not fit records (at once), or names a column that a CSV
            or Parquet file lacks (at the first row).
    """
    if mapping is not None:
        mapping.check("records")
    found = detect_format(path, fmt)
    return _records(read_rows(path, found), mapping, tabular=found != "jsonl")


def read_events(
    path: str | os.PathLike[str], mapping: Mapping | None = None, fmt: str | None = None
) -> Iterator[EventRow | Reject]:
    """Segment calls from a file, each an :class:`EventRow` or a :class:`Reject`.

    Checked here: ``type`` is a Segment call type, ``userId`` or ``anonymousId`` is present
    (``userId`` and ``previousId`` for alias), a track call has an ``event``. Dotted columns
    (``properties.revenue``, ``context.device.id``) fold into nested objects; in CSV and Parquet
    an empty cell is a missing field and a ``properties``/``traits``/``context``/``integrations``
    cell may hold a JSON object. A ``messageId`` seen earlier in the file is a duplicate.

    Raises:
        ImportFileError: as for :func:`read_records`.
        MappingError: as for :func:`read_records`, with Segment field paths as names.
    """
    if mapping is not None:
        mapping.check("events")
    found = detect_format(path, fmt)
    return _events(read_rows(path, found), mapping, tabular=found != "jsonl")


def write_rejects(path: str | os.PathLike[str], rejects: Iterable[Reject]) -> int:
    """Write rejects as JSONL, one ``{"line": n, "reason": "...", "row": {...}}`` a line.

    Returns:
        How many lines were written.
    """
    count = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for reject in rejects:
            out.write(json.dumps(reject.to_json(), ensure_ascii=False, default=str) + "\n")
            count += 1
    return count


# --- records ---------------------------------------------------------------------------


T = TypeVar("T", RecordRow, EventRow)


def _dedupe(
    rows: Iterator[tuple[int, Row] | Reject],
    mapping: Mapping | None,
    *,
    tabular: bool,
    convert: Callable[[int, Row], T | Reject],
    id_name: str,
    id_of: Callable[[T], object],
) -> Iterator[T | Reject]:
    """Convert each row; a repeated id (``record_id`` / ``messageId``) is a duplicate reject."""
    seen: dict[str, int] = {}
    first = True
    for item in rows:
        if isinstance(item, Reject):
            yield item
            continue
        line, row = item
        if first and tabular and mapping is not None:
            _check_mapped_columns(mapping, row)
        first = False
        converted = convert(line, row)
        if isinstance(converted, Reject):
            yield converted
            continue
        key = id_of(converted)
        if isinstance(key, str) and key:
            earlier = seen.get(key)
            if earlier is not None:
                yield _duplicate(line, row, id_name, key, earlier)
                continue
            seen[key] = line
        yield converted


def _records(
    rows: Iterator[tuple[int, Row] | Reject], mapping: Mapping | None, *, tabular: bool
) -> Iterator[RecordRow | Reject]:
    return _dedupe(
        rows, mapping, tabular=tabular, convert=lambda line, row: _record(line, row, mapping),
        id_name="record_id", id_of=lambda record: record.record_id,
    )  # fmt: skip


def _record(line: int, row: Row, mapping: Mapping | None) -> RecordRow | Reject:
    canonical: dict[str, object] = {}
    extra_source: dict[str, object] = {}
    consumed: set[str] = set()
    placed: frozenset[str] = frozenset()
    if mapping is not None:
        for name, source in mapping.columns.items():
            canonical[name] = row.get(source)
            consumed.add(source)
        placed = mapping.sets()
    for name, value in row.items():
        if name in consumed:
            continue
        if name in _RECORD_SET and name not in placed:
            canonical[name] = value
        elif mapping is not None and mapping.drop_unmapped:
            continue
        elif name == "extra" and isinstance(value, dict):
            extra_source.update(value)
        else:
            extra_source[name] = value
    if mapping is not None:
        canonical.update(mapping.constants)
    values: dict[str, str | None] = {}
    for name in RECORD_COLUMNS:
        try:
            values[name] = _text(canonical.get(name))
        except _NotText as err:
            return _reject(line, row, name, f"expected a text value, got {err}")
    extra: dict[str, str] = {}
    for name, value in extra_source.items():
        text = _extra_text(value)
        if text is not None:
            extra[str(name)] = text
    record_id, origin = values["record_id"], values["source"]
    if record_id is None:
        return _reject(line, row, "record_id", "missing")
    if origin is None:
        return _reject(line, row, "source", "missing")
    if all(values[name] is None for name in IDENTIFIER_COLUMNS):
        need = ", ".join(IDENTIFIER_COLUMNS)
        return _reject(line, row, "email", f"missing identifier — need one of {need}")
    dob = values["dob"]
    if dob is not None and not _is_iso_date(dob):
        return _reject(line, row, "dob", "not an ISO date (YYYY-MM-DD)", dob)
    return RecordRow(
        line=line,
        record_id=record_id,
        source=origin,
        first_name=values["first_name"],
        last_name=values["last_name"],
        email=values["email"],
        phone=values["phone"],
        dob=dob,
        address_line=values["address_line"],
        city=values["city"],
        postcode=values["postcode"],
        country=values["country"],
        user_id=values["user_id"],
        anonymous_id=values["anonymous_id"],
        device_id=values["device_id"],
        crm_id=values["crm_id"],
        extra=extra,
    )


def _is_iso_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


# --- events ----------------------------------------------------------------------------


def _events(
    rows: Iterator[tuple[int, Row] | Reject], mapping: Mapping | None, *, tabular: bool
) -> Iterator[EventRow | Reject]:
    return _dedupe(
        rows, mapping, tabular=tabular,
        convert=lambda line, row: _event(line, row, mapping, tabular=tabular),
        id_name="messageId", id_of=lambda event: event.body.get("messageId"),
    )  # fmt: skip


def _event(line: int, row: Row, mapping: Mapping | None, *, tabular: bool) -> EventRow | Reject:
    flat: list[tuple[str, object]] = []
    consumed: set[str] = set()
    placed: frozenset[str] = frozenset()
    if mapping is not None:
        consumed = set(mapping.columns.values())
        placed = mapping.sets()
    for name, value in row.items():
        if name in consumed or name in placed:
            continue
        if mapping is not None and mapping.drop_unmapped and not _is_event_path(name):
            continue
        flat.append((name, value))
    if mapping is not None:
        flat.extend(
            (name, row[source]) for name, source in mapping.columns.items() if source in row
        )
        flat.extend(mapping.constants.items())
    body: dict[str, Any] = {}
    # Shallow paths first, so that ``properties.a`` merges into a ``properties`` object.
    for path, value in sorted(flat, key=lambda item: item[0].count(".")):
        if tabular and (value is None or value == ""):
            continue
        value = copy.deepcopy(value)
        if tabular and path in EVENT_OBJECTS and isinstance(value, str):
            text, value = value, _json_object(value)
            if value is None:
                return _reject(line, row, path, "expected a JSON object", _clip(text))
        conflict = _fold(body, path, value)
        if conflict is not None:
            return _reject(
                line, row, path, f"conflicts with {conflict}", category="conflicts with a field"
            )
    problem = _check_event(body)
    if problem is not None:
        name, reason, shown = problem
        return _reject(line, row, name, reason, shown)
    return EventRow(line, body)


def _check_event(body: dict[str, Any]) -> tuple[str, str, object] | None:
    """Normalise ids in place; the first problem as (field, reason, offending value)."""
    kinds = ", ".join(CALL_TYPES)
    for name in ("type", "event"):
        value = body.get(name)
        if isinstance(value, str):
            body[name] = value.strip()
    for name in _ID_FIELDS:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return name, "expected a string or a number", _NO_VALUE
        body[name] = _text(value) or ""
    kind = body.get("type")
    if kind is None or kind == "":
        return "type", f"missing — expected one of {kinds}", _NO_VALUE
    if kind not in CALL_TYPES:
        return "type", f"not a Segment call type (expected one of {kinds})", kind
    if kind == "alias":
        for name in ("userId", "previousId"):
            if not body.get(name):
                return name, "missing — an alias call needs userId and previousId", _NO_VALUE
    elif not body.get("userId") and not body.get("anonymousId"):
        return "userId", "missing — need userId or anonymousId", _NO_VALUE
    if kind == "track":
        event = body.get("event")
        if event is None or event == "":
            return "event", "missing — a track call needs an event name", _NO_VALUE
        if not isinstance(event, str):
            return "event", "expected a string", event
    return None


def _is_event_path(name: str) -> bool:
    head, dot, rest = name.partition(".")
    if not dot:
        return name in EVENT_FIELDS
    return head in EVENT_OBJECTS and all(rest.split("."))


def _fold(body: dict[str, Any], path: str, value: object) -> str | None:
    """Set ``path`` in ``body``, folding a dotted object path; a conflicting path, if any."""
    parts = path.split(".")
    if len(parts) == 1 or parts[0] not in EVENT_OBJECTS or not all(parts):
        body[path] = value
        return None
    node = body
    for depth, part in enumerate(parts[:-1], start=1):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            return ".".join(parts[:depth])
        node = child
    node[parts[-1]] = value
    return None


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --- mapping ---------------------------------------------------------------------------


def _section(data: dict[Any, Any], key: str) -> dict[str, object]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(key, f"expected a mapping of names, got {type(value).__name__}")
    for name in value:
        if not isinstance(name, str):
            raise MappingError(f"{key}.{name}", "expected a field name (a string)")
    return dict(value)


def _check_name(section: str, name: object, kind: ImportKind) -> None:
    if not isinstance(name, str):
        raise MappingError(f"{section}.{name}", "expected a field name (a string)")
    if kind == "records" and name not in _RECORD_SET:
        raise MappingError(
            f"{section}.{name}",
            f"unknown record column (expected one of {', '.join(RECORD_COLUMNS)})",
        )
    if kind == "events" and not _is_event_path(name):
        objects = ", ".join(sorted(EVENT_OBJECTS))
        raise MappingError(
            f"{section}.{name}",
            f"unknown Segment field (expected a top-level field or a path under {objects})",
        )


def _check_mapped_columns(mapping: Mapping, row: Row) -> None:
    """In CSV and Parquet every row has every column: a mapped one missing is a typo."""
    for name, source in mapping.columns.items():
        if source not in row:
            have = ", ".join(sorted(row)) or "none"
            raise MappingError(f"columns.{name}", f"no column {source!r} in the file ({have})")


def _syntax(file: Path) -> str:
    return "JSON" if file.suffix.lower() == ".json" else "YAML"


# --- readers ---------------------------------------------------------------------------


def _open_binary(path: str | os.PathLike[str]) -> BinaryIO:
    with Path(path).open("rb") as probe:
        compressed = probe.read(2) == _GZIP_MAGIC
    if compressed:
        return cast(BinaryIO, gzip.open(path, "rb"))  # a GzipFile reads like any binary file
    return Path(path).open("rb")


def _check_header(path: str | os.PathLike[str], header: list[str]) -> None:
    named = [name for name in header if name]
    duplicates = sorted({name for name in named if named.count(name) > 1})
    if duplicates:
        raise ImportFileError(f"{path}: duplicate column in the header: {', '.join(duplicates)}")


def _csv_row(line: int, header: list[str], fields: list[str]) -> tuple[int, Row] | Reject:
    row: Row = {name: cell for name, cell in zip(header, fields, strict=False) if name}
    surplus = fields[len(header) :]
    if any(cell.strip() for cell in surplus):
        return _reject(
            line,
            {**row, "_overflow": surplus},
            "row",
            f"{len(fields)} fields but the header has {len(header)}",
            category="more fields than the header",
        )
    return line, row


def _json_row(line: int, data: bytes) -> tuple[int, Row] | Reject:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        shown = data.decode("utf-8", errors="replace").strip()
        return _reject(line, {"_raw": shown}, "line", "not UTF-8 text")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError as err:
        detail = str(err)
        if isinstance(err, json.JSONDecodeError):
            detail = f"{err.msg} at column {err.colno}"
        return _reject(
            line,
            {"_raw": text.strip()},
            "line",
            f"not valid JSON ({detail})",
            category="not valid JSON",
        )
    if not isinstance(value, dict):
        return _reject(
            line,
            {"_raw": text.strip()},
            "line",
            f"expected a JSON object, got {_json_kind(value)}",
            category="expected a JSON object",
        )
    return line, value


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


# --- values ----------------------------------------------------------------------------


class _NotText(ValueError):
    """A nested value where text was expected; the message says what it is."""


def _text(value: object) -> str | None:
    """A value as stripped text; None for nothing (None, "", NaN). Numbers lose a ``.0``."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict):
        raise _NotText("an object")
    if isinstance(value, list):
        raise _NotText("a list")
    return _text(_jsonable(value))


def _extra_text(value: object) -> str | None:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return _text(value)


def _jsonable(value: object) -> object:
    """A Python value (as pyarrow gives it) as a JSON-safe one."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return str(value)


def _clip(value: object, limit: int = 80) -> object:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value


def _reject(
    line: int,
    row: Row,
    name: str,
    problem: str,
    value: object = _NO_VALUE,
    *,
    category: str = "",
) -> Reject:
    reason = f"{name}: {problem}"
    if value is not _NO_VALUE:
        reason += f": {value!r}"
    return Reject(line, reason, row, category=f"{name}: {category or problem}")


def _duplicate(line: int, row: Row, name: str, value: str, earlier: int) -> Reject:
    reason = f"duplicate {name} {value!r} (first seen on line {earlier})"
    return Reject(line, reason, row, duplicate=True, category=f"duplicate {name}")
