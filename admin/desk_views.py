"""The officers' desk: the inbox, a submission's detail with the actions I may take, its files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import g, redirect, render_template, request, url_for

from admin import blueprint
from engine.blobs import BlobNotFound
from engine.definitions import ServiceDefinition, UnknownService
from engine.definitions.model import Transition
from engine.services import access_log, comments, desk, documents, privacy, submissions
from engine.services.errors import StaleSubmission, SubmissionNotFound
from engine.store.models import AuditEntry, Submission
from engine.workflow import (
    ActionNotAvailable,
    AlreadyVoted,
    GuardFailed,
    InvalidInput,
    NotPermitted,
    WorkflowError,
)
from renderers.answers import answers, format_value
from renderers.back_office import ErrorItem, flash_key
from renderers.inputs import error_messages, fields, parse, posted_version
from renderers.web import current_language, download
from thongthin.app import client_address, platform

PER_PAGE = 50


def service_title(service_id: str) -> str:
    """A service by its catalog title in the page's language."""
    return platform().catalog.service_title(service_id, current_language())


def state_title(service_id: str, state: str) -> str:
    definition = platform().catalog.newest(service_id)
    spec = definition.workflow.states.get(state) if definition else None
    return spec.title.get(current_language()) if spec else state


def _state_label(state: str, service_ids: list[str]) -> str:
    """The title of ``state`` in the given services (states of several services share names)."""
    titles = dict.fromkeys(
        state_title(s, state) for s in service_ids if state in platform().catalog.services[s].workflow.states
    )
    return " / ".join(titles) or state


