"""The console's fees and payments over the API: billing runs, payment settings, payments to review,
bank statements and the fee report.

Each route calls the engine function its console page calls, under the page's rule of who may:
billing runs, payment settings and the report are for the municipality's administrators; payments
to review and bank statements also for its finance officers. A bearer token only (never an API
key: these move money). Refusals and bad input answer 4xx with ``message`` (English) and
``message_th``, in the page's own words where the page has them.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import jsonify, request

from api.auth import Caller, admin_of, officer_of
from api.body import json_body
from api.errors import ApiError
from api.idempotency_views import keyed, replayed
from api.paging import cursor_refused, decoded_cursor, encode_cursor, json_with_etag, limit_arg
from api.views import blueprint, tenant_or_404
from engine.services import billing, billing_reports, payments, statements
from engine.services import billing_runs as runs
from engine.services.roles import FINANCE_ROLES
from engine.store.models import Payment, StatementImport, Tenant
from renderers.statements import problem_text
from renderers.web import translate
from thongthin.app import platform
from thongthin.runners import payment_notify_url

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_ID_DIGITS = 12  # longer ids name no row (the page answers 404 for them too)
MAX_TEXT = 2000  # a note or reference longer than this is not one an officer typed
# A multipart body carries the file and a few hundred bytes of framing.
MAX_UPLOAD_BYTES = statements.MAX_BYTES + 64 * 1024


# --- errors in both languages -----------------------------------------------------------------


def _refused(status: int, code: str, key: str, **extra: Any) -> ApiError:
    """An error worded as the console page words it (``key`` in its locales), English and Thai."""
    return ApiError(status, code, translate(key, "en"), message_th=translate(key, "th"), **extra)


def _bad(code: str, en: str, th: str, **extra: Any) -> ApiError:
    return ApiError(400, code, en, message_th=th, **extra)


# --- who may ----------------------------------------------------------------------------------


def _admin_tenant(slug: str) -> Tenant:
    """The tenant, when the bearer token is one of its administrators (as the admin-only pages)."""
    found = tenant_or_404(slug)
    admin_of(found, "manage billing runs, payment settings and fee reports", "จัดการการเรียกเก็บค่าธรรมเนียมได้")
    return found


def _finance_of(slug: str) -> tuple[Tenant, Caller]:
    """The tenant and its administrator or finance officer behind the bearer token (as the payment pages).

    Raises :class:`ApiError` 401 without a token, 403 for another municipality's officer or an
    officer of neither role.
    """
    found = tenant_or_404(slug)
    caller = officer_of(found)
    if caller is None:
        raise ApiError(
            401,
            "unauthorized",
            "give the bearer token of an administrator or a finance officer",
            message_th="กรุณาแนบโทเค็นของผู้ดูแลระบบหรือเจ้าหน้าที่การเงิน",
        )
    if not caller.roles & FINANCE_ROLES:
        raise ApiError(
            403,
            "forbidden",
            "only the municipality's administrators and finance officers review payments and import statements",
            message_th="เฉพาะผู้ดูแลระบบและเจ้าหน้าที่การเงินของหน่วยงานเท่านั้นที่ตรวจสอบการชำระเงินและนำเข้ารายการเดินบัญชีได้",
        )
    return found, caller


def _money(value: Any) -> str:
    """Baht as a decimal string with two places (``1250`` -> ``"1250.00"``)."""
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def _titled(key: str) -> dict[str, str]:
    return {"th": translate(key, "th"), "en": translate(key, "en")}


def _period_title(period: str) -> dict[str, str] | None:
    try:
        return {"th": billing.period_title(period, "th"), "en": billing.period_title(period, "en")}
    except billing.InvalidPeriod:
        return None


# --- billing runs -----------------------------------------------------------------------------


def _period(text: str) -> str:
    """``text`` when it is a billing period; raises :class:`ApiError` 400 ``invalid_period``."""
    try:
        billing.parse_period(text[:16])
    except billing.InvalidPeriod:
        raise _bad(
            "invalid_period",
            f"a billing period is a Buddhist-Era year and month such as 2569-01, not {text[:16]!r}",
            "งวดการเรียกเก็บต้องเป็นปีพุทธศักราชและเดือน เช่น 2569-01",
        ) from None
    return text


@blueprint.get("/tenants/<tenant>/billing/runs")
def billing_runs_list(tenant: str) -> Any:
    """The billing runs, latest period first, with the periods the billing button offers."""
    found = _admin_tenant(tenant)
    limit = limit_arg(DEFAULT_LIMIT, MAX_LIMIT)
    opened = decoded_cursor()
    before = None
    if opened is not None:
        before = opened.get("before")
        if not isinstance(before, str):
            raise cursor_refused()
        _period(before)
    found_runs = platform().db(billing_reports.billing_runs(found, limit + 1, before=before))
    page = found_runs[:limit]
    return json_with_etag(
        {
            "runs": [runs.run_figures(run) for run in page],
            "offered": [{"period": p, "title": _period_title(p)} for p in runs.offered_periods()],
            "next_cursor": encode_cursor({"before": page[-1].period}) if len(found_runs) > limit else None,
        },
        private=True,
    )


@blueprint.get("/tenants/<tenant>/billing/runs/<period>")
def billing_run_detail(tenant: str, period: str) -> Any:
    """One period's run: its state, progress and counts, as the run page shows them."""
    found = _admin_tenant(tenant)
    chosen = _period(period)
    try:
        run = platform().db(billing_reports.billing_run(found, chosen))
    except billing_reports.BillingRunNotFound:
        raise ApiError(
            404,
            "billing_run_not_found",
            f"no billing run for {chosen}",
            message_th=f"ยังไม่มีการออกใบแจ้งหนี้ประจำงวด {chosen}",
        ) from None
    return jsonify(runs.run_figures(run))


