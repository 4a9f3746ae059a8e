"""graphcdp.tasks.running: a background task for the length of a block."""

from __future__ import annotations

import asyncio

import pytest

from graphcdp.tasks import running

pytestmark = pytest.mark.unit


async def test_the_task_runs_during_the_block_and_is_cancelled_after() -> None:
    ticks: list[int] = []
    cancelled = asyncio.Event()

    async def tick() -> None:
        try:
            while True:
                ticks.append(len(ticks))
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async with running(tick(), "ticker") as task:
        await asyncio.sleep(0.05)
        assert task.get_name() == "ticker"
        assert not task.done()
    assert task.cancelled()
    assert cancelled.is_set()
    assert len(ticks) >= 2


async def test_an_error_the_task_died_of_is_raised_at_the_end() -> None:
    async def fail() -> None:
        raise ValueError("broken follower")

    with pytest.raises(ValueError, match="broken follower"):
        async with running(fail(), "failing"):
            await asyncio.sleep(0.01)
