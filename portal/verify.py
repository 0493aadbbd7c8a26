"""Public verification of issued documents: what a document's QR code opens, and checking any PDF.

Anyone may verify; nothing here needs a municipality in the URL or a login.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from engine.services import documents
from portal import blueprint
from renderers.web import download
from signing.registry import RegistryReport, verify_issued, verify_upload
from thongthin.app import platform

MAX_VERIFY_BYTES = 20 * 1024 * 1024


def _page(report: RegistryReport | None, *, status: int = 200, problem: str | None = None) -> Any:
    return render_template("portal/verify.html", report=report, problem=problem), status


@blueprint.route("/verify", methods=["GET", "POST"])
def verify_upload_page() -> Any:
    """A form to check any PDF, and its report."""
    if request.method == "GET":
        return _page(None)
    sent = request.files.get("file")
    data = sent.read(MAX_VERIFY_BYTES + 1) if sent is not None else b""
    if not data:
        return _page(None, status=400, problem="portal.verify.no_file")
    if len(data) > MAX_VERIFY_BYTES:
        return _page(None, status=413, problem="portal.verify.too_large")
    return _page(platform().db(verify_upload(data, platform().trust_roots())))


@blueprint.get("/verify/<public_id>")
def verify_document(public_id: str) -> Any:
    """The register entry and signature report of one issued document (its QR code's target)."""
    return _page(platform().db(verify_issued(public_id, platform().blobs, platform().trust_roots())))


@blueprint.get("/verify/<public_id>/document.pdf")
def verified_document(public_id: str) -> Any:
    """The issued file itself, so a person can compare it with the copy they were shown."""
    found = platform().db(documents.by_public_id(public_id))
    content = platform().blobs.get(found.blob_key)
    return download(content, documents.file_name(found), "application/pdf")
