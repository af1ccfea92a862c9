"""The door's part of the OpenAPI document (check-in, undo, numbers, offline), merged by :func:`merge_checkin`.

Security: the check-in and numbers operations list the account roles that may call them
(OpenAPI 3.1 lets an http scheme's requirement name roles): any one of ``checkin``,
``organiser`` or ``admin``. Operations with an empty list need an organiser or admin.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from events_app.api.checkin_routes import CHECKIN_RATE_WEIGHT, OFFLINE_MAX_BYTES
from events_app.api.openapi import _SLUG, JSON, ORGANISER, REF, _body, _ok, _ref, _responses
from events_app.api.serializers import ErrorOut
from events_app.checkin.schemas import (
    MAX_SCANS,
    CheckInInput,
    CheckInOut,
    CheckInStatsOut,
    OfflineListOut,
    OfflineMergeOut,
    OfflineScansInput,
    UndoInput,
    UndoOut,
)

CHECKIN: list[dict[str, list[str]]] = [
    {"bearerAuth": ["checkin"]}, {"bearerAuth": ["organiser"]}, {"bearerAuth": ["admin"]},
]
REQUEST_MODELS: list[type[BaseModel]] = [CheckInInput, UndoInput, OfflineScansInput]
RESPONSE_MODELS: list[type[BaseModel]] = [CheckInOut, UndoOut, CheckInStatsOut, OfflineListOut, OfflineMergeOut]
BEARER_DESCRIPTION = (
    "An API token (`events-app` CLI makes them). Operations whose requirement lists roles accept a token of "
    "an account with any one of those roles (`checkin`, `organiser`, `admin`); the others need an "
    "organiser's or admin's token."
)


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(ErrorOut)}}}


_FORBIDDEN_DOOR = _error("The token's account is not a check-in, organiser or admin account (code `forbidden`).")
_RATE = _error(
    f"Too many scans from this account (RATE_LIMIT's count x {CHECKIN_RATE_WEIGHT} per window; code "
    "`rate_limited`). The `Retry-After` header says how many seconds to wait."
)


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/checkin": {
            "post": {
                "operationId": "checkIn",
                "summary": "Check in whoever's ticket a scanned code is",
                "description": (
                    "The answer is decided here: `checked_in`, or `already_checked_in` with the first check-in's "
                    "time and desk (a repeated scan is harmless; of two desks scanning one ticket at once, "
                    "exactly one gets `checked_in`). A code that is not a live ticket of this event is never a "
                    "200: `ticket_not_valid` (404: unknown, forged, malformed or replaced), `ticket_cancelled`, "
                    "`wrong_event`, `not_confirmed` (409). Letter case and spaces in the code do not matter."
                ),
                "security": CHECKIN,
                "requestBody": _body(CheckInInput, "The event's slug, the code as scanned, the desk's name"),
                "responses": {
                    **_responses({"200": _ok("Checked in, or had been already", CheckInOut)},
                                 "400", "401", "413", "415", "422"),
                    "403": _FORBIDDEN_DOOR,
                    "404": _error("No such event (code `not_found`), or the code is not a valid ticket "
                                  "(code `ticket_not_valid`: unknown, forged, malformed or replaced)."),
                    "409": _error("The ticket is cancelled (`ticket_cancelled`), for another event "
                                  "(`wrong_event`) or its registration is not confirmed (`not_confirmed`)."),
                    "429": _RATE,
                },
            }
        },
        "/api/v1/checkin/undo": {
            "post": {
                "operationId": "undoCheckIn",
                "summary": "Take a check-in back (a mistaken scan); the person can be checked in again",
                "security": ORGANISER,
                "requestBody": _body(UndoInput, "The event's slug and the registration's id"),
                "responses": {
                    **_responses({"200": _ok("The check-in was undone", UndoOut)},
                                 "400", "401", "403", "413", "415", "422"),
                    "404": _error("No such event, or no such registration at it (code `not_found`)."),
                    "409": _error("The person is not checked in (code `conflict`)."),
                },
            }
        },
        "/api/v1/events/{slug}/checkin/stats": {
            "parameters": [_SLUG],
            "get": {
                "operationId": "getCheckInStats",
                "summary": "Checked in / expected, and check-ins per hour, for the door team's screen",
                "security": CHECKIN,
                "responses": {
                    **_responses({"200": _ok("The numbers", CheckInStatsOut)}, "401", "404"),
                    "403": _FORBIDDEN_DOOR,
                },
            },
        },
        "/api/v1/events/{slug}/checkin/offline-list": {
            "parameters": [_SLUG],
            "get": {
                "operationId": "getOfflineCheckInList",
                "summary": "The check-in list for a laptop without the server: names and ticket-code hashes",
                "description": (
                    "Every confirmed registration (and, with status `cancelled`, every cancelled one that had a "
                    "ticket) with the SHA-256 of its ticket code, never the code itself. Tickets are made for "
                    "confirmed registrations that had none yet. Scans made offline go back through "
                    "`mergeOfflineScans`."
                ),
                "security": ORGANISER,
                "responses": _responses({"200": _ok("The list (a file to save)", OfflineListOut)},
                                        "401", "403", "404"),
            },
        },
        "/api/v1/events/{slug}/checkin/offline-scans": {
            "parameters": [_SLUG],
            "post": {
                "operationId": "mergeOfflineScans",
                "summary": "Merge the scans made offline: each checks in at its own time, once",
                "description": (
                    "Idempotent: a scan whose nonce was seen before changes nothing (`duplicates`), so the same "
                    "file can be uploaded twice. People checked in already are reported in `already` with the "
                    "first check-in's time and desk; refused scans in `refused` with the reason. A bad file "
                    f"(format, event, a nonce, a time more than 5 minutes ahead, more than {MAX_SCANS:,} scans) "
                    "is a 422 naming the field, and nothing is merged."
                ),
                "security": ORGANISER,
                "requestBody": _body(OfflineScansInput, "The scans file, as the offline laptop wrote it"),
                "responses": {
                    **_responses({"200": _ok("What the merge did", OfflineMergeOut)},
                                 "400", "401", "403", "404", "415", "422"),
                    "413": _error(f"The body is larger than {OFFLINE_MAX_BYTES // (1024 * 1024)} MiB "
                                  "(code `payload_too_large`)."),
                },
            },
        },
    }


def merge_checkin(document: dict[str, Any]) -> None:
    """Add the check-in paths and component schemas to ``document`` (in place)."""
    document["paths"].update(_paths())
    document["components"]["securitySchemes"]["bearerAuth"]["description"] = BEARER_DESCRIPTION
    schemas = document["components"]["schemas"]
    models = [(m, "validation") for m in REQUEST_MODELS] + [(m, "serialization") for m in RESPONSE_MODELS]
    for model, mode in models:
        schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
        for name, sub in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
            if name in schemas and schemas[name] != sub:
                raise RuntimeError(f"two different schemas are called {name}")
            schemas[name] = sub
