"""The municipality console (role ``admin``): services, their local fees, officers and roles, the dashboard."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from admin import admin_only, blueprint
from admin.charts import Bar, bar_chart
from admin.parameters import forms as fee_forms
from admin.parameters import local_fees
from engine.definitions import ServiceDefinition
from engine.definitions.diff import diff
from engine.services import accounts, dashboard, desk, officers, tenants
from engine.services import local_fees as local_fees_service
from engine.services.errors import InvalidParameters
from engine.services.roles import NOT_FOR_OFFICERS
from engine.services.saraban import reports as saraban_reports
from renderers.back_office import ErrorItem, errors_by_field, flash_key
from renderers.web import current_language, translate
from thongthin.app import client_address, platform

USERNAME = officers.USERNAME
MIN_PASSWORD = accounts.MIN_PASSWORD_LENGTH


def _t(key: str, **values: str) -> str:
    return translate(key, current_language(), **values)


def _definition(service_id: str) -> ServiceDefinition:
    """A catalog service's newest version (by any node); raises UnknownService (shown as 404)."""
    platform().db(platform().load_published())  # versions another node published since
    return platform().catalog.get(service_id)


# --- services ---------------------------------------------------------------------------------


@blueprint.get("/console/services")
@admin_only
def console_services() -> Any:
    enabled = {e.service_id: e for e in platform().db(tenants.enabled_services(g.tenant))}
    platform().db(platform().load_published())  # versions another node published since
    rows = [(d, enabled.get(d.id), bool(local_fees(d))) for d in platform().catalog]
    return render_template("admin/console_services.html", rows=rows)


@blueprint.post("/console/services/<service_id>/enable")
@admin_only
def enable_service(service_id: str) -> Any:
    definition = _definition(service_id)
    current = platform().db(tenants.enabled_services(g.tenant))
    parameters = next((e.parameters for e in current if e.service_id == service_id), None)
    try:
        platform().db(tenants.enable_service(g.tenant, definition, parameters))
    except InvalidParameters:
        # The new version changed its fees: the old local rates must be looked at again first.
        flash_key(
            "admin.services.parameters_outdated", service=definition.service.title.get(current_language())
        )
        return redirect(url_for("admin.service_parameters", service_id=service_id))
    flash_key("admin.services.enabled", service=definition.service.title.get(current_language()))
    return redirect(url_for("admin.console_services"))


@blueprint.route("/console/services/<service_id>/upgrade", methods=["GET", "POST"])
@admin_only
def upgrade_service(service_id: str) -> Any:
    """Move an enabled service to a newer version, after a page that says what changes and what
    happens to the applications already under way (they finish under the version they began with)."""
    enabled = platform().db(tenants.enabled_service(g.tenant, service_id))  # 404 when not offered
    current = platform().definition(service_id, enabled.version)
    platform().db(platform().load_published())  # versions another node published since
    target = platform().definition(service_id, request.values.get("version") or None)
    if request.method == "POST":
        try:
            platform().db(tenants.enable_version(g.tenant, target))
        except InvalidParameters:
            flash_key(
                "admin.services.parameters_outdated", service=target.service.title.get(current_language())
            )
            return redirect(url_for("admin.service_parameters", service_id=service_id))
        flash_key(
            "admin.upgrade.done",
            service=target.service.title.get(current_language()),
            version=target.version,
            previous=current.version,
        )
        return redirect(url_for("admin.console_services"))
    open_count = platform().db(tenants.open_applications(g.tenant, service_id, version=current.version))
    return render_template(
        "admin/console_service_upgrade.html",
        current=current,
        target=target,
        changes=diff(current, target),
        open_count=open_count,
    )


@blueprint.post("/console/services/<service_id>/disable")
@admin_only
def disable_service(service_id: str) -> Any:
    """Close a public service, after a page that says what it means (citizens can no longer apply)."""
    definition = _definition(service_id)
    if request.form.get("confirm") != "yes":
        open_count = platform().db(tenants.open_applications(g.tenant, definition.id))
        return render_template(
            "admin/console_service_close.html", definition=definition, open_count=open_count
        )
    platform().db(tenants.disable_service(g.tenant, definition.id))
    flash_key("admin.services.disabled", service=definition.service.title.get(current_language()))
    return redirect(url_for("admin.console_services"))


