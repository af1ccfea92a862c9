"""A guard for a connection leak in Tortoise ORM's pooled transactions (tortoise-orm 1.1.9).

``in_transaction()`` on PostgreSQL (``TransactionContextPooled.__aenter__``) takes a
connection from the asyncpg pool, then sends BEGIN. When BEGIN fails, typically on a
connection the server killed (restart, failover, ``pg_terminate_backend``),
``__aexit__`` never runs: the connection is never given back and the task's
connection context variable keeps pointing at the dead transaction. Each such failure
shrinks the pool by one for good; after ``maxsize`` of them every query waits forever.

:func:`install` wraps ``__aenter__`` so that a failure gives the connection back and
resets the context variable, then re-raises. It is idempotent, and a no-op when the
library's behaviour is already right (it only acts on the failure path).
"""

from __future__ import annotations

import contextlib
from typing import Any

from tortoise.backends.base.client import TransactionContextPooled
from tortoise.connection import get_connections

_MARK = "_events_app_releases_on_failure"


def install() -> None:
    original = TransactionContextPooled.__aenter__
    if getattr(original, _MARK, False):
        return

    async def __aenter__(self: TransactionContextPooled) -> Any:
        try:
            return await original(self)
        except BaseException:
            token = getattr(self, "token", None)
            if token is not None:
                with contextlib.suppress(Exception):
                    get_connections().reset(token)
            connection = getattr(self.client, "_connection", None)
            pool = getattr(self.client._parent, "_pool", None)
            if connection is not None and pool is not None:
                with contextlib.suppress(Exception):
                    await pool.release(connection)  # asyncpg closes it if it cannot be reset
            raise

    setattr(__aenter__, _MARK, True)
    TransactionContextPooled.__aenter__ = __aenter__  # type: ignore[method-assign]
