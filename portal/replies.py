"""The tracking page, and the applicant's answers to the office: replies, corrected papers, withdrawal.

Every action the workflow gives the ``applicant`` role from the current state is offered as
a form drawn from the action's input schema (:mod:`renderers.inputs`), files included. The
action goes through :func:`engine.services.submissions.transition` like an officer's, so
the officers' desk, the API and this page can never disagree on what is allowed. An action
that ends the application (withdrawing it) is confirmed on a page of its own first.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for
from werkzeug.datastructures import FileStorage

from engine.definitions import ServiceDefinition
from engine.definitions.model import Transition
from engine.forms import FieldError, widgets
from engine.services import applicant, billing, corrections, documents, line, messages, submissions
from engine.services.errors import CorrectionNotAllowed, StaleSubmission, SubmissionInvalid
from engine.store.models import LineLink, Submission
from engine.workflow import GuardFailed, InvalidInput, WorkflowError
from portal.uploading import store_upload
from renderers import forms
from renderers.answers import format_value
from renderers.documents import qr_svg
from renderers.inputs import error_messages, fields, file_fields, option_value, parse, posted_version
from renderers.web import current_language
from thongthin.app import app_settings, platform

log = logging.getLogger(__name__)
ROLES = frozenset({applicant.APPLICANT})
CONFIRMED = "confirmed"


def _flash_key(key: str, **values: str) -> None:
    """Flash a catalog key, translated when the tracking page shows it."""
    # Flask annotates the message as str, but stores any value the session can serialise.
    flash({"key": key, "values": values})  # type: ignore[arg-type]


def line_box(submission: Submission) -> dict[str, Any] | None:
    """How to follow the application on the municipality's LINE Official Account (None: it has none)."""
    key = platform().settings.secret_key
    account = line.account_of(g.tenant, key)
    if account is None:
        return None
    command = line.link_command(key, submission)
    url = line.message_url(account, command) if account.basic_id else ""
    return {
        "command": command,
        "url": url,
        "qr": qr_svg(url) if url else None,
        "add_friend": account.add_friend_url,
        "linked": platform().db(LineLink.filter(submission_id=submission.id).exists()),
    }


def status_page(
    submission: Submission,
    definition: ServiceDefinition,
    *,
    fee_view: Any,
    failed_action: str | None = None,
    given: dict[str, Any] | None = None,
    field_errors: dict[str, str] | None = None,
    links: list[forms.SummaryLink] | None = None,
    status: int = 200,
) -> Any:
    """The tracking page: status, what the office said, the applicant's actions, fees, documents."""
    language = current_language()
    workflow = definition.workflow
    told = applicant.history(
        definition, platform().db(submissions.history(submission)), closed=submission.closed
    )
    timeline = [
        {
            "at": item.at,
            "state": workflow.states[item.to_state],
            "title": item.title,
            "moved": item.moved,
            "by_applicant": item.by_applicant,
            "said": [
                (s.field.label.get(language), format_value(s.field, s.value, language)) for s in item.said
            ],
            "current": False,
        }
        for item in told
    ]
    moves = [entry for entry in timeline if entry["moved"]]
    if moves:
        moves[-1]["current"] = True
    actions = platform().db(submissions.actions_for(definition, submission, ROLES))
    action_forms = [
        (
            transition,
            fields(
                transition,
                language,
                given if transition.action == failed_action else None,
                field_errors if transition.action == failed_action else None,
                attachments=definition.service.attachment,
            ),
            applicant.asks_confirmation(definition, transition),
        )
        for transition in actions
    ]
    fees = platform().db(billing.fees_of_submission(submission))
    return render_template(
        "portal/status.html",
        submission=submission,
        definition=definition,
        state=workflow.states[submission.state],
        timeline=list(reversed(timeline)),
        asked=next(
            (entry for entry in reversed(timeline) if entry["said"] and not entry["by_applicant"]), None
        ),
        action_forms=action_forms,
        links=links or [],
        issued=platform().db(documents.of_submission(submission)),
        line=line_box(submission),
        stopped=[c for c in submission.stopped_channels or [] if c in messages.EXTERNAL],
        bills=[fee_view(bill, definition) for bill in fees.bills],
        fee_accounts=fees.accounts,
    ), status


