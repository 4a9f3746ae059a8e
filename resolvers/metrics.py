"""Latency of every GraphQL operation, by type, name and outcome, as Prometheus histograms.

The :class:`TimedOperations` extension observes each query and mutation into the process's
:data:`OPERATIONS`; ``/metrics`` prints it (``graphcdp_graphql_seconds``). Operation names
are the client's: at most ``MAX_OPERATIONS`` distinct ones are kept, the rest count as
``other``.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MAX_OPERATIONS = 200  # distinct operation names kept; further names count as "other"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass
class Histogram:
    """Cumulative-bucket histogram in Prometheus' shape (seconds)."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds

    def lines(self, name: str, labels: str) -> Iterable[str]:
        running = 0
        for bound, n in zip((*BUCKETS, float("inf")), self.counts, strict=True):
            running += n
            le = "+Inf" if bound == float("inf") else repr(bound)
            yield f'{name}_bucket{{{labels},le="{le}"}} {running}'
        yield f"{name}_sum{{{labels}}} {self.total:.6f}"
        yield f"{name}_count{{{labels}}} {running}"


@dataclass
class OperationMetrics:
    """Latency per (operation type, operation name, outcome) in this process."""

    by_operation: dict[tuple[str, str, str], Histogram] = field(default_factory=dict)

    def observe(self, kind: str, name: str | None, ok: bool, seconds: float) -> None:
        label = _label(name or "anonymous")
        key = (kind, label, "ok" if ok else "error")
        if key not in self.by_operation and len(self.by_operation) >= MAX_OPERATIONS:
            key = (kind, "other", key[2])
        self.by_operation.setdefault(key, Histogram()).observe(seconds)

    def prometheus(self) -> str:
        lines = ["# TYPE graphcdp_graphql_seconds histogram"]
        for (kind, name, outcome), hist in sorted(self.by_operation.items()):
            labels = f'type="{kind}",operation="{name}",outcome="{outcome}"'
            lines += hist.lines("graphcdp_graphql_seconds", labels)
        return "\n".join(lines) + "\n"


def _label(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)[:64]


OPERATIONS = OperationMetrics()


class TimedOperations(SchemaExtension):
    """Times each query and mutation (subscriptions live as long as their client)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        try:
            kind = context.operation_type
        except RuntimeError:  # a document that did not parse has no operation
            kind = OperationType.QUERY
        if kind is OperationType.SUBSCRIPTION:
            return
        result = context.result
        ok = not context.pre_execution_errors and not (result is not None and result.errors)
        OPERATIONS.observe(kind.value, context.operation_name, ok, time.perf_counter() - started)
