"""The citizens' journey over the API: drafts step by step, documents of an application, bills by QR.

What a municipality's app or a LINE mini-app needs to do everything the portal's citizen pages
do, through the same service calls (:mod:`engine.services.drafts`, :mod:`~engine.services.documents`,
:mod:`~engine.services.billing`), so the two never disagree. A draft's secret travels in the
``X-Draft-Secret`` header, never in a URL (URLs end up in access logs and browser histories).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, jsonify, request, url_for

from api.auth import caller_for
from api.body import json_body, raw_body
from api.errors import ApiError
from api.views import _load, blueprint, tenant_or_404
from engine.definitions import ServiceDefinition
from engine.forms import FieldError
from engine.forms.rules import prune_hidden, step_of_error, visible_steps
from engine.services import access_log, billing, documents, drafts, idempotency, submissions, tenants
from engine.services.errors import SubmissionInvalid
from engine.services.throttle import TooManyAttempts
from engine.store.models import Draft, IssuedDocument, Tenant
from renderers import bills
from renderers.answers import Answer, answers
from renderers.documents import qr_png
from renderers.web import download, translate
from thongthin.app import client_address, platform

DRAFT_HEADER = "X-Draft-Secret"
LANGUAGES = ("th", "en")


# --- drafts -----------------------------------------------------------------------------------


def _draft_secret() -> str:
    """The draft's secret from its header; one in the query string is refused, not ignored."""
    if any(name in request.args for name in ("secret", "draft_secret", "token")):
        raise ApiError(
            400,
            "draft_secret_in_query",
            f"send the draft's secret in the {DRAFT_HEADER} header, never in the URL",
        )
    secret = request.headers.get(DRAFT_HEADER, "").strip()
    if not secret:
        raise ApiError(401, "draft_secret_missing", f"give the draft's secret in the {DRAFT_HEADER} header")
    return secret


def _draft(tenant: Tenant, service_id: str, draft_id: int) -> tuple[Draft, ServiceDefinition]:
    """The draft the secret opens, if it is the one the URL names; 404 for any other (as for none)."""
    platform().db(tenants.enabled_service(tenant, service_id))  # still offered
    found = platform().db(drafts.load(tenant, _draft_secret(), service_id=service_id))
    if found.id != draft_id:
        raise drafts.DraftNotFound()
    return found, platform().definition(found.service_id, found.service_version)


def _errors(
    errors: list[FieldError], definition: ServiceDefinition | None = None, data: Any = None
) -> list[Any]:
    """Field errors as the portal shows them (Thai and English), with the step asking each when known."""
    shown = []
    for error in errors:
        item: dict[str, Any] = error.as_dict()
        if definition is not None:
            step = step_of_error(definition, data, error)
            item["step_id"] = step.id if step is not None else None
        shown.append(item)
    return shown


def _answer(by_language: dict[str, Answer]) -> dict[str, Any]:
    first = by_language["th"]
    row: dict[str, Any] = {
        "pointer": first.pointer,
        "label": {lang: a.label for lang, a in by_language.items()},
        "text": {lang: a.text for lang, a in by_language.items()},
    }
    if first.items:
        row["items"] = [
            [
                _answer({lang: by_language[lang].items[i][j] for lang in LANGUAGES})
                for j in range(len(first.items[i]))
            ]
            for i in range(len(first.items))
        ]
    return row


def _summary(definition: ServiceDefinition, data: Any) -> list[dict[str, Any]]:
    """The check-your-answers page: each step asked, its answers written for people in Thai and English."""
    written = {lang: answers(definition, data, lang) for lang in LANGUAGES}
    return [
        {
            "step_id": step.step_id,
            "title": {lang: written[lang][index].title for lang in LANGUAGES},
            "answers": [
                _answer({lang: written[lang][index].answers[row] for lang in LANGUAGES})
                for row in range(len(step.answers))
            ],
        }
        for index, step in enumerate(written["th"])
    ]


