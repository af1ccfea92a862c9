"""Browser test fixtures: the app served by uvicorn in the test's own event loop, and a
Chromium page (Debian's /usr/bin/chromium through Playwright) that records console errors.

In-process, the server shares the test's database connection (SQLite pass only: the
Makefile runs the PostgreSQL pass with ``-m "not browser"``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

@pytest.fixture
async def live_server(app: Any) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", ws="none", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started or task.done():
            break
        await asyncio.sleep(0.025)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def page(live_server: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(base_url=live_server, viewport={"width": 1400, "height": 900})
            page = await context.new_page()
            page.console_errors = []  # type: ignore[attr-defined]
            page.on(
                "console",
                lambda msg: (
                    msg.type == "error"
                    and page.console_errors.append(f"{msg.text} [{msg.location.get('url', '')}]")
                ),
            )
            page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
            yield page
            await context.close()
        finally:
            await browser.close()


def browser_marks() -> list[Any]:
    """The marks of every browser test module (its ``pytestmark``)."""
    return [
        pytest.mark.browser,
        pytest.mark.skipif(
            not CHROMIUM.exists() and os.environ.get("CI") != "true",  # in CI a missing browser fails
            reason="needs Debian's chromium: apt-get install -y chromium",
        ),
    ]