@blueprint.route("/console/services/<service_id>", methods=["GET", "POST"])
@admin_only
def service_parameters(service_id: str) -> Any:
    """The municipality's own fee rates of an enabled service (only fees marked ``local``)."""
    enabled = platform().db(tenants.enabled_service(g.tenant, service_id))  # 404 when not offered
    definition = platform().definition(service_id, enabled.version)
    language = current_language()
    parameters = dict(enabled.parameters or {})
    if request.method == "POST":
        field_errors: dict[str, str] = {}
        problem = None
        try:
            platform().db(local_fees_service.set_local_fees(g.tenant, definition, parameters, request.form))
        except local_fees_service.LocalFeesInvalid as invalid:
            field_errors = invalid.errors
        except InvalidParameters as error:
            problem = str(error)
        else:
            flash_key("admin.params.saved")
            return redirect(url_for("admin.service_parameters", service_id=service_id))
        forms = fee_forms(definition, parameters, language, request.form, field_errors)
        errors = [
            ErrorItem(box.name, text=_t(box.error_key) + f" ({_t(box.label_key, **box.label_values)})")
            for form in forms
            for box in form.fields
            if box.error_key
        ]
        if problem:
            errors.append(ErrorItem("fees", text=problem))
        return render_template(
            "admin/console_parameters.html", definition=definition, forms=forms, errors=errors
        ), 422
    return render_template(
        "admin/console_parameters.html",
        definition=definition,
        forms=fee_forms(definition, parameters, language),
        errors=[],
    )


# --- officers ---------------------------------------------------------------------------------


def grantable_roles() -> list[str]:
    """``admin`` and the roles the enabled services' workflows name, by title."""
    enabled = platform().db(tenants.enabled_services(g.tenant))
    definitions = [platform().definition(e.service_id, e.version) for e in enabled]
    language = current_language()
    titles = {name: role.title.get(language) for name, role in platform().catalog.roles.items()}
    return officers.grantable_roles(definitions, titles)


@blueprint.route("/console/officers", methods=["GET", "POST"])
@admin_only
def console_officers() -> Any:
    """Every officer with their roles, and the form to add one."""
    roles = grantable_roles()
    errors: list[ErrorItem] = []
    posted: dict[str, Any] = {"username": "", "display_name": "", "roles": []}
    if request.method == "POST":
        username = request.form.get("username", "").strip().lower()
        display_name = request.form.get("display_name", "").strip()
        password = request.form.get("password", "")
        wanted = [r for r in request.form.getlist("roles") if r in roles]
        posted = {"username": username, "display_name": display_name, "roles": wanted}
        try:
            platform().db(officers.add_officer(g.tenant, username, display_name, password, wanted))
        except officers.OfficerInvalid as invalid:
            errors = [ErrorItem(p.field, p.key) for p in invalid.problems]
        else:
            flash_key("admin.officers.created", username=username)
            return redirect(url_for("admin.console_officers"))
    return render_template(
        "admin/console_officers.html",
        officers=platform().db(desk.officers(g.tenant)),
        roles=roles,
        posted=posted,
        errors=errors,
        field_errors=errors_by_field(errors),
        min_password=MIN_PASSWORD,
    ), (422 if errors else 200)


@blueprint.route("/console/officers/<int:user_id>", methods=["GET", "POST"])
@admin_only
def officer_roles(user_id: int) -> Any:
    """Grant and revoke the roles of one officer of this municipality."""
    user = platform().db(desk.officer(g.tenant, user_id))  # another tenant's user: 404
    roles = grantable_roles()
    errors: list[ErrorItem] = []
    if request.method == "POST":
        wanted = set(request.form.getlist("roles"))
        try:
            platform().db(officers.set_officer_roles(g.user, user, wanted, roles))
        except officers.OfficerInvalid as invalid:
            errors = [ErrorItem(p.field, p.key) for p in invalid.problems]
        else:
            flash_key("admin.officers.saved", username=user.username)
            return redirect(url_for("admin.officer_roles", user_id=user.id))
    held = platform().db(accounts.roles_of(user))
    # Roles of services no longer offered stay listed while the officer holds them, so they can be revoked.
    shown = roles + sorted(held - set(roles) - NOT_FOR_OFFICERS)
    return render_template(
        "admin/console_officer.html",
        person=user,
        roles=shown,
        held=held,
        errors=errors,
        events=platform().db(accounts.events_of(user)),
        min_password=MIN_PASSWORD,
    ), (422 if errors else 200)


