"""What a log line says about the work it belongs to: the request (or effect job) and the tenant.

Context variables, so every thread and task keeps its own: the web layer sets them for a request,
the worker for each job it runs. :meth:`engine.store.runtime.OrmRuntime.run` carries them onto the
ORM loop, and a job created there keeps the request's ID in its params (``REQUEST_ID_KEY``), so the
worker's lines about that job carry the same ID.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# Where a job's params keep the ID of the request that queued it.
REQUEST_ID_KEY = "_request_id"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,128}")

request_id: ContextVar[str | None] = ContextVar("thongthin_request_id", default=None)
tenant_slug: ContextVar[str | None] = ContextVar("thongthin_tenant_slug", default=None)


def sane_request_id(value: str | None) -> str | None:
    """``value`` when it may be used as a request ID (1–128 of ``A-Z a-z 0-9 . _ -``), else None."""
    return value if value and _SANE.fullmatch(value) else None


def new_request_id() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Snapshot:
    request_id: str | None
    tenant_slug: str | None


def snapshot() -> Snapshot:
    """The values of this thread or task, to carry to another one (see :func:`restored`)."""
    return Snapshot(request_id.get(), tenant_slug.get())


@contextmanager
def restored(values: Snapshot) -> Iterator[None]:
    """Run the block with ``values``, then put back what was there."""
    with working(values.request_id, values.tenant_slug):
        yield


@contextmanager
def working(rid: str | None, tenant: str | None = None) -> Iterator[None]:
    """Run the block as part of request ``rid`` (of ``tenant``), then put back what was there."""
    rid_token = request_id.set(rid)
    tenant_token = tenant_slug.set(tenant)
    try:
        yield
    finally:
        tenant_slug.reset(tenant_token)
        request_id.reset(rid_token)
