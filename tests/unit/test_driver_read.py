"""graph.driver.read: one auto-commit query on a reader, tried once more after a transient
error or a lost connection, then the error raised."""

from __future__ import annotations

from typing import Any

import pytest
from neo4j.exceptions import ServiceUnavailable, TransientError

from graph.driver import read


class _Result:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    async def to_eager_result(self) -> Any:
        return type("Eager", (), {"records": self.rows})()


class _Session:
    def __init__(self, driver: _Driver) -> None:
        self.driver = driver

    async def __aenter__(self) -> _Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def run(self, query: str, params: dict[str, Any]) -> _Result:
        self.driver.runs.append((query, params))
        if self.driver.failures:
            raise self.driver.failures.pop(0)
        return _Result([{"ok": 1}])


class _Driver:
    execute_query_bookmark_manager = object()

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.runs: list[tuple[str, dict[str, Any]]] = []
        self.sessions: list[dict[str, Any]] = []

    def session(self, **config: Any) -> _Session:
        self.sessions.append(config)
        return _Session(self)


async def test_a_read_is_one_auto_commit_query_on_a_reader_with_the_shared_bookmarks() -> None:
    driver = _Driver()
    assert await read(driver, "neo4j", "RETURN 1 AS ok", {"x": 1}) == [{"ok": 1}]  # type: ignore[arg-type]
    assert driver.runs == [("RETURN 1 AS ok", {"x": 1})]
    [config] = driver.sessions
    assert config["database"] == "neo4j"
    assert config["default_access_mode"] == "READ"
    assert config["bookmark_manager"] is _Driver.execute_query_bookmark_manager


@pytest.mark.parametrize("error", [TransientError("busy"), ServiceUnavailable("gone")])
async def test_a_transient_error_is_tried_once_more(error: Exception) -> None:
    driver = _Driver(error)
    assert await read(driver, "neo4j", "RETURN 1 AS ok", {}) == [{"ok": 1}]  # type: ignore[arg-type]
    assert len(driver.runs) == 2


async def test_a_second_failure_is_raised() -> None:
    driver = _Driver(TransientError("busy"), TransientError("still busy"))
    with pytest.raises(TransientError, match="still busy"):
        await read(driver, "neo4j", "RETURN 1 AS ok", {})  # type: ignore[arg-type]
    assert len(driver.runs) == 2
