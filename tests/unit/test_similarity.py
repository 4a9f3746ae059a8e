"""matching.similarity returns exactly what DuckDB 2.0.1 returns, float for float.

Hand-picked tricky pairs and 5,000 seeded random name pairs with typos are scored by the
pure-Python functions and by DuckDB in-process (one query per batch); floats must be equal
with ``==``, not approximately.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import duckdb
import pytest

from matching.similarity import (
    damerau_levenshtein,
    jaro_similarity,
    jaro_winkler_similarity,
    levenshtein,
)

pytestmark = pytest.mark.unit

Scores = tuple[float, float, int, int]

_LONG = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01234567"  # 60 characters

TRICKY: list[tuple[str, str]] = [
    ("", ""),
    ("", "a"),
    ("a", ""),
    ("", "JOSÉ"),
    ("a", "a"),
    ("a", "b"),
    ("MARTHA", "MARTHA"),
    ("MARTHA", "MARHTA"),
    ("DWAYNE", "DUANE"),
    ("DIXON", "DICKSONX"),
    ("JELLYFISH", "SMELLYFISH"),
    ("CRATE", "TRACE"),
    ("ab", "ba"),
    ("abc", "bac"),
    ("ca", "abc"),  # unrestricted Damerau: 2, optimal string alignment: 3
    ("abcdef", "badcfe"),
    ("Abc", "abc"),  # case matters
    ("abc", "ABC"),
    ("John", "Jon"),
    ("Jon", "Jonathan"),  # prefix
    ("Alex", "Alexander"),
    ("Chris", "Christopher"),
    ("aaaa", "aa"),  # repeated letters
    ("aaaaaa", "aaabaa"),
    ("abab", "baba"),
    ("mississippi", "misisipi"),
    ("BBeee", "BeAe"),  # the Winkler boost rounds once (fused multiply-add)
    ("ABCDxyzw", "ABCDpqrs"),  # Jaro 2/3: no Winkler boost despite a 4-character prefix
    ("José", "Jose"),  # accents: one code point each, not UTF-8 bytes
    ("é", "e"),
    ("e\u0301", "é"),  # combining accent vs precomposed: no normalisation
    ("Zoë", "Zoe"),
    ("Müller", "Mueller"),
    ("Ñuñez", "Nunez"),
    ("ÀÁ", "ÁÀ"),
    ("Łukasz", "Lukasz"),
    ("日本語", "日本人"),
    ("😀", "😁"),
    ("😀a", "a😀"),
    ("👩‍👩‍👧", "👩‍👩‍👦"),  # ZWJ emoji sequences
    ("ab😀", "ab😁"),
    (" ", ""),
    ("a b", "ab"),
    ("O'Neil", "ONeil"),
    (_LONG, _LONG),
    (_LONG, _LONG[::-1]),
    (_LONG, _LONG[:30] + _LONG[31] + _LONG[30] + _LONG[32:]),
    (_LONG, _LONG[1:] + "!"),
    ("A" * 60, "A" * 59 + "B"),
    ("A" * 60, "B" + "A" * 59),
    ("A" * 70, "A" * 69),  # past 64 characters: DuckDB's multi-word bit-parallel path
    (_LONG + "0123456789", "x" + _LONG + "012345678"),
]


def _ours(a: str, b: str) -> Scores:
    return (
        jaro_similarity(a, b),
        jaro_winkler_similarity(a, b),
        levenshtein(a, b),
        damerau_levenshtein(a, b),
    )


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _duckdb_scores(
    con: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[str, str]]
) -> list[Scores]:
    """All four DuckDB functions for every pair, in one query (list parameters unnested)."""
    rows = con.execute(
        """
        SELECT jaro_similarity(a, b), jaro_winkler_similarity(a, b),
               levenshtein(a, b), damerau_levenshtein(a, b)
        FROM (SELECT unnest(?::VARCHAR[]) AS a, unnest(?::VARCHAR[]) AS b,
                     unnest(range(?)) AS i)
        ORDER BY i
        """,
        [[a for a, _ in pairs], [b for _, b in pairs], len(pairs)],
    ).fetchall()
    assert len(rows) == len(pairs)
    return [(float(r[0]), float(r[1]), int(r[2]), int(r[3])) for r in rows]


@pytest.mark.parametrize(("a", "b"), TRICKY)
def test_tricky_pairs_equal_duckdb_exactly(con: duckdb.DuckDBPyConnection, a: str, b: str) -> None:
    [expected] = _duckdb_scores(con, [(a, b)])
    assert _ours(a, b) == expected
    [expected_swapped] = _duckdb_scores(con, [(b, a)])
    assert _ours(b, a) == expected_swapped


_ALPHABET = "ABCDEHILMNORSTUYaeinorst" + "ÉÖÜÑØßçñé" + " '-"
_NAMES = ["MARTHA", "DWAYNE", "DIXON", "JOSÉ", "BJÖRN", "SØREN", "MUÑOZ", "Anne-Marie", "O'Neil"]


def _typo(rng: random.Random, s: list[str]) -> None:
    op = rng.randrange(4)
    if op == 0 and s:  # substitution
        s[rng.randrange(len(s))] = rng.choice(_ALPHABET)
    elif op == 1 and s:  # deletion
        del s[rng.randrange(len(s))]
    elif op == 2:  # insertion
        s.insert(rng.randint(0, len(s)), rng.choice(_ALPHABET))
    elif op == 3 and len(s) > 1:  # swap of neighbours
        k = rng.randrange(len(s) - 1)
        s[k], s[k + 1] = s[k + 1], s[k]


def _random_pairs(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        if rng.random() < 0.2:
            a = rng.choice(_NAMES)
        else:
            length = rng.choice((0, 1, 2, 60)) if rng.random() < 0.05 else rng.randint(3, 12)
            a = "".join(rng.choice(_ALPHABET) for _ in range(length))
        if rng.random() < 0.1:  # unrelated
            b = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))
        else:
            chars = list(a)
            for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3, 4))):
                _typo(rng, chars)
            b = "".join(chars)
        pairs.append((a, b) if rng.random() < 0.5 else (b, a))
    return pairs


def test_random_name_pairs_equal_duckdb_exactly(con: duckdb.DuckDBPyConnection) -> None:
    pairs = _random_pairs(5000, seed=20260)
    expected = _duckdb_scores(con, pairs)
    mismatches = [
        (a, b, ours, theirs)
        for (a, b), theirs in zip(pairs, expected, strict=True)
        if (ours := _ours(a, b)) != theirs
    ]
    assert not mismatches, mismatches[:10]
    # The sample exercises the interesting branches, not just distance 0 and 1.
    assert sum(1 for _, jw, _, _ in expected if 0.0 < jw < 0.7) > 100
    assert sum(1 for _, _, lev, dl in expected if dl < lev) > 100  # transpositions


def test_documented_behaviour() -> None:
    # Empty strings: Jaro scores are 0.0, even for two empty strings; distances are lengths.
    assert jaro_winkler_similarity("", "") == 0.0
    assert jaro_similarity("", "a") == 0.0
    assert levenshtein("", "abc") == damerau_levenshtein("abc", "") == 3
    # Textbook values.
    assert jaro_similarity("MARTHA", "MARHTA") == 0.9444444444444445
    assert jaro_winkler_similarity("MARTHA", "MARHTA") == 0.9611111111111111
    assert jaro_winkler_similarity("DWAYNE", "DUANE") == 0.8400000000000001
    assert jaro_winkler_similarity("DIXON", "DICKSONX") == 0.8133333333333332
    # Code points, not bytes, and no Unicode normalisation.
    assert levenshtein("José", "Jose") == 1
    assert jaro_similarity("José", "Jose") == 0.8333333333333334
    assert levenshtein("e\u0301", "é") == 2
    assert damerau_levenshtein("😀a", "a😀") == 1
    # True Damerau-Levenshtein, not optimal string alignment.
    assert damerau_levenshtein("ca", "abc") == 2
    # The boost is one fused multiply-add: plain float arithmetic would give 0.8049999999999999.
    assert jaro_winkler_similarity("BBeee", "BeAe") == 0.805
    # No boost at or below a Jaro similarity of 0.7, however long the common prefix.
    assert jaro_similarity("ABCDxyzw", "ABCDpqrs") == jaro_winkler_similarity(
        "ABCDxyzw", "ABCDpqrs"
    )
