"""``graphcdp bench``: the benchmarks that need the servers start the stack and apply the
schema before they run (on a fresh machine the graph has no indexes until then)."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from graphcdp import cli
from graphcdp.settings import Settings


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the stack and schema calls, and stand in for every bench module's main."""
    made: list[str] = []
    monkeypatch.setattr("stack.up", lambda settings: made.append("up"))
    monkeypatch.setattr("graph.schema.apply_schema", lambda settings: made.append("schema") or 1)
    for module in ("api", "segments", "match", "link_scale", "realtime_match", "predict",
                   "resolve", "ingest"):  # fmt: skip
        fake = types.ModuleType(f"bench.{module}")
        fake.main = lambda *args, _m=module, **kwargs: made.append(f"main:{_m}") or 0  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, f"bench.{module}", fake)
    return made


def _run(what: str, *extra: str) -> Any:
    args = cli._parser().parse_args(["bench", what, *extra])
    return cli._bench(Settings(), args)


@pytest.mark.parametrize(
    ("what", "module"),
    [("api", "api"), ("segments", "segments"), ("match", "match"), ("link", "link_scale"),
     ("resolve", "resolve"), ("ingest", "ingest")],
)  # fmt: skip
def test_a_bench_on_the_servers_starts_the_stack_and_applies_the_schema_first(
    calls: list[str], what: str, module: str
) -> None:
    assert _run(what) == 0
    assert calls == ["up", "schema", f"main:{module}"]


@pytest.mark.parametrize(("what", "module"), [("realtime-match", "realtime_match"),
                                              ("predict", "predict")])  # fmt: skip
def test_a_bench_without_servers_touches_no_server(
    calls: list[str], what: str, module: str
) -> None:
    assert _run(what) == 0
    assert calls == [f"main:{module}"]