@blueprint.post("/tenants/<tenant>/billing/runs")
def start_billing_run(tenant: str) -> Any:
    """Queue a period's run as the billing button does (202); the worker bills, the run page shows it."""
    found = _admin_tenant(tenant)
    body = json_body()
    period = body.get("period")
    if not isinstance(period, str):
        raise _refused(422, "invalid_period", "admin.billing.error.period", field="period")
    key = keyed(json.dumps({"period": period}).encode())
    try:
        answer = platform().db(runs.start_billing_run(found, period.strip(), keyed=key))
    except billing.InvalidPeriod:
        raise _refused(422, "invalid_period", "admin.billing.error.period", field="period") from None
    response = jsonify(answer.body)
    response.status_code = answer.status
    response.headers["Location"] = f"/api/v1/tenants/{found.slug}/billing/runs/{answer.body['period']}"
    return replayed(response, answer.replayed)


# --- payment settings -------------------------------------------------------------------------


def _settings(found: Tenant) -> dict[str, Any]:
    chosen = found.settings.get(billing.BILLER_SETTING) or None
    return {
        "biller_id": chosen,
        "biller_id_in_use": billing.biller_id(found),
        "demo_biller": chosen is None,
        "has_secret": payments.tenant_secret(found) is not None,
        "notify_url": payment_notify_url(platform()),
        "signature_header": payments.SIGNATURE_HEADER,
    }


@blueprint.get("/tenants/<tenant>/billing/settings")
def payment_settings(tenant: str) -> Any:
    """The biller ID every QR names and whether notifications have a secret (never the secret)."""
    found = _admin_tenant(tenant)
    response = jsonify(_settings(found))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.put("/tenants/<tenant>/billing/settings")
