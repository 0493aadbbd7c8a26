"""The citizens' pages: services of a municipality, one form step per page, check, submit, track.

Views parse the request, call the service layer (:mod:`engine.services`) through
``platform().db`` and render; the form logic lives in :mod:`renderers.forms`. Everything is
server-rendered and works without JavaScript. The tenant comes from the URL (``g.tenant``,
loaded in :func:`portal.load_tenant`) and scopes every call.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from flask import current_app, g, redirect, render_template, request, session, url_for

from engine.blobs import BlobError
from engine.definitions import ServiceDefinition
from engine.definitions.model import Step
from engine.forms import FieldError, widgets
from engine.services import (
    billing,
    documents,
    drafts,
    messages,
    secrets,
    submissions,
    tenants,
    tracking,
    uploads,
)
from engine.services.errors import NotFound, SubmissionInvalid, SubmissionNotFound
from engine.services.throttle import TooManyAttempts
from engine.store.models import Draft, EnabledService
from portal import blueprint, present, replies
from portal.uploading import keep_upload
from renderers import forms
from renderers.answers import answers
from renderers.documents import format_number, qr_svg
from renderers.web import current_language, download, translate
from thongthin.app import app_settings, client_address, platform
from thongthin.runners import public_url

log = logging.getLogger(__name__)

RECEIPT = "portal_receipt"  # session key: the last submission's reference and tracking token
# Session key: submissions this browser opened with a tracking token. (Named anew when phone numbers
# stopped opening applications, so no session opened by one keeps its access.)
TRACKING = "portal_tracked"
MAX_TRACKED = 10


# --- helpers ---------------------------------------------------------------------------------


def _service(service_id: str) -> tuple[EnabledService, ServiceDefinition]:
    """The enabled service and its pinned definition; raises ServiceNotEnabled (404)."""
    enabled = platform().db(tenants.enabled_service(g.tenant, service_id))
    definition = platform().definition(enabled.service_id, enabled.version)
    g.service_id = definition.id
    return enabled, definition


def draft_cookie(service_id: str) -> str:
    return f"tt_draft_{service_id}"


def _cookie_path() -> str:
    return f"/{g.tenant.slug}/"


def _set_draft_cookie(response: Any, service_id: str, token: str) -> Any:
    response.set_cookie(
        draft_cookie(service_id),
        token,
        max_age=int(drafts.DRAFT_LIFETIME.total_seconds()),
        path=_cookie_path(),
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
    return response


def _current_draft(definition: ServiceDefinition) -> tuple[Draft | None, str, ServiceDefinition]:
    """The draft whose token this browser holds for the service, the token, and the definition
    the draft began with (a draft keeps its version when the municipality moves to a newer one).
    """
    token = request.cookies.get(draft_cookie(definition.id), "")
    if not token:
        return None, "", definition
    try:
        draft = platform().db(drafts.load(g.tenant, token, service_id=definition.id))
    except drafts.DraftNotFound:
        return None, "", definition
    return draft, token, platform().definition(draft.service_id, draft.service_version)


def _resume_url(token: str) -> str:
    return url_for("portal.resume", token=token, _external=True)


def _step_url(step: Step, **args: Any) -> str:
    return url_for("portal.step", service_id=g.service_id, step_id=step.id, **args)


def _first_step_with_errors(
    definition: ServiceDefinition, data: Any, after: Step | None = None
) -> Step | None:
    steps = forms.visible_steps(definition, data)
    start = 0
    if after is not None and after in steps:
        start = steps.index(after) + 1
    for step in steps[start:]:
        if forms.step_errors(definition, step, data):
            return step
    return None


def _language() -> str:
    return current_language()


# --- the municipality's services --------------------------------------------------------------


@blueprint.get("/<tenant>/")
def index() -> Any:
    rows = []
    for enabled in platform().db(tenants.enabled_services(g.tenant)):
        definition = platform().definition(enabled.service_id, enabled.version)
        rows.append(definition)
    rows.sort(key=lambda d: (d.service.category, d.service.title.th))
    return render_template("portal/index.html", services=rows)


@blueprint.get("/<tenant>/services/<service_id>")
def service(service_id: str) -> Any:
    enabled, definition = _service(service_id)
    language = _language()
    draft, token, _began_with = _current_draft(definition)
    return render_template(
        "portal/service.html",
        definition=definition,
        spec=definition.service,
        fees=present.fee_texts(definition, enabled.parameters, language),
        attachments=present.attachment_texts(definition, language),
        legal_maximum=present.duration_text(
            definition.service.sla.legal_maximum,
            language,
            working_days=definition.service.sla.days == "working",
        ),
        target=present.duration_text(
            definition.service.sla.target, language, working_days=definition.service.sla.days == "working"
        ),
        retention=present.duration_text(definition.service.pdpa.retention, language),
        lawful_basis=present.lawful_basis_text(definition.service.pdpa.lawful_basis, language),
        draft=draft,
        resume_url=_resume_url(token) if draft else None,
    )


@blueprint.post("/<tenant>/services/<service_id>/start")
def start(service_id: str) -> Any:
    """Begin an application: a new server-side draft whose token the browser keeps in a cookie."""
    _enabled, definition = _service(service_id)
    steps = forms.visible_steps(definition, {})
    token, _draft = platform().db(drafts.create(g.tenant, definition, step=steps[0].id))
    response = redirect(_step_url(steps[0]))
    return _set_draft_cookie(response, definition.id, token)


@blueprint.get("/<tenant>/resume/<token>")
def resume(token: str) -> Any:
    """Come back to a draft with its secret link (on this or another device)."""
    try:
        draft = platform().db(drafts.load(g.tenant, token))
        _service(draft.service_id)  # still offered
    except NotFound:
        return render_template("portal/resume_invalid.html"), 404
    definition = platform().definition(draft.service_id, draft.service_version)
    steps = forms.visible_steps(definition, draft.data)
    step = next((s for s in steps if s.id == draft.step), None)
    target = _step_url(step) if step else url_for("portal.check", service_id=definition.id)
    return _set_draft_cookie(redirect(target), definition.id, token)


# --- one step per page ----------------------------------------------------------------------


@blueprint.route("/<tenant>/services/<service_id>/apply/<step_id>", methods=["GET", "POST"])
def step(service_id: str, step_id: str) -> Any:
    _enabled, definition = _service(service_id)
    draft, token, definition = _current_draft(definition)
    if draft is None:
        return redirect(url_for("portal.service", service_id=service_id, expired=1))
    data = draft.data if isinstance(draft.data, dict) else {}
    steps = forms.visible_steps(definition, data)
    current = next((s for s in steps if s.id == step_id), None)
    if current is None:
        return redirect(_step_url(steps[0]))
    if request.method == "GET":
        errors = forms.step_errors(definition, current, data) if request.args.get("check") else []
        return _render_step(definition, current, data, token, errors=errors)
    return _post_step(definition, draft, token, current, data)


def _render_step(
    definition: ServiceDefinition,
    current: Step,
    data: dict[str, Any],
    token: str,
    *,
    errors: Sequence[FieldError] = (),
    raw: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    language = _language()
    steps = forms.visible_steps(definition, data)
    index = steps.index(current) if current in steps else 0
    views, links = forms.step_view(definition, current, data, errors=errors, raw=raw, language=language)
    change = bool(request.args.get("change"))
    if change:
        back = url_for("portal.check", service_id=definition.id)
    elif index > 0:
        back = _step_url(steps[index - 1])
    else:
        back = url_for("portal.service", service_id=definition.id)
    body = render_template(
        "portal/step.html",
        definition=definition,
        step=current,
        views=views,
        links=links,
        number=index + 1,
        total=len(steps),
        back_url=back,
        action_url=_step_url(current, **({"change": 1} if change else {})),
        multipart=any(widgets.get(v.widget).files for v in views),
        has_map=app_settings().tile_url != "off" and any(widgets.get(v.widget).uses_map for v in views),
        resume_url=_resume_url(token),
        last=index == len(steps) - 1,
    )
    return body, status


def _post_step(
    definition: ServiceDefinition, draft: Draft, token: str, current: Step, data: dict[str, Any]
) -> Any:
    action = forms.parse_action(request.form.get(forms.ACTION))
    parsed = forms.parse_step(definition, current, request.form, data)
    problems = list(parsed.problems)
    kept, refused = _take_uploads(definition, current, parsed.data)
    problems += refused
    if action.verb == forms.REMOVE_FILE:
        _remove_upload(draft, parsed.data, action)
    elif action.verb == forms.ADD_ITEM:
        forms.add_item(parsed.data, action.pointer)
    elif action.verb == forms.REMOVE_ITEM and action.argument.isdigit():
        forms.remove_item(parsed.data, action.pointer, int(action.argument))
    if action.verb in (forms.CONTINUE, forms.SAVE, forms.SWITCH_LANGUAGE):
        forms.drop_empty_items(definition, current, parsed.data)
    saved = platform().db(
        drafts.save_step(draft, definition, current, parsed.data, uploads=kept, blobs=platform().blobs)
    )
    data = saved.draft.data
    if action.verb == forms.SAVE:
        return redirect(url_for("portal.saved", service_id=definition.id))
    if action.verb == forms.SWITCH_LANGUAGE:
        # What was typed is saved (unchecked); the same page comes back in the other language.
        return redirect(_step_url(current, lang=action.argument, **_change_args()))
    if action.verb != forms.CONTINUE:
        # Upload, remove, add or remove an item: the same page again, showing the change.
        if problems:
            return _render_step(definition, current, data, token, errors=problems, raw=parsed.raw)
        anchor = forms.field_id(action.pointer) if action.pointer else ""
        return redirect(_step_url(current, **_change_args()) + (f"#{anchor}" if anchor else ""))
    errors = forms.merge_problems(problems, saved.errors)
    if errors:
        return _render_step(definition, current, data, token, errors=errors, raw=parsed.raw)
    return redirect(_next_url(definition, current, data))


def _change_args() -> dict[str, Any]:
    return {"change": 1} if request.args.get("change") else {}


def _next_url(definition: ServiceDefinition, current: Step, data: dict[str, Any]) -> str:
    """Where "continue" leads: the next step, or (when changing an answer) the check page,
    unless the change asks new questions on a later step."""
    if request.args.get("change"):
        pending = _first_step_with_errors(definition, data, after=current)
        if pending is not None:
            return _step_url(pending, change=1)
        return url_for("portal.check", service_id=definition.id)
    steps = forms.visible_steps(definition, data)
    if current in steps and steps.index(current) + 1 < len(steps):
        return _step_url(steps[steps.index(current) + 1])
    return url_for("portal.check", service_id=definition.id)


def _take_uploads(
    definition: ServiceDefinition, current: Step, data: dict[str, Any]
) -> tuple[list[uploads.StoredUpload], list[FieldError]]:
    """Store the bytes of the files chosen on this page and list them in the answers (their rows
    are written with the draft); the refusals, as errors of their fields."""
    kept: list[uploads.StoredUpload] = []
    problems: list[FieldError] = []
    for ui_field in forms.asked_fields(current, data):
        if not widgets.get(ui_field.widget).files or not ui_field.attachment:
            continue
        spec = definition.service.attachment(ui_field.attachment)
        sent = [f for f in request.files.getlist(ui_field.pointer) if f and f.filename]
        if spec is None or not sent:
            continue
        for file in sent:
            if len(forms.files_of(data, ui_field.pointer)) >= spec.max_files:
                problems.append(forms.too_many_files(ui_field.pointer, spec))
                break
            stored = keep_upload(definition, spec, file, ui_field.pointer)
            if isinstance(stored, FieldError):
                problems.append(stored)
                continue
            kept.append(stored)
            forms.add_file(data, ui_field.pointer, stored.description())
    return kept, problems


def _remove_upload(draft: Draft, data: dict[str, Any], action: forms.Action) -> None:
    if not forms.remove_file(data, action.pointer, action.argument):
        return
    try:
        platform().db(uploads.remove(g.tenant, action.argument, blobs=platform().blobs, draft=draft))
    except (uploads.UnknownAttachment, BlobError):
        # The form no longer lists the file, which is what the citizen asked; a leftover blob
        # is only clutter and is logged.
        log.warning("could not delete attachment %s of a draft", action.argument, exc_info=True)


@blueprint.route("/<tenant>/services/<service_id>/saved", methods=["GET", "POST"])
def saved(service_id: str) -> Any:
    """The form is saved: its resume link to copy, or to have sent to the citizen's own phone or e-mail."""
    _enabled, definition = _service(service_id)
    draft, token, definition = _current_draft(definition)
    if draft is None:
        return redirect(url_for("portal.service", service_id=service_id))
    steps = forms.visible_steps(definition, draft.data)
    current = next((s for s in steps if s.id == draft.step), steps[0])
    language = _language()
    sendable = [c for c in ("sms", "email") if c in platform().channels]
    contact = request.form.get("contact", "")[:300]
    error, sent_to, status, minutes = None, None, 200, 0
    if request.method == "POST" and sendable:
        link = _resume_url(token)
        try:
            channel, masked = platform().db(
                messages.send_resume_link(
                    g.tenant,
                    draft.id,
                    contact,
                    subject=translate("portal.saved.message_subject", language, tenant=g.tenant.name_th),
                    text_for=lambda channel: translate(
                        f"portal.saved.message_{channel}",
                        language,
                        tenant=g.tenant.name_th,
                        service=definition.service.title.get(language),
                        link=link,
                        days=drafts.DRAFT_LIFETIME.days,
                    ),
                    available=sendable,
                    address=client_address(),
                )
            )
            sent_to = destinations([(channel, masked)], language)
        except messages.ContactNotUsable as refused:
            error, status = f"portal.saved.error.{refused.reason}", 422
        except TooManyAttempts as refused:
            error, status = "portal.saved.error.too_many", 429
            minutes = refused.minutes
    links = [forms.SummaryLink("#contact", translate(error, language, minutes=minutes))] if error else []
    return render_template(
        "portal/saved.html",
        definition=definition,
        resume_url=_resume_url(token),
        continue_url=_step_url(current),
        sendable=sendable,
        contact=contact if error else "",
        error=links[0].message if links else None,
        links=links,
        sent_to=sent_to,
    ), status


