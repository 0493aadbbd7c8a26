"""The rest of the tracking page over the API: correcting reopened answers, choosing how to be told,
the "stop these messages" link of a message, and the printable bill of a fee account.

The applicant proves themselves with the tracking token in ``X-Tracking-Token`` (see
:func:`api.auth.caller_for`); a wrong token is 404, like a reference that does not exist. Each
route calls the service the portal's page calls (:mod:`engine.services.corrections`,
:mod:`engine.services.messages`, the portal's printable bill) and refuses in the page's words.
The applicant's other actions (a reply, withdrawing) go through ``POST …/transitions``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from api.auth import Caller, caller_for
from api.body import json_body
from api.errors import ApiError
from api.views import _load, _view, blueprint, tenant_or_404
from engine.definitions import ServiceDefinition
from engine.definitions.model import Transition
from engine.forms import FieldError
from engine.forms.rules import page_fields, step_of_error
from engine.services import corrections, messages, submissions
from engine.services.errors import StaleSubmission, SubmissionInvalid
from engine.store.models import Submission, Tenant
from renderers.web import download, translate
from thongthin.app import platform
from thongthin.runners import printable_bill

LANGUAGES = ("th", "en")
MAX_ACTION = 64
MAX_KEY = 128


def _words(key: str, **values: Any) -> dict[str, str]:
    """A message of the portal's pages, in Thai and English."""
    return {lang: translate(key, lang, **values) for lang in LANGUAGES}


def _refused(status: int, code: str, key: str, **extra: Any) -> ApiError:
    words = _words(key)
    return ApiError(status, code, words["en"], message_th=words["th"], **extra)


def _applicant(found: Tenant, reference: str) -> Submission:
    """The application the tracking token in ``X-Tracking-Token`` opens (404 for a wrong one).

    Raises :class:`ApiError` 401 without a token, 403 for an officer: these are the applicant's choices.
    """
    caller = caller_for(found)
    if caller.is_officer:
        raise ApiError(
            403,
            "applicant_only",
            "only the applicant, with the tracking token, may do this",
            message_th="ผู้ยื่นคำขอเท่านั้นที่ดำเนินการนี้ได้ โดยใช้รหัสติดตามคำขอ",
        )
    return _load(found, reference, caller)


# --- correcting the answers an officer's request reopens ------------------------------------------


def _offered(definition: ServiceDefinition, submission: Submission, action: str) -> Transition:
    if len(action) > MAX_ACTION:
        raise _refused(409, corrections.CorrectionNotOffered.code, "portal.reply.not_available")
    try:
        return platform().db(corrections.offered(definition, submission, action))
    except corrections.CorrectionNotOffered:
        raise _refused(409, corrections.CorrectionNotOffered.code, "portal.reply.not_available") from None


def _field_errors(definition: ServiceDefinition, data: Any, errors: list[FieldError]) -> list[dict[str, Any]]:
    shown = []
    for error in errors:
        step = step_of_error(definition, data, error)
        shown.append({**error.as_dict(), "step_id": step.id if step is not None else None})
    return shown


def _correction_form(
    submission: Submission, definition: ServiceDefinition, transition: Transition
) -> dict[str, Any]:
    data = submission.data
    return {
        "reference": submission.reference,
        "action": transition.action,
        "title": transition.title.model_dump(),
        "version": submission.version,
        "steps": [
            {
                "id": step.id,
                "title": step.title.model_dump(),
                "fields": [
                    {
                        "pointer": f.pointer,
                        "label": f.label.model_dump(),
                        "widget": f.widget,
                        **({"attachment": f.attachment} if f.attachment else {}),
                    }
                    for f in page_fields(step, data)
                ],
            }
            for step in corrections.reopened_steps(definition, transition)
        ],
        "answers": corrections.answers_of(definition, transition, data),
        "input": transition.input,
    }


@blueprint.get("/tenants/<tenant>/submissions/<reference>/corrections/<action>")
def correction_form(tenant: str, reference: str, action: str) -> Any:
    """The form's part the action reopens, with the answers as they stand (the correction page)."""
    found = tenant_or_404(tenant)
    submission = _applicant(found, reference)
    definition = platform().definition(submission.service_id, submission.service_version)
    transition = _offered(definition, submission, action)
    response = jsonify(_correction_form(submission, definition, transition))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.post("/tenants/<tenant>/submissions/<reference>/corrections/<action>")
