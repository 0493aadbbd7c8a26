"""A new administrator chooses a password through the one-time link the national operator gave them."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from admin import blueprint, public
from engine.services import accounts, onboarding
from engine.services.errors import WeakPassword
from renderers.back_office import ErrorItem, errors_by_field, flash_key
from thongthin.app import client_address, platform

# Why a link cannot be used, as the page says it, and the status it is answered with.
_INVALID: dict[type[onboarding.SetupTokenInvalid], tuple[str, int]] = {
    onboarding.SetupTokenUnknown: ("admin.setup.invalid.unknown", 404),
    onboarding.SetupTokenExpired: ("admin.setup.invalid.expired", 410),
    onboarding.SetupTokenUsed: ("admin.setup.invalid.used", 410),
}


def _refused(error: onboarding.SetupTokenInvalid) -> Any:
    key, status = _INVALID.get(type(error), ("admin.setup.invalid.unknown", 404))
    return _no_store(render_template("admin/setup.html", invalid_key=key, errors=[]), status)


def _no_store(body: str, status: int) -> Any:
    # The page's address is the secret itself: no cache may keep it or the page.
    return body, status, {"Cache-Control": "no-store"}


@blueprint.route("/setup/<token>", methods=["GET", "POST"])
@public
def setup(token: str) -> Any:
    """Show the account the link is for and take its password; the link is used up when it is set."""
    try:
        user = platform().db(onboarding.setup_token_user(token, tenant=g.tenant))
    except onboarding.SetupTokenInvalid as error:
        return _refused(error)
    errors: list[ErrorItem] = []
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("again", ""):
            errors.append(ErrorItem("again", "admin.setup.error.again"))
        else:
            try:
                platform().db(
                    onboarding.use_setup_token(token, password, tenant=g.tenant, address=client_address())
                )
            except WeakPassword as weak:
                errors.extend(ErrorItem("password", f"admin.{reason}") for reason in weak.reasons)
            except onboarding.SetupTokenInvalid as error:  # used or expired since the page was shown
                return _refused(error)
            else:
                flash_key("admin.setup.done")
                return redirect(url_for("admin.login"))
    page = render_template(
        "admin/setup.html",
        invalid_key=None,
        username=user.username,
        token=token,
        errors=errors,
        field_errors=errors_by_field(errors),
        min_password=accounts.MIN_PASSWORD_LENGTH,
    )
    return _no_store(page, 422 if errors else 200)
