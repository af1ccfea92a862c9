"""Every API answer a test sees must be one the OpenAPI document promises.

``contract_client`` is an httpx client whose response hook checks, for each
answer under /api/v1 (and /healthz) whose path and method the document has,
that the status code is documented and the JSON body validates against the
documented schema. Tests that talk to the API use it instead of ``client``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from events_app.api.openapi import openapi_document


@lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for template in openapi_document()["paths"]:
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template))
        out.append((re.compile(f"^{pattern}$"), template))
    return out


def operation_for(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    for pattern, template in _templates():
        if pattern.match(path):
            operation = openapi_document()["paths"][template].get(method.lower())
            return (template, operation) if operation else None
    return None


def check_response(response: httpx.Response) -> None:
    request = response.request
    found = operation_for(request.method, request.url.path)
    if found is None:
        return  # not a documented operation (unknown path or method): main.py answers 404/405
    template, operation = found
    status = str(response.status_code)
    assert status in operation["responses"], (
        f"{request.method} {template} answered {status}, which the OpenAPI document does not list"
    )
    content = operation["responses"][status].get("content", {})
    if "application/json" not in content:
        return
    assert response.headers["content-type"].startswith("application/json"), response.headers
    schema = {
        "components": openapi_document()["components"],
        "allOf": [content["application/json"]["schema"]],
    }
    errors = sorted(Draft202012Validator(schema).iter_errors(response.json()), key=str)
    assert not errors, f"{request.method} {template} {status}: body does not match its schema: {errors[0]}"


@asynccontextmanager
async def contract_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async def hook(response: httpx.Response) -> None:
        await response.aread()
        check_response(response)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks={"response": [hook]}
    ) as client:
        yield client
