"""The OpenAPI document of the HTTP API, served at ``GET /openapi.json``.

Hand-written in ``api/openapi.json`` beside this module: the tracking calls are checked by
code (``ingest/spec.py``), not declared by models a generator could read, so the document is
kept true by tests instead: tests/unit/test_openapi.py compares its operations with the app's
routes, and tests/e2e/test_openapi_fuzz.py runs schemathesis against the running API with it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

PATH = Path(__file__).with_name("openapi.json")


@functools.cache
def document() -> dict[str, Any]:
    """The document, read once."""
    loaded: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    return loaded


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(document())
