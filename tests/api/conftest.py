from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.contract import contract_client


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The shared client, plus a check of every API answer against the OpenAPI document."""
    async with contract_client(app) as c:
        yield c
