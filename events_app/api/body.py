"""Reading API input: a capped JSON body, query strings and path ids, all strictly."""

from __future__ import annotations

import re
from typing import TypeVar

from starlette.requests import Request

from events_app.errors import Invalid, NotFound, PayloadTooLarge, UnsupportedMediaType
from events_app.validation import Input, parse, parse_json

MAX_BODY_BYTES = 64 * 1024
MAX_ID = 2**31 - 1  # the id columns are 32-bit integers
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

M = TypeVar("M", bound=Input)


def _is_json(content_type: str) -> bool:
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        return False
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in {"utf-8", "utf8"}:
            return False
    return True


async def read_json(request: Request, schema: type[M], *, max_bytes: int = MAX_BODY_BYTES) -> M:
    """The request body validated against ``schema`` (strict JSON, at most ``max_bytes``, 64 KiB).

    415 for a body that is not ``application/json`` (UTF-8), 413 past the cap,
    400 for malformed JSON or a non-object, 422 with per-field messages otherwise.
    """
    if not _is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType("Send the body as JSON with 'Content-Type: application/json'.")
    too_large = PayloadTooLarge(f"The request body must be at most {max_bytes // 1024} KiB.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return parse_json(schema, b"".join(chunks))


def read_query(request: Request, schema: type[M]) -> M:
    """Query parameters validated against ``schema`` (unknown or repeated names are refused)."""
    params = request.query_params
    repeated = sorted({key for key in params.keys() if len(params.getlist(key)) > 1})
    if repeated:
        raise Invalid("Some fields need attention.", fields={k: "Give this parameter once." for k in repeated})
    return parse(schema, dict(params))


def path_slug(request: Request) -> str:
    """The ``{slug}`` of the path; a slug that cannot exist is a 404 before any query."""
    slug: str = request.path_params["slug"]
    if len(slug) > 80 or not _SLUG.fullmatch(slug):
        raise NotFound(f"No event called {slug[:80]!r}.")
    return slug


def path_id(request: Request) -> int:
    """The ``{id:int}`` of the path; one past the column's range is simply not found."""
    value: int = request.path_params["id"]
    if not 0 < value <= MAX_ID:
        raise NotFound("No such registration.")
    return value