def update_payment_settings(tenant: str) -> Any:
    """Save the PromptPay biller ID (13-digit tax ID or 15 digits), as the settings page does."""
    found = _admin_tenant(tenant)
    body = json_body()
    given = body.get("biller_id")
    if not isinstance(given, str) or len(given) > 64:
        raise _refused(422, "invalid_biller_id", "admin.settings.error.biller_id", field="biller_id")
    try:
        platform().db(billing.set_biller_id(found, given.strip()))
    except billing.InvalidBillerId:
        raise _refused(
            422, "invalid_biller_id", "admin.settings.error.biller_id", field="biller_id"
        ) from None
    response = jsonify(_settings(found))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/tenants/<tenant>/billing/settings/secret")
def rotate_payment_secret(tenant: str) -> Any:
    """A new notification secret, in this answer only; the old one stops working at once."""
    found = _admin_tenant(tenant)
    secret = platform().db(payments.rotate_secret(found))
    response = jsonify(
        {
            "secret": secret,
            "notify_url": payment_notify_url(platform()),
            "signature_header": payments.SIGNATURE_HEADER,
        }
    )
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


# --- payments to review -----------------------------------------------------------------------


def _problem_title(problem: str) -> dict[str, str] | None:
    return _titled(f"admin.payment.problem.{problem}") if problem else None


def _payment_item(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "transaction_id": payment.transaction_id,
        "source": payment.source,
        "ref1": payment.ref1,
        "ref2": payment.ref2,
        "amount": _money(payment.amount),
        "paid_at": payment.paid_at.isoformat(),
        "status": payment.status,
        "status_title": _titled(f"admin.payment.status.{payment.status}"),
        "problem": payment.problem or None,
        "problem_title": _problem_title(payment.problem),
    }


def _review_status() -> str | None:
    status = request.args.get("status") or None
    if status is not None and status not in payments.REVIEW_STATUSES:
        raise _bad(
            "invalid_request",
            "status is held (matched no bill) or applied (paid a bill, but not its amount)",
            "status ต้องเป็น held (ไม่พบใบแจ้งหนี้ที่ตรงกัน) หรือ applied (ตัดชำระแล้วแต่จำนวนเงินไม่ตรง)",
        )
    return status


@blueprint.get("/tenants/<tenant>/payments")
def payments_to_review(tenant: str) -> Any:
    """Held, underpaid and overpaid payments, newest first, as the review page lists them."""
    found, _ = _finance_of(tenant)
    status = _review_status()
    limit = limit_arg(DEFAULT_LIMIT, MAX_LIMIT)
    opened = decoded_cursor()
    after = None
    if opened is not None:
        try:
            if opened.get("s") != status:
                raise ValueError("another filter")
            after = (datetime.fromisoformat(str(opened["p"])), int(opened["i"]))
        except (KeyError, TypeError, ValueError):
            raise cursor_refused() from None
    found_payments = platform().db(
        payments.needing_review(found, status=status, after=after, limit=limit + 1)
    )
    page = found_payments[:limit]
    following = None
    if len(found_payments) > limit:
        following = encode_cursor({"s": status, "p": page[-1].paid_at.isoformat(), "i": page[-1].id})
    return json_with_etag(
        {"payments": [_payment_item(p) for p in page], "next_cursor": following}, private=True
    )


