"""The console's fees and payments: billing runs, payment settings, statements, review, reports.

Billing runs, payment settings and reports are for the console's ``admin``; the finance
officer also imports bank statements and resolves the payments that need a person. Pages
name a run or a payment by a query parameter (``?period=``, ``?id=``); everything is
looked up within ``g.tenant``, so another municipality's payment is simply not found.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for

from admin import admin_only, any_role, blueprint
from admin.charts import BarGroup, grouped_bar_chart
from admin.desk_views import service_title
from engine.definitions import ServiceDefinition
from engine.services import billing, billing_reports, payments, statements, tenants
from engine.services import billing_runs as runs
from engine.services.roles import ADMIN_ROLE, FINANCE_ROLES
from engine.store.bounds import could_be_integer_key
from renderers.back_office import ErrorItem, errors_by_field, flash_key
from renderers.statements import problem_text
from renderers.web import current_language, translate
from thongthin.app import platform
from thongthin.runners import payment_notify_url


def _t(key: str, **values: str) -> str:
    return translate(key, current_language(), **values)


# The console's admin and finance officers; anyone else gets 403.
finance = any_role(FINANCE_ROLES)


# --- how fees read on screen ------------------------------------------------------------------


def money(value: Decimal | float | int | None) -> str:
    """``1250`` -> ``1,250.00`` (baht)."""
    return f"{Decimal(str(value or 0)):,.2f}"


def period_name(period: str) -> str:
    """``2569-01`` -> ``มกราคม 2569`` (the period itself when it is not one)."""
    try:
        return billing.period_title(period, current_language())
    except billing.InvalidPeriod:
        return period


def class_title(service_id: str, rate_class: str) -> str:
    """A rate class by the name the ordinance and citizens use, in the page's language."""
    return billing.class_title(platform().catalog.newest(service_id), rate_class, current_language())


def _render(template: str, status: int = 200, **values: Any) -> Any:
    helpers = {
        "money": money,
        "period_name": period_name,
        "service_title": service_title,
        "class_title": class_title,
        "is_finance": bool(g.roles & FINANCE_ROLES),
        "can_configure": ADMIN_ROLE in g.roles,
    }
    return render_template(template, **helpers, **values), status


# --- billing runs -----------------------------------------------------------------------------


def _recurring_services() -> list[ServiceDefinition]:
    """Enabled services that bill accounts every month or year with rates the municipality sets."""
    enabled = platform().db(tenants.enabled_services(g.tenant))
    found = []
    for service in enabled:
        definition = platform().definition(service.service_id, service.version)
        if any(f.local and f.period in ("monthly", "yearly") for f in definition.service.fees):
            found.append(definition)
    return found


@blueprint.route("/console/billing", methods=["GET", "POST"])
@admin_only
def billing_runs() -> Any:
    """The billing runs, and the button that bills every active account for a month."""
    offered = runs.offered_periods()
    errors: list[ErrorItem] = []
    chosen = offered[0]
    if request.method == "POST":
        chosen = request.form.get("period", "").strip()
        try:
            platform().db(runs.start_billing_run(g.tenant, chosen))
        except billing.InvalidPeriod:
            errors.append(ErrorItem("period", "admin.billing.error.period"))
        else:
            flash_key("admin.billing.queued", period=period_name(chosen))
            return redirect(url_for("admin.billing_run", period=chosen))
    return _render(
        "admin/billing.html",
        422 if errors else 200,
        runs=platform().db(billing_reports.billing_runs(g.tenant)),
        rate_services=_recurring_services(),
        offered=offered,
        chosen=chosen,
        errors=errors,
        field_errors=errors_by_field(errors),
    )


@blueprint.get("/console/billing/run")
@admin_only
def billing_run() -> Any:
    """One period's run: a progress bar that refreshes itself while the worker bills."""
    period = request.args.get("period", "")
    try:
        billing.parse_period(period)
    except billing.InvalidPeriod:
        abort(404)
    run = platform().db(billing_reports.billing_run(g.tenant, period))
    return _render("admin/billing_run.html", run=run, working=run.status in ("queued", "running"))


