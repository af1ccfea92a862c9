"""The OpenAPI 3.1 document of API v1, built from the pydantic models the routes use.

Request bodies are the input schemas the routes validate with; response bodies
are the models in ``serializers.py`` that the routes serialise through, so the
document cannot drift from the code without tests/api/test_openapi.py noticing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from events_app.api.body import MAX_BODY_BYTES
from events_app.api.schemas import RegistrationQuery
from events_app.api.serializers import (
    ErrorOut,
    EventList,
    EventOut,
    HealthOut,
    RegistrationList,
    RegistrationOut,
    RegistrationResult,
)
from events_app.events.schemas import EventInput, EventPatch
from events_app.registration.schemas import RegistrationInput

REF = "#/components/schemas/{model}"
JSON = "application/json"
ORGANISER = [{"bearerAuth": []}]
ANYONE_OR_ORGANISER: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]

_ERRORS = {
    "400": "The body is not valid JSON, or not a JSON object (code `invalid_json`).",
    "401": "No API token, or not a valid one (code `unauthorized`).",
    "403": "The token's account may not manage events (code `forbidden`).",
    "404": "No such event or registration (code `not_found`).",
    "409": "The change conflicts with the current state (codes `conflict`, `registration_closed`).",
    "413": f"The body is larger than {MAX_BODY_BYTES // 1024} KiB (code `payload_too_large`).",
    "415": "The body is not `application/json` in UTF-8 (code `unsupported_media_type`).",
    "422": "Some fields are wrong: `fields` names each one (code `validation_error`).",
    "429": "Too many attempts from this address; wait a minute (code `rate_limited`).",
}

_REQUEST_MODELS: list[type[BaseModel]] = [EventInput, EventPatch, RegistrationInput]
_RESPONSE_MODELS: list[type[BaseModel]] = [
    EventOut,
    EventList,
    RegistrationOut,
    RegistrationList,
    RegistrationResult,
    ErrorOut,
    HealthOut,
]


def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    models = [(m, "validation") for m in _REQUEST_MODELS] + [(m, "serialization") for m in _RESPONSE_MODELS]
    for model, mode in models:
        schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
        for name, sub in schema.pop("$defs", {}).items():
            if name in schemas and schemas[name] != sub:
                raise RuntimeError(f"two different schemas are called {name}")
            schemas[name] = sub
        schemas[model.__name__] = schema
    return schemas


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _ok(description: str, model: type[BaseModel]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(model)}}}


def _responses(ok: dict[str, dict[str, Any]], *errors: str) -> dict[str, Any]:
    out = dict(ok)
    for code in errors:
        out[code] = {"description": _ERRORS[code], "content": {JSON: {"schema": _ref(ErrorOut)}}}
    return out


def _body(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"required": True, "description": description, "content": {JSON: {"schema": _ref(model)}}}


_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The event's slug",
    "schema": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "maxLength": 80},
}
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The registration's id",
    "schema": {"type": "integer", "minimum": 1},
}


def _query_parameters() -> list[dict[str, Any]]:
    schema = RegistrationQuery.model_json_schema(ref_template=REF)
    described = {
        "status": "Only registrations with this status",
        "q": "Search in name, email and organisation (case-insensitive)",
        "page": "Page number, from 1",
        "per_page": "Registrations per page, at most 200",
    }
    return [
        {"name": name, "in": "query", "required": False, "description": described[name], "schema": sub}
        for name, sub in schema["properties"].items()
    ]


def _paths() -> dict[str, Any]:
    event_ok = _ok("The event", EventOut)
    return {
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Is the service up and its database answering?",
                "security": [],
                "responses": {
                    "200": _ok("The database answers", HealthOut),
                    "503": _ok("The database does not answer", HealthOut),
                },
            }
        },
        "/api/v1/events": {
            "get": {
                "operationId": "listEvents",
                "summary": "Upcoming published and cancelled events; organisers see every event",
                "security": ANYONE_OR_ORGANISER,
                "responses": _responses({"200": _ok("The events", EventList)}, "401"),
            },
            "post": {
                "operationId": "createEvent",
                "summary": "Create an event",
                "security": ORGANISER,
                "requestBody": _body(EventInput, "Times in ISO 8601 with an offset, e.g. 2030-05-14T09:00:00+02:00"),
                "responses": _responses(
                    {"201": event_ok}, "400", "401", "403", "413", "415", "422"
                ),
            },
        },
        "/api/v1/events/{slug}": {
            "parameters": [_SLUG],
            "get": {
                "operationId": "getEvent",
                "summary": "One event (drafts and the online link only for organisers)",
                "security": ANYONE_OR_ORGANISER,
                "responses": _responses({"200": event_ok}, "401", "404"),
            },
            "patch": {
                "operationId": "updateEvent",
                "summary": "Change some fields; raising the capacity promotes people from the waitlist",
                "security": ORGANISER,
                "requestBody": _body(EventPatch, "Only the fields to change"),
                "responses": _responses(
                    {"200": event_ok}, "400", "401", "403", "404", "409", "413", "415", "422"
                ),
            },
        },
        "/api/v1/events/{slug}/registrations": {
            "parameters": [_SLUG],
            "post": {
                "operationId": "register",
                "summary": "Register a person: a seat if one is free, else a place on the waitlist",
                "security": [],
                "requestBody": _body(RegistrationInput, "consent must be true"),
                "responses": _responses(
                    {
                        "201": _ok("Registered", RegistrationResult),
                        "200": _ok("This email was already registered: that registration", RegistrationResult),
                    },
                    "400", "404", "409", "413", "415", "422", "429",
                ),
            },
            "get": {
                "operationId": "listRegistrations",
                "summary": "The event's registrations, a page at a time",
                "security": ORGANISER,
                "parameters": _query_parameters(),
                "responses": _responses(
                    {"200": _ok("One page of registrations", RegistrationList)}, "401", "403", "404", "422"
                ),
            },
        },
        "/api/v1/registrations/{id}/cancel": {
            "parameters": [_ID],
            "post": {
                "operationId": "cancelRegistration",
                "summary": "Cancel a registration (its seat goes to the waitlist); cancelling twice is harmless",
                "security": ORGANISER,
                "responses": _responses(
                    {"200": _ok("The cancelled registration", RegistrationOut)}, "401", "403", "404"
                ),
            },
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {"description": "OpenAPI 3.1 document", "content": {JSON: {"schema": {"type": "object"}}}}
                },
            }
        },
    }


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (built once per process)."""
    from events_app.api.openapi_agenda import merge_agenda  # it builds on this module's helpers
    from events_app.api.openapi_checkin import merge_checkin
    from events_app.api.openapi_twinning import merge_twinning

    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "events_app API",
            "version": "1.0.0",
            "description": (
                "Events and registrations. Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}`. "
                "Organiser calls need `Authorization: Bearer <token>` (`events-app` CLI makes tokens)."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {
            "schemas": _components(),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An organiser's API token"}
            },
        },
    }
    merge_agenda(document)
    merge_twinning(document)
    merge_checkin(document)
    return document
