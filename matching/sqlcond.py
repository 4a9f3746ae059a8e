"""Splink's comparison-level conditions, compiled from their SQL into Python functions.

A saved Splink model describes each comparison level by the SQL condition DuckDB evaluates
(``jaro_winkler_similarity("first_name_l", "first_name_r") >= 0.92``). To score a pair
in-process exactly as Splink would, the condition is parsed once (sqlglot, the DuckDB
dialect, as Splink itself does) and compiled into a closure over a pair of records, with
SQL's three-valued logic: NULL compares to nothing, ``x = NULL`` is unknown, and a level
applies only when its condition is true. String functions are the DuckDB-identical ones in
:mod:`matching.similarity`.

Supported: column references (``name_l``/``name_r``), string and number literals, NULL,
``= <> < <= > >=``, AND, OR, NOT, IS [NOT] NULL, parentheses, and the functions
``jaro_similarity``, ``jaro_winkler_similarity``, ``levenshtein``, ``damerau_levenshtein``,
``lower``, ``upper``, ``trim``, ``length``, ``abs``, ``nullif``, ``coalesce``, ``substr`` and
``regexp_extract``. Anything else raises :class:`UnsupportedCondition` when the model loads,
naming the construct, so a model the scorer cannot reproduce is refused, never approximated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, cast

import sqlglot
from sqlglot import exp

from matching.similarity import (
    damerau_levenshtein,
    jaro_similarity,
    jaro_winkler_similarity,
    levenshtein,
)

Value = Any  # str | int | float | bool | None
Record = Mapping[str, Value]
Eval = Callable[[Record, Record], Value]
Condition = Callable[[Record, Record], bool]


class UnsupportedCondition(ValueError):
    """A level condition the in-process scorer cannot reproduce exactly."""


def compile_condition(sql: str) -> Condition:
    """The level condition as a function of (left record, right record) -> applies?"""
    try:
        tree = cast(exp.Expression, sqlglot.parse_one(sql, read="duckdb"))
    except sqlglot.errors.ParseError as err:
        raise UnsupportedCondition(f"{sql!r}: {err}") from None
    expr = _compile(tree, sql)
    return lambda left, right: expr(left, right) is True


def columns_of(sql: str) -> set[str]:
    """The input columns a condition reads (``first_name`` for ``first_name_l``)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return {_base(c.name) for c in tree.find_all(exp.Column)}


def _base(name: str) -> str:
    return name[:-2] if name.endswith(("_l", "_r")) else name


def _compile(node: exp.Expression, sql: str) -> Eval:
    if isinstance(node, exp.Paren):
        return _compile(node.this, sql)
    if isinstance(node, exp.Column):
        name = node.name
        if name.endswith("_l"):
            column = name[:-2]
            return lambda left, right: left.get(column)
        if name.endswith("_r"):
            column = name[:-2]
            return lambda left, right: right.get(column)
        raise UnsupportedCondition(f"{sql!r}: column {name!r} is neither _l nor _r")
    if isinstance(node, exp.Null):
        return lambda left, right: None
    if isinstance(node, exp.Boolean):
        value = node.this
        return lambda left, right: value
    if isinstance(node, exp.Literal):
        literal: Value = node.this if node.is_string else _number(node.this)
        return lambda left, right: literal
    if isinstance(node, exp.Neg):
        inner = _compile(node.this, sql)
        return lambda left, right: _map1(inner(left, right), lambda v: -v)
    if isinstance(node, exp.And):
        a, b = _compile(node.this, sql), _compile(node.expression, sql)
        return lambda left, right: _and(a(left, right), b(left, right))
    if isinstance(node, exp.Or):
        a, b = _compile(node.this, sql), _compile(node.expression, sql)
        return lambda left, right: _or(a(left, right), b(left, right))
    if isinstance(node, exp.Not):
        inner = _compile(node.this, sql)
        return lambda left, right: _map1(inner(left, right), lambda v: not v)
    if isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null):
            raise UnsupportedCondition(f"{sql!r}: IS only with NULL")
        inner = _compile(node.this, sql)
        return lambda left, right: inner(left, right) is None
    comparison = _COMPARISONS.get(type(node))
    if comparison is not None:
        a, b = _compile(node.this, sql), _compile(node.expression, sql)
        op = comparison
        return lambda left, right: _map2(a(left, right), b(left, right), op)
    return _function(node, sql)