# --- payment settings -------------------------------------------------------------------------


def _settings_page(status: int = 200, **values: Any) -> Any:
    tenant = g.tenant
    return _render(
        "admin/billing_settings.html",
        status,
        biller_id=tenant.settings.get(billing.BILLER_SETTING, ""),
        demo_biller=billing.DEMO_BILLER_ID,
        has_secret=payments.tenant_secret(tenant) is not None,
        notify_url=payment_notify_url(platform()),
        **values,
    )


@blueprint.route("/console/billing/settings", methods=["GET", "POST"])
@admin_only
def payment_settings() -> Any:
    """The PromptPay biller ID printed in every QR, and whether notifications have a secret."""
    errors: list[ErrorItem] = []
    posted = ""
    if request.method == "POST":
        posted = request.form.get("biller_id", "").strip()
        try:
            platform().db(billing.set_biller_id(g.tenant, posted))
        except billing.InvalidBillerId:
            errors.append(ErrorItem("biller_id", "admin.settings.error.biller_id"))
        else:
            flash_key("admin.settings.saved")
            return redirect(url_for("admin.payment_settings"))
    return _settings_page(
        422 if errors else 200, errors=errors, field_errors=errors_by_field(errors), posted=posted
    )


@blueprint.post("/console/billing/settings/secret")
@admin_only
def rotate_payment_secret() -> Any:
    """A new notification secret, shown on this response only (a reload would post again)."""
    secret = platform().db(payments.rotate_secret(g.tenant))
    response, status = _render(
        "admin/billing_secret.html", secret=secret, notify_url=payment_notify_url(platform())
    )
    return response, status, {"Cache-Control": "no-store"}


# --- bank statements --------------------------------------------------------------------------


def _problem_items(error: statements.StatementError) -> list[ErrorItem]:
    items = [
        ErrorItem("statement", text=problem_text(p, current_language()))
        for p in error.details[: statements.PROBLEMS_SHOWN]
    ]
    hidden = len(error.details) - statements.PROBLEMS_SHOWN
    if hidden > 0:
        items.append(ErrorItem("statement", text=_t("admin.statement.problem.more", n=f"{hidden:,}")))
    return items


