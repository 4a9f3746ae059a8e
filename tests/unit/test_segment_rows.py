"""Stored segment rows: a malformed one is left out, never stops the others."""

from __future__ import annotations

import logging

import pytest

from graph.repository.segments import Segment, readable_segments

pytestmark = pytest.mark.unit

GOOD = {"segment_id": "seg_1", "name": "VIP", "version": 2, "definition": '{"rule": {}}',
        "created_at": "2026-11-01", "updated_at": "2026-11-02", "members": 7}  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        {k: v for k, v in GOOD.items() if k != "version"},  # an early test's node
        GOOD | {"segment_id": "seg_2", "version": None},
        GOOD | {"segment_id": "seg_3", "version": "two"},
        GOOD | {"segment_id": "seg_4", "definition": "{not json"},
        GOOD | {"segment_id": "seg_5", "definition": None},
        {"segment_id": "seg_6"},
    ],
)
def test_a_malformed_segment_is_left_out_with_a_warning(
    bad: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="graph.repository.segments"):
        found = readable_segments([bad, GOOD])
    assert found == [Segment("seg_1", "VIP", 2, {"rule": {}}, "2026-11-01", "2026-11-02", 7)]
    assert len(caplog.records) == 1  # one warning, naming the segment
    assert repr(bad.get("segment_id")) in caplog.records[0].getMessage()
