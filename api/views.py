"""The JSON API: parse, call the service layer, answer JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, jsonify, request, url_for

from api.auth import Caller, caller_for
from api.body import json_body, json_object, raw_body, read_json
from api.errors import ApiError
from api.openapi import SPEC
from engine.definitions import ServiceDefinition, UnknownService
from engine.definitions.model import Text
from engine.services import (
    accounts,
    applicant,
    billing,
    definition_documents,
    line,
    messages,
    payments,
    privacy,
    submissions,
    tenants,
    tracking,
)
from engine.services.errors import SubmissionNotFound
from engine.store.models import AuditEntry, Delivery, Submission, Tenant
from thongthin.app import client_address, platform
from thongthin.runners import public_url

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


def tenant_or_404(slug: str) -> Tenant:
    return platform().db(tenants.get_tenant(slug))


@blueprint.get("/openapi.json")
def openapi() -> Any:
    return jsonify(SPEC)


@blueprint.post("/auth/token")
def token() -> Any:
    body = json_body()
    tenant, username, password = body.get("tenant"), body.get("username"), body.get("password")
    totp = body.get("totp")
    if (
        not isinstance(tenant, str)
        or not isinstance(username, str)
        or not isinstance(password, str)
        or not isinstance(totp, str | None)
    ):
        raise ApiError(400, "invalid_request", "give tenant, username and password (and totp) as strings")
    user = platform().db(accounts.authenticate(tenant, username, password, totp, address=client_address()))
    return jsonify({"token": platform().db(accounts.issue_token(user)), "token_type": "Bearer"})


@blueprint.delete("/auth/token")
def revoke_token() -> Any:
    """End the bearer token this request carries (logging out of a program)."""
    from api.auth import bearer_token

    token = bearer_token()
    if token is None or not platform().db(accounts.revoke_token(token)):
        raise ApiError(401, "unauthorized", "the bearer token is unknown or expired")
    return "", 204


@blueprint.get("/tenants/<tenant>/services")
def services(tenant: str) -> Any:
    found = tenant_or_404(tenant)
    rows = [
        definition_documents.summary(platform().definition(enabled.service_id, enabled.version))
        for enabled in platform().db(tenants.enabled_services(found))
    ]
    return jsonify({"services": rows})


@blueprint.post("/tenants/<tenant>/services/<service_id>/submissions")
def submit(tenant: str, service_id: str) -> Any:
    from api.idempotency_views import keyed, replayed

    raw = raw_body()
    data, key = json_object(raw), keyed(raw)
    try:
        receipt = platform().db(
            submissions.submit_to(tenant, service_id, data, platform().catalog, keyed=key)
        )
    except UnknownService:  # a version another node published since this one read the catalog
        platform().db(platform().load_published())
        receipt = platform().db(
            submissions.submit_to(tenant, service_id, data, platform().catalog, keyed=key)
        )
    response = jsonify(receipt.as_dict())
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/tenants/{tenant}/submissions/{receipt.reference}"
    return replayed(response, receipt.replayed)


@blueprint.post("/tenants/<tenant>/services/<service_id>/attachments/<attachment_id>")
def upload_attachment(tenant: str, service_id: str, attachment_id: str) -> Any:
    """Upload one file (multipart field ``file``); put the returned description into the form data."""
    from engine.blobs import UploadRejected
    from engine.services import uploads

    found = tenant_or_404(tenant)
    enabled = platform().db(tenants.enabled_service(found, service_id))
    definition = platform().definition(enabled.service_id, enabled.version)
    sent = request.files.get("file")
    if sent is None:
        raise ApiError(400, "invalid_request", "send the file as multipart/form-data in the field 'file'")
    try:
        described = platform().db(
            uploads.upload(
                found,
                definition,
                attachment_id,
                sent.read(),
                sent.filename,
                blobs=platform().blobs,
                client=client_address(),
            )
        )
    except uploads.UploadQuotaExceeded as refused:
        raise ApiError(
            429,
            refused.reason_code,
            refused.message_en,
            message_th=refused.message_th,
            retry_after=refused.seconds,
        ) from None
    except UploadRejected as rejected:
        raise ApiError(
            422, f"upload_{rejected.reason_code}", rejected.message_en, message_th=rejected.message_th
        ) from None
    response = jsonify(described)
    response.status_code = 201
    return response


@blueprint.post("/verify")
def verify() -> Any:
    """Verify any PDF: its signatures, and whether the platform issued exactly this file."""
    from signing.registry import verify_upload

    sent = request.files.get("file")
    data = sent.read() if sent is not None else request.get_data()
    if not data:
        raise ApiError(
            400,
            "invalid_request",
            "send the PDF as the body (application/pdf) or as the multipart field 'file'",
        )
    return jsonify(platform().db(verify_upload(data, _trust_roots())).as_dict())


@blueprint.get("/documents/<public_id>")
def document(public_id: str) -> Any:
    """The register entry and signature report of an issued document (what its QR code leads to)."""
    from engine.services import documents
    from signing.registry import verify_issued

    platform().db(documents.by_public_id(public_id))  # 404 first, whatever the installation lacks
    return jsonify(platform().db(verify_issued(public_id, platform().blobs, _trust_roots())).as_dict())


def _trust_roots() -> Any:
    """The roots signatures must chain to; 503 when the installation has none configured."""
    from signing.errors import PkiError

    try:
        return platform().trust_roots()
    except PkiError:
        raise ApiError(
            503, "verification_unavailable", "this installation has no trust roots configured"
        ) from None


@blueprint.post("/payments/notify")
def payment_notification() -> Any:
    """A bank or gateway reports a payment, signed with the tenant's shared secret.

    The signature (``X-Thongthin-Signature: sha256=<hex HMAC-SHA256 of the raw body>``) is
    checked before anything is read beyond the tenant; the same transaction ID twice is
    recorded once; a reference that matches no bill is held for an officer, never dropped.
    """
    from api.idempotency_views import keyed, replayed

    if not request.headers.get(payments.SIGNATURE_HEADER):
        # Unsigned: refused before the body is read, whoever it claims to be for.
        raise ApiError(401, "signature_missing", f"sign the body: header {payments.SIGNATURE_HEADER}")
    raw = raw_body()
    body = read_json(raw)
    if not isinstance(body, dict) or not isinstance(body.get("tenant"), str):
        raise ApiError(400, "invalid_json", "the body must be a JSON object naming its tenant")
    found = tenant_or_404(body["tenant"])
    payments.verify_signature(found, raw, request.headers.get(payments.SIGNATURE_HEADER))
    reported = payments.Reported.from_notification(body)
    answer = platform().db(
        payments.notify(found, reported, keyed=keyed(raw), definition_of=platform().definition)
    )
    response = jsonify(answer.body)
    response.status_code = answer.status
    return replayed(response, answer.replayed)


@blueprint.post("/tenants/<tenant>/line/webhook")
def line_webhook(tenant: str) -> Any:
    """LINE's webhook of the municipality's Official Account: signed events, queued for the worker.

    ``X-Line-Signature`` must be the base64 HMAC-SHA256 of the raw body with the account's
    channel secret (401 otherwise, before anything is queued); the answer comes at once, as
    LINE asks, and the worker replies to each message.
    """
    found = tenant_or_404(tenant)
    signature = request.headers.get(line.SIGNATURE_HEADER)
    if not signature:
        raise ApiError(401, "signature_missing", f"sign the body: header {line.SIGNATURE_HEADER}")
    raw = raw_body()
    body = read_json(raw)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    try:
        queued = platform().db(
            line.receive(found, platform().settings.secret_key, raw, signature, body.get("events"))
        )
    except line.NotConnected:
        raise ApiError(
            404, "line_not_connected", "this municipality has not connected a LINE Official Account"
        ) from None
    except line.BadSignature:
        raise ApiError(401, "bad_signature", "the signature does not match the body") from None
    return jsonify({"queued": queued})


def sent_message_json(d: Delivery) -> dict[str, Any]:
    """One message sent about an application, as the delivery log shows it (the address masked)."""
    return {
        "channel": d.channel,
        "to": d.masked,
        "officer": d.user_id is not None,
        "status": d.status,
        "attempts": d.attempts,
        "error": d.last_error or None,
        "created_at": d.created_at.isoformat(),
        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
    }


def _load(found: Tenant, reference: str, caller: Caller) -> Submission:
    """The submission, for an officer of the tenant or the holder of its tracking token.

    An applicant's token is counted against the guessing limits before it is compared (429
    with ``Retry-After`` past them); a wrong one is 404, like a wrong reference.
    """
    if caller.is_officer:
        submission = platform().db(submissions.find(found, reference))
        definition = platform().definition(submission.service_id, submission.service_version)
        if not privacy.sees_service(definition, caller.roles, platform().catalog.roles):
            raise SubmissionNotFound(reference)  # need to know: as if it did not exist
        return submission
    return platform().db(
        tracking.find_by_token(found, reference, caller.tracking_token or "", address=client_address())
    )


def _view(
    tenant: Tenant,
    submission: Submission,
    caller: Caller,
    *,
    entries: list[AuditEntry] | None = None,
    actions: list[Any] | None = None,
) -> dict[str, Any]:
    """The application as ``caller`` may see it; ``entries`` and ``actions`` when already read."""
    definition = platform().definition(submission.service_id, submission.service_version)
    state = definition.workflow.states[submission.state]
    if entries is None:
        entries = platform().db(submissions.history(submission))
    if actions is None:
        actions = platform().db(submissions.actions_for(definition, submission, caller.roles))
    view: dict[str, Any] = {
        "reference": submission.reference,
        "service_id": submission.service_id,
        "service_version": submission.service_version,
        "status": submission.state,
        "status_title": state.title.model_dump(),
        "applicant_message": state.applicant_message.model_dump(),
        "version": submission.version,
        "submitted_at": submission.submitted_at.isoformat(),
        "due_at": submission.due_at.isoformat() if submission.due_at else None,
        "history": _history(definition, submission, entries, caller),
        "actions": [
            {
                "action": t.action,
                "to": t.to,
                "title": t.title.model_dump(),
                "input": t.input,
                "ends_application": applicant.asks_confirmation(definition, t),
                **({"reopens": list(t.reopens)} if t.reopens else {}),
            }
            for t in actions
        ],
    }
    view.update(_fees(tenant, definition, submission))
    view["documents_url"] = f"/api/v1/tenants/{tenant.slug}/submissions/{submission.reference}/documents"
    if caller.is_officer:
        view["data"] = submission.data
        view["votes"] = submission.votes
    return view


def _fees(tenant: Tenant, definition: ServiceDefinition, submission: Submission) -> dict[str, Any]:
    """What the application owes or paid, as its tracking page shows it: each one-off bill with the
    Thai QR payload of what is still owed, and the fee accounts it opened."""
    fees = platform().db(billing.fees_of_submission(submission))
    rows = []
    for bill in fees.bills:
        owed = billing.outstanding(bill)
        rows.append(
            {
                "description": {
                    lang: billing.bill_line(bill, None, definition, lang).description for lang in ("th", "en")
                },
                "amount": str(bill.amount),
                "owed": str(owed),
                "status": bill.status,
                "qr_payload": billing.bill_payload(tenant, bill) if owed > 0 else None,
                "ref1": bill.ref1,
                "ref2": bill.ref2,
            }
        )
    return {
        "bills": rows,
        "fee_accounts": [
            {"number": a.number, "bills_url": f"/api/v1/tenants/{tenant.slug}/bills/{a.number}"}
            for a in fees.accounts
        ],
    }


def _titles(definition: ServiceDefinition, action_title: Text | None, to_state: str) -> dict[str, Any]:
    """The Thai and English titles the pages show for a step: its action's and the state it led to."""
    state = definition.workflow.states.get(to_state)
    return {
        "action_title": action_title.model_dump() if action_title is not None else None,
        "to_title": state.title.model_dump() if state else None,
    }