@blueprint.post("/<tenant>/services/<service_id>/discard")
def discard(service_id: str) -> Any:
    """Delete the draft (the citizen starts over or gives up)."""
    _enabled, definition = _service(service_id)
    draft, _token, definition = _current_draft(definition)
    if draft is not None:
        platform().db(drafts.discard(g.tenant, draft.id, blobs=platform().blobs))
    response = redirect(url_for("portal.service", service_id=service_id, discarded=1))
    response.delete_cookie(draft_cookie(service_id), path=_cookie_path())
    return response


# --- check your answers, submit, confirmation -------------------------------------------------


@blueprint.get("/<tenant>/services/<service_id>/check")
def check(service_id: str) -> Any:
    enabled, definition = _service(service_id)
    draft, token, definition = _current_draft(definition)
    if draft is None:
        return redirect(url_for("portal.service", service_id=service_id, expired=1))
    language = _language()
    data = forms.prune_hidden(definition, draft.data)
    incomplete, unplaced = forms.problems_by_step(definition, data)
    return render_template(
        "portal/check.html",
        definition=definition,
        sections=answers(definition, data, language),
        incomplete=incomplete,
        unplaced=unplaced,
        fees=present.fees_due(definition, enabled.parameters, data, language),
        resume_url=_resume_url(token),
        back_url=_step_url(forms.visible_steps(definition, data)[-1]),
        change_url=lambda step_id, pointer: url_for(
            "portal.step",
            service_id=definition.id,
            step_id=step_id,
            change=1,
            _anchor=forms.field_id(pointer),
        ),
    )