def _inbox_filter() -> desk.InboxFilter:
    services = platform().catalog.services
    service_id = request.args.get("service") or None
    sla = request.args.get("sla") or None
    return desk.InboxFilter(
        service_id=service_id if service_id in services else None,
        state=request.args.get("state") or None,
        sla=desk.Sla(sla) if sla in {s.value for s in desk.Sla} else None,
        search=(request.args.get("q") or "").strip()[: desk.MAX_SEARCH] or None,
    )


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@blueprint.get("/")
def inbox() -> Any:
    """Submissions waiting for my roles, filtered by service, state and time limit."""
    chosen = _inbox_filter()
    page = _page()
    catalog = list(platform().catalog)
    result = platform().db(
        desk.inbox(g.tenant, catalog, g.roles, chosen, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    )
    scope = [chosen.service_id] if chosen.service_id else [d.id for d in catalog]
    states = sorted(
        ((state, _state_label(state, scope), count) for state, count in result.by_state.items()),
        key=lambda row: row[1],
    )
    services = sorted(
        ((sid, service_title(sid), count) for sid, count in result.by_service.items()),
        key=lambda row: row[1],
    )
    pages = max(1, -(-result.total // PER_PAGE))
    return render_template(
        "admin/inbox.html",
        inbox=result,
        chosen=chosen,
        services=services,
        states=states,
        slas=list(desk.Sla),
        page=page,
        pages=pages,
        service_title=service_title,
        state_title=state_title,
    )


# --- detail -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    who: str
    role: str
    action: str
    from_state: str | None
    to_state: str
    moved: bool
    input: list[tuple[str, str]]


def _history(definition: ServiceDefinition, entries: list[AuditEntry]) -> list[HistoryRow]:
    language = current_language()
    rows = []
    for entry in entries:
        transition = definition.workflow.transition_named(entry.action, entry.from_state)
        ui_fields = {f.pointer: f for f in transition.input_ui} if transition else {}
        shown = []
        for key, value in (entry.input or {}).items():
            ui = ui_fields.get(f"/{key}")
            shown.append(
                (ui.label.get(language), format_value(ui, value, language)) if ui else (key, str(value))
            )
        rows.append(
            HistoryRow(
                at=entry.at,
                who=entry.actor_label,
                role=entry.role,
                action=transition.title.get(language) if transition else entry.action,
                from_state=state_title(definition.id, entry.from_state) if entry.from_state else None,
                to_state=state_title(definition.id, entry.to_state),
                moved=entry.from_state != entry.to_state,
                input=shown,
            )
        )
    return rows


def _load(reference: str) -> tuple[Submission, ServiceDefinition]:
    """The submission and its definition, when this officer needs to know it (else not found)."""
    found = platform().db(submissions.find(g.tenant, reference))
    return found, _need_to_know(found)


def _need_to_know(found: Submission) -> ServiceDefinition:
    definition = platform().definition(found.service_id, found.service_version)
    if not privacy.sees_service(definition, g.roles, platform().catalog.roles):
        raise SubmissionNotFound(found.reference)
    return definition


def _open_part_of(submission_id: int | None, action: str, object_id: str, not_found: Exception) -> None:
    """Check need to know for a file of a submission and record the download; else ``not_found``."""
    if submission_id is None:  # a file of no submission (a draft's) is not the office's to open
        raise not_found
    owner = platform().db(Submission.get(id=submission_id))
    try:
        _need_to_know(owner)
    except SubmissionNotFound:
        raise not_found from None
    _record(owner, action, object_id)


def _record(found: Submission, action: str, object_id: str = "") -> None:
    platform().db(access_log.record(found, g.user, action, object_id=object_id, address=client_address()))


def _render_detail(
    page: desk.SubmissionPage,
    *,
    failed_action: str | None = None,
    given: dict[str, Any] | None = None,
    field_errors: dict[str, str] | None = None,
    errors: list[ErrorItem] | None = None,
    comment_text: str = "",
    comment_error: str = "",
    status: int = 200,
) -> Any:
    language = current_language()
    found, definition = page.submission, page.definition
    forms = [
        (
            transition,
            fields(
                transition,
                language,
                given if transition.action == failed_action else None,
                field_errors if transition.action == failed_action else None,
                data=found.data,
            ),
        )
        for transition in page.actions
    ]
    state = definition.workflow.states[found.state]
    return render_template(
        "admin/submission.html",
        submission=found,
        definition=definition,
        service_name=definition.service.title.get(language),
        state=state,
        sla=desk.sla_of(found.due_at, datetime.now(UTC)) if not found.closed else None,
        steps=answers(definition, found.data, language),
        files=page.files,
        issued=page.issued,
        history=_history(definition, page.history),
        deliveries=page.deliveries,
        forms=forms,
        votes=[v.role for v in submissions.votes_of(found)],
        comments=page.comments,
        comment_text=comment_text,
        comment_error=comment_error,
        max_comment=comments.MAX_BODY,
        errors=errors or [],
    ), status


def _application_page(reference: str, *, record_view: bool = False) -> desk.SubmissionPage:
    """The application's page in one call; the catalog is read again once when the application
    is of a version published since this node read it."""
    viewed_from = client_address() if record_view else None

    def read() -> desk.SubmissionPage:
        return platform().db(
            desk.submission_page(g.duty, reference, platform().catalog, viewed_from=viewed_from)
        )

    try:
        return read()
    except UnknownService:
        platform().db(platform().load_published())
        return read()


@blueprint.get("/submissions/<reference>")
def submission(reference: str) -> Any:
    """The submission read-only, its files and history, and a form per action I may take now."""
    return _render_detail(_application_page(reference, record_view=True))


def _problem(
    error: Exception, transition: Transition | None, available: set[str]
) -> tuple[int, list[ErrorItem], dict[str, str]]:
    """Status, summary items (linked to the fields or the action's form) and field messages."""
    language = current_language()
    action = transition.action if transition else ""
    shown = action in available  # the action's form is on the page again
    target = f"action-{action}" if shown else "actions"
    if isinstance(error, InvalidInput):
        messages = error_messages(error.errors, language)
        properties = set((transition.input or {}).get("properties", {})) if transition else set()
        labels = {f.pointer: f.label.get(language) for f in transition.input_ui} if transition else {}
        items = [
            ErrorItem(
                f"{action}-{pointer[1:]}" if shown and pointer[1:] in properties else target,
                # The summary names the field: several actions' forms may be on the page.
                text=f"{labels[pointer]}: {m}" if pointer in labels else m,
            )
            for pointer, m in messages.items()
        ]
        return 422, items, messages
    if isinstance(error, GuardFailed):
        text = error.message_en if language == "en" else error.message_th
        return 409, [ErrorItem(target, text=text)], {}
    keys: list[tuple[type[Exception], int, str]] = [
        (StaleSubmission, 409, "admin.detail.error.stale"),
        (NotPermitted, 403, "admin.detail.error.not_permitted"),
        (ActionNotAvailable, 409, "admin.detail.error.wrong_state"),
        (AlreadyVoted, 409, "admin.detail.error.already_voted"),
    ]
    status, key = next(
        ((s, k) for kind, s, k in keys if isinstance(error, kind)), (422, "admin.detail.error.unknown_action")
    )
    return status, [ErrorItem(target, key=key)], {}


@blueprint.post("/submissions/<reference>")
def act(reference: str) -> Any:
    """Take an action; on refusal show why, with the officer's input kept."""
    found, definition = _load(reference)
    action = request.form.get("action", "")
    transition = definition.workflow.transition_named(action, found.state)
    given = parse(transition, request.form) if transition else {}
    version = posted_version(request.form)
    try:
        result = platform().db(
            submissions.transition(
                g.tenant, definition, reference, action, g.roles,
                input=given, actor=g.user, expected_version=version,
            )
        )  # fmt: skip
    except (WorkflowError, StaleSubmission) as error:
        page = _application_page(reference)
        available = {t.action for t in page.actions}
        status, items, messages = _problem(error, transition, available)
        return _render_detail(
            page, failed_action=action, given=given, field_errors=messages, errors=items, status=status
        )
    language = current_language()
    flash_key(
        "admin.detail.done" if result.fired else "admin.detail.voted",
        action=transition.title.get(language) if transition else action,
        state=state_title(definition.id, result.status),
    )
    return redirect(url_for("admin.submission", reference=reference))


@blueprint.post("/submissions/<reference>/comments")
def comment(reference: str) -> Any:
    """Save an internal comment on the application; on refusal show why, with the text kept."""
    text = request.form.get("body", "")[: comments.MAX_BODY * 4]  # enough to say how long it was

    def add() -> Any:
        return platform().db(comments.add(g.duty, reference, text, platform().catalog))

    try:
        try:
            add()
        except UnknownService:
            platform().db(platform().load_published())
            add()
    except (comments.CommentInvalid, comments.TooManyComments) as refused:
        language = current_language()
        if isinstance(refused, comments.CommentInvalid):
            message = refused.errors[0].message(language)
        else:
            message = refused.message_th if language == "th" else str(refused)
        page = _application_page(reference)
        return _render_detail(
            page,
            errors=[ErrorItem("comment-body", text=message)],
            comment_text=text,
            comment_error=message,
            status=refused.http_status,
        )
    flash_key("admin.comments.saved")
    return redirect(url_for("admin.submission", reference=reference) + "#comments")


@blueprint.get("/documents/<public_id>")
def issued_document(public_id: str) -> Any:
    """A signed document this municipality issued, as the citizen received it."""
    found = platform().db(documents.issued_by(g.tenant, public_id))
    if found.submission_id is not None:
        _open_part_of(
            found.submission_id, access_log.DOCUMENT, public_id, documents.DocumentNotFound(public_id)
        )
    return download(platform().blobs.get(found.blob_key), documents.file_name(found), "application/pdf")


@blueprint.get("/attachments/<attachment_id>")
def attachment_file(attachment_id: str) -> Any:
    """The file as a download (never shown inline: uploads are the citizen's content, not ours)."""
    found = platform().db(desk.attachment(g.tenant, attachment_id))
    _open_part_of(
        found.submission_id, access_log.ATTACHMENT, attachment_id, desk.AttachmentNotFound(attachment_id)
    )
    try:
        content = platform().blobs.get(found.blob_key)
    except BlobNotFound:
        raise desk.AttachmentNotFound(attachment_id) from None
    return download(content, found.filename, found.content_type or "application/octet-stream")