@blueprint.post("/console/officers/<int:user_id>/account")
@admin_only
def officer_account(user_id: int) -> Any:
    """Deactivate or reactivate an officer, reset their password, turn their two-factor login off."""
    user = platform().db(desk.officer(g.tenant, user_id))
    action = request.form.get("action", "")
    if action in officers.ACCOUNT_ACTIONS:
        try:
            done = platform().db(
                officers.change_account(
                    g.user, user, action, password=request.form.get("password", ""), address=client_address()
                )
            )
        except officers.OfficerInvalid as invalid:
            flash_key(invalid.problems[0].key)
        else:
            flash_key(done, username=user.username)
    return redirect(url_for("admin.officer_roles", user_id=user.id))


# --- dashboard --------------------------------------------------------------------------------


@blueprint.get("/console/dashboard")
@admin_only
def console_dashboard() -> Any:
    language = current_language()
    catalog = platform().catalog
    report = platform().db(dashboard.dashboard(g.tenant, list(catalog)))

    def title(service_id: str) -> str:
        definition = catalog.newest(service_id)
        return definition.service.title.get(language) if definition else service_id

    def state_name(service_id: str, state: str) -> str:
        definition = catalog.newest(service_id)
        spec = definition.workflow.states.get(state) if definition else None
        return spec.title.get(language) if spec else state

    chart = bar_chart(
        [Bar(s.service_id, title(s.service_id), s.total) for s in report.services],
        _t("admin.dashboard.chart.title"),
        _t("admin.dashboard.chart.desc"),
        chart_id="per-service",
    )
    return render_template(
        "admin/console_dashboard.html",
        saraban_workload=platform().db(saraban_reports.workload(g.tenant)),
        report=report,
        chart=chart,
        title=title,
        state_name=state_name,
    )


# --- the municipality's own details -------------------------------------------------------------


@blueprint.route("/console/details", methods=["GET", "POST"])
@admin_only
def console_details() -> Any:
    """Names, office address and phone, letter code, digits, and the seal printed on documents."""
    from engine.services import tenant_details

    errors: list[ErrorItem] = []
    details = tenant_details.details_of(g.tenant)
    if request.method == "POST":
        details = tenant_details.details_given(
            request.form, thai_numerals=request.form.get("thai_numerals") == "yes"
        )
        try:
            platform().db(tenant_details.update_details(g.tenant, details))
        except tenant_details.DetailsInvalid as invalid:
            language = current_language()
            errors = [
                ErrorItem(p.field, text=p.message_en if language == "en" else p.message_th)
                for p in invalid.problems
            ]
        else:
            flash_key("admin.details.saved")
            return redirect(url_for("admin.console_details"))
    status = 422 if errors else 200
    return render_template("admin/console_details.html", details=details, errors=errors), status


@blueprint.post("/console/details/seal")
@admin_only
def console_seal() -> Any:
    from engine.services import tenant_details

    sent = request.files.get("seal")
    content = sent.read(tenant_details.MAX_LOGO_BYTES + 1) if sent else b""
    try:
        platform().db(
            tenant_details.set_logo(
                g.tenant, content, (sent.filename or "") if sent else "", platform().blobs
            )
        )
    except tenant_details.UploadRejected as rejected:
        errors = [ErrorItem("seal", text=rejected.message(current_language()))]
        details = tenant_details.details_of(g.tenant)
        return render_template("admin/console_details.html", details=details, errors=errors), 422
    flash_key("admin.details.seal_saved")
    return redirect(url_for("admin.console_details"))