def _draft_view(draft: Draft, definition: ServiceDefinition) -> dict[str, Any]:
    data = draft.data if isinstance(draft.data, dict) else {}
    where = drafts.progress(definition, data)
    pruned = prune_hidden(definition, data)
    return {
        "id": draft.id,
        "service_id": draft.service_id,
        "service_version": draft.service_version,
        "answers": data,
        "steps": [
            {"id": s.step.id, "title": s.step.title.model_dump(), "complete": s.complete} for s in where.steps
        ],
        "next_step": where.next_step.id if where.next_step is not None else None,
        "ready": where.ready,
        "problems": _errors(where.unplaced),
        "summary": _summary(definition, pruned),
        "updated_at": draft.updated_at.isoformat(),
        "expires_at": (draft.updated_at + drafts.DRAFT_LIFETIME).isoformat(),
    }


def _draft_url(tenant: str, service_id: str, draft_id: int) -> str:
    return f"/api/v1/tenants/{tenant}/services/{service_id}/drafts/{draft_id}"


@blueprint.post("/tenants/<tenant>/services/<service_id>/drafts")
def create_draft(tenant: str, service_id: str) -> Any:
    """Begin an application; the answer carries the draft's secret, shown this once."""
    found = tenant_or_404(tenant)
    enabled = platform().db(tenants.enabled_service(found, service_id))
    definition = platform().definition(enabled.service_id, enabled.version)
    first = visible_steps(definition, {})[0]
    secret, draft = platform().db(drafts.create(found, definition, step=first.id))
    response = jsonify({**_draft_view(draft, definition), "secret": secret})
    response.status_code = 201
    response.headers["Location"] = _draft_url(tenant, definition.id, draft.id)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/tenants/<tenant>/services/<service_id>/drafts/<int:draft_id>")
def read_draft(tenant: str, service_id: str, draft_id: int) -> Any:
    """The draft's answers, which steps are complete, and the check-your-answers summary (also: resume)."""
    found = tenant_or_404(tenant)
    draft, definition = _draft(found, service_id, draft_id)
    response = jsonify(_draft_view(draft, definition))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.put("/tenants/<tenant>/services/<service_id>/drafts/<int:draft_id>/steps/<step_id>")
def save_draft_step(tenant: str, service_id: str, draft_id: int, step_id: str) -> Any:
    """Store one step's answers after checking exactly that step; 422 (nothing stored) with the portal's messages."""
    found = tenant_or_404(tenant)
    draft, definition = _draft(found, service_id, draft_id)
    body = json_body()
    given = body.get("answers")
    keep_invalid = body.get("keep_invalid", False)
    if not isinstance(given, dict) or not isinstance(keep_invalid, bool):
        raise ApiError(
            400,
            "invalid_request",
            "give answers as an object (the step's answers in the form's shape) and keep_invalid as a boolean",
        )
    try:
        saved = platform().db(
            drafts.answer_step(found, draft, definition, step_id, given, keep_invalid=keep_invalid)
        )
    except drafts.StepRefused as refused:
        raise ApiError(
            422,
            refused.code,
            str(refused),
            message_th=refused.message_th,
            step_id=refused.step_id,
            errors=_errors(refused.errors),
            answers=draft.data,
        ) from None
    return jsonify(
        {**_draft_view(saved.draft, definition), "saved_step": step_id, "errors": _errors(saved.errors)}
    )


@blueprint.post("/tenants/<tenant>/services/<service_id>/drafts/<int:draft_id>/submit")
def submit_draft(tenant: str, service_id: str, draft_id: int) -> Any:
    """File the draft: the receipt of POST …/submissions (reference, tracking token); the draft is gone."""
    from api.idempotency_views import keyed

    found = tenant_or_404(tenant)
    key = keyed(raw_body(), secret=_draft_secret())
    if key is not None and (first := platform().db(idempotency.earlier(found.id, key))) is not None:
        # Filed by the first request: the draft is gone, its receipt is not.
        return _receipt_response(tenant, submissions.Receipt.replay(first))
    draft, definition = _draft(found, service_id, draft_id)
    data = prune_hidden(definition, draft.data)
    try:
        receipt = platform().db(drafts.submit(found, draft, definition, blobs=platform().blobs, keyed=key))
    except SubmissionInvalid as invalid:
        raise ApiError(
            422,
            invalid.code,
            str(invalid),
            message_th="คำขอยังกรอกไม่ครบหรือไม่ถูกต้อง ยังไม่ได้ยื่น",
            errors=_errors(invalid.errors, definition, data),
            **({"more_errors": invalid.more_errors} if invalid.more_errors else {}),
        ) from None
    return _receipt_response(tenant, receipt)


