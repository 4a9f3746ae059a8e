"""graphcdp.gc_tuning: start-up objects frozen, the older generations collected less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from graphcdp import gc_tuning
from graphcdp.settings import Settings


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_tuning_freezes_what_exists_and_raises_the_thresholds(restored: None) -> None:
    gc.unfreeze()
    assert gc_tuning.tune() is True
    assert gc.get_threshold() == gc_tuning.THRESHOLDS
    assert gc.get_freeze_count() > 1_000  # at least the modules this test imported
    cycle: list[object] = []
    cycle.append(cycle)  # a cycle made after the freeze is still collected
    del cycle
    assert gc.collect() >= 1


def test_tuning_turned_off_leaves_python_alone(restored: None) -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    assert gc_tuning.tune(enabled=False) is False
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_setting_turns_it_off() -> None:
    assert Settings.from_env({}).gc_tuning is True
    assert Settings.from_env({"GRAPHCDP_GC_TUNING": "false"}).gc_tuning is False