def _action_title(definition: ServiceDefinition, entry: AuditEntry) -> Text | None:
    if entry.action == submissions.SUBMIT_ACTION:
        return submissions.SUBMITTED
    transition = definition.workflow.transition_named(entry.action, entry.from_state)
    return transition.title if transition else None


def _history(
    definition: ServiceDefinition, submission: Submission, entries: list[AuditEntry], caller: Caller
) -> list[dict[str, Any]]:
    """Officers get every step with its input; the applicant what :mod:`engine.services.applicant` shows.

    Each step carries the titles the pages show beside the names programs branch on.
    """
    if caller.is_officer:
        return [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                **_titles(definition, _action_title(definition, e), e.to_state),
                "role": e.role,
                "by": e.actor_label,
                "input": e.input,
            }
            for e in entries
        ]
    return [
        {
            "at": item.at.isoformat(),
            "action": item.action,
            "to": item.to_state,
            **_titles(
                definition,
                submissions.SUBMITTED if item.action == submissions.SUBMIT_ACTION else item.title,
                item.to_state,
            ),
            "by_applicant": item.by_applicant,
            "told": [
                {"pointer": said.field.pointer, "label": said.field.label.model_dump(), "value": said.value}
                for said in item.said
            ],
        }
        for item in applicant.history(definition, entries, closed=submission.closed)
    ]