def _store_files(
    definition: ServiceDefinition, transition: Transition, given: dict[str, Any]
) -> dict[str, str]:
    """Store the files chosen for the action's file pickers into ``given``; refusals by pointer."""
    language = current_language()
    problems: dict[str, str] = {}
    for name, attachment_id in file_fields(transition):
        spec = definition.service.attachment(attachment_id)
        chosen: list[FileStorage] = [f for f in request.files.getlist(name) if f and f.filename]
        if spec is None or not chosen:
            continue
        pointer = "/" + name.removeprefix("input-")
        if len(chosen) > spec.max_files:
            problems[pointer] = forms.too_many_files(pointer, spec).message(language)
            continue
        stored = []
        for file in chosen:
            described = store_upload(definition, spec, file, pointer)
            if isinstance(described, FieldError):
                problems[pointer] = described.message(language)
            else:
                stored.append(described)
        if pointer not in problems:
            given[pointer[1:]] = stored
    return problems


def act(reference: str, action: str, *, fee_view: Any) -> Any:
    """Take the applicant's ``action``; on refusal the page again with every answer kept."""
    submission = platform().db(submissions.find(g.tenant, reference))
    definition = platform().definition(submission.service_id, submission.service_version)
    available = {t.action: t for t in platform().db(submissions.actions_for(definition, submission, ROLES))}
    transition = available.get(action)
    language = current_language()
    if transition is None:
        _flash_key("portal.reply.not_available")
        return redirect(url_for("portal.status", reference=reference))
    given = parse(transition, request.form)

    def refused(messages: dict[str, str], status: int) -> Any:
        return status_page(
            submission,
            definition,
            fee_view=fee_view,
            failed_action=action,
            given=given,
            field_errors=messages,
            links=[
                forms.SummaryLink(
                    f"#{action}-{pointer[1:]}"
                    if pointer[1:] in _properties(transition)
                    else f"#action-{action}",
                    message,
                )
                for pointer, message in messages.items()
            ],
            status=status,
        )

    if applicant.asks_confirmation(definition, transition) and request.form.get(CONFIRMED) != "yes":
        return render_template(
            "portal/confirm_action.html",
            submission=submission,
            definition=definition,
            transition=transition,
            kept=[(f"input-{key}", option_value(value)) for key, value in given.items()],
        )
    problems = _store_files(definition, transition, given)
    if problems:
        return refused(problems, 422)
    version = posted_version(request.form)
    try:
        result = platform().db(
            submissions.transition(
                g.tenant, definition, reference, action, ROLES, input=given, expected_version=version
            )
        )
    except InvalidInput as error:
        return refused(error_messages(error.errors, language), 422)
    except SubmissionInvalid as error:
        return refused({e.pointer: e.message(language) for e in error.errors}, 422)
    except GuardFailed as error:
        return refused({"": error.message_en if language == "en" else error.message_th}, 409)
    except (WorkflowError, StaleSubmission):
        _flash_key("portal.reply.stale")
        return redirect(url_for("portal.status", reference=reference))
    return _sent(definition, reference, result.status)


def _sent(definition: ServiceDefinition, reference: str, status: str) -> Any:
    """Back to the tracking page, saying the office has the answer and where the application stands."""
    title = definition.workflow.states[status].title.get(current_language())
    _flash_key("portal.reply.done", state=title)
    return redirect(url_for("portal.status", reference=reference) + "#status-now")


def _properties(transition: Transition) -> dict[str, Any]:
    return dict((transition.input or {}).get("properties", {}))


def stop_page(key: str) -> Any:
    """The "stop these messages" link of a message: asks first (mail scanners open links), then stops."""
    try:
        delivery = platform().db(messages.find(g.tenant, key))
    except messages.DeliveryNotFound:
        return render_template("portal/messages_stop.html", delivery=None), 404
    reference = platform().db(messages.reference_of(delivery))
    if request.method == "POST":
        platform().db(messages.stop(g.tenant, key))
        return render_template("portal/messages_stop.html", delivery=delivery, reference=reference, done=True)
    return render_template("portal/messages_stop.html", delivery=delivery, reference=reference, done=False)


def resume(reference: str, channel: str) -> Any:
    """The applicant wants messages on ``channel`` again (from the tracking page)."""
    submission = platform().db(submissions.find(g.tenant, reference))
    if channel in messages.EXTERNAL:
        platform().db(messages.resume(submission, channel))
        _flash_key("portal.messages.resumed")
    return redirect(url_for("portal.status", reference=reference))


