"""The checked-in OpenAPI document is true to the app: the same operations, a valid document."""

from __future__ import annotations

from starlette.routing import Route

from api.app import create_app
from api.openapi import document
from graph.model import CALL_TYPES
from graphcdp.settings import Settings


def _routes() -> set[tuple[str, str]]:
    app = create_app(Settings())  # no server is reached before the lifespan starts
    found = set()
    for route in app.routes:
        if isinstance(route, Route):
            for method in route.methods or {"GET"}:
                if method != "HEAD":
                    found.add((route.path, method.lower()))
    return found


def test_every_operation_of_the_document_is_a_route_of_the_app_and_back() -> None:
    documented = {(path, method) for path, ops in document()["paths"].items() for method in ops}
    routes = _routes()
    assert documented == routes
    assert {f"/v1/{kind}" for kind in CALL_TYPES} <= {path for path, _ in documented}


def test_the_document_is_valid_openapi_and_every_reference_resolves() -> None:
    import jsonschema
    import schemathesis
    from schemathesis.specs.openapi.definitions import OPENAPI_30  # the 3.0 meta-schema

    jsonschema.Draft4Validator(OPENAPI_30).validate(document())
    schema = schemathesis.openapi.from_dict(document())
    operations = [op.ok() for op in schema.get_all_operations()]
    assert sorted(f"{op.method.upper()} {op.path}" for op in operations) == sorted(
        f"{method.upper()} {path}" for path, ops in document()["paths"].items() for method in ops
    )