@blueprint.get("/tenants/<tenant>/submissions/<reference>")
def submission(tenant: str, reference: str) -> Any:
    found = tenant_or_404(tenant)
    caller = caller_for(found, scope="submissions:read")
    if caller.is_officer:
        from api.officer_views import officer_view  # that module adds its routes to this blueprint

        return jsonify(officer_view(found, reference, caller))
    return jsonify(_view(found, _load(found, reference, caller), caller))


@blueprint.get("/tenants/<tenant>/submissions/<reference>/messages")
def submission_messages(tenant: str, reference: str) -> Any:
    """The delivery log of an application (officers only): what was sent where, and how it went."""
    found = tenant_or_404(tenant)
    caller = caller_for(found)
    if not caller.is_officer:
        raise ApiError(403, "forbidden", "the delivery log is for officers")
    current = _load(found, reference, caller)
    return jsonify(
        {"messages": [sent_message_json(d) for d in platform().db(messages.deliveries_of(current))]}
    )


@blueprint.post("/tenants/<tenant>/submissions/<reference>/transitions")
def transition(tenant: str, reference: str) -> Any:
    found = tenant_or_404(tenant)
    caller = caller_for(found, scope="submissions:write")
    body = json_body()
    action = body.get("action")
    given = body.get("input") or {}
    version = body.get("version")
    if not isinstance(action, str) or not isinstance(given, dict):
        raise ApiError(400, "invalid_request", "give action as a string and input as an object")
    if version is not None and not isinstance(version, int):
        raise ApiError(400, "invalid_request", "version must be an integer")
    corrected = body.get("corrected")
    if corrected is not None and not isinstance(corrected, dict):
        raise ApiError(400, "invalid_request", "corrected must be an object: the form's answers as corrected")
    current = _load(found, reference, caller)
    definition = platform().definition(current.service_id, current.service_version)
    result = platform().db(
        submissions.transition(
            found,
            definition,
            reference,
            action,
            caller.roles,
            input=given,
            actor=caller.user,
            expected_version=version,
            corrected=corrected,
        )
    )
    updated = platform().db(submissions.find(found, reference))
    return jsonify({**_view(found, updated, caller), "fired": result.fired, "effects": list(result.effects)})