def _payment_id(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > MAX_ID_DIGITS:
        raise _payment_not_found(text[: MAX_ID_DIGITS + 1])
    return int(text)


def _payment_not_found(text: str) -> ApiError:
    return ApiError(
        404,
        "payment_not_found",
        f"this municipality has no payment {text!r}",
        message_th=f"ไม่พบรายการชำระเงินหมายเลข {text} ของหน่วยงานนี้",
    )


def _payment_detail(found: Tenant, payment_id: int) -> dict[str, Any]:
    try:
        detail = platform().db(billing_reports.payment_detail(found, payment_id))
    except payments.PaymentNotFound:
        raise _payment_not_found(str(payment_id)) from None
    payment = detail.payment
    account = detail.account
    return {
        **_payment_item(payment),
        "payer": payment.payer or None,
        "account": {"number": account.number, "holder": account.holder or None} if account else None,
        "note": payment.note or None,
        "resolved_at": payment.resolved_at.isoformat() if payment.resolved_at else None,
        "allocations": [
            {
                "ref1": a.bill.ref1,
                "ref2": a.bill.ref2,
                "period": a.bill.period or None,
                "period_title": _period_title(a.bill.period) if a.bill.period else None,
                "bill_amount": _money(a.bill.amount),
                "amount": str(a.amount),
                "bill_status": a.bill.status,
            }
            for a in detail.allocations
        ],
        "allocated": str(detail.allocated),
        # What the page offers: held ones may be assigned; held or flagged ones closed.
        "can_assign": payment.status == "held",
        "can_close": payment.status == "held" or (payment.status == "applied" and bool(payment.problem)),
    }


@blueprint.get("/tenants/<tenant>/payments/<payment_id>")
def payment_review(tenant: str, payment_id: str) -> Any:
    """One payment: its references, the account it was matched to, the bills it paid."""
    found, _ = _finance_of(tenant)
    return jsonify(_payment_detail(found, _payment_id(payment_id)))


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ApiError(
            422,
            "invalid_request",
            f"{name} must be text of at most {MAX_TEXT} characters",
            message_th=f"{name} ต้องเป็นข้อความยาวไม่เกิน {MAX_TEXT} ตัวอักษร",
            field=name,
        )
    return value.strip()


@blueprint.post("/tenants/<tenant>/payments/<payment_id>/decision")
def payment_decision(tenant: str, payment_id: str) -> Any:
    """Assign a held payment to a bill or account, or close a held or flagged one, as the review page does.

    ``{"action": "assign", "ref1", "ref2", "note"}`` or ``{"action": "close", "outcome":
    "resolved"|"refunded", "note"}``; the answer is the payment afterwards.
    """
    found, caller = _finance_of(tenant)
    chosen = _payment_id(payment_id)
    body = json_body()
    action = body.get("action")
    user = caller.user
    assert user is not None  # a finance caller is always an officer (no API key reaches here)
    try:
        if action == "assign":
            ref1 = _text(body, "ref1")
            if not billing.reference_code(ref1):
                raise _refused(422, "invalid_payment", "admin.payment.error.ref1", field="ref1")
            platform().db(
                payments.assign(
                    found,
                    chosen,
                    ref1,
                    _text(body, "ref2"),
                    user,
                    _text(body, "note"),
                    definition_of=platform().definition,
                )
            )
        elif action == "close":
            outcome, note = _text(body, "outcome"), _text(body, "note")
            if outcome not in ("resolved", "refunded"):
                raise _refused(422, "invalid_payment", "admin.payment.error.outcome", field="outcome")
            if not note:
                raise _refused(422, "invalid_payment", "admin.payment.error.note", field="note")
            platform().db(payments.close(found, chosen, outcome, user, note))
        else:
            raise ApiError(
                422,
                "invalid_request",
                "action is assign (a held payment to a bill or account) or close (accepted or refunded)",
                message_th="action ต้องเป็น assign (ตัดชำระรายการที่รอตรวจสอบกับใบแจ้งหนี้หรือบัญชี) หรือ close (ปิดรายการ)",
                field="action",
            )
    except payments.PaymentNotFound:
        raise _payment_not_found(str(chosen)) from None
    except payments.NotResolvable:
        raise _refused(409, "not_resolvable", "admin.payment.not_resolvable") from None
    except payments.InvalidPayment as invalid:
        # The references match no bill or account (nothing changed).
        raise _refused(422, "invalid_payment", "admin.payment.error.no_bill", field=invalid.field) from None
    return jsonify(_payment_detail(found, chosen))


# --- bank statements --------------------------------------------------------------------------


def _import_item(record: StatementImport) -> dict[str, Any]:
    return {
        "id": record.id,
        "filename": record.filename,
        "status": record.status,
        "rows": record.rows,
        "done": record.done,
        "applied": record.applied,
        "duplicates": record.duplicates,
        "held": record.held,
        "created_at": record.created_at.isoformat(),
    }


def _result(result: statements.StatementResult) -> dict[str, Any]:
    """An import as its result page shows it: progress, the counts, and the rows of each outcome."""
    record = result.record
    to_review = len(result.held) + len(result.underpaid) + len(result.overpaid) + len(result.conflicts)
    earlier = result.earlier
    return {
        **_import_item(record),
        "finished": result.finished,
        "error": record.error or None,
        "earlier": {"id": earlier.id, "created_at": earlier.created_at.isoformat()} if earlier else None,
        "counts": {
            "rows": record.rows,
            "applied": len(result.applied),
            "duplicates": len(result.duplicates),
            "to_review": to_review,
        },
        "outcomes": {
            "held": [r.as_json() for r in result.held],
            "underpaid": [r.as_json() for r in result.underpaid],
            "overpaid": [r.as_json() for r in result.overpaid],
            "conflicts": [r.as_json() for r in result.conflicts],
            "applied": [r.as_json() for r in result.applied],
            "duplicates": [r.as_json() for r in result.duplicates],
        },
    }


def _too_large() -> ApiError:
    return _refused(
        413, "statement_too_large", "admin.statement.problem.too_large", limit_bytes=statements.MAX_BYTES
    )


def _uploaded() -> tuple[str, bytes]:
    """The statement's file name and bytes: multipart field ``statement`` (as the page) or a ``text/csv`` body.

    Raises :class:`ApiError` 413 beyond :data:`statements.MAX_BYTES`, 400 without a file.
    """
    declared = request.content_length
    if declared is not None and declared > MAX_UPLOAD_BYTES:
        raise _too_large()
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("statement")
        if upload is None or not upload.filename:
            raise _refused(400, "no_statement", "admin.statement.error.no_file")
        # One byte more than allowed is enough to know it is too large.
        return statements.upload_filename(upload.filename), upload.stream.read(statements.MAX_BYTES + 1)
    if request.mimetype in ("text/csv", "text/plain", "application/octet-stream"):
        name = request.args.get("filename", "") or "statement.csv"
        content = request.stream.read(statements.MAX_BYTES + 1)
        if not content:
            raise _refused(400, "no_statement", "admin.statement.error.no_file")
        return statements.upload_filename(name), content
    raise ApiError(
        415,
        "unsupported_media_type",
        "send the statement as multipart/form-data (field 'statement') or as a text/csv body",
        message_th="กรุณาส่งไฟล์รายการเดินบัญชีแบบ multipart/form-data (ช่อง statement) หรือแบบ text/csv",
        accepted=["multipart/form-data", "text/csv"],
    )


@blueprint.get("/tenants/<tenant>/payments/statements")
def statement_imports(tenant: str) -> Any:
    """The latest statement imports, newest first, as the import page lists them."""
    found, _ = _finance_of(tenant)
    return jsonify({"imports": [_import_item(r) for r in platform().db(statements.recent_imports(found))]})


@blueprint.post("/tenants/<tenant>/payments/statements")
def import_statement(tenant: str) -> Any:
    """Check a bank statement (CSV) whole and queue its rows (202), or list every problem (422, nothing kept)."""
    found, caller = _finance_of(tenant)
    filename, content = _uploaded()
    if len(content) > statements.MAX_BYTES:
        raise _too_large()
    try:
        record = platform().db(
            statements.queue_statement(found, filename, content, caller.user, platform().blobs)
        )
    except statements.StatementError as error:
        if any(p.code == "too_large" for p in error.details):
            raise _too_large() from None
        shown = error.details[: statements.PROBLEMS_SHOWN]
        raise _refused(
            422,
            "invalid_statement",
            "admin.statement.error.nothing_imported",
            problems=[
                {
                    "row": p.row,
                    "column": p.column,
                    "code": p.code,
                    "value": p.value,
                    "message": problem_text(p, "en"),
                    "message_th": problem_text(p, "th"),
                }
                for p in shown
            ],
            more_problems=len(error.details) - len(shown),
        ) from None
    response = jsonify(_result(platform().db(statements.statement_result(found, record.id))))
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/tenants/{found.slug}/payments/statements/{record.id}"
    return response


@blueprint.get("/tenants/<tenant>/payments/statements/<statement_id>")
def statement_result(tenant: str, statement_id: str) -> Any:
    """What became of each row of an import (``finished`` false while the worker records it)."""
    found, _ = _finance_of(tenant)
    missing = ApiError(
        404,
        "statement_not_found",
        f"this municipality has no statement import {statement_id[: MAX_ID_DIGITS + 1]!r}",
        message_th=f"ไม่พบการนำเข้ารายการเดินบัญชีหมายเลข {statement_id[: MAX_ID_DIGITS + 1]} ของหน่วยงานนี้",
    )
    if not statement_id.isascii() or not statement_id.isdigit() or len(statement_id) > MAX_ID_DIGITS:
        raise missing
    try:
        result = platform().db(statements.statement_result(found, int(statement_id)))
    except statements.StatementNotFound:
        raise missing from None
    return jsonify(_result(result))


# --- the fee report ---------------------------------------------------------------------------


def _period_row(total: billing_reports.PeriodTotal) -> dict[str, Any]:
    return {
        "period": total.period,
        "title": _period_title(total.period),
        "bills": total.bills,
        "paid_bills": total.paid_bills,
        "billed": str(total.billed),
        "collected": str(total.collected),
        "rate": total.rate,
    }


def _service_title(service_id: str) -> dict[str, str]:
    """A service by its catalog title, in Thai and English, as the report page writes it."""
    return {lang: platform().catalog.service_title(service_id, lang) for lang in ("th", "en")}


def _class_title(service_id: str, rate_class: str) -> dict[str, str]:
    """A rate class by the name the ordinance and citizens use, in Thai and English."""
    definition = platform().catalog.newest(service_id)
    return {lang: billing.class_title(definition, rate_class, lang) for lang in ("th", "en")}


@blueprint.get("/tenants/<tenant>/reports/billing")
def billing_report(tenant: str) -> Any:
    """Collected against billed per period and rate class, and the accounts owing most, as the report page."""
    found = _admin_tenant(tenant)
    if request.args.get("format", "json") != "json":
        raise ApiError(
            406,
            "not_acceptable",
            "the fee report is given as JSON only (the console's page offers no file)",
            message_th="รายงานค่าธรรมเนียมให้บริการในรูปแบบ JSON เท่านั้น",
        )
    figures = platform().db(billing_reports.billing_report(found))
    report, owing = figures.collection, figures.arrears
    return json_with_etag(
        {
            "periods": len(report.periods),
            "billed": str(report.billed),
            "collected": str(report.collected),
            "by_period": [
                {
                    **_period_row(total),
                    "classes": [
                        {
                            **_period_row(row),
                            "service_id": row.service_id,
                            "service_title": _service_title(row.service_id),
                            "rate_class": row.rate_class,
                            "class_title": _class_title(row.service_id, row.rate_class),
                        }
                        for row in report.rows
                        if row.period == total.period
                    ],
                }
                for total in report.periods
            ],
            "arrears": {
                "accounts": owing.accounts,
                "bills": owing.bills,
                "outstanding": str(owing.outstanding),
                "shown": [
                    {
                        "account": row.number,
                        "holder": row.holder or None,
                        "service_id": row.service_id,
                        "rate_class": row.rate_class,
                        "class_title": _class_title(row.service_id, row.rate_class),
                        "bills": row.bills,
                        "outstanding": str(row.outstanding),
                        "oldest_period": row.oldest_period,
                    }
                    for row in owing.rows
                ],
            },
        },
        private=True,
    )
