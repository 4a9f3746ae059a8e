"""schemathesis over the running API with its OpenAPI document (served at /openapi.json).

Every operation gets a bounded number of generated requests, valid and invalid by the
document; each answer must not be a server error and must conform to the document (status
code, content type, body schema). The tracking calls carry the demo write key, /graphql the
admin key; the calls the API accepts go to Kafka and the worker like any others.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from api.openapi import document
from tests.e2e.conftest import ADMIN_KEY, DEMO_KEY

MAX_EXAMPLES = 25
log = logging.getLogger(__name__)
SENT: Counter[tuple[str, int]] = Counter()  # (operation, status) of every request sent


@pytest.fixture(scope="module", autouse=True)
def _count_requests() -> Iterator[None]:
    yield
    per_status = Counter(f"{status // 100}xx" for (_, status) in SENT.elements())
    documented = {f"{m.upper()} {path}" for path, ops in document()["paths"].items() for m in ops}
    other = sum(n for (op, _), n in SENT.items() if op not in documented)
    log.info("schemathesis: %d requests over %d operations (%d with a method the path has "
             "not), %s", SENT.total(), len(documented), other, dict(per_status))  # fmt: skip


# The checked-in document (the lazy `schemathesis.pytest.from_fixture` loader reads a private
# attribute pytest 9 no longer has); the first test checks the API serves this very document.
schema = schemathesis.openapi.from_dict(document())


def test_the_api_serves_its_document(service: str) -> None:
    reply = httpx.get(f"{service}/openapi.json", timeout=10)
    assert reply.status_code == 200
    assert reply.json() == document()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_as_its_document_says(
    case: Any, service: str
) -> None:
    if case.path.startswith("/v1/"):
        reply = case.call_and_validate(base_url=service, auth=(DEMO_KEY, ""))
    elif case.path == "/graphql":
        # What a valid GraphQL request is the GraphQL schema says, not this document: the
        # answers must still conform, but the data's validity is not checked here.
        reply = case.call_and_validate(
            base_url=service,
            headers={"X-API-Key": ADMIN_KEY},
            excluded_checks=[negative_data_rejection, positive_data_acceptance],
        )
    else:
        reply = case.call_and_validate(base_url=service)
    SENT[(f"{case.method} {case.path}", reply.status_code)] += 1
