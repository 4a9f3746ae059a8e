"""Official client libraries, unchanged but for the host, deliver every call to the graph."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import rudderstack.analytics as rudder
import segment.analytics as segment

from graphcdp.settings import Settings
from tests.e2e.graph_check import wait_rows

EVENTS = """
MATCH (c:Customer)-[:PERFORMED]->(e:Event)
WHERE e.properties CONTAINS $tag OR c.email = $email
RETURN DISTINCT e.type AS type, e.name AS name, c.customer_id AS customer
ORDER BY type, name
"""


def _drive(client: Any, tag: str) -> None:
    user = f"{tag}-user"
    client.identify(user, {"email": f"{tag}@example.com", "firstName": "Sam"})
    client.track(user, "Order Completed", {"tag": tag, "revenue": 12.5})
    client.page(user, "Docs", "Install", {"tag": tag})
    client.screen(user, "App", "Home", {"tag": tag})
    client.group(user, f"{tag}-org", {"name": "Org", "tag": tag})
    client.flush()


def _check(settings: Settings, tag: str) -> None:
    rows = wait_rows(settings, EVENTS, 5, tag=tag, email=f"{tag}@example.com")
    assert {(r["type"], r["name"]) for r in rows} == {
        ("identify", None),
        ("track", "Order Completed"),
        ("page", "Install"),
        ("screen", "Home"),
        ("group", f"{tag}-org"),
    }
    assert len({r["customer"] for r in rows}) == 1


@pytest.mark.parametrize(
    ("client_class", "options"),
    [(segment.Client, {"gzip": False}), (rudder.Client, {"gzip": True})],
    ids=["segment-analytics-python", "rudder-sdk-python-gzip"],
)
def test_python_sdks(
    service: str, settings: Settings, client_class: Any, options: dict[str, Any]
) -> None:
    tag = f"py-{uuid.uuid4().hex[:10]}"
    errors: list[Exception] = []
    client = client_class(
        next(iter(settings.parsed_write_keys())),
        host=service,
        sync_mode=True,
        on_error=lambda err, batch: errors.append(err),
        max_retries=1,
        **options,
    )
    _drive(client, tag)
    assert errors == []
    _check(settings, tag)


NODE_DIR = Path(__file__).parent / "node"


def test_segment_analytics_node(service: str, settings: Settings) -> None:
    """@segment/analytics-node, installed with npm here (cached in ~/.npm), run with Node."""
    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm, "npm is part of this machine's toolchain"
    assert node, "Node.js is part of this machine's toolchain"
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NODE_DIR,
        check=True,
        timeout=300,
    )
    tag = f"node-{uuid.uuid4().hex[:10]}"
    key = next(iter(settings.parsed_write_keys()))
    sent = subprocess.run(
        [node, "send.mjs", service, key, tag],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == "sent"
    _check(settings, tag)
