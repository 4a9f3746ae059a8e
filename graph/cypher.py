"""The Cypher loader: one named query per ``cypher/**/*.cypher`` file.

Each file starts with a header of ``//`` comments; ``// name: <aggregate>.<verb>_<noun>``
names the query and ``// returns: ...`` says what it yields. Schema files (under
``cypher/schema/``) may hold several statements separated by ``;``. Duplicate or missing
names are rejected when the queries are loaded, so a typo fails at start-up, not at the first
request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from neo4j import Query

CYPHER_DIR = Path(__file__).resolve().parent.parent / "cypher"
_NAME = re.compile(r"^//\s*name:\s*([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)\s*$")


class CypherLoadError(ValueError):
    """A Cypher file is malformed, or two files share a name."""


@dataclass(frozen=True)
class CypherQuery:
    """One named query, with the file it came from."""

    name: str
    text: str
    path: Path

    def query(self) -> Query:
        """The text as a driver ``Query`` tagged with its name (``SHOW TRANSACTIONS`` shows it)."""
        return Query(self.text, metadata={"query": self.name})

    def statements(self) -> list[str]:
        """The ``;``-separated statements of a schema file (a plain query has one)."""
        body = "\n".join(
            line for line in self.text.splitlines() if not line.lstrip().startswith("//")
        )
        return [part.strip() for part in body.split(";") if part.strip()]


def parse(path: Path, text: str) -> CypherQuery:
    """Parse one file's text; the ``// name:`` line must come in the leading comment block."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("//"):
            break
        match = _NAME.match(stripped)
        if match:
            body = text.strip()
            if not any(not ln.strip().startswith("//") for ln in body.splitlines() if ln.strip()):
                raise CypherLoadError(f"{path}: no Cypher after the header")
            return CypherQuery(match.group(1), body, path)
    raise CypherLoadError(f"{path}: the header has no '// name: aggregate.verb_noun' line")


def load_dir(root: Path) -> dict[str, CypherQuery]:
    """Every ``*.cypher`` file under ``root`` by name; duplicate names are an error."""
    return index(parse(path, path.read_text()) for path in sorted(root.rglob("*.cypher")))


def index(queries: Iterable[CypherQuery]) -> dict[str, CypherQuery]:
    """Index queries by name, rejecting duplicates with both file paths."""
    found: dict[str, CypherQuery] = {}
    for query in queries:
        if query.name in found:
            raise CypherLoadError(
                f"duplicate query name {query.name!r} in {found[query.name].path} and {query.path}"
            )
        found[query.name] = query
    return found


@cache
def queries() -> Mapping[str, CypherQuery]:
    """The project's queries (loaded once per process)."""
    return load_dir(CYPHER_DIR)


def q(name: str) -> CypherQuery:
    """The query called ``name``; KeyError names the missing query."""
    try:
        return queries()[name]
    except KeyError:
        raise KeyError(f"no Cypher query named {name!r} under {CYPHER_DIR}") from None