@blueprint.route("/console/payments/statements", methods=["GET", "POST"])
@finance
def statement_import() -> Any:
    """Upload a bank statement (CSV); show what each row became, or every problem of the file."""
    errors: list[ErrorItem] = []
    if request.method == "POST":
        upload = request.files.get("statement")
        if upload is None or not upload.filename:
            errors.append(ErrorItem("statement", "admin.statement.error.no_file"))
        else:
            filename = statements.upload_filename(upload.filename)
            # One byte more than allowed is enough to know it is too large.
            content = upload.stream.read(statements.MAX_BYTES + 1)
            try:
                record = platform().db(
                    statements.queue_statement(g.tenant, filename, content, g.user, platform().blobs)
                )
            except statements.StatementError as error:
                errors = _problem_items(error)
            else:
                return redirect(url_for("admin.statement_result", id=record.id))
    return _render(
        "admin/payments_statement.html",
        422 if errors else 200,
        errors=errors,
        imports=platform().db(statements.recent_imports(g.tenant)),
        max_mb=str(statements.MAX_BYTES // 2**20),
        max_rows=f"{statements.MAX_ROWS:,}",
    )


@blueprint.get("/console/payments/statements/result")
@finance
def statement_result() -> Any:
    """What became of each row of an import; while the worker records it, a progress bar that refreshes."""
    statement_id = request.args.get("id", type=int)
    if not could_be_integer_key(statement_id):
        abort(404)
    result = platform().db(statements.statement_result(g.tenant, statement_id))
    return _render("admin/payments_statement_result.html", result=result, working=not result.finished)


# --- payments to review -----------------------------------------------------------------------


@blueprint.get("/console/payments")
@finance
def payments_review() -> Any:
    """Held, underpaid and overpaid payments, newest first."""
    return _render("admin/payments.html", review=platform().db(payments.needing_review(g.tenant)))


def _payment_id() -> int:
    text = request.args.get("id", "")
    if not text.isdigit() or len(text) > 12:
        abort(404)
    return int(text)


@blueprint.route("/console/payments/payment", methods=["GET", "POST"])
@finance
def payment_review() -> Any:
    """One payment: assign a held one to a bill or account, or close it as accepted or refunded."""
    payment_id = _payment_id()
    detail = platform().db(billing_reports.payment_detail(g.tenant, payment_id))  # another tenant's: 404
    errors: list[ErrorItem] = []
    posted = {"ref1": "", "ref2": "", "outcome": "", "note": "", "assign_note": ""}
    if request.method == "POST":
        action = request.form.get("action", "")
        posted |= {k: request.form.get(k, "").strip() for k in posted}
        try:
            if action == "assign":
                errors = _assign(payment_id, posted)
            elif action == "close":
                errors = _close(payment_id, posted)
            else:
                abort(400)
        except payments.NotResolvable:
            flash_key("admin.payment.not_resolvable")
            return redirect(url_for("admin.payment_review", id=payment_id))
        if not errors:
            return redirect(url_for("admin.payment_review", id=payment_id))
        detail = platform().db(billing_reports.payment_detail(g.tenant, payment_id))
    return _render(
        "admin/payments_review.html",
        422 if errors else 200,
        detail=detail,
        payment=detail.payment,
        errors=errors,
        field_errors=errors_by_field(errors),
        posted=posted,
    )


def _assign(payment_id: int, posted: dict[str, str]) -> list[ErrorItem]:
    if not billing.reference_code(posted["ref1"]):
        return [ErrorItem("ref1", "admin.payment.error.ref1")]
    try:
        recorded = platform().db(
            payments.assign(
                g.tenant,
                payment_id,
                posted["ref1"],
                posted["ref2"],
                g.user,
                posted["assign_note"],
                definition_of=platform().definition,
            )
        )
    except payments.InvalidPayment:
        return [ErrorItem("ref1", "admin.payment.error.no_bill")]
    key = {
        "underpaid": "admin.payment.assigned_underpaid",
        "overpaid": "admin.payment.assigned_overpaid",
    }.get(recorded.payment.problem, "admin.payment.assigned")
    flash_key(key)
    return []


def _close(payment_id: int, posted: dict[str, str]) -> list[ErrorItem]:
    errors = []
    if posted["outcome"] not in ("resolved", "refunded"):
        errors.append(ErrorItem("outcome", "admin.payment.error.outcome"))
    if not posted["note"]:
        errors.append(ErrorItem("note", "admin.payment.error.note"))
    if errors:
        return errors
    platform().db(payments.close(g.tenant, payment_id, posted["outcome"], g.user, posted["note"]))
    flash_key(f"admin.payment.closed.{posted['outcome']}")
    return []


# --- reports ----------------------------------------------------------------------------------


@blueprint.get("/console/reports")
@admin_only
def billing_report() -> Any:
    """Collected against billed per period and rate class (chart and table), and the arrears list."""
    figures = platform().db(billing_reports.billing_report(g.tenant))
    report, owing = figures.collection, figures.arrears
    chart = grouped_bar_chart(
        [
            BarGroup(p.period, period_name(p.period), (p.billed, p.collected))
            for p in sorted(report.periods, key=lambda p: p.period)
        ],
        (_t("admin.reports.billed"), _t("admin.reports.collected")),
        _t("admin.reports.chart.title"),
        _t("admin.reports.chart.desc"),
        chart_id="collected-vs-billed",
        value_text=money,
    )
    return _render("admin/reports.html", report=report, arrears=owing, chart=chart)
