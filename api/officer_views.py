"""Officers' work over the API beyond the inbox: the files of an application, and the console's read-only reports."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from api.auth import admin_of, caller_for
from api.errors import ApiError
from api.views import _load, blueprint, tenant_or_404
from engine.blobs import BlobNotFound
from engine.services import access_log, dashboard, desk
from renderers.web import download
from thongthin.app import client_address, platform


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
    return jsonify(
        {
            "attachments": [
                {
                    "id": f.id,
                    "filename": f.filename,
                    "content_type": f.content_type,
                    "size": f.size,
                    "sha256": f.sha256,
                    "uploaded_at": f.created_at.isoformat(),
                    "download_url": f"{base}/{f.id}",
                }
                for f in files
            ]
        }
    )


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
        definition = catalog.services.get(stats.service_id)
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
