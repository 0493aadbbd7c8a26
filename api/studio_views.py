"""``/api/v1/studio/``: drafts of services scripted by the national operator (bearer token of an operator)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from api.auth import bearer_token, known_credential, token_user
from api.body import json_body
from api.errors import ApiError
from api.views import blueprint
from engine.services import api_keys, catalog, operators, studio
from engine.store.models import User
from thongthin.app import platform

DOCUMENT_KEYS = {"service": "service.json", "form": "form.json", "ui": "ui.json", "workflow": "workflow.json"}


def operator() -> User:
    """The operator behind the bearer token: 401 without a live token, 403 for a municipality's
    officer or API key (the studio is the national operator's)."""
    token = bearer_token()
    user = token_user(token) if token and not api_keys.looks_like_key(token) else None
    if user is not None and platform().db(operators.is_operator(user)):
        return user
    if token and known_credential(token):
        raise ApiError(
            403,
            "forbidden",
            "the studio is the national operator's: a municipality's officer or API key cannot use it",
            message_th="สตูดิโอใช้ได้เฉพาะผู้ดูแลระดับประเทศ เจ้าหน้าที่หรือกุญแจ API ของหน่วยงานใช้ไม่ได้",
        )
    raise ApiError(401, "unauthorized", "give the bearer token of a national operator's account")


def draft_json(view: studio.DraftView) -> dict[str, Any]:
    documents = view.draft.documents
    changes = studio.changes_of(view, platform().catalog)
    return {
        "id": view.draft.service_id,
        "base_version": view.draft.base_version or None,
        "revision": view.draft.revision,
        **{key: documents.get(name) for key, name in DOCUMENT_KEYS.items()},
        "examples": {
            name.removeprefix("examples/"): text
            for name, text in sorted((view.draft.files or {}).items())
            if name.startswith("examples/")
        },
        "problems": [
            {"file": str(p.file), "pointer": p.pointer, "message": p.message} for p in view.problems
        ],
        "suggested_version": studio.suggested_version(view, platform().catalog),
        "changes": [vars(c) for c in changes.changes] if changes else [],
    }


@blueprint.get("/studio/catalog")
def studio_catalog() -> Any:
    """Every published version by service, with the municipalities on it and its open work."""
    operator()
    platform().db(platform().load_published())
    overview = platform().db(catalog.catalog_overview())
    return jsonify(
        {
            "services": [
                {
                    "id": service_id,
                    "versions": [
                        {
                            "version": use.version.version,
                            "content_hash": use.version.content_hash,
                            "published_at": use.version.published_at.isoformat(),
                            "published_by": use.version.published_by,
                            "changelog": use.version.changelog,
                            "tenants": use.tenants,
                            "open_submissions": use.open_submissions,
                        }
                        for use in versions
                    ],
                }
                for service_id, versions in overview.items()
            ]
        }
    )


@blueprint.post("/studio/drafts")
def studio_create_draft() -> Any:
    """Start a draft: ``{"id", "copy_of"}`` (``copy_of`` optional: ``id`` or ``id@version``)."""
    user = operator()
    body = json_body()
    service_id, copy_of = body.get("id"), body.get("copy_of")
    if not isinstance(service_id, str) or not service_id or len(service_id) > 63:
        raise ApiError(
            400, "invalid_request", "id must be a service id (lower-case letters, digits, - and _)"
        )
    if copy_of is not None and (not isinstance(copy_of, str) or len(copy_of) > 90):
        raise ApiError(400, "invalid_request", "copy_of must be a service id, optionally with @version")
    view = platform().db(
        studio.create_draft(service_id, platform().catalog, copy_of=copy_of, by=user.username)
    )
    response = jsonify(draft_json(view))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/studio/drafts/{service_id}"
    return response


@blueprint.get("/studio/drafts/<service_id>")
def studio_draft(service_id: str) -> Any:
    operator()
    return jsonify(draft_json(platform().db(studio.get_draft(service_id, platform().catalog))))


@blueprint.put("/studio/drafts/<service_id>")
def studio_save_draft(service_id: str) -> Any:
    """Replace the draft: ``{"service", "form", "ui", "workflow"}`` (and ``examples``, ``revision``)."""
    user = operator()
    body = json_body()
    missing = [key for key in DOCUMENT_KEYS if not isinstance(body.get(key), dict)]
    if missing:
        raise ApiError(400, "invalid_request", f"give {', '.join(missing)} as JSON objects")
    revision = body.get("revision")
    if revision is not None and (not isinstance(revision, int) or isinstance(revision, bool)):
        raise ApiError(400, "invalid_request", "revision must be an integer")
    files = None
    if "examples" in body:
        examples = body["examples"]
        if not isinstance(examples, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and "/" not in k and k.endswith(".json")
            for k, v in examples.items()
        ):
            raise ApiError(
                400, "invalid_request", "examples maps file names (valid-*.json, invalid-*.json) to JSON text"
            )
        current = platform().db(studio.get_draft(service_id, platform().catalog)).draft.files or {}
        files = {n: t for n, t in current.items() if not n.startswith("examples/")}
        files.update({f"examples/{name}": text for name, text in examples.items()})
    documents = {name: body[key] for key, name in DOCUMENT_KEYS.items()}
    view = platform().db(
        studio.save_draft(
            service_id,
            documents,
            platform().catalog,
            files=files,
            by=user.username,
            expected_revision=revision,
        )
    )
    return jsonify(draft_json(view))


@blueprint.delete("/studio/drafts/<service_id>")
def studio_delete_draft(service_id: str) -> Any:
    operator()
    platform().db(studio.get_draft(service_id, platform().catalog))  # 404 when there is none
    platform().db(studio.delete_draft(service_id))
    return "", 204


@blueprint.post("/studio/drafts/<service_id>/publish")
def studio_publish(service_id: str) -> Any:
    """Publish the draft: ``{"version", "changelog"}`` → 201 with the version, or 422 with its problems."""
    user = operator()
    body = json_body()
    version, changelog = body.get("version"), body.get("changelog", "")
    if not isinstance(version, str) or len(version) > 20:
        raise ApiError(400, "invalid_request", "version must be MAJOR.MINOR.PATCH")
    if not isinstance(changelog, str) or len(changelog) > 4000:
        raise ApiError(400, "invalid_request", "changelog must be text of at most 4000 characters")
    published = platform().db(
        studio.publish_draft(
            service_id,
            version,
            platform().catalog,
            platform().catalog_cache,
            changelog=changelog,
            by=user.username,
        )
    )
    response = jsonify(
        {
            "id": published.service_id,
            "version": published.version,
            "content_hash": published.content_hash,
            "changelog": published.changelog,
            "published_by": published.published_by,
            "published_at": published.published_at.isoformat(),
        }
    )
    response.status_code = 201 if published.new else 200
    return response


@blueprint.get("/studio/drafts/<service_id>/export")
def studio_export(service_id: str) -> Any:
    """The draft as a zipped service folder."""
    operator()
    view = platform().db(studio.get_draft(service_id, platform().catalog))
    return Response(
        studio.to_zip(view.bundle),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{service_id}.zip"'},
    )


@blueprint.post("/studio/import")
def studio_import() -> Any:
    """A draft from a zipped service folder (the body), replacing the service's draft if any."""
    user = operator()
    content = request.stream.read(studio.MAX_ZIP_BYTES + 1)
    if len(content) > studio.MAX_ZIP_BYTES:
        raise ApiError(
            413, "too_large", f"the zip is larger than {studio.MAX_ZIP_BYTES // (1024 * 1024)} MiB"
        )
    view = platform().db(studio.import_zip(content, platform().catalog, by=user.username))
    response = jsonify(draft_json(view))
    response.status_code = 201
    return response