@blueprint.post("/<tenant>/services/<service_id>/submit")
def submit(service_id: str) -> Any:
    """File the application. It is stored whole or not at all, and the page says which."""
    _enabled, definition = _service(service_id)
    draft, _token, definition = _current_draft(definition)
    receipt = session.get(RECEIPT)
    if draft is None:
        if receipt and receipt.get("tenant") == g.tenant.id and receipt.get("service") == definition.id:
            return redirect(url_for("portal.done", service_id=service_id))  # a second click
        return redirect(url_for("portal.service", service_id=service_id, expired=1))
    data = forms.prune_hidden(definition, draft.data)
    try:
        result = platform().db(drafts.submit(g.tenant, draft, definition, blobs=platform().blobs))
    except drafts.DraftBeingSubmitted:
        return render_template("portal/submitting.html", definition=definition), 409
    except SubmissionInvalid as invalid:
        first = next(
            (s for e in invalid.errors if (s := forms.step_of_error(definition, data, e)) is not None), None
        )
        if first is None:
            return redirect(url_for("portal.check", service_id=service_id))
        return redirect(_step_url(first, check=1, change=1))
    except Exception:
        log.exception("submitting %s for %s failed; nothing was stored", definition.id, g.tenant.slug)
        return render_template("portal/not_stored.html", definition=definition), 503
    # Stored: from here on every failure is told as "stored", with the reference number.
    session[RECEIPT] = {
        "tenant": g.tenant.id,
        "service": definition.id,
        "reference": result.reference,
        "tracking_token": result.tracking_token,
        "sent_to": messages.announced(definition, data, platform().channels),
    }
    _grant_tracking(result.reference)
    response = redirect(url_for("portal.done", service_id=service_id))
    response.delete_cookie(draft_cookie(service_id), path=_cookie_path())
    return response


