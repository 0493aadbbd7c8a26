"""The studio (``/studio/``): where the national operator's analysts author and publish the catalog.

Every page needs an operator's login (:mod:`engine.services.operators`); views are closed
unless marked :func:`public`. Pages are server-rendered forms: every edit works without
JavaScript, and each one goes through :mod:`engine.services.studio`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for

from engine.errors import ThongthinError, http_status
from engine.services import operators
from engine.store.models import User
from renderers.web import error_message_key
from thongthin.app import platform

blueprint = Blueprint(
    "studio", __name__, url_prefix="/studio", template_folder="templates", static_folder="static"
)
BLUEPRINTS = (blueprint,)
SESSION_OPERATOR = "operator_id"

View = TypeVar("View", bound=Callable[..., Any])


def public(view: View) -> View:
    view.studio_public = True  # type: ignore[attr-defined]
    return view


async def _operator(user_id: int) -> User | None:
    user = await User.get_or_none(id=user_id, active=True)
    return user if user is not None and await operators.is_operator(user) else None


@blueprint.before_request
def load_operator() -> Any:
    g.operator = None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "studio_public", False):
        return None
    user_id = session.get(SESSION_OPERATOR)
    if user_id is None:
        return redirect(url_for("studio.login", next=request.full_path if request.method == "GET" else None))
    g.operator = platform().db(_operator(user_id))
    if g.operator is None:
        session.pop(SESSION_OPERATOR, None)
        abort(403)
    return None


@blueprint.errorhandler(ThongthinError)
def engine_error(error: ThongthinError) -> Any:
    """An error of the engine no view handled (a draft that does not exist, …): its status's page."""
    status = http_status(error)
    return render_template("error.html", status=status, message_key=error_message_key(status)), status


from studio import views  # noqa: E402, F401 (the routes)
