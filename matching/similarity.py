"""String similarity functions that return exactly what DuckDB 2.0.1 returns.

Splink scores comparison levels with DuckDB's built-in string functions. An in-process scorer
that reproduces those levels must get the very same numbers, float for float, so each function
here follows the algorithm DuckDB runs, including the order of its floating-point operations:

* ``jaro_similarity`` and ``jaro_winkler_similarity`` follow the ``jaro_winkler`` C++ library
  (Max Bachmann) that DuckDB bundles, called with ``score_cutoff = 0`` and, for Jaro-Winkler,
  ``prefix_weight = 0.1``, a common prefix of at most four characters and the boost applied
  only when the Jaro similarity is strictly greater than 0.7. DuckDB's build contracts that
  boost into one fused multiply-add (its x86-64 wheels target AVX2/FMA), so it is rounded
  once here too; see ``_winkler_boost``.
* ``levenshtein`` is the plain edit distance (insertions, deletions, substitutions).
* ``damerau_levenshtein`` is the true (unrestricted) Damerau-Levenshtein distance of the
  Lowrance-Wagner algorithm, not the optimal-string-alignment variant: ``damerau_levenshtein(
  "ca", "abc")`` is 2 (OSA would say 3).

All four compare Unicode code points, as DuckDB 2.0.1 does, not UTF-8 bytes: ``"José"`` and
``"Jose"`` are one substitution apart, an emoji is one character, and a decomposed ``"e"`` plus
combining accent is two characters that differ from the precomposed ``"é"``. Nothing is
normalised or case-folded; callers fold names first if they want that. Empty strings: both
Jaro scores are 0.0 whenever either side is empty (even ``("", "")``), and either distance is
then the length of the other side.

The functions take any length, but they are written for short values such as names (well
under 64 characters): Jaro is quadratic in the worst case over its matching window and both
distances fill a dynamic-programming table of ``len(a) * len(b)`` cells after trimming the
common prefix and suffix.
"""

from __future__ import annotations

__all__ = [
    "damerau_levenshtein",
    "jaro_similarity",
    "jaro_winkler_similarity",
    "levenshtein",
]

_PREFIX_WEIGHT = 0.1
_MAX_PREFIX = 4
_BOOST_THRESHOLD = 0.7


def jaro_similarity(a: str, b: str) -> float:
    """The Jaro similarity of two strings, as DuckDB's ``jaro_similarity``.

    Characters match when equal and at most ``max(len(a), len(b)) // 2 - 1`` positions apart;
    each character of ``b`` in turn takes the leftmost unmatched equal character of ``a`` in its
    window. Half the matched characters that appear in a different order are transpositions.

    Args:
        a: The first string (DuckDB's first argument).
        b: The second string.

    Returns:
        ``(m / len(a) + m / len(b) + (m - t) / m) / 3`` for ``m`` matches and ``t``
        transpositions; 0.0 when either string is empty or nothing matches, 1.0 when the
        strings are equal and not empty.
    """
    len_a = len(a)
    len_b = len(b)
    if not len_a or not len_b:
        return 0.0
    if a == b:
        return 1.0
    bound = max(len_a, len_b) // 2 - 1
    if bound < 0:  # both strings one character long (and different)
        return 0.0

    a_flags = [False] * len_a
    b_flags = [False] * len_b
    common = 0
    for j, ch in enumerate(b):
        lo = j - bound if j > bound else 0
        hi = j + bound + 1
        i = a.find(ch, lo, hi)
        while i != -1 and a_flags[i]:
            i = a.find(ch, i + 1, hi)
        if i != -1:
            a_flags[i] = True
            b_flags[j] = True
            common += 1
    if not common:
        return 0.0

    out_of_order = 0
    i = 0
    for j, ch in enumerate(b):
        if b_flags[j]:
            while not a_flags[i]:
                i += 1
            if a[i] != ch:
                out_of_order += 1
            i += 1
    transpositions = out_of_order // 2

    sim = common / len_a + common / len_b + (common - transpositions) / common
    return sim / 3.0


def jaro_winkler_similarity(a: str, b: str) -> float:
    """The Jaro-Winkler similarity of two strings, as DuckDB's ``jaro_winkler_similarity``.

    The Jaro similarity ``s`` is boosted to ``s + p * 0.1 * (1 - s)``, where ``p`` is the length
    of the common prefix capped at four characters, but only when ``s > 0.7``.

    Args:
        a: The first string (DuckDB's first argument).
        b: The second string.

    Returns:
        The Jaro-Winkler similarity in [0, 1]; 0.0 when either string is empty.
    """
    sim = jaro_similarity(a, b)
    if sim > _BOOST_THRESHOLD:
        max_prefix = min(len(a), len(b), _MAX_PREFIX)
        prefix = 0
        while prefix < max_prefix and a[prefix] == b[prefix]:
            prefix += 1
        if prefix:
            sim = _winkler_boost(prefix, sim)
    return sim


