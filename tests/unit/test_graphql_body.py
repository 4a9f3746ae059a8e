"""The /graphql request body: anything but a JSON object is a 400, never a 500."""

from __future__ import annotations

import pytest
from cross_web import HTTPException

from api.app import GraphQLApp
from resolvers.schema import schema

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'"AAA"', "must be a JSON object"),  # Strawberry answered 500 to these three
        (b"1", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b'{"query": "{ a }", "variables": ' + b"[" * 1000 + b"]" * 1000 + b"}", "nested deeper"),
        (b'{"query": "{ a }", "variables": {"x": "\\ud800"}}', "lone surrogate"),
        (b'{"query": NaN}', "NaN is not JSON"),
        (b"{not json", "Unable to parse request body as JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400_with_the_reason(
    body: bytes, reason: str
) -> None:
    with pytest.raises(HTTPException) as caught:
        GraphQLApp(schema).decode_json(body)
    assert caught.value.status_code == 400
    assert reason in caught.value.reason


def test_objects_and_batches_pass_to_strawberry() -> None:
    app = GraphQLApp(schema)
    assert app.decode_json(b'{"query": "{ __typename }"}') == {"query": "{ __typename }"}
    assert app.decode_json(b'[{"query": "{ __typename }"}]') == [{"query": "{ __typename }"}]
