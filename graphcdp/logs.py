"""Structured logs: one JSON object per line, with the request id of the request being served.

``configure`` is called once per process (the API, each of its worker processes, the ingest
worker). ``GRAPHCDP_LOG_FORMAT=text`` gives the classic one-line format for a terminal.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("graphcdp_request_id", default=None)

# Attributes every LogRecord has; anything else passed as ``extra=`` goes into the JSON.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id"?, ...extra, "exc"?}``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            out["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


JsonFormatter.converter = __import__("time").gmtime


def configure(level: str, fmt: str = "json") -> None:
    """Route every logger (uvicorn's and aiokafka's included) to stderr in ``fmt``."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
