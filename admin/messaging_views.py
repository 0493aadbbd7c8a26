"""Messages from the back office: the municipality's LINE Official Account, and how each officer is told.

The console page (role ``admin``) connects the Official Account: the channel secret and
access token from the LINE Developers console are stored sealed and never shown again, and
the page gives the webhook address to paste back there. Each officer chooses the e-mail
address that role notifications and the daily digest go to.
"""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from admin import admin_only, blueprint
from engine.services import line, officers
from renderers.back_office import ErrorItem, errors_by_field, flash_key
from thongthin.app import platform
from thongthin.runners import public_url

EMAIL = officers.EMAIL


def _webhook_url() -> str:
    return line.webhook_url(public_url(platform()), g.tenant)


@blueprint.route("/console/line", methods=["GET", "POST"])
@admin_only
def console_line() -> Any:
    """Connect (or reconnect) the municipality's LINE Official Account; the office's phone for its answers."""
    key = platform().settings.secret_key
    errors: list[ErrorItem] = []
    given = {name: request.form.get(name, "").strip() for name in ("secret", "token", "basic_id", "phone")}
    if request.method == "POST":
        try:
            platform().db(
                line.configure(
                    g.tenant,
                    key,
                    secret=given["secret"],
                    token=given["token"],
                    basic_id=given["basic_id"],
                    phone=given["phone"],
                )
            )
        except line.LineSettingsInvalid as invalid:
            errors = [ErrorItem(p.field, f"admin.line.error.{p.field}") for p in invalid.problems]
        else:
            flash_key("admin.line.saved")
            return redirect(url_for("admin.console_line"))
    account = line.account_of(g.tenant, key)
    return render_template(
        "admin/console_line.html",
        account=account,
        phone=(g.tenant.settings or {}).get("phone", ""),
        webhook_url=_webhook_url(),
        given=given,
        errors=errors,
        field_errors=errors_by_field(errors),
    ), (422 if errors else 200)


@blueprint.post("/console/line/disconnect")
@admin_only
def console_line_disconnect() -> Any:
    platform().db(line.disconnect(g.tenant))
    flash_key("admin.line.disconnected")
    return redirect(url_for("admin.console_line"))


@blueprint.route("/account/notifications", methods=["GET", "POST"])
def account_notifications() -> Any:
    """Where this officer is told of work: an e-mail address, and whether to get the daily digest."""
    user = g.user
    errors: list[ErrorItem] = []
    email = request.form.get("email", user.email).strip()
    digest = request.form.get("digest", user.digest)
    if request.method == "POST":
        try:
            platform().db(officers.set_notifications(user, email=email, digest=digest))
        except officers.OfficerInvalid as invalid:
            # The digest's message links to its first choice, the element with an id.
            errors = [
                ErrorItem("digest-email" if p.field == "digest" else p.field, p.key) for p in invalid.problems
            ]
        else:
            flash_key("admin.notifications.saved")
            return redirect(url_for("admin.account_notifications"))
    return render_template(
        "admin/account_notifications.html",
        email=email,
        digest=digest,
        errors=errors,
        field_errors=errors_by_field(errors),
    ), (422 if errors else 200)
