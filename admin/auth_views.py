"""Logging in and out, and turning on two-factor login (TOTP)."""

from __future__ import annotations

from typing import Any

import segno
from flask import g, redirect, render_template, request, session, url_for

from admin import SESSION_TENANT, SESSION_USER, blueprint, public, safe_next
from engine.services import accounts, desk
from engine.services.errors import AuthenticationFailed, WeakPassword
from engine.services.throttle import TooManyAttempts
from renderers.back_office import ErrorItem, errors_by_field, flash_key
from renderers.web import current_language, thai_date, translate
from thongthin.app import client_address, platform

TOTP_PENDING = "totp_pending"  # the secret shown on the setup page until a code confirms it


def _fresh_session(**values: Any) -> None:
    """A new session (against fixation) that keeps only the chosen language."""
    language = session.get("lang")
    regenerate = getattr(session, "regenerate", None)
    if regenerate is not None:
        regenerate()
    session.clear()
    if language:
        session["lang"] = language
    session.update(values)


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    username = request.form.get("username", "").strip()
    errors: list[ErrorItem] = []
    next_url = safe_next(request.values.get("next"))
    if request.method == "POST":
        password = request.form.get("password", "")
        code = request.form.get("code", "").strip() or None
        if not username:
            errors.append(ErrorItem("username", "admin.login.error.username"))
        if not password:
            errors.append(ErrorItem("password", "admin.login.error.password"))
        if not errors:
            try:
                user = platform().db(
                    accounts.authenticate(g.tenant.slug, username, password, code, address=client_address())
                )
            except AuthenticationFailed:
                errors.append(ErrorItem("username", "admin.login.error.failed"))
            except TooManyAttempts as refused:
                message = translate(
                    "admin.login.error.throttled", current_language(), minutes=str(refused.minutes)
                )
                errors.append(ErrorItem("username", text=message))
            else:
                _fresh_session(**{SESSION_USER: user.id, SESSION_TENANT: g.tenant.id})
                for lockout in platform().db(accounts.unseen_lockouts(user)):
                    flash_key("admin.account.locked_notice", when=thai_date(lockout.at, with_time=True))
                return redirect(next_url or url_for("admin.inbox"))
    status = 401 if errors and request.method == "POST" else 200
    return render_template("admin/login.html", username=username, errors=errors, next_url=next_url), status


@blueprint.post("/logout")
def logout() -> Any:
    _fresh_session()
    flash_key("admin.logout.done")
    return redirect(url_for("admin.login"))


@blueprint.route("/account/password", methods=["GET", "POST"])
def change_password() -> Any:
    """The officer changes their own password; every session and token of theirs ends, this one too."""
    errors: list[ErrorItem] = []
    if request.method == "POST":
        current, new = request.form.get("current", ""), request.form.get("new", "")
        if new != request.form.get("again", ""):
            errors.append(ErrorItem("again", "admin.account.error.again"))
        else:
            try:
                platform().db(accounts.change_own_password(g.user, current, new, address=client_address()))
            except AuthenticationFailed:
                errors.append(ErrorItem("current", "admin.account.error.current"))
            except WeakPassword as weak:
                errors.extend(ErrorItem("new", f"admin.{reason}") for reason in weak.reasons)
            else:
                _fresh_session()
                flash_key("admin.account.changed")
                return redirect(url_for("admin.login"))
    return render_template(
        "admin/account_password.html",
        errors=errors,
        field_errors=errors_by_field(errors),
        min_password=accounts.MIN_PASSWORD_LENGTH,
    ), (422 if errors else 200)


@blueprint.route("/account/two-factor", methods=["GET", "POST"])
def two_factor() -> Any:
    """Show a new secret (and its QR code), turn two-factor login on once a code confirms it."""
    user = g.user
    errors: list[ErrorItem] = []
    if user.totp_secret:
        return render_template("admin/two_factor.html", enabled=True, errors=errors)
    secret = session.get(TOTP_PENDING)
    if request.method == "POST" and secret:
        code = request.form.get("code", "")
        if platform().db(desk.confirm_totp(user, secret, code)):
            session.pop(TOTP_PENDING, None)
            flash_key("admin.totp.enabled")
            return redirect(url_for("admin.two_factor"))
        errors.append(ErrorItem("code", "admin.totp.error.code"))
    if not secret:
        secret = session[TOTP_PENDING] = desk.new_totp_secret()
    uri = desk.totp_uri(secret, user.username, f"Thongthin {g.tenant.slug}")
    # An image in a data: URI (the policy allows those), so the secret never leaves this response.
    qr = segno.make(uri, error="m").svg_data_uri(scale=4)
    status = 422 if errors else 200
    return render_template(
        "admin/two_factor.html", enabled=False, secret=secret, uri=uri, qr=qr, errors=errors
    ), status