@blueprint.post("/tenants/<tenant>/submissions/<reference>/tracking-link")
def tracking_link(tenant: str, reference: str) -> Any:
    """For an applicant who lost the tracking token: the status only, and a fresh link to their own phone and e-mail.

    ``{"contact": "<phone number or national ID given in the application>"}``; 202 when a link
    was queued, 200 when none is sent now (one went out recently, or there is nowhere to send it).
    """
    found = tenant_or_404(tenant)
    contact = json_body().get("contact")
    if (
        not isinstance(contact, str)
        or not any("0" <= ch <= "9" for ch in contact)
        or len(contact) > tracking.MAX_CONTACT_LENGTH
    ):
        raise ApiError(
            400,
            "invalid_request",
            "give contact: a phone number or national ID number given in the application "
            f"(at most {tracking.MAX_CONTACT_LENGTH} characters)",
        )
    # The link leads to the portal, under the configured public address (never the request's Host).
    root = public_url(platform()) + url_for("portal.track", tenant=found.slug)
    answer = platform().db(
        tracking.request_link(
            found,
            reference,
            contact,
            address=client_address(),
            definition_of=platform().definition,
            link_for=lambda ref, token: f"{root}/{quote(ref)}/{quote(token)}",
        )
    )
    status = answer.status
    response = jsonify(
        {
            "reference": status.reference,
            "service_id": status.service_id,
            "service_version": status.service_version,
            "service_title": status.service_title.model_dump(),
            "status": status.state,
            "status_title": status.status_title.model_dump(),
            "applicant_message": status.applicant_message.model_dump(),
            "submitted_at": status.submitted_at.isoformat(),
            "link": {
                "sent": answer.link_sent,
                "outcome": answer.outcome,
                "sent_to": [{"channel": s.channel, "to": s.masked} for s in answer.sent_to],
                "resend_after": answer.resend_after.isoformat() if answer.resend_after else None,
            },
        }
    )
    response.status_code = 202 if answer.link_sent else 200
    return response


__all__ = ["blueprint"]
