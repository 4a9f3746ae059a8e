"""schemathesis over the running /graphql with its schema (schema.graphql): generated queries
of every Query field, with generated arguments, answered without a server error.

Refusals of bad input (`BAD_USER_INPUT`, `COST_LIMIT`, validation errors) are expected and
not counted against the API; an error from a resolver without such a code is a failure.
Mutations are left out: generated ones would change the graph other tests share (identity
rules, segments, splits); test_graphql_abuse.py sends the mutations that matter here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.e2e.conftest import ADMIN_KEY

MAX_EXAMPLES = 25
SDL = Path(__file__).parents[2] / "schema.graphql"
log = logging.getLogger(__name__)
ANSWERS: Counter[str] = Counter()  # per outcome: data, refused (an error with its code), ...

schema = schemathesis.graphql.from_path(str(SDL)).include(name_regex=r"^Query\.")


@pytest.fixture(scope="module", autouse=True)
def _count_requests() -> Iterator[None]:
    yield
    log.info("graphql fuzz: %d queries over %d fields, %s",
             ANSWERS.total(), len(list(schema.get_all_operations())), dict(ANSWERS))  # fmt: skip


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck))
def test_generated_queries_of_every_field_never_meet_a_server_error(
    case: Any, service: str
) -> None:
    reply = case.call_and_validate(
        base_url=f"{service}/graphql",
        headers={"X-API-Key": ADMIN_KEY},
        # A generated query the API refuses as bad input is fine; a resolver's crash is not.
        excluded_checks=[positive_data_acceptance],
    )
    ANSWERS[_outcome(reply)] += 1


def _outcome(reply: Any) -> str:
    """``data``, the codes of the errors, ``validation`` for an error of the document (no
    path, no code), or ``resolver error`` (none so far: schemathesis fails the test on one)."""
    if reply.status_code != 200:
        return str(reply.status_code)
    errors = reply.json().get("errors")
    if not errors:
        return "data"
    kinds = {
        e.get("extensions", {}).get("code") or ("resolver error" if "path" in e else "validation")
        for e in errors
    }
    return ",".join(sorted(kinds))
