"""First-name and birth-date agreement, table-driven."""

from __future__ import annotations

import pytest

from matching.agreement import agree, name_key, names_agree

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Anna", "anna", True),
        (" José ", "jose", True),
        ("Robert", "Bob", True),
        ("Bill", "Will", True),  # both William
        ("Alex", "Alexander", True),
        ("Jonh", "John", True),  # neighbours swapped
        ("Micheal", "Michael", True),
        ("Katherine", "Katharine", True),
        ("Sarah", "Sara", True),
        ("Emma", "Olivia", False),
        ("Eva", "Ava", False),  # three letters: no typo allowance
        ("Al", "Alice", False),  # a prefix needs three letters
        ("Mark", "Mary", True),  # one substitution apart: agreement, not proof
        ("Daniel", "Diane", False),
        ("", "Anyone", True),
    ],
)
def test_names(a: str, b: str, same: bool) -> None:
    assert names_agree(name_key(a), name_key(b)) is same
    assert names_agree(name_key(b), name_key(a)) is same


@pytest.mark.parametrize(
    ("names", "other", "dobs", "other_dobs", "same"),
    [
        ({"anna"}, {"ben", "anna"}, set(), set(), True),
        ({"anna"}, {"ben"}, set(), set(), False),
        (set(), {"ben"}, set(), set(), True),
        ({"anna"}, {"anna"}, {"2000-01-01"}, {"2001-01-01"}, False),
        ({"anna"}, {"anna"}, {"2000-01-01"}, set(), True),
        ({"anna"}, {"anna"}, {"2000-01-01"}, {"2001-01-01", "2000-01-01"}, True),
    ],
)
def test_sides(
    names: set[str], other: set[str], dobs: set[str], other_dobs: set[str], same: bool
) -> None:
    assert agree(names, other, dobs, other_dobs) is same