# prefix * 0.1 for each possible prefix length, as exact integer ratios (num, den).
_WEIGHT_RATIOS = tuple((p * _PREFIX_WEIGHT).as_integer_ratio() for p in range(_MAX_PREFIX + 1))


def _winkler_boost(prefix: int, sim: float) -> float:
    """``sim + prefix * 0.1 * (1 - sim)`` with the product and the sum rounded once.

    DuckDB is compiled with floating-point contraction, so its ``sim += prefix * weight *
    (1.0 - sim)`` runs as one fused multiply-add: ``fma(prefix * weight, 1.0 - sim, sim)``.
    Rounding the product first, as plain Python would, differs in the last bit for about one
    pair in two hundred. Python 3.11 has no ``math.fma``, so the exact value is formed from
    integer ratios and rounded once by CPython's correctly rounded integer true division. As
    ``sim > 0.7``, ``1.0 - sim`` is exact (Sterbenz), so ``sim = n / d`` gives
    ``1.0 - sim = (d - n) / d``.
    """
    wn, wd = _WEIGHT_RATIOS[prefix]
    n, d = sim.as_integer_ratio()
    return (wn * (d - n) + n * wd) / (wd * d)


def _trim_affix(a: str, b: str) -> tuple[str, str]:
    """Drop the common prefix and suffix of two strings; edit distances do not change."""
    if a == b:
        return "", ""
    n = min(len(a), len(b))
    start = 0
    while start < n and a[start] == b[start]:
        start += 1
    end = 0
    while end < n - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return a[start : len(a) - end], b[start : len(b) - end]


def levenshtein(a: str, b: str) -> int:
    """The Levenshtein edit distance of two strings, as DuckDB's ``levenshtein``.

    Args:
        a: The first string.
        b: The second string.

    Returns:
        The least number of single-character insertions, deletions and substitutions that
        turn ``a`` into ``b``.
    """
    a, b = _trim_affix(a, b)
    if len(a) < len(b):
        a, b = b, a  # the row is the shorter string
    len_b = len(b)
    if not len_b:
        return len(a)

    prev = list(range(len_b + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] * (len_b + 1)
        left = i
        for j, cb in enumerate(b):
            best = prev[j] if ca == cb else prev[j] + 1
            up = prev[j + 1] + 1
            if up < best:
                best = up
            if left + 1 < best:
                best = left + 1
            cur[j + 1] = left = best
        prev = cur
    return prev[len_b]


def damerau_levenshtein(a: str, b: str) -> int:
    """The Damerau-Levenshtein distance of two strings, as DuckDB's ``damerau_levenshtein``.

    This is the unrestricted distance of Lowrance and Wagner: insertions, deletions,
    substitutions and transpositions of two characters, with further edits allowed between
    transposed characters. It is not the optimal-string-alignment distance.

    Args:
        a: The first string.
        b: The second string.

    Returns:
        The least number of edits that turn ``a`` into ``b``.
    """
    a, b = _trim_affix(a, b)
    len_a = len(a)
    len_b = len(b)
    if not len_a:
        return len_b
    if not len_b:
        return len_a

    # dist[i + 1][j + 1] is the distance between a[:i] and b[:j]; row and column 0 hold a
    # value larger than any distance, as in the paper's H matrix.
    inf = len_a + len_b + 1
    dist = [[inf] * (len_b + 2) for _ in range(len_a + 2)]
    dist[1] = [inf, *range(len_b + 1)]
    for i in range(1, len_a + 1):
        dist[i + 1][1] = i
    last_row_of: dict[str, int] = {}  # DA: the last row (1-based) of a holding each char

    for i, ca in enumerate(a):
        above = dist[i + 1]
        row = dist[i + 2]
        last_match_col = 0  # DB: the last column (1-based) of b in this row equal to ca
        for j, cb in enumerate(b):
            i1 = last_row_of.get(cb, 0)
            j1 = last_match_col
            if ca == cb:
                best = above[j + 1]
                last_match_col = j + 1
            else:
                best = above[j + 1] + 1
            cost = row[j + 1] + 1
            if cost < best:
                best = cost
            cost = above[j + 2] + 1
            if cost < best:
                best = cost
            cost = dist[i1][j1] + (i - i1) + (j - j1) + 1
            if cost < best:
                best = cost
            row[j + 2] = best
        last_row_of[ca] = i + 1
    return dist[len_a + 1][len_b + 1]
