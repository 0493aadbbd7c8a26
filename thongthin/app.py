"""The composition root: ``create_app`` wires settings, the ORM runtime, the catalog and the blueprints."""

from __future__ import annotations

import gzip
import ipaddress
from collections.abc import Callable, Coroutine
from functools import lru_cache
from typing import Any

from flask import Flask, abort, current_app, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.store.bounds import MAX_INTEGER_KEY
from thongthin.platform import Platform
from thongthin.settings import Settings, tile_origin

csrf = CSRFProtect()


# Our pages need no inline script or style, so the policy can forbid them.
def content_security_policy(settings: Settings) -> str:
    tiles = tile_origin(settings.tile_url)
    return (
        f"default-src 'self'; img-src 'self' data:{' ' + tiles if tiles else ''}; "
        "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


# Text worth compressing for phones on slow networks (Leaflet's script is 147 kB, 42 kB gzipped);
# PDFs and images are compressed already.
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    }
)
# Smaller bodies gain less than gzip's own overhead and the time it takes.
COMPRESS_FROM = 1024


class ThongthinFlask(Flask):
    """Flask whose async views run on the ORM's loop thread instead of a fresh loop per request."""

    def async_to_sync(self, func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
        runtime = self.extensions["thongthin"].runtime

        def run(*args: Any, **kwargs: Any) -> Any:
            return runtime.run(func(*args, **kwargs))

        return run


def app_settings() -> Settings:
    """The settings the current app was created with."""
    return current_app.extensions["thongthin.settings"]


def platform() -> Platform:
    """The platform of the current app (inside a request or app context)."""
    return current_app.extensions["thongthin"]


def client_address() -> str:
    """Where the request came from, as limits count it (proxies named by ``THONGTHIN_TRUSTED_PROXIES`` seen through).

    An IPv6 client is counted by its /64 network: one subscriber gets a whole /64 and could
    otherwise take a fresh address for every try.
    """
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _has_nul(values: Any) -> bool:
    return any("\x00" in value for value in values)


def refuse_impossible_input() -> None:
    """400 for a NUL character anywhere in the path, the query or the form; 404 for integer IDs
    no row can have.

    No page or field of ours takes a NUL (PostgreSQL cannot even store one in text), and an
    integer beyond the columns' range names nothing: refusing both here keeps every view from
    having to.
    """
    if "\x00" in request.path or _has_nul(request.args.values()):
        abort(400)
    if request.view_args and any(
        isinstance(value, int) and not 0 <= value <= MAX_INTEGER_KEY for value in request.view_args.values()
    ):
        abort(404)
    if (
        request.method == "POST"
        and request.mimetype
        in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
        and _has_nul(request.form.values())
    ):
        abort(400)


def _allow(response: Any) -> None:
    """Name the methods a URL takes on a 405, whoever rendered the page (RFC 9110)."""
    from werkzeug.exceptions import MethodNotAllowed

    error = request.routing_exception
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))


def create_app(settings: Settings | None = None, *, platform_: Platform | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = ThongthinFlask(__name__, static_folder=None)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_AS_ASCII=False,
        # Form posts (not files): a page of answers is a few kilobytes and a few dozen fields.
        MAX_FORM_MEMORY_SIZE=settings.max_form_bytes,
        MAX_FORM_PARTS=settings.max_form_parts,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["thongthin"] = platform_ or Platform.create(settings)
    # This app's own settings (several apps may share one platform, e.g. in tests).
    app.extensions["thongthin.settings"] = settings
    from thongthin.sessions import ServerSessionInterface

    app.session_interface = ServerSessionInterface()
    if settings.trusted_proxies:
        proxies = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    csrf.init_app(app)

    import admin
    import api
    import portal
    import studio
    from renderers import web

    web.init_app(app)
    app.register_blueprint(api.blueprint)
    csrf.exempt(api.blueprint)
    api.register_error_handlers(app)
    for blueprint in (*portal.BLUEPRINTS, *admin.BLUEPRINTS, *studio.BLUEPRINTS):
        app.register_blueprint(blueprint)

    app.before_request(refuse_impossible_input)

    policy = content_security_policy(settings)

    @app.after_request
    def security_headers(response: Any) -> Any:
        if response.status_code == 405 and "Allow" not in response.headers:
            _allow(response)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return compressed(response)

    from thongthin import observability

    observability.install(app, settings)
    return app


@lru_cache(maxsize=64)
def _gzipped(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=9, mtime=0)


def compressed(response: Any) -> Any:
    """Text gzipped for clients that take it: static files once, then from memory; pages and JSON
    as they are made.

    A page is not compressed for a request another site started (``Sec-Fetch-Site: cross-site``):
    with our CSRF tokens in it, its compressed size must not be something another site can probe.
    """
    if (
        response.status_code in (204, 206, 304)
        or response.status_code < 200
        or response.mimetype not in COMPRESSIBLE
        or "Content-Encoding" in response.headers
        or (response.is_streamed and not response.direct_passthrough)
        or (response.content_length or 0) < COMPRESS_FROM
    ):
        return response
    response.vary.add("Accept-Encoding")
    # Only the shipped assets are kept compressed in memory: downloads may hold personal data.
    static = (request.endpoint or "").endswith(".static")
    if not request.accept_encodings["gzip"] or (
        not static and request.headers.get("Sec-Fetch-Site") == "cross-site"
    ):
        return response
    response.direct_passthrough = False
    body = response.get_data()
    response.set_data(_gzipped(body) if static else gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    if response.get_etag()[0]:
        response.set_etag(response.get_etag()[0] + "-gz")
    return response