def _correcting_key(submission: Submission, action: str) -> str:
    return f"correcting:{submission.tenant_id}:{submission.reference}:{action}"


def correct(reference: str, action: str, *, fee_view: Any) -> Any:
    """Correct the answers of the steps an action reopens, then take the action with them.

    The answers being corrected are kept in the (server-side) session between posts, so files
    can be added and removed before sending; nothing changes on the application until the
    action is taken, and then the whole form is checked again by the engine.
    """
    submission = platform().db(submissions.find(g.tenant, reference))
    definition = platform().definition(submission.service_id, submission.service_version)
    try:
        transition = platform().db(corrections.offered(definition, submission, action))
    except corrections.CorrectionNotOffered:
        _flash_key("portal.reply.not_available")
        return redirect(url_for("portal.status", reference=reference))
    language = current_language()
    key = _correcting_key(submission, action)
    working = session.get(key) or submission.data
    steps = corrections.reopened_steps(definition, transition)
    given: dict[str, Any] = {}
    problems: list[FieldError] = []
    raw: dict[str, str] = {}
    if request.method == "POST":
        chosen = forms.parse_action(request.form.get(forms.ACTION))
        for step in steps:
            parsed = forms.parse_step(definition, step, request.form, working)
            problems += parsed.problems
            raw.update(parsed.raw)
            working = parsed.data
            for ui_field in forms.asked_fields(step, working):
                spec = definition.service.attachment(ui_field.attachment or "")
                if not widgets.get(ui_field.widget).files or spec is None:
                    continue
                for file in [f for f in request.files.getlist(ui_field.pointer) if f and f.filename]:
                    if len(forms.files_of(working, ui_field.pointer)) >= spec.max_files:
                        problems.append(forms.too_many_files(ui_field.pointer, spec))
                        break
                    described = store_upload(definition, spec, file, ui_field.pointer)
                    if isinstance(described, FieldError):
                        problems.append(described)
                    else:
                        forms.add_file(working, ui_field.pointer, described)
        if chosen.verb == forms.REMOVE_FILE:
            forms.remove_file(working, chosen.pointer, chosen.argument)
        working = forms.prune_hidden(definition, working)
        session[key] = working
        given = parse(transition, request.form)
        if chosen.verb == forms.CONTINUE:
            errors = forms.merge_problems(problems, corrections.problems(definition, transition, working))
            if not errors:
                try:
                    result = platform().db(
                        submissions.transition(
                            g.tenant, definition, reference, action, ROLES,
                            input=given, corrected=working, expected_version=posted_version(request.form),
                        )
                    )  # fmt: skip
                except InvalidInput as error:
                    return _correct_page(submission, definition, transition, steps, working, raw, [], given,
                                         error_messages(error.errors, language), 422)  # fmt: skip
                except SubmissionInvalid as error:
                    errors = error.errors
                except (WorkflowError, StaleSubmission, CorrectionNotAllowed):
                    _flash_key("portal.reply.stale")
                    return redirect(url_for("portal.status", reference=reference))
                else:
                    session.pop(key, None)
                    return _sent(definition, reference, result.status)
            return _correct_page(
                submission, definition, transition, steps, working, raw, errors, given, {}, 422
            )
        problems = list(problems)
    return _correct_page(submission, definition, transition, steps, working, raw, problems, given, {}, 200)


def _correct_page(
    submission: Submission,
    definition: ServiceDefinition,
    transition: Transition,
    steps: list[Any],
    working: dict[str, Any],
    raw: dict[str, str],
    errors: list[FieldError],
    given: dict[str, Any],
    input_errors: dict[str, str],
    status: int,
) -> Any:
    language = current_language()
    sections, links = [], []
    for step in steps:
        views, step_links = forms.step_view(
            definition, step, working, errors=errors, raw=raw, language=language
        )
        sections.append((step, views))
        links += step_links
    links += [
        forms.SummaryLink(f"#{transition.action}-{pointer[1:]}", message)
        for pointer, message in input_errors.items()
    ]
    return render_template(
        "portal/correct.html",
        submission=submission,
        definition=definition,
        transition=transition,
        sections=sections,
        links=links,
        fields=[
            f
            for f in fields(
                transition, language, given, input_errors, attachments=definition.service.attachment
            )
            if f.kind != "file"
        ],
        has_map=app_settings().tile_url != "off"
        and any(widgets.get(v.widget).uses_map for _s, vs in sections for v in vs),
    ), status
