"""Personal data requests in the console: who looked at a citizen's data (PDPA section 30)."""

from __future__ import annotations

from typing import Any

from flask import abort, g, render_template, request

from admin import any_role, blueprint
from engine.services import access_log, data_requests
from engine.services.roles import PRIVACY_ROLES
from renderers.back_office import ErrorItem, errors_by_field
from renderers.web import download
from thongthin.app import client_address, platform

privacy = any_role(PRIVACY_ROLES)


@blueprint.route("/console/privacy", methods=["GET", "POST"])
@privacy
def who_looked() -> Any:
    """A citizen's applications and every officer's look at them, found by national ID.

    The ID is posted, never put in the URL: addresses end up in logs and browser histories.
    """
    errors: list[ErrorItem] = []
    references: list[str] = []
    looks: list[access_log.Look] = []
    searched = False
    if request.method == "POST":
        try:
            national_id = data_requests.subject_id(request.form.get("national_id", ""))
        except data_requests.InvalidNationalId:
            errors.append(ErrorItem("national_id", "admin.privacy.error.national_id"))
        else:
            searched = True
            references, looks = platform().db(access_log.who_looked(g.tenant, national_id))
            return _page(errors, references, looks, searched, national_id)
    return _page(errors, references, looks, searched)


def _posted_national_id() -> str:
    try:
        return data_requests.subject_id(request.form.get("national_id", ""))
    except data_requests.InvalidNationalId:
        abort(400)


@blueprint.post("/console/privacy/export")
@privacy
def export_subject() -> Any:
    """Everything held about the person as a zip (applications.json and the attached files)."""
    national_id = _posted_national_id()
    content, _ = platform().db(
        data_requests.export(g.tenant, national_id, g.user, blobs=platform().blobs, address=client_address())
    )
    return download(content, f"personal-data-{g.tenant.slug}.zip", "application/zip")


@blueprint.post("/console/privacy/erase")
@privacy
def erase_subject() -> Any:
    """Anonymise what is past retention, once the officer has confirmed the list; the page then
    says what was erased and why the rest is kept.

    The first post (the button on the search page) only shows what would be erased: an erasure
    cannot be undone.
    """
    national_id = _posted_national_id()
    if request.form.get("confirmed") != "yes":
        plan = platform().db(
            data_requests.erasure_plan(g.tenant, national_id, definition_of=platform().definition)
        )
        return render_template("admin/privacy_erase.html", plan=plan, national_id=national_id)
    erasure = platform().db(
        data_requests.erase(
            g.tenant, national_id, g.user, blobs=platform().blobs, definition_of=platform().definition
        )
    )
    references, looks = platform().db(access_log.who_looked(g.tenant, national_id))
    return _page([], references, looks, True, national_id, erasure)


def _page(
    errors: list[ErrorItem],
    references: list[str],
    looks: list[access_log.Look],
    searched: bool,
    national_id: str = "",
    erasure: data_requests.Erasure | None = None,
) -> Any:
    return render_template(
        "admin/privacy.html",
        national_id=national_id,
        erasure=erasure,
        errors=errors,
        field_errors=errors_by_field(errors),
        references=references,
        looks=looks,
        searched=searched,
    ), (422 if errors else 200)