def _receipt_response(tenant: str, receipt: submissions.Receipt) -> Any:
    from api.idempotency_views import replayed

    response = jsonify(receipt.as_dict())
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/tenants/{tenant}/submissions/{receipt.reference}"
    response.headers["Cache-Control"] = "no-store"
    return replayed(response, receipt.replayed)


@blueprint.delete("/tenants/<tenant>/services/<service_id>/drafts/<int:draft_id>")
def discard_draft(tenant: str, service_id: str, draft_id: int) -> Any:
    """Delete the draft and the files uploaded to it."""
    found = tenant_or_404(tenant)
    draft, _definition = _draft(found, service_id, draft_id)
    platform().db(drafts.discard(found, draft.id, blobs=platform().blobs))
    return "", 204


# --- documents of an application ----------------------------------------------------------------


def _document(tenant: str, reference: str, document: IssuedDocument) -> dict[str, Any]:
    return {
        "public_id": document.public_id,
        "document_id": document.document_id,
        "number": document.number,
        "title": {"th": document.title_th, "en": document.title_en},
        "issued_at": document.issued_at.isoformat() if document.issued_at else None,
        "file_name": documents.file_name(document),
        "download_url": f"/api/v1/tenants/{tenant}/submissions/{reference}/documents/{document.public_id}.pdf",
        "verify_url": url_for("api.document", public_id=document.public_id),
    }


@blueprint.get("/tenants/<tenant>/submissions/<reference>/documents")
def submission_documents(tenant: str, reference: str) -> Any:
    """The signed documents issued for an application (tracking token, an officer of the municipality,
    or a key with ``documents:read``)."""
    found = tenant_or_404(tenant)
    current = _load(found, reference, caller_for(found, scope="documents:read"))
    issued = platform().db(documents.of_submission(current))
    response = jsonify({"documents": [_document(tenant, current.reference, d) for d in issued]})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.get("/tenants/<tenant>/submissions/<reference>/documents/<public_id>.pdf")
def submission_document(tenant: str, reference: str, public_id: str) -> Response:
    """The signed PDF, byte for byte as issued; another application's document is 404."""
    found = tenant_or_404(tenant)
    caller = caller_for(found, scope="documents:read")
    current = _load(found, reference, caller)
    document = platform().db(documents.of_submission_by_id(current, public_id))
    if caller.is_officer:
        platform().db(
            access_log.record(
                current,
                caller.user,
                access_log.DOCUMENT,
                object_id=public_id,
                address=client_address(),
                channel="api",
            )
        )
    return download(platform().blobs.get(document.blob_key), documents.file_name(document), "application/pdf")


# --- bills of a fee account ---------------------------------------------------------------------


PHONE_HEADER = "X-Account-Phone"


def _receipts(
    tenant: Tenant, statement: billing.AccountStatement, *, required: bool
) -> dict[int, IssuedDocument]:
    """The paid bills' receipts when the caller gives the phone number registered with the account
    (``X-Account-Phone``, as the portal asks before it shows them); refusals in the portal's words."""
    phone = request.headers.get(PHONE_HEADER, "").strip()[:MAX_PHONE]
    if not phone:
        if required:
            en, th = _portal_text("portal.bills.phone_missing")
            raise ApiError(401, "account_phone_missing", en, message_th=th)
        return {}
    try:
        return platform().db(billing.receipts_for(tenant, statement, phone))
    except billing.PhoneNotProven:
        en, th = _portal_text("portal.bills.phone_wrong")
        raise ApiError(403, "account_phone_wrong", en, message_th=th) from None
    except TooManyAttempts as refused:
        en, th = _portal_text("portal.bills.phone_throttled")
        raise ApiError(429, refused.code, en, message_th=th, retry_after=refused.seconds) from None


MAX_PHONE = 32


def _portal_text(key: str) -> tuple[str, str]:
    """English message, and ``message_th``: the bills page's own words."""
    return translate(key, "en"), translate(key, "th")


def _due(period: str) -> str | None:
    due: date | None = bills.due_date([period]) if period else None
    return due.isoformat() if due else None


