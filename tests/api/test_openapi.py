"""The OpenAPI document is valid and matches the routes the app really has."""

from __future__ import annotations

from openapi_spec_validator import validate
from starlette.routing import Mount, Route

from events_app.api.openapi import openapi_document
from events_app.events.schemas import EventInput
from events_app.registration.schemas import RegistrationInput

METHODS = {"get", "post", "put", "patch", "delete"}


def _app_operations(app) -> set[tuple[str, str]]:
    """(path, method) of every route under /api/v1, plus /healthz, with OpenAPI-style paths."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, Mount) and route.path == "/api/v1":
            for sub in route.routes:
                assert isinstance(sub, Route)
                path = "/api/v1" + sub.path.replace(":int", "")
                found |= {(path, m.lower()) for m in sub.methods or () if m != "HEAD"}
        elif isinstance(route, Route) and route.path == "/healthz":
            found |= {(route.path, m.lower()) for m in route.methods or () if m != "HEAD"}
    return found


def _documented(document) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item if method in METHODS}


async def test_document_is_served_and_valid(client):
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)  # raises on any structural error (OpenAPI 3.1 rules)
    assert document["openapi"].startswith("3.1")
    assert document == openapi_document()


def test_every_route_is_documented_and_nothing_else(app):
    operations = _app_operations(app)
    # 8 foundation API operations, 13 agenda ones (issue 3), 8 twinning ones (issue 5), 5 check-in ones
    # (issue 4) and /healthz
    assert len(operations) == 35
    assert operations == _documented(openapi_document())


def test_organiser_operations_require_bearer_and_say_so():
    document = openapi_document()
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    paths = document["paths"]
    organiser_only = [
        paths["/api/v1/events"]["post"],
        paths["/api/v1/events/{slug}"]["patch"],
        paths["/api/v1/events/{slug}/registrations"]["get"],
        paths["/api/v1/registrations/{id}/cancel"]["post"],
    ]
    for operation in organiser_only:
        assert operation["security"] == [{"bearerAuth": []}]
        assert {"401", "403"} <= set(operation["responses"])
    assert paths["/api/v1/events/{slug}/registrations"]["post"]["security"] == []


def test_request_bodies_are_the_validating_schemas():
    document = openapi_document()
    schemas = document["components"]["schemas"]
    create = document["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create == {"$ref": "#/components/schemas/EventInput"}
    assert set(schemas["EventInput"]["properties"]) == set(EventInput.model_fields)
    assert set(schemas["RegistrationInput"]["properties"]) == set(RegistrationInput.model_fields)
    assert schemas["EventInput"]["additionalProperties"] is False
    assert "online_url" not in schemas["EventOut"]["required"]


def test_every_reference_resolves():
    document = openapi_document()
    schemas = document["components"]["schemas"]

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None:
                assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
