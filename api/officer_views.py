"""Officers' work over the API beyond the inbox: an application as the desk shows it, its files and
internal comments, and the console's read-only reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify

from api.auth import Caller, admin_of, caller_for
from api.body import json_body
from api.citizen_views import _document
from api.errors import ApiError
from api.paging import cursor_refused, decoded_cursor, encode_cursor, json_with_etag, limit_arg
from api.views import _load, _view, blueprint, sent_message_json, tenant_or_404
from engine.blobs import BlobNotFound
from engine.definitions import UnknownService
from engine.services import access_log, comments, dashboard, desk
from engine.store.models import Attachment, SubmissionComment, Tenant
from renderers.answers import Answer, answers
from renderers.web import download
from thongthin.app import client_address, platform


def _with_catalog(read: Callable[[Any], Any]) -> Any:
    """``read(catalog)`` on the ORM loop; once more after reading the catalog again when the
    application is of a version another node published since this one read it."""
    try:
        return platform().db(read(platform().catalog))
    except UnknownService:
        platform().db(platform().load_published())
        return platform().db(read(platform().catalog))


def _on_duty(found: Tenant, caller: Caller) -> desk.OnDuty:
    """The caller as the desk's engine calls know an officer: an API key acts with its roles, no user."""
    return desk.OnDuty(found, caller.user, caller.roles)


def _file(base: str, f: Attachment) -> dict[str, Any]:
    return {
        "id": f.id,
        "filename": f.filename,
        "content_type": f.content_type,
        "size": f.size,
        "sha256": f.sha256,
        "uploaded_at": f.created_at.isoformat(),
        "download_url": f"{base}/{f.id}",
    }


def _answer(th: Answer, en: Answer) -> dict[str, Any]:
    return {
        "pointer": th.pointer,
        "label": {"th": th.label, "en": en.label},
        "text": {"th": th.text, "en": en.text},
        "items": [
            [_answer(a, b) for a, b in zip(item_th, item_en, strict=True)]
            for item_th, item_en in zip(th.items, en.items, strict=True)
        ],
    }


def officer_view(found: Tenant, reference: str, caller: Caller) -> dict[str, Any]:
    """An application as the desk's page shows it to this officer (or API key), read by the same call.

    The applicant's fields of the answer stay as they were; beside them come the answers as people
    read them, the time limit's standing, the files, the documents issued, the delivery log and
    the officers' internal comments. Raises :class:`SubmissionNotFound` when the roles have no need
    to know it. The look is recorded in the access log, as the page records it.
    """
    duty = _on_duty(found, caller)
    page: desk.SubmissionPage = _with_catalog(lambda catalog: desk.submission_page(duty, reference, catalog))
    current, definition = page.submission, page.definition
    platform().db(
        access_log.record(current, caller.user, access_log.VIEW, address=client_address(), channel="api")
    )
    view = _view(found, current, caller, entries=page.history, actions=page.actions)
    state = definition.workflow.states[current.state]
    base = f"/api/v1/tenants/{found.slug}/submissions/{current.reference}"
    steps_th, steps_en = answers(definition, current.data, "th"), answers(definition, current.data, "en")
    view.update(
        {
            "service_title": definition.service.title.model_dump(),
            "closed": current.closed,
            "state_due_at": current.state_due_at.isoformat() if current.state_due_at else None,
            # As the page: where the open application stands against its deadline; none once closed.
            "sla": None if current.closed else desk.sla_of(current.due_at, datetime.now(UTC)).value,
            "sla_verdict": current.sla_verdict,
            "waiting_for": list(state.assignees),
            "answers": [
                {
                    "step_id": th.step_id,
                    "title": {"th": th.title, "en": en.title},
                    "answers": [_answer(a, b) for a, b in zip(th.answers, en.answers, strict=True)],
                }
                for th, en in zip(steps_th, steps_en, strict=True)
            ],
            "attachments": [_file(f"{base}/attachments", f) for f in page.files],
            "documents": [_document(found.slug, current.reference, d) for d in page.issued],
            "messages": [sent_message_json(d) for d in page.deliveries],
            # All of them, as the page lists them; …/comments pages through them.
            "comments": [_comment(c) for c in page.comments],
            "comments_url": f"{base}/comments",
        }
    )
    return view


@blueprint.get("/tenants/<tenant>/submissions/<reference>/attachments")
def submission_attachments(tenant: str, reference: str) -> Any:
    """The files uploaded with an application (officers with need to know, or a submissions:read key)."""
    found = tenant_or_404(tenant)
    caller = caller_for(found, scope="submissions:read")
    if not caller.is_officer:
        raise ApiError(403, "forbidden", "the application's files are for officers")
    current = _load(found, reference, caller)
    files = platform().db(desk.attachments_of(current))
    base = f"/api/v1/tenants/{found.slug}/submissions/{current.reference}/attachments"
    return jsonify({"attachments": [_file(base, f) for f in files]})


@blueprint.get("/tenants/<tenant>/submissions/<reference>/attachments/<file_id>")
def submission_attachment(tenant: str, reference: str, file_id: str) -> Response:
    """One file of an application as a download, recorded in the access log as the desk records it."""
    found = tenant_or_404(tenant)
    caller = caller_for(found, scope="submissions:read")
    if not caller.is_officer:
        raise ApiError(403, "forbidden", "the application's files are for officers")
    current = _load(found, reference, caller)
    stored = platform().db(desk.attachment(found, file_id))
    if stored.submission_id != current.id:
        raise desk.AttachmentNotFound(file_id)  # another application's file: as if it did not exist
    try:
        content = platform().blobs.get(stored.blob_key)
    except BlobNotFound:
        raise desk.AttachmentNotFound(file_id) from None
    platform().db(
        access_log.record(
            current,
            caller.user,
            access_log.ATTACHMENT,
            object_id=file_id,
            address=client_address(),
            channel="api",
        )
    )
    return download(content, stored.filename, stored.content_type or "application/octet-stream")