@blueprint.get("/tenants/<tenant>/bills/<account>")
def account_bills(tenant: str, account: str) -> Any:
    """An account's bills as the portal's bills page shows them to whoever has the account number
    (or a paper bill's reference 1): the holder masked, each unpaid bill with its Thai QR payload."""
    found = tenant_or_404(tenant)
    statement = platform().db(billing.statement_of(found, account))
    fee_account = statement.account
    definition = platform().definition(fee_account.service_id, fee_account.service_version)
    receipts = _receipts(found, statement, required=False)
    rows = {lang: bills.unpaid_rows(found, statement, definition, lang) for lang in LANGUAGES}
    base = f"/api/v1/tenants/{tenant}/bills/{fee_account.number}/qr"
    unpaid = [
        {
            "period": row.period,
            "period_title": {lang: rows[lang][i].period_title for lang in LANGUAGES},
            "description": {lang: rows[lang][i].description for lang in LANGUAGES},
            "amount": str(row.amount),
            "paid": str(row.paid),
            "owed": str(row.owed),
            "status": row.status,
            "due_date": _due(row.period),
            "qr_payload": row.payload,
            "ref1": row.ref1,
            "ref2": row.ref2,
            "qr_png_url": f"{base}/{row.period}.png" if row.period else None,
        }
        for i, row in enumerate(rows["th"])
    ]
    paid = [
        {
            "period": bill.period,
            "period_title": {
                lang: billing.period_title(bill.period, lang) if bill.period else "" for lang in LANGUAGES
            },
            "description": {
                lang: billing.bill_line(bill, None, definition, lang).description for lang in LANGUAGES
            },
            "amount": str(bill.amount),
            "paid": str(bill.paid_amount),
            "status": bill.status,
            "settled_at": bill.settled_at.isoformat() if bill.settled_at else None,
            "ref1": bill.ref1,
            "ref2": bill.ref2,
            **(
                {"receipt": _receipt(tenant, fee_account.number, receipts[bill.id])}
                if bill.id in receipts
                else {}
            ),
        }
        for bill in statement.paid
    ]
    response = jsonify(
        {
            "account": {
                "number": fee_account.number,
                "holder": bills.masked_holder(fee_account.holder),
                "address": bills.public_address(fee_account),
                "fee_title": {lang: bills.fee_title(statement, definition, lang) for lang in LANGUAGES},
                "rate_class": {
                    lang: bills.rate_class_title(statement, definition, lang) for lang in LANGUAGES
                },
            },
            "arrears": str(statement.arrears),
            "arrears_qr_payload": statement.arrears_payload,
            "arrears_qr_png_url": f"{base}/{billing.ALL_OWED}.png" if statement.arrears_payload else None,
            "unpaid": unpaid,
            "paid": paid,
        }
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _receipt(tenant: str, account: str, document: IssuedDocument) -> dict[str, Any]:
    return {
        "public_id": document.public_id,
        "number": document.number,
        "issued_at": document.issued_at.isoformat() if document.issued_at else None,
        "download_url": f"/api/v1/tenants/{tenant}/bills/{account}/receipts/{document.public_id}.pdf",
    }


@blueprint.get("/tenants/<tenant>/bills/<account>/receipts/<public_id>.pdf")
def account_receipt(tenant: str, account: str, public_id: str) -> Response:
    """The signed e-receipt of one of the account's paid bills, for whoever gives its registered phone number."""
    found = tenant_or_404(tenant)
    statement = platform().db(billing.statement_of(found, account))
    receipts = _receipts(found, statement, required=True)
    document = next((r for r in receipts.values() if r.public_id == public_id), None)
    if document is None:
        raise documents.DocumentNotFound(public_id)
    return download(platform().blobs.get(document.blob_key), documents.file_name(document), "application/pdf")


@blueprint.get("/tenants/<tenant>/bills/<account>/qr/<period>.png")
def account_bill_qr(tenant: str, account: str, period: str) -> Response:
    """The Thai QR of one unpaid bill (``2569-11``) or of everything owed (``all``) as a PNG."""
    found = tenant_or_404(tenant)
    statement = platform().db(billing.statement_of(found, account))
    fee_account = statement.account
    payload = billing.payload_for(found, statement, period)
    if not payload:
        raise ApiError(404, "bill_not_found", f"account {fee_account.number} owes nothing for {period!r}")
    return download(qr_png(payload), f"qr-{fee_account.number}-{period}.png", "image/png")


__all__ = ["DRAFT_HEADER"]
