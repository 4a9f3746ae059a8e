"""The Lucene query string for Neo4j's full-text index ``customer_search`` (pure logic).

Every word of the query must match somewhere in the customer (``AND``); a word matches a
name within :func:`graph.search.model.fuzziness` edits (``ada~1``), or any indexed value
that contains it (``*ada*``: an email or name fragment, three characters or more), or a
phone that contains its digits (when the word is written like a phone number); a word of
digits only is never fuzzy. The index's
``url_or_email`` analyzer keeps an email one lower-cased token and a phone its digits, so
fragments are wildcards over whole values.
"""

from __future__ import annotations

import re

from graph.search.model import fuzziness, phone_fragment

_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')
_OPERATORS = {"and", "or", "not", "to"}


def escape(term: str) -> str:
    """``term`` with Lucene's query syntax characters escaped."""
    return _SPECIAL.sub(r"\\\1", term)


def word_clause(word: str) -> str | None:
    """The alternatives for one word of the query, or None when nothing of it is searchable."""
    term = word.lower()
    alternatives: list[str] = []
    if term.isdigit():  # a phone fragment: a typo would be another number
        alternatives.append(term)
        if len(term) >= 3:
            alternatives.append(f"*{term}*")
    elif term not in _OPERATORS and any(ch.isalnum() for ch in term):
        edits = fuzziness(term)
        alternatives.append(f"{escape(term)}~{edits}" if edits else escape(term))
        if len(term) >= 3:
            alternatives.append(f"*{escape(term)}*")
    number = phone_fragment(term)
    if number is not None and number != term:
        alternatives.append(f"*{number}*")  # "+1(415)555": its digits, in a phone
    if not alternatives:
        return None
    return "(" + " OR ".join(alternatives) + ")"


def lucene_query(query: str) -> str | None:
    """The whole query: every searchable word's clause, all required; None if no word is."""
    clauses = [c for c in (word_clause(w) for w in query.split()) if c]
    return " AND ".join(clauses) if clauses else None