@blueprint.get("/<tenant>/services/<service_id>/done")
def done(service_id: str) -> Any:
    _enabled, definition = _service(service_id)
    receipt = session.get(RECEIPT)
    if not receipt or receipt.get("tenant") != g.tenant.id or receipt.get("service") != definition.id:
        return redirect(url_for("portal.service", service_id=service_id))
    state = definition.workflow.states[definition.workflow.initial]
    language = _language()
    submission = platform().db(submissions.find(g.tenant, receipt["reference"]))
    return render_template(
        "portal/done.html",
        definition=definition,
        destinations=destinations(receipt.get("sent_to", []), language),
        line=replies.line_box(submission),
        reference=receipt["reference"],
        tracking_token=secrets.format_code(receipt["tracking_token"]),
        tracking_url=url_for(
            "portal.track_link",
            reference=receipt["reference"],
            token=receipt["tracking_token"],
            _external=True,
        ),
        state=state,
        legal_maximum=present.duration_text(
            definition.service.sla.legal_maximum,
            language,
            working_days=definition.service.sla.days == "working",
        ),
    )


# --- tracking -------------------------------------------------------------------------------

_REFERENCE = re.compile(r"[A-Z]{1,6}-[0-9]{4}-[0-9]{1,6}")


def normalise_reference(text: str) -> str:
    """``mh 2569 123`` -> ``MH-2569-000123`` (people type references in many ways)."""
    cleaned = forms.ascii_digits(text).strip().upper()
    parts = [p for p in re.split(r"[\s\-_/]+", cleaned) if p]
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return f"{parts[0]}-{parts[1]}-{int(parts[2]):06d}"
    return cleaned


