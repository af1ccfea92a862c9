"""GET /healthz: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

from tortoise import connections


async def test_healthz_ok(client, database_url):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_healthz_503_when_the_database_does_not_answer(client, database_url, monkeypatch):
    real = connections.get("default")
    calls: list[str] = []

    class ClosedConnection:
        async def execute_query(self, sql, values=None):
            calls.append(sql)
            raise ConnectionError("connection is closed")

    def get(name):
        return ClosedConnection() if name == "default" else real

    monkeypatch.setattr("events_app.api.routes.connections.get", get)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert calls == ["SELECT 1"]
    monkeypatch.undo()
    assert (await client.get("/healthz")).status_code == 200
