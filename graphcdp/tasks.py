"""A background task for the length of a block (the worker's followers, the audit writer)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any


@contextlib.asynccontextmanager
async def running(
    work: Coroutine[Any, Any, object], name: str
) -> AsyncIterator[asyncio.Task[object]]:
    """Run ``work`` as a task named ``name`` while the block runs; at its end, cancel the
    task and wait for it (an error the task died of is raised then)."""
    task: asyncio.Task[object] = asyncio.create_task(work, name=name)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