def _grant_tracking(reference: str) -> None:
    key = f"{g.tenant.id}:{reference}"
    granted = [k for k in session.get(TRACKING, []) if k != key]
    session[TRACKING] = [*granted, key][-MAX_TRACKED:]


def _may_track(reference: str) -> bool:
    return f"{g.tenant.id}:{reference}" in session.get(TRACKING, [])


@blueprint.route("/<tenant>/track", methods=["GET", "POST"])
def track() -> Any:
    """Open an application with its reference and tracking code, or ask for a fresh link for a lost one.

    The tracking code opens the full status page. A phone number or national ID the applicant
    gave shows the status only and sends a fresh tracking link to the applicant's own phone and
    e-mail (:func:`engine.services.tracking.request_link`). Wrong references, codes and numbers
    get the same answer, so the page tells nobody which reference numbers exist.
    """
    reference = request.values.get("reference", "")
    if request.method == "GET":
        return render_template("portal/track.html", reference=reference, links=[], errors={})
    reference = normalise_reference(reference)
    secret = request.form.get("secret", "").strip()
    errors: dict[str, str] = {}
    if not reference:
        errors["reference"] = "portal.track.reference_missing"
    if not secret:
        errors["secret"] = "portal.track.secret_missing"
    if errors:
        return _track_page(reference, errors), 200
    try:
        if tracking.looks_like_contact(secret):
            return _link_requested(reference, secret)
        found = platform().db(tracking.find_by_token(g.tenant, reference, secret, address=client_address()))
    except SubmissionNotFound:
        return _track_page(reference, {"reference": "portal.track.not_found"}), 200
    except TooManyAttempts as refused:
        return _throttled(reference, refused)
    _grant_tracking(found.reference)
    return redirect(url_for("portal.status", reference=found.reference))


def _track_page(reference: str, errors: dict[str, str], **values: Any) -> str:
    language = _language()
    links = [
        forms.SummaryLink(f"#track-{name}", translate(key, language, **values))
        for name, key in errors.items()
    ]
    return render_template(
        "portal/track.html", reference=reference, errors=errors, links=links, values=values
    )


def _throttled(reference: str, refused: TooManyAttempts) -> Any:
    body = _track_page(reference, {"reference": "portal.track.too_many"}, minutes=refused.minutes)
    return body, 429, {"Retry-After": str(refused.seconds)}


def _link_for() -> Callable[[str, str], str]:
    """How a fresh link is written: :func:`track_link`'s URL under the configured public address.

    Never from the request's Host header: a forged one would send the applicant's new token
    to a stranger's site.
    """
    root = public_url(platform()) + url_for("portal.track")
    return lambda reference, token: f"{root}/{quote(reference)}/{quote(token)}"


