"""What operators of a national deployment need from every web process: ``/healthz``, ``/readyz``,
``/metrics``, a request ID and one log line per request, and cacheable, compressed assets.

The three probe paths are answered by a WSGI layer in front of Flask: no session, CSRF check,
limit, tenant lookup or request log line touches them. ``/metrics`` answers only the addresses of
``METRICS_ALLOW`` (seen through ``THONGTHIN_TRUSTED_PROXIES``); everyone else gets 404.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import context
from thongthin import metrics
from thongthin.logs import PROBES, request_log
from thongthin.settings import Settings

log = logging.getLogger(__name__)

READY_TIMEOUT = 3.0  # seconds each readiness check may take
LONG_CACHE = "public, max-age=31536000, immutable"
FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
ROUTE_KEY = "thongthin.route"
UNMATCHED = "<unmatched>"

StartResponse = Callable[..., Any]


def install(app: Flask, settings: Settings) -> None:
    """Wire the probes, request IDs, metrics and log lines, and fingerprinted static URLs into ``app``."""
    app.wsgi_app = Observed(app.wsgi_app, app, settings)  # type: ignore[method-assign]

    @app.url_value_preprocessor
    def note_tenant(endpoint: str | None, values: dict[str, Any] | None) -> None:
        slug = (values or {}).get("tenant")
        if isinstance(slug, str) and context.sane_request_id(slug):
            context.tenant_slug.set(slug)

    @app.teardown_request
    def note_route(_error: BaseException | None) -> None:
        rule = request.url_rule
        request.environ[ROUTE_KEY] = rule.rule if rule is not None else UNMATCHED

    app.url_defaults(fingerprint_static)
    app.after_request(cache_fingerprinted)


# --- the WSGI layer ----------------------------------------------------------------------------


class Observed:
    """Answers the probes itself; gives every other request an ID, a log line and its metrics."""

    def __init__(self, inner: Any, app: Flask, settings: Settings):
        self.inner = inner
        self.app = app
        self.allowed = [ipaddress.ip_network(network) for network in settings.metrics_allow]
        self.trusted_proxies = settings.trusted_proxies
        probes: Any = self.probe
        # The scraper's address as limits see it: through the proxies the operator trusts.
        self.probes = ProxyFix(probes, x_for=settings.trusted_proxies) if settings.trusted_proxies else probes
        self.readiness = Readiness(app)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in PROBES:
            return self.probes(environ, start_response)
        rid = context.sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or context.new_request_id()
        status: list[int] = [0]

        def start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = int(code.split(" ", 1)[0])
            headers.append(("X-Request-Id", rid))
            return start_response(code, headers, exc_info) if exc_info else start_response(code, headers)

        started = time.monotonic()
        with context.working(rid):
            try:
                return self.inner(environ, start)
            finally:
                seconds = time.monotonic() - started
                route = environ.get(ROUTE_KEY, UNMATCHED)
                method = environ.get("REQUEST_METHOD", "GET")
                metrics.observe_request(route, method, status[0] or 500, seconds)
                request_log.info(
                    "%s %s %s %.1f ms",
                    method,
                    route,
                    status[0] or 500,
                    seconds * 1000,
                    extra={
                        "method": method,
                        "route": route,
                        "path": environ.get("PATH_INFO", ""),
                        "status": status[0] or 500,
                        "duration_ms": round(seconds * 1000, 1),
                    },
                )

    def probe(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD", "GET")
        if path == "/metrics" and not self.may_scrape(environ):
            return _answer(start_response, 404, b"Not Found", "text/plain; charset=utf-8", method)
        if method not in ("GET", "HEAD"):
            return _answer(
                start_response, 405, b"", "text/plain; charset=utf-8", method, [("Allow", "GET, HEAD")]
            )
        if path == "/healthz":
            return _json(start_response, 200, {"status": "ok"}, method)
        if path == "/readyz":
            checks, detail = self.readiness.run()
            failed = [name for name, state in checks.items() if state != "ok"]
            body: dict[str, Any] = {"status": "not ready" if failed else "ready", "checks": checks}
            if failed:
                body["failed"] = failed
            body.update(detail)
            return _json(start_response, 503 if failed else 200, body, method)
        platform = self.app.extensions.get("thongthin")
        data, kind = metrics.exposition(platform)
        return _answer(start_response, 200, data, kind, method)

    def may_scrape(self, environ: dict[str, Any]) -> bool:
        """Whether the client is one ``METRICS_ALLOW`` names.

        Without trusted proxies, a request that came through a proxy (it names a forwarded
        address) is refused: the proxy's own address must not open the metrics to everyone.
        """
        if not self.trusted_proxies and any(environ.get(header) for header in FORWARDED):
            return False
        try:
            address = ipaddress.ip_address(environ.get("REMOTE_ADDR") or "")
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.allowed)


def _answer(
    start_response: StartResponse,
    status: int,
    body: bytes,
    kind: str,
    method: str,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}[status]
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", kind),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            *(headers or []),
        ],
    )
    return [] if method == "HEAD" else [body]


def _json(start_response: StartResponse, status: int, body: dict[str, Any], method: str) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    return _answer(start_response, status, data, "application/json", method)


class Readiness:
    """The database answers, the blob store is reachable, and the schema has every shipped migration.

    Each check is bounded (``READY_TIMEOUT``); a blob store that does not answer keeps at most one
    check waiting on it. What failed is named in the answer and logged (once per change), never with
    a traceback.
    """

    def __init__(self, app: Flask):
        self.app = app
        self._blob_checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="thongthin-readyz")
        self._blob_check: Future[None] | None = None
        self._lock = threading.Lock()
        self._last: dict[str, str] = {}

    def run(self) -> tuple[dict[str, str], dict[str, Any]]:
        platform = self.app.extensions["thongthin"]
        checks: dict[str, str] = {}
        detail: dict[str, Any] = {}
        reasons: dict[str, str] = {}
        try:
            pending = self._database(platform)
        except Exception as error:
            checks["database"] = checks["migrations"] = "failed"
            reasons["database"] = _reason(error)
        else:
            checks["database"] = "ok"
            checks["migrations"] = "failed" if pending else "ok"
            if pending:
                detail["pending_migrations"] = pending
                reasons["migrations"] = f"{len(pending)} not applied: run `thongthin db upgrade`"
        try:
            self._blobs(platform.blobs)
            checks["blobs"] = "ok"
        except Exception as error:
            checks["blobs"] = "failed"
            reasons["blobs"] = _reason(error)
        self._log_changes(checks, reasons)
        return checks, detail

    def _database(self, platform: Any) -> list[str]:
        import asyncio

        from engine.services import operations

        async def check() -> list[str]:
            await operations.database_answers()
            return await operations.pending_migrations()

        async def bounded() -> list[str]:
            return await asyncio.wait_for(check(), READY_TIMEOUT)

        platform.runtime.loop  # noqa: B018 (starts the ORM loop, or raises why it cannot)
        # Bounded twice: the query by the loop, and the wait by this thread should the loop be stuck.
        try:
            return platform.runtime.submit(bounded()).result(timeout=READY_TIMEOUT + 1)
        except FutureTimeout:
            raise TimeoutError(f"no answer within {READY_TIMEOUT:g} s") from None

    def _blobs(self, blobs: Any) -> None:
        check = getattr(blobs, "check", None)
        if check is None:
            return
        with self._lock:
            if self._blob_check is None or self._blob_check.done():
                self._blob_check = self._blob_checks.submit(check)
            waiting = self._blob_check
        try:
            waiting.result(timeout=READY_TIMEOUT)
        except FutureTimeout:
            raise TimeoutError(f"no answer within {READY_TIMEOUT:g} s") from None

    def _log_changes(self, checks: dict[str, str], reasons: dict[str, str]) -> None:
        for name, state in checks.items():
            if self._last.get(name, "ok") != state:
                if state == "ok":
                    log.info("readiness: %s ok again", name)
                else:
                    log.warning("readiness: %s failed: %s", name, reasons.get(name, "see the database check"))
        self._last = dict(checks)


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"[:300]


# --- fingerprinted static files ----------------------------------------------------------------


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 16), b""):
            hasher.update(chunk)
    return hasher.hexdigest()[:12]


def fingerprint(folder: str | None, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256 (None when there is no such file)."""
    if not folder:
        return None
    root = Path(folder).resolve()
    path = (root / filename).resolve()
    if not path.is_relative_to(root):
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    return _digest(str(path), info.st_mtime_ns, info.st_size)


def _static_folder(endpoint: str) -> str | None:
    from flask import current_app

    name, _, view = endpoint.rpartition(".")
    if view != "static":
        return None
    owner: Any = current_app.blueprints.get(name) if name else current_app
    return getattr(owner, "static_folder", None)


def fingerprint_static(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for('….static', filename=…)`` adds ``v=<content hash>``: a changed file gets a new URL."""
    filename = values.get("filename")
    if not isinstance(filename, str) or "v" in values or not endpoint.endswith("static"):
        return
    version = fingerprint(_static_folder(endpoint), filename)
    if version:
        values["v"] = version


def cache_fingerprinted(response: Any) -> Any:
    """A static file asked for by its current fingerprint may be kept for a year."""
    endpoint = request.endpoint or ""
    if response.status_code not in (200, 304) or not endpoint.endswith("static"):
        return response
    asked = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    if asked and isinstance(filename, str) and asked == fingerprint(_static_folder(endpoint), filename):
        response.headers["Cache-Control"] = LONG_CACHE
        response.headers.pop("Expires", None)
    return response
