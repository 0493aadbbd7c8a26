"""The console's API keys page (role ``admin``): keys for machine clients, made, listed and revoked."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from admin import admin_only, blueprint
from engine.services import api_keys
from renderers.back_office import ErrorItem, errors_by_field, flash_key
from thongthin.app import platform


def _page(**values: Any) -> str:
    return render_template(
        "admin/console_api_keys.html",
        keys=platform().db(api_keys.list_keys(g.tenant)),
        scopes=api_keys.SCOPES,
        max_name=api_keys.MAX_NAME,
        **values,
    )


@blueprint.route("/console/api-keys", methods=["GET", "POST"])
@admin_only
def console_api_keys() -> Any:
    """The municipality's keys, and the form to make one; a new key's secret is shown once, here."""
    errors: list[ErrorItem] = []
    posted: dict[str, Any] = {"name": "", "scopes": []}
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        wanted = [s for s in request.form.getlist("scopes") if s in api_keys.SCOPES]
        posted = {"name": name, "scopes": wanted}
        if not name or len(name) > api_keys.MAX_NAME:
            errors.append(ErrorItem("name", "admin.api_keys.error.name"))
        if not wanted:
            errors.append(ErrorItem("scopes", "admin.api_keys.error.scopes"))
        if not errors:
            key, secret = platform().db(api_keys.create(g.tenant, name, wanted, created_by=g.user))
            return _page(
                created=key, secret=secret, posted={"name": "", "scopes": []}, errors=[], field_errors={}
            )
    page = _page(
        created=None, secret=None, posted=posted, errors=errors, field_errors=errors_by_field(errors)
    )
    return page, (422 if errors else 200)


@blueprint.post("/console/api-keys/<int:key_id>/revoke")
@admin_only
def revoke_api_key(key_id: int) -> Any:
    key = platform().db(api_keys.revoke(g.tenant, key_id))
    flash_key("admin.api_keys.revoked", name=key.name)
    return redirect(url_for("admin.console_api_keys"))