def correct(tenant: str, reference: str, action: str) -> Any:
    """Send the corrected answers with the action; refused per field as the page refuses, nothing stored."""
    found = tenant_or_404(tenant)
    submission = _applicant(found, reference)
    definition = platform().definition(submission.service_id, submission.service_version)
    transition = _offered(definition, submission, action)
    body = json_body()
    answers, given, version = body.get("answers"), body.get("input"), body.get("version")
    given = {} if given is None else given
    if not isinstance(answers, dict) or not isinstance(given, dict):
        raise ApiError(
            400,
            "invalid_request",
            "give answers as an object (the reopened steps' answers in the form's shape) and input as an object",
        )
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ApiError(400, "invalid_request", "version must be an integer")
    try:
        result = platform().db(
            corrections.correct(
                found, definition, submission, action, answers, input=given, expected_version=version
            )
        )
    except corrections.CorrectionNotOffered:
        raise _refused(409, corrections.CorrectionNotOffered.code, "portal.reply.not_available") from None
    except StaleSubmission:
        raise _refused(409, StaleSubmission.code, "portal.reply.stale") from None
    except SubmissionInvalid as invalid:
        raise ApiError(
            422,
            corrections.CorrectionRefused.code,
            str(invalid),
            message_th="คำตอบที่แก้ไขยังไม่ครบหรือไม่ถูกต้อง ยังไม่ได้ส่งคำขอกลับไปยังหน่วยงาน",
            errors=_field_errors(
                definition,
                corrections.take(definition, transition, submission.data, answers)[0],
                invalid.errors,
            ),
            **({"more_errors": invalid.more_errors} if invalid.more_errors else {}),
        ) from None
    updated = platform().db(submissions.find(found, reference))
    caller = Caller(roles=corrections.ROLES)
    title = definition.workflow.states[result.status].title
    return jsonify(
        {
            **_view(found, updated, caller),
            "fired": result.fired,
            "effects": list(result.effects),
            "message": {
                lang: translate("portal.reply.done", lang, state=title.get(lang)) for lang in LANGUAGES
            },
        }
    )


# --- messages to the applicant ----------------------------------------------------------------


def _channel(channel: str) -> str:
    if channel not in messages.EXTERNAL:
        raise ApiError(
            404,
            "channel_not_found",
            f"no such channel: give one of {', '.join(sorted(messages.EXTERNAL))}",
            message_th="ไม่มีช่องทางนี้ กรุณาระบุ sms, email หรือ line",
        )
    return channel


def _subscription(submission: Submission, channel: str, message: dict[str, str] | None = None) -> Any:
    stopped = sorted(c for c in submission.stopped_channels or [] if c in messages.EXTERNAL)
    return jsonify(
        {
            "reference": submission.reference,
            "channel": channel,
            "subscribed": channel not in stopped,
            "stopped_channels": stopped,
            **({"message": message} if message else {}),
        }
    )


@blueprint.get("/tenants/<tenant>/submissions/<reference>/messages/<channel>")
def message_subscription(tenant: str, reference: str, channel: str) -> Any:
    """Whether messages about the application go out on ``channel`` (the tracking page lists the stopped ones)."""
    found = tenant_or_404(tenant)
    submission = _applicant(found, reference)
    return _subscription(submission, _channel(channel))


@blueprint.put("/tenants/<tenant>/submissions/<reference>/messages/<channel>")
def resume_messages(tenant: str, reference: str, channel: str) -> Any:
    """Send messages on ``channel`` again (the tracking page's button for a stopped channel)."""
    found = tenant_or_404(tenant)
    submission = _applicant(found, reference)
    platform().db(messages.resume(submission, _channel(channel)))
    return _subscription(submission, channel, _words("portal.messages.resumed"))


@blueprint.delete("/tenants/<tenant>/submissions/<reference>/messages/<channel>")
def stop_channel_messages(tenant: str, reference: str, channel: str) -> Any:
    """Stop messages on ``channel`` (as the link at the end of each message does), queued ones too."""
    found = tenant_or_404(tenant)
    submission = _applicant(found, reference)
    submission.stopped_channels = platform().db(messages.stop_channel(submission.id, _channel(channel)))
    return _subscription(
        submission, channel, _words(f"portal.messages.stopped_{channel}", reference=submission.reference)
    )


@blueprint.post("/tenants/<tenant>/messages/stop")
def stop_messages(tenant: str) -> Any:
    """The "stop these messages" link of a message: ``{"key": "<the link's key>"}`` stops that channel."""
    found = tenant_or_404(tenant)
    key = json_body().get("key")
    if not isinstance(key, str) or not key or len(key) > MAX_KEY:
        raise ApiError(
            400,
            "invalid_request",
            f"give key: the key of the message's stop link (at most {MAX_KEY} characters)",
        )
    try:
        delivery = platform().db(messages.stop(found, key))
    except messages.DeliveryNotFound:
        raise _refused(404, "message_not_found", "portal.messages.stop_unknown") from None
    reference = platform().db(messages.reference_of(delivery))
    return jsonify(
        {
            "reference": reference,
            "channel": delivery.channel,
            "to": delivery.masked,
            "stopped": True,
            "message": _words(f"portal.messages.stopped_{delivery.channel}", reference=reference),
        }
    )


# --- the printable bill -------------------------------------------------------------------------


@blueprint.get("/tenants/<tenant>/bills/<account>/bill.pdf")
def account_bill_pdf(tenant: str, account: str) -> Response:
    """The printable bill of a fee account, as the portal prints it for whoever has the account number."""
    found = tenant_or_404(tenant)
    number, pdf = printable_bill(platform(), found, account)
    return download(pdf, f"bill-{number}.pdf", "application/pdf")


__all__ = ["LANGUAGES"]
