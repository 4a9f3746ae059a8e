"""Markers by folder: tests/unit -> unit, tests/integration -> integration, tests/e2e -> e2e."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests (tests/unit/test_properties.py, and schemathesis in tests/e2e) try the same
# examples on every run, with no per-example deadline on a busy 2-core machine and no
# example database written into the work tree.
settings.register_profile("graphcdp", derandomize=True, deadline=None, database=None)
settings.load_profile("graphcdp")

_KINDS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        kind = Path(str(item.fspath)).parent.name
        if kind in _KINDS:
            item.add_marker(getattr(pytest.mark, kind))
