from __future__ import annotations

from pathlib import Path

import pytest

from graph.cypher import CYPHER_DIR, CypherLoadError, load_dir, parse, queries


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_loads_named_queries(tmp_path: Path) -> None:
    _write(tmp_path, "a/get_x.cypher", "// name: a.get_x\n// returns: x\nRETURN 1 AS x\n")
    _write(tmp_path, "b/put_y.cypher", "// name: b.put_y\nUNWIND $rows AS r RETURN r\n")
    found = load_dir(tmp_path)
    assert sorted(found) == ["a.get_x", "b.put_y"]
    assert found["a.get_x"].statements() == ["RETURN 1 AS x"]
    assert found["a.get_x"].query().metadata == {"query": "a.get_x"}


def test_rejects_duplicate_names_naming_both_files(tmp_path: Path) -> None:
    _write(tmp_path, "a/one.cypher", "// name: a.same\nRETURN 1\n")
    _write(tmp_path, "b/two.cypher", "// name: a.same\nRETURN 2\n")
    with pytest.raises(CypherLoadError, match=r"duplicate query name 'a.same'.*one.cypher.*two"):
        load_dir(tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "RETURN 1\n",  # no header at all
        "// returns: x\nRETURN 1\n",  # header without a name
        "RETURN 1\n// name: a.late\n",  # name after the Cypher
        "// name: NotDotted\nRETURN 1\n",  # name not aggregate.verb_noun
        "// name: a.only_header\n",  # no Cypher
    ],
)
def test_rejects_malformed_headers(tmp_path: Path, text: str) -> None:
    with pytest.raises(CypherLoadError):
        parse(tmp_path / "x.cypher", text)


def test_schema_files_split_into_statements() -> None:
    query = parse(Path("s.cypher"), "// name: s.all\nCREATE INDEX a;\n// note\nCREATE INDEX b;\n")
    assert query.statements() == ["CREATE INDEX a", "CREATE INDEX b"]


def test_every_project_query_loads_and_follows_the_file_convention() -> None:
    found = queries()
    assert len(found) == len(list(CYPHER_DIR.rglob("*.cypher")))
    for name, query in found.items():
        rel = query.path.relative_to(CYPHER_DIR).with_suffix("")
        assert name == ".".join(rel.parts), f"{query.path} should be named {'.'.join(rel.parts)}"
        assert "// returns:" in query.text, f"{query.path} has no '// returns:' line"
