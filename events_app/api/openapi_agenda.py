"""The agenda's part of the OpenAPI document: paths and schemas, merged by :func:`merge_agenda`.

Like the rest of the document, request bodies are the input schemas the routes
validate with and responses the models in ``agenda_serializers.py``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from events_app.agenda.schemas import (
    PicksInput,
    RoomInput,
    RoomPatch,
    SessionInput,
    SessionPatch,
    SpeakerInput,
)
from events_app.api.agenda_serializers import (
    AgendaErrorOut,
    ManageOut,
    PicksErrorOut,
    PublishSummaryOut,
    RoomList,
    RoomOut,
    SessionList,
    SessionOut,
    SpeakerList,
    SpeakerOut,
)
from events_app.api.openapi import (
    _ERRORS,
    _SLUG,
    JSON,
    ORGANISER,
    REF,
    _body,
    _ok,
    _ref,
    _responses,
)
from events_app.api.serializers import ErrorOut

REQUEST_MODELS: list[type[BaseModel]] = [RoomInput, RoomPatch, SpeakerInput, SessionInput, SessionPatch, PicksInput]
RESPONSE_MODELS: list[type[BaseModel]] = [
    RoomOut, RoomList, SpeakerOut, SpeakerList, SessionOut, SessionList, PublishSummaryOut, ManageOut,
    AgendaErrorOut, PicksErrorOut,
]

_NOT_FOUND = "No such event, room or session (code `not_found`)."


def _id(what: str) -> dict[str, Any]:
    return {
        "name": "id", "in": "path", "required": True, "description": f"The {what}'s id",
        "schema": {"type": "integer", "minimum": 1},
    }


_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The secret token of the attendee's manage link (the last part of /manage/<token>)",
    "schema": {"type": "string", "maxLength": 100},
}


def _error(description: str, model: type[BaseModel] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(model or ErrorOut)}}}


def _organiser(ok: dict[str, Any], *codes: str, conflict: str | None = None) -> dict[str, Any]:
    out = _responses(ok, "401", "403", *[c for c in codes if c not in {"404", "409"}])
    if "404" in codes:
        out["404"] = _error(_NOT_FOUND)
    if conflict:
        out["409"] = _error(conflict, AgendaErrorOut)
    return out


_CLASH = (
    "The session clashes (code `agenda_conflict`): `conflicts` lists each clash with the other session, "
    "the room or the event's dates. Send `\"allow_conflicts\": true` to store it anyway."
)
_WRITE = ("400", "404", "413", "415", "422")


def _organiser_paths() -> dict[str, Any]:
    session_ok = _ok("The session as the organiser sees it", SessionOut)
    base = "/api/v1/events/{slug}"
    return {
        f"{base}/rooms": {
            "parameters": [_SLUG],
            "get": {
                "operationId": "listRooms", "summary": "The event's rooms", "security": ORGANISER,
                "responses": _organiser({"200": _ok("The rooms", RoomList)}, "404"),
            },
            "post": {
                "operationId": "createRoom", "summary": "Add a room (names are unique per event)",
                "security": ORGANISER, "requestBody": _body(RoomInput, "Name and number of seats"),
                "responses": _organiser({"201": _ok("The new room", RoomOut)}, *_WRITE),
            },
        },
        f"{base}/rooms/{{id}}": {
            "parameters": [_SLUG, _id("room")],
            "patch": {
                "operationId": "updateRoom", "summary": "Rename a room or change its seats",
                "security": ORGANISER, "requestBody": _body(RoomPatch, "Only the fields to change"),
                "responses": _organiser(
                    {"200": _ok("The room", RoomOut)}, *_WRITE,
                    conflict="Fewer seats than the capacity of a session in this room (code `agenda_conflict`: "
                    "`conflicts` lists those sessions); send `allow_conflicts: true` to store it anyway.",
                ),
            },
        },
        f"{base}/speakers": {
            "parameters": [_SLUG],
            "get": {
                "operationId": "listSpeakers", "summary": "The event's speakers", "security": ORGANISER,
                "responses": _organiser({"200": _ok("The speakers", SpeakerList)}, "404"),
            },
            "post": {
                "operationId": "createSpeaker", "summary": "Add a speaker", "security": ORGANISER,
                "requestBody": _body(SpeakerInput, "photo_url, when given, must be https"),
                "responses": _organiser({"201": _ok("The new speaker", SpeakerOut)}, *_WRITE),
            },
        },
        f"{base}/sessions": {
            "parameters": [_SLUG],
            "get": {
                "operationId": "listSessions",
                "summary": "Every session with its draft values, published values, clashes and fill",
                "security": ORGANISER,
                "responses": _organiser({"200": _ok("The sessions, by start", SessionList)}, "404"),
            },
            "post": {
                "operationId": "createSession",
                "summary": "Add a draft session; refused with 409 when it clashes, unless allow_conflicts",
                "security": ORGANISER,
                "requestBody": _body(
                    SessionInput,
                    "Times in ISO 8601 with an offset; room is a room id or name; speakers are speaker ids",
                ),
                "responses": _organiser({"201": session_ok}, *_WRITE, conflict=_CLASH),
            },
        },
        f"{base}/sessions/{{id}}": {
            "parameters": [_SLUG, _id("session")],
            "get": {
                "operationId": "getSession", "summary": "One session", "security": ORGANISER,
                "responses": _organiser({"200": session_ok}, "404"),
            },
            "patch": {
                "operationId": "updateSession",
                "summary": "Change a session (a published one keeps its public values until the next publish)",
                "security": ORGANISER,
                "requestBody": _body(SessionPatch, "Only the fields to change; null clears room, track or capacity"),
                "responses": _organiser(
                    {"200": session_ok}, *_WRITE, conflict=_CLASH + " Code `conflict`: the session is cancelled."
                ),
            },
            "delete": {
                "operationId": "cancelSession",
                "summary": "Delete a never-published session (204) or cancel a published one at the next publish (200)",
                "security": ORGANISER,
                "responses": _organiser(
                    {"200": session_ok, "204": {"description": "The draft session is deleted"}}, "404"
                ),
            },
        },
        f"{base}/agenda/publish": {
            "parameters": [_SLUG],
            "post": {
                "operationId": "publishAgenda",
                "summary": "Make every draft change public and email the people whose sessions changed",
                "security": ORGANISER,
                "responses": _organiser({"200": _ok("What changed", PublishSummaryOut)}, "404"),
            },
        },
    }


def _manage_paths() -> dict[str, Any]:
    not_found = _error("No registration has this manage link (code `not_found`).")
    too_many = _error(_ERRORS["429"])
    return {
        "/api/v1/manage/{token}": {
            "parameters": [_TOKEN],
            "get": {
                "operationId": "getManage",
                "summary": "The attendee's registration, session picks, sessions to pick and calendar links",
                "description": (
                    "Join links (`join_url`) appear only for a confirmed registration: the online event's, "
                    "those of sessions the person holds a confirmed seat in, and those of the online sessions "
                    "open to every attendee (`online_sessions`, no sign-up needed)."
                ),
                "security": [],
                "responses": {"200": _ok("The attendee's view", ManageOut), "404": not_found, "429": too_many},
            },
        },
        "/api/v1/manage/{token}/sessions": {
            "parameters": [_TOKEN],
            "put": {
                "operationId": "setSessionPicks",
                "summary": "Make the attendee's session picks exactly these, all or nothing",
                "security": [],
                "requestBody": _body(
                    PicksInput,
                    "Every session the person wants (an empty list drops all). A full session gives a place "
                    "on its waitlist, or 409 `session_full` when waitlist is false.",
                ),
                "responses": {
                    **_responses({"200": _ok("The attendee's view after the change", ManageOut)}, "400", "413", "415"),
                    "404": not_found,
                    "409": _error(
                        "Nothing was changed: a session is full (code `session_full`), two picks overlap "
                        "(`session_overlap`), or the session is cancelled or the person not confirmed (`conflict`).",
                        PicksErrorOut,
                    ),
                    "422": _error(_ERRORS["422"] + " Also for a session that is not on the event's agenda."),
                    "429": too_many,
                },
            },
        },
    }


def merge_agenda(document: dict[str, Any]) -> None:
    """Add the agenda's paths and component schemas to ``document`` (in place)."""
    document["paths"].update(_organiser_paths())
    document["paths"].update(_manage_paths())
    schemas = document["components"]["schemas"]
    models = [(m, "validation") for m in REQUEST_MODELS] + [(m, "serialization") for m in RESPONSE_MODELS]
    for model, mode in models:
        schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
        for name, sub in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
            if name in schemas and schemas[name] != sub:
                raise RuntimeError(f"two different schemas are called {name}")
            schemas[name] = sub
