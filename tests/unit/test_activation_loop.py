"""The worker's activation loop looks for due activations at once when woken, and after a
sync finishes, instead of waiting for its next periodic look (fakes: no servers). The period
is set to a minute here, so any prompt look can only come from the wake-up."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import ingest.activation_loop as loop


class FakeRepo:
    def __init__(self, due: list[list[tuple[str, str]]]) -> None:
        self.looks = 0
        self._due = due

    async def due(self) -> list[tuple[str, str]]:
        self.looks += 1
        return self._due.pop(0) if self._due else []


async def _until(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within 5 s")


@pytest.fixture(autouse=True)
def slow_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loop, "POLL", 60.0)


async def test_a_wake_up_looks_for_due_activations_at_once() -> None:
    repo, wake = FakeRepo([]), asyncio.Event()
    task = asyncio.create_task(loop._run(repo, None, None, wake))  # type: ignore[arg-type]
    try:
        await _until(lambda: repo.looks == 1)
        wake.set()
        await _until(lambda: repo.looks == 2)
    finally:
        task.cancel()


async def test_a_finished_sync_looks_again_without_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    synced: list[tuple[str, str]] = []

    async def quick_sync(repo: Any, senders: Any, segment_id: str, destination_id: str,
                         *args: Any, **kwargs: Any) -> object:  # fmt: skip
        await asyncio.sleep(0.01)
        synced.append((segment_id, destination_id))
        return object()  # a SyncRun

    monkeypatch.setattr(loop, "run_sync", quick_sync)
    key = ("seg_1", "dst_1")
    # due twice in a row: the second sync of the same activation starts once the first ended
    repo, wake = FakeRepo([[key], [key]]), asyncio.Event()
    task = asyncio.create_task(loop._run(repo, None, None, wake))  # type: ignore[arg-type]
    try:
        await _until(lambda: len(synced) == 2)
        assert repo.looks >= 2
    finally:
        task.cancel()


async def test_a_sync_that_found_the_lease_taken_does_not_ask_again_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tried: list[str] = []

    async def lease_held_elsewhere(repo: Any, senders: Any, segment_id: str,
                                   *args: Any, **kwargs: Any) -> None:  # fmt: skip
        tried.append(segment_id)
        return None  # run_sync: another process holds the activation's lease

    monkeypatch.setattr(loop, "run_sync", lease_held_elsewhere)
    key = ("seg_1", "dst_1")
    repo, wake = FakeRepo([[key]] * 50), asyncio.Event()
    task = asyncio.create_task(loop._run(repo, None, None, wake))  # type: ignore[arg-type]
    try:
        await _until(lambda: tried == ["seg_1"])
        await asyncio.sleep(0.2)
        assert (tried, repo.looks) == (["seg_1"], 1)  # no second look before the period
    finally:
        task.cancel()