def destinations(sent_to: Sequence[Sequence[str]], language: str) -> str:
    """``หมายเลขโทรศัพท์ 08x-xxx-5678 และอีเมล s***@example.com``: where a message went, masked."""
    names = {"sms": "portal.lost_link.to_sms", "email": "portal.lost_link.to_email"}
    return translate("portal.lost_link.and", language).join(
        translate(names[channel], language, masked=masked) for channel, masked in sent_to if channel in names
    )


def _link_requested(reference: str, contact: str) -> Any:
    """The status only, and where the fresh link went (masked); nothing else of the application."""
    answer = platform().db(
        tracking.request_link(
            g.tenant,
            reference,
            contact,
            address=client_address(),
            definition_of=platform().definition,
            link_for=_link_for(),
        )
    )
    return render_template(
        "portal/track_status.html",
        answer=answer,
        status=answer.status,
        destinations=destinations([(sent.channel, sent.masked) for sent in answer.sent_to], _language()),
        link_days=tracking.LINK_LIFETIME.days,
    )


@blueprint.get("/<tenant>/track/<reference>/<token>")
def track_link(reference: str, token: str) -> Any:
    """A tracking link (of the confirmation page, or sent later): proves the token once, then drops it from the URL."""
    try:
        found = platform().db(tracking.find_by_token(g.tenant, reference, token, address=client_address()))
    except SubmissionNotFound:
        return _track_page("", {"reference": "portal.track.not_found"}), 404
    except TooManyAttempts as refused:
        return _throttled("", refused)
    _grant_tracking(found.reference)
    return redirect(url_for("portal.status", reference=found.reference))


@blueprint.get("/<tenant>/track/<reference>")
def status(reference: str) -> Any:
    """The tracking page of an application this browser opened with its tracking code."""
    if not _may_track(reference):
        return redirect(url_for("portal.track", reference=reference))
    submission = platform().db(submissions.find(g.tenant, reference))
    definition = platform().definition(submission.service_id, submission.service_version)
    return replies.status_page(submission, definition, fee_view=_fee_view)


@blueprint.post("/<tenant>/track/<reference>/actions/<action>")
def status_action(reference: str, action: str) -> Any:
    """The applicant answers the office: a reply, corrected papers, or withdrawing the application."""
    if not _may_track(reference):
        return redirect(url_for("portal.track", reference=reference))
    return replies.act(reference, action, fee_view=_fee_view)


@blueprint.route("/<tenant>/track/<reference>/correct/<action>", methods=["GET", "POST"])
def status_correct(reference: str, action: str) -> Any:
    """Correct the answers an action of the office's request reopens, then send the application again."""
    if not _may_track(reference):
        return redirect(url_for("portal.track", reference=reference))
    return replies.correct(reference, action, fee_view=_fee_view)


@blueprint.post("/<tenant>/track/<reference>/messages/<channel>")
def status_messages(reference: str, channel: str) -> Any:
    """Send messages on a channel the applicant had stopped."""
    if not _may_track(reference):
        return redirect(url_for("portal.track", reference=reference))
    return replies.resume(reference, channel)


@blueprint.route("/<tenant>/messages/stop/<key>", methods=["GET", "POST"])
def stop_messages(key: str) -> Any:
    """The link at the end of every message to an applicant: stop messages on that channel."""
    return replies.stop_page(key)


def _fee_view(bill: Any, definition: ServiceDefinition) -> dict[str, Any]:
    """A one-off bill on the tracking page: what it is for, what is still owed, and its QR while unpaid."""
    owed = billing.outstanding(bill)
    payload = billing.bill_payload(g.tenant, bill) if owed > 0 else None
    return {
        "description": billing.bill_line(bill, None, definition, current_language()).description,
        "amount": format_number(bill.amount, 2),
        "owed": format_number(owed, 2),
        "paid": bill.status == "paid",
        "payload": payload,
        "qr": qr_svg(payload) if payload else None,
        "ref1": bill.ref1,
        "ref2": bill.ref2,
    }


@blueprint.get("/<tenant>/track/<reference>/documents/<public_id>")
def status_document(reference: str, public_id: str) -> Any:
    """A signed document of the tracked submission, for the applicant to download."""
    if not _may_track(reference):
        return redirect(url_for("portal.track", reference=reference))
    submission = platform().db(submissions.find(g.tenant, reference))
    found = platform().db(documents.of_submission_by_id(submission, public_id))
    return download(platform().blobs.get(found.blob_key), documents.file_name(found), "application/pdf")
