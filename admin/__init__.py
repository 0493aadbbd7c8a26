"""The back office: officers' desk and the municipality console.

Every page lives under ``/<tenant>/admin``. Before any view runs, :func:`load_officer`
resolves the tenant, requires a logged-in officer *of that tenant* (a session of another
municipality gets 403, whatever the rest of the URL says) and, for console pages, the
``admin`` role. Views are open only when marked :func:`public`, so a new route is
protected by default.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from engine.errors import ThongthinError, http_status
from engine.services import desk
from engine.services.roles import ADMIN_ROLE
from renderers.web import error_message_key
from thongthin.app import platform

blueprint = Blueprint("admin", __name__, url_prefix="/<tenant>/admin", template_folder="templates")
# Stylesheet and scripts of the back office, outside the tenant prefix so pages of every tenant share them.
assets = Blueprint("admin_assets", __name__, static_folder="static", static_url_path="/static/admin")

BLUEPRINTS = (blueprint, assets)

# Session keys: who is logged in, and to which tenant (checked on every request).
SESSION_USER = "officer_id"
SESSION_TENANT = "officer_tenant"

View = TypeVar("View", bound=Callable[..., Any])


def public(view: View) -> View:
    """Mark a view as reachable without logging in (the login page)."""
    view.admin_public = True  # type: ignore[attr-defined]
    return view


def admin_only(view: View) -> View:
    """Mark a view as part of the municipality console (role ``admin``)."""
    view.admin_only = True  # type: ignore[attr-defined]
    return view


def any_role(roles: frozenset[str]) -> Callable[[View], View]:
    """Open a page to officers holding one of ``roles``; anyone else gets 403."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not g.roles & roles:
                abort(403)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path of this tenant's back office, else None (no open redirects)."""
    # Control characters (a newline would split the Location header) and over-long targets never
    # come from our own links.
    if not target or len(target) > 2000 or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    prefix = f"/{g.tenant.slug}/admin/"
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix) or "\\" in target:
        return None
    return target


@blueprint.url_value_preprocessor
def pull_tenant(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.tenant_slug = (values or {}).pop("tenant", None)


@blueprint.url_defaults
def add_tenant(endpoint: str, values: dict[str, Any]) -> None:
    if "tenant" not in values and g.get("tenant_slug"):
        values["tenant"] = g.tenant_slug


@blueprint.before_request
def load_officer() -> Any:
    """Tenant, officer and roles of the request; redirects to login or refuses (403)."""
    view = current_app.view_functions.get(request.endpoint or "")
    public_page = view is None or getattr(view, "admin_public", False)
    user_id = None if public_page else session.get(SESSION_USER)
    # One call: the tenant, and the officer with their roles when someone is signed in to it.
    duty = platform().db(
        desk.on_duty(g.tenant_slug or "", user_id if session.get(SESSION_TENANT) is not None else None)
    )
    g.duty, g.tenant, g.user, g.roles = duty, duty.tenant, None, frozenset()
    if public_page:
        return None
    if user_id is None:
        return redirect(url_for("admin.login", next=request.full_path if request.method == "GET" else None))
    if session.get(SESSION_TENANT) != g.tenant.id:
        abort(403)  # logged in to another municipality: nothing of this one is theirs to see
    if duty.user is None:
        session.pop(SESSION_USER, None)  # the account was deactivated or removed meanwhile
        return redirect(url_for("admin.login"))
    g.user, g.roles = duty.user, duty.roles
    if getattr(view, "admin_only", False) and ADMIN_ROLE not in g.roles:
        abort(403)
    return None


@blueprint.context_processor
def admin_context() -> dict[str, Any]:
    tenant = g.get("tenant")
    language = g.get("language", "th")
    roles = platform().catalog.roles

    def role_title(role: str) -> str:
        spec = roles.get(role)
        return spec.title.get(language) if spec else role

    return {
        "tenant": tenant,
        "tenant_name": (tenant.name_en if language == "en" else tenant.name_th) if tenant else "",
        "officer": g.get("user"),
        "officer_roles": g.get("roles", frozenset()),
        "is_admin": ADMIN_ROLE in g.get("roles", frozenset()),
        "role_title": role_title,
    }


def _error_page(status: int) -> Any:
    key = error_message_key(status)
    return render_template("admin/error.html", message_key=key, status=status), status


@blueprint.errorhandler(ThongthinError)
def engine_error(error: ThongthinError) -> Any:
    """An error of the engine no view handled: the page its class's status calls for."""
    if g.get("tenant") is None:
        g.tenant_slug = None  # an unknown tenant: do not build links into it
    return _error_page(http_status(error))


@blueprint.errorhandler(403)
@blueprint.errorhandler(404)
def http_error(error: HTTPException) -> Any:
    return _error_page(error.code or 500)


from admin import api_key_views as api_key_views  # noqa: E402 (registers the API keys page)
from admin import auth_views, billing_views, console_views, desk_views, messaging_views, privacy_views  # noqa: E402, F401 (registers the views)
from admin import saraban_exchange_views as saraban_exchange_views  # noqa: E402 (letters between agencies)
from admin import saraban_views as saraban_views  # noqa: E402 (registers the correspondence pages)
from admin import setup_views as setup_views  # noqa: E402 (registers the set-up page)
from admin import signing_views as signing_views  # noqa: E402 (registers the signing keys page)
from admin import webhook_views as webhook_views  # noqa: E402 (registers the webhooks pages)