# --- internal comments ----------------------------------------------------------------------------


def _comment(c: SubmissionComment) -> dict[str, Any]:
    return {
        "id": c.id,
        "body": c.body,
        "author": c.author_label,
        "author_id": c.author_id,
        "created_at": c.created_at.isoformat(),
    }


def _officer(found: Tenant, scope: str) -> Caller:
    """An officer or a key with ``scope``; an applicant's tracking token is refused (403)."""
    caller = caller_for(found, scope=scope)
    if not caller.is_officer:
        raise ApiError(
            403,
            "forbidden",
            "internal comments are for officers",
            message_th="ความเห็นภายในเปิดดูได้เฉพาะเจ้าหน้าที่",
        )
    return caller


def _cursor_for(reference: str, after: int) -> str:
    return encode_cursor({"r": reference, "a": after})


def _after(reference: str) -> int:
    """The comment id a ``cursor`` reads on after; 0 without one. Raises :class:`ApiError` 400."""
    decoded = decoded_cursor()
    if decoded is None:
        return 0
    after = decoded.get("a")
    if decoded.get("r") != reference or not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise cursor_refused()
    return after


def _invalid(refused: comments.CommentInvalid) -> ApiError:
    first = refused.errors[0]
    return ApiError(
        422,
        refused.code,
        first.message_en,
        message_th=first.message_th,
        errors=[e.as_dict() for e in refused.errors],
    )


@blueprint.get("/tenants/<tenant>/submissions/<reference>/comments")
def submission_comments(tenant: str, reference: str) -> Any:
    """Officers' internal comments on an application, oldest first (never the applicant's to read)."""
    found = tenant_or_404(tenant)
    caller = _officer(found, "submissions:read")
    limit, after = limit_arg(comments.DEFAULT_LIMIT, comments.MAX_LIMIT), _after(reference)
    duty = _on_duty(found, caller)
    listed: comments.CommentPage = _with_catalog(
        lambda catalog: comments.listed(duty, reference, catalog, after=after, limit=limit)
    )
    content = {
        "comments": [_comment(c) for c in listed.comments],
        "next_cursor": _cursor_for(listed.submission.reference, listed.next_after)
        if listed.next_after is not None
        else None,
    }
    return json_with_etag(content, private=True)


@blueprint.post("/tenants/<tenant>/submissions/<reference>/comments")
def add_submission_comment(tenant: str, reference: str) -> Any:
    """Save an internal comment on an application: ``{"body": "..."}``, at most 4,000 characters."""
    found = tenant_or_404(tenant)
    caller = _officer(found, "submissions:write")
    given = json_body().get("body")
    duty = _on_duty(found, caller)
    key_name = caller.api_key.name if caller.api_key else None
    try:
        if not isinstance(given, str):
            # Need to know before the shape: a refusal must not tell apart references it may not see.
            _with_catalog(lambda catalog: comments.listed(duty, reference, catalog, limit=1))
            raise comments.CommentInvalid(
                [
                    comments.FieldError(
                        comments.BODY_POINTER,
                        "กรุณาส่งความเห็นเป็นข้อความในช่อง body",
                        "give the comment as a string in body",
                        "type",
                    )
                ]
            )
        saved: SubmissionComment = _with_catalog(
            lambda catalog: comments.add(duty, reference, given, catalog, key_name=key_name)
        )
    except comments.CommentInvalid as refused:
        raise _invalid(refused) from None
    except comments.TooManyComments as refused:
        raise ApiError(409, refused.code, str(refused), message_th=refused.message_th) from None
    response = jsonify(_comment(saved))
    response.status_code = 201
    return response


def _figures(stats: dashboard.ServiceStats | dashboard.Dashboard) -> dict[str, Any]:
    return {
        "total": stats.total,
        "open": stats.open,
        "open_overdue": stats.open_overdue,
        "closed": stats.closed,
        "closed_in_time": stats.closed_in_time,
        "compliance": round(stats.compliance, 4) if stats.compliance is not None else None,
    }


@blueprint.get("/tenants/<tenant>/reports/dashboard")
def dashboard_report(tenant: str) -> Any:
    """The console dashboard's figures: applications per service and state, open, overdue, in time."""
    found = tenant_or_404(tenant)
    admin_of(found, "read the console's reports", "ดูรายงานของหน่วยงานได้")
    catalog = platform().catalog
    report = platform().db(dashboard.dashboard(found, list(catalog)))
    services = []
    for stats in report.services:
        definition = catalog.newest(stats.service_id)
        states = definition.workflow.states if definition else {}
        services.append(
            {
                "service_id": stats.service_id,
                "title": definition.service.title.model_dump() if definition else None,
                **_figures(stats),
                "withdrawn": stats.withdrawn,
                "by_state": [
                    {
                        "state": state,
                        "title": states[state].title.model_dump() if state in states else None,
                        "count": count,
                    }
                    for state, count in sorted(stats.by_state.items())
                ],
            }
        )
    return jsonify({**_figures(report), "services": services})
