"""Fixtures for the concurrency tests: real `events-app serve` processes on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

VENV_BIN = Path(sys.executable).parent
START_TIMEOUT = 30.0


@dataclass
class ServerProcess:
    """One `events-app serve` subprocess; its output goes to ``log``."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class ServerPool:
    started: list[ServerProcess] = field(default_factory=list)

    def stop_all(self) -> None:
        # Each server leads its own process group (start_new_session): signal the
        # group so uvicorn's worker processes go too.
        for server in self.started:
            if server.process.poll() is None:
                _signal_group(server.process, signal.SIGTERM)
        for server in self.started:
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(server.process, signal.SIGKILL)
                server.process.wait(timeout=10)

    def report(self) -> str:
        return "\n".join(
            f"----- events-app serve on port {s.port} (exit {s.process.poll()}) -----\n{s.output()}"
            for s in self.started
        )


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def _wait_until_healthy(server: ServerProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server on port {server.port} exited early:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server on port {server.port} did not become healthy:\n{server.output()}")


@pytest.fixture
def app_servers(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[Callable[..., list[ServerProcess]]]:
    """Start ``count`` separate server processes sharing the test database.

    They are always stopped at teardown; if the test failed, their output is
    printed (pytest shows it under "Captured stdout teardown").
    """
    pool = ServerPool()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "race-test-secret-" + "x" * 40,
        "BASE_URL": "http://127.0.0.1",
        "RATE_LIMIT": "off",
        "SMTP_URL": f"file://{tmp_path / 'mail'}",
        "EVENTS_APP_VAR_DIR": str(tmp_path / "var"),
        "PRIVACY_VERSION": "test-1",
    }

    def start(count: int = 2, workers: int = 1) -> list[ServerProcess]:
        servers = []
        for _ in range(count):
            port = free_port()
            log = tmp_path / f"server-{port}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        str(VENV_BIN / "events-app"),
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--workers",
                        str(workers),
                        "--log-level",
                        "warning",
                    ],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            server = ServerProcess(process, port, log)
            pool.started.append(server)
            servers.append(server)
        for server in servers:
            _wait_until_healthy(server)
        return servers

    try:
        yield start
    finally:
        pool.stop_all()
        failed = getattr(request.node, "rep_call", None)
        if failed is None or failed.failed:
            print(pool.report())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
