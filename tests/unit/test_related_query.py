"""The one-statement traversal (graph.repository.related._ball): the neighbour query of each
kind repeated once per hop, each later step over what the step before reached."""

from __future__ import annotations

import pytest

from graph.repository.related import _NEIGHBOURS, MAX_DEPTH, _ball


@pytest.mark.parametrize("name", sorted({name for name, _ in _NEIGHBOURS.values()}))
@pytest.mark.parametrize("depth", range(1, MAX_DEPTH + 1))
def test_each_hop_is_one_call_block_of_the_neighbour_query(name: str, depth: int) -> None:
    text = _ball(name, depth).text
    assert text.count("CALL (") == depth
    # the first step's and the ids it starts from; the later steps read a variable
    assert text.count("$ids") == 2
    assert "//" not in text  # the files' comments are left out
    assert text.rstrip().endswith(
        "RETURN " + " + ".join(f"step{k}" for k in range(1, depth + 1)) + " AS pairs"
    )
    for step in range(2, depth + 1):
        assert (
            f"UNWIND step{step - 1} AS p WITH DISTINCT p[1] AS id WHERE NOT id IN ids_seen" in text
        )