def _function(node: exp.Expression, sql: str) -> Eval:
    name, args = _call(node)
    compiled = [_compile(a, sql) for a in args]
    if name in _STRING2:
        fn2 = _STRING2[name]
        a, b = compiled
        return lambda left, right: _map2(a(left, right), b(left, right), fn2)
    if name in _ONE_ARG:
        fn1 = _ONE_ARG[name]
        (a,) = compiled
        return lambda left, right: _map1(a(left, right), fn1)
    if name == "nullif":
        a, b = compiled
        return lambda left, right: _nullif(a(left, right), b(left, right))
    if name == "coalesce":
        return lambda left, right: next(
            (v for v in (c(left, right) for c in compiled) if v is not None), None
        )
    if name == "substr":
        return _substr(compiled)
    if name == "regexp_extract":
        pattern = node.expression
        group = node.args.get("group")
        if not isinstance(pattern, exp.Literal) or not pattern.is_string:
            raise UnsupportedCondition(f"{sql!r}: regexp_extract needs a literal pattern")
        index = int(group.this) if isinstance(group, exp.Literal) else 0
        regex = re.compile(pattern.this)
        subject = compiled[0]
        return lambda left, right: _map1(subject(left, right), lambda s: _extract(regex, s, index))
    raise UnsupportedCondition(f"{sql!r}: {name} is not supported by the in-process scorer")


def _call(node: exp.Expression) -> tuple[str, list[exp.Expression]]:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower(), list(node.expressions)
    named = {
        exp.JarowinklerSimilarity: "jaro_winkler_similarity",
        exp.Levenshtein: "levenshtein",
        exp.Lower: "lower",
        exp.Upper: "upper",
        exp.Trim: "trim",
        exp.Length: "length",
        exp.Abs: "abs",
        exp.Nullif: "nullif",
        exp.Coalesce: "coalesce",
        exp.Substring: "substr",
        exp.RegexpExtract: "regexp_extract",
    }
    for kind, name in named.items():
        if isinstance(node, kind):
            args = [node.this]
            if name == "regexp_extract":
                return name, args
            if name == "coalesce":
                return name, [node.this, *node.expressions]
            if name == "substr":
                return name, [a for a in (node.this, node.args.get("start"),
                                          node.args.get("length")) if a is not None]  # fmt: skip
            if node.args.get("expression") is not None:
                args.append(node.expression)
            return name, args
    raise UnsupportedCondition(f"{node.sql(dialect='duckdb')!r} is not supported")


_COMPARISONS: dict[type, Callable[[Value, Value], Value]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}
_STRING2: dict[str, Callable[[Value, Value], Value]] = {
    "jaro_similarity": jaro_similarity,
    "jaro_winkler_similarity": jaro_winkler_similarity,
    "levenshtein": levenshtein,
    "damerau_levenshtein": damerau_levenshtein,
}
_ONE_ARG: dict[str, Callable[[Value], Value]] = {
    "lower": lambda s: str(s).lower(),
    "upper": lambda s: str(s).upper(),
    "trim": lambda s: str(s).strip(" "),
    "length": lambda s: len(str(s)),
    "abs": abs,
}


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)


def _map1(value: Value, fn: Callable[[Value], Value]) -> Value:
    return None if value is None else fn(value)


def _map2(a: Value, b: Value, fn: Callable[[Value, Value], Value]) -> Value:
    return None if a is None or b is None else fn(a, b)


def _and(a: Value, b: Value) -> Value:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: Value, b: Value) -> Value:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _nullif(a: Value, b: Value) -> Value:
    return None if a is not None and b is not None and a == b else a


def _substr(args: list[Eval]) -> Eval:
    def run(left: Record, right: Record) -> Value:
        values = [a(left, right) for a in args]
        if any(v is None for v in values):
            return None
        text, start = str(values[0]), int(values[1])
        begin = max(start - 1, 0) if start > 0 else max(len(text) + start, 0)
        if len(values) > 2:
            return text[begin : begin + int(values[2])]
        return text[begin:]

    return run


def _extract(regex: re.Pattern[str], text: Value, group: int) -> str:
    """DuckDB's regexp_extract: the first match's group, or '' when nothing matches."""
    found = regex.search(str(text))
    if found is None:
        return ""
    return found.group(group) or ""
