"""JSON from outside, read with limits: the tracking API's bodies and the worker's messages.

``json.loads`` alone accepts things the rest of the path cannot hold, and fails on others
with errors no caller expects: nesting a thousand deep raises ``RecursionError``, an integer
of 5,000 digits a plain ``ValueError``, ``"\\ud800"`` decodes to a lone surrogate that no
UTF-8 encoder (Kafka's value, Neo4j's driver) will take, and ``NaN`` is not JSON at all.
:func:`parse_json` turns each of these into an :class:`~ingest.spec.InvalidEvent` naming
where it is, so a bad body is a 400 and a bad message a dead letter, never a crash.
"""

from __future__ import annotations

import json
import math
import re

from ingest.spec import InvalidEvent

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
MAX_DEPTH = 64
"""Deepest nesting of objects and lists accepted (Segment calls rarely pass 5)."""


def parse_json(raw: bytes | str) -> object:
    """Parse one JSON document, refusing what GraphCDP cannot store.

    Refused: text that is not JSON (``NaN`` and ``Infinity`` included), numbers too large for
    a float (``1e999``, which would be written back as ``Infinity``), bytes that are not
    UTF-8, UTF-16 or UTF-32, integers longer than Python's 4,300-digit limit, nesting deeper
    than :data:`MAX_DEPTH`, and strings or keys holding a lone surrogate.

    Raises:
        InvalidEvent: ``field`` is ``body`` for the document as a whole, else the path of the
            offending value (``traits.name``, ``context.items[2]``).
    """
    try:
        value: object = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise InvalidEvent("body", f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError, the integer digit limit
        raise InvalidEvent("body", f"not valid JSON ({err})") from None
    # A lone surrogate can only come from a \\uD800-\\uDFFF escape (raw bytes that are not
    # UTF-8 fail to decode), so strings are walked only when the text has one.
    texts = not isinstance(raw, bytes) or _SURROGATE_ESCAPE.search(raw) is not None
    _check_tree(value, texts)
    return value


def _check_tree(root: object, texts: bool) -> None:
    """Walk the containers of a document (without recursion) for their depth, and with
    ``texts`` its keys and strings for lone surrogates. Paths are made only for what is
    walked into: most values are scalars and cost one ``isinstance``."""
    if isinstance(root, str) and texts:
        _check_text(root, "body")
    stack: list[tuple[dict[str, object] | list[object], int, str]] = []
    if isinstance(root, dict | list):
        stack.append((root, 0, ""))
    while stack:
        value, depth, path = stack.pop()
        if depth >= MAX_DEPTH:
            top = path.split(".")[0].split("[")[0] or "body"
            raise InvalidEvent(top, f"nested deeper than {MAX_DEPTH} levels")
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in pairs:
            nested = isinstance(item, dict | list)
            if not (nested or texts):
                continue
            if isinstance(key, int):
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{key}" if path else key
                if texts:
                    _check_text(key, child)
            if texts and isinstance(item, str):
                _check_text(item, child)
            if nested:
                stack.append((item, depth + 1, child))  # type: ignore[arg-type]


def _check_text(text: str, path: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        field = path.encode("utf-8", errors="replace").decode() or "body"
        raise InvalidEvent(field, "a lone surrogate: not valid Unicode text") from None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):  # 1e999: JSON, but no JSON encoder can write it back
        raise ValueError(f"{text[:24]} is out of a number's range")
    return number
