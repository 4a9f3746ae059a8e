"""JSON log lines with request ids, and the Prometheus histograms of GraphQL operations."""

from __future__ import annotations

import json
import logging

import pytest

from graphcdp.logs import JsonFormatter, request_id
from graphcdp.settings import Settings, SettingsError
from resolvers.metrics import BUCKETS, MAX_OPERATIONS, Histogram, OperationMetrics

pytestmark = pytest.mark.unit


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("graphcdp.access", logging.INFO, "x.py", 1, message, None, None)
    record.__dict__.update(extra)
    return record


def test_a_log_line_is_one_json_object_with_the_request_id_and_the_extra_fields() -> None:
    token = request_id.set("req-42")
    try:
        line = JsonFormatter().format(_record("request", path="/graphql", status=200, ms=3.5))
    finally:
        request_id.reset(token)
    out = json.loads(line)
    assert out["ts"].endswith("Z")
    wanted = {
        "level": "INFO", "logger": "graphcdp.access", "message": "request",
        "request_id": "req-42", "path": "/graphql", "status": 200, "ms": 3.5,
    }  # fmt: skip
    assert {k: out[k] for k in wanted} == wanted
    assert "request_id" not in json.loads(JsonFormatter().format(_record("outside")))


def test_a_histogram_counts_cumulatively_into_prometheus_buckets() -> None:
    hist = Histogram()
    for seconds in (0.0004, 0.003, 0.003, 0.2, 30.0):
        hist.observe(seconds)
    lines = list(hist.lines("h", 'op="x"'))
    buckets = {line.split("le=")[1].split("}")[0].strip('"'): int(line.split()[-1])
               for line in lines if "_bucket" in line}  # fmt: skip
    assert buckets["0.001"] == 1
    assert buckets["0.005"] == 3
    assert buckets["0.25"] == 4
    assert buckets["5.0"] == 4
    assert buckets["+Inf"] == 5
    assert len(buckets) == len(BUCKETS) + 1
    assert lines[-1] == 'h_count{op="x"} 5'
    assert lines[-2] == 'h_sum{op="x"} 30.206400'


def test_operations_are_labelled_by_type_name_and_outcome_and_names_are_capped() -> None:
    metrics = OperationMetrics()
    metrics.observe("query", "Profile", True, 0.002)
    metrics.observe("query", None, False, 0.002)
    metrics.observe("mutation", "split-customer!", True, 0.01)
    text = metrics.prometheus()
    assert 'graphcdp_graphql_seconds_count{type="query",operation="Profile",outcome="ok"} 1' in text
    assert 'operation="anonymous",outcome="error"' in text
    assert 'operation="split_customer_"' in text
    for n in range(MAX_OPERATIONS + 10):
        metrics.observe("query", f"Op{n}", True, 0.001)
    assert len(metrics.by_operation) <= MAX_OPERATIONS + 1
    assert ("query", "other", "ok") in metrics.by_operation


def test_the_log_format_is_json_or_text() -> None:
    assert Settings.from_env({}).log_format == "json"
    assert Settings.from_env({"GRAPHCDP_LOG_FORMAT": "TEXT"}).log_format == "text"
    with pytest.raises(SettingsError, match="expected json or text"):
        Settings.from_env({"GRAPHCDP_LOG_FORMAT": "xml"})
