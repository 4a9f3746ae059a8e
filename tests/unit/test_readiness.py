"""/readyz's checks, over fakes: every check runs, a failure or a hang is named."""

from __future__ import annotations

import asyncio

import pytest

from api.readiness import readiness

pytestmark = pytest.mark.unit


async def _fine() -> None:
    return None


async def _refused() -> None:
    raise ConnectionRefusedError("connection refused")


async def _hangs() -> None:
    await asyncio.sleep(10)


async def test_each_check_is_ok_or_names_its_failure() -> None:
    found = await readiness({"neo4j": _fine, "redis": _refused, "kafka": _hangs}, deadline=0.05)
    assert found == {
        "neo4j": "ok",
        "redis": "ConnectionRefusedError: connection refused",
        "kafka": "no answer within 0.05 s",
    }
