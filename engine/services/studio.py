"""The studio's drafts: services being authored by the national operator's analysts.

A draft starts as a copy of a published version (a new version of the same service, or a new
service copied from another) or from the blank template, is edited step by step, checked as a
whole at every save (the problems come back with the file and JSON pointer they concern), and
is published as a new version through :func:`engine.services.catalog.publish`.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.definitions import Catalog, Problem, ServiceDefinition
from engine.definitions.bundle import FILE_FOLDERS, SERVICE_FILES, ServiceBundle
from engine.definitions.diff import DefinitionDiff, diff, next_version
from engine.services import catalog as catalog_service
from engine.services.errors import CatalogError, NotFound
from engine.store.bounds import could_be_key
from engine.store.models import PublishedService, ServiceDraft

Documents = dict[str, Any]
Files = dict[str, str]
Edit = Callable[[Documents, Files], tuple[Documents, Files]]
MAX_ZIP_BYTES = 4 * 1024 * 1024


class DraftNotFound(NotFound):
    code = "draft_not_found"

    def __init__(self, service_id: str):
        self.service_id = service_id
        super().__init__(f"no draft of {service_id!r}")


class DraftExists(CatalogError):
    http_status = 409
    code = "draft_exists"

    def __init__(self, service_id: str):
        self.service_id = service_id
        super().__init__(f"{service_id!r} already has a draft; edit it or delete it first")


class StaleDraft(CatalogError):
    """Someone saved the draft since it was read; nothing was stored."""

    http_status = 409

    code = "conflict"

    def __init__(self, service_id: str, expected: int, current: int):
        self.service_id = service_id
        self.expected = expected
        self.current = current
        super().__init__(f"the draft of {service_id!r} is at revision {current}, not {expected}")


class InvalidBundle(CatalogError):
    """An uploaded service folder (zip) or documents object that cannot be read; nothing stored."""

    http_status = 422

    code = "invalid_bundle"


@dataclass(frozen=True)
class DraftView:
    """A draft with what ``thongthin check`` says of it."""

    draft: ServiceDraft
    problems: list[Problem]
    definition: ServiceDefinition | None

    @property
    def bundle(self) -> ServiceBundle:
        return ServiceBundle(documents=dict(self.draft.documents), files=dict(self.draft.files or {}))


PREFIX_OPTIONS = [
    {"value": value, "label": {"th": value, "en": english}}
    for value, english in (
        ("นาย", "Mr"),
        ("นาง", "Mrs"),
        ("นางสาว", "Miss"),
        ("เด็กชาย", "Master (boy under 15)"),
        ("เด็กหญิง", "Miss (girl under 15)"),
        ("อื่น ๆ", "Other"),
    )
]
_APPLICANT = {"name": {"prefix": "นาย", "first_name": "สมชาย", "last_name": "ใจดี"}, "phone": "0812345678"}
BLANK_EXAMPLES: Files = {
    "examples/valid-minimal.json": json.dumps(
        {"applicant": _APPLICANT, "request": {"detail": "ขอรับบริการจากเทศบาลตามรายละเอียดนี้"}},
        ensure_ascii=False,
        indent=2,
    )
    + "\n",
    "examples/invalid-no-detail.json": json.dumps({"applicant": _APPLICANT}, ensure_ascii=False, indent=2)
    + "\n",
}


def blank_documents(service_id: str) -> Documents:
    """The blank template: one page asking who applies and what for; received → done or refused."""
    return {
        "service.json": {
            "$schema": "urn:thongthin:meta:service",
            "id": service_id,
            "version": "1.0.0",
            "title": {"th": "บริการใหม่", "en": "New service"},
            "summary": {"th": "ยื่นคำขอต่อเทศบาลทางออนไลน์", "en": "Apply to the municipality online."},
            "category": "petition",
            "legal_basis": [
                {"title": {"th": "พระราชบัญญัติเทศบาล พ.ศ. 2496", "en": "Municipality Act B.E. 2496"}}
            ],
            "sla": {"legal_maximum": "P15D", "target": "P7D", "days": "working"},
            "pdpa": {
                "purpose": {
                    "th": "เพื่อพิจารณาคำขอของท่านและติดต่อกลับ",
                    "en": "To consider your application and to contact you.",
                },
                "lawful_basis": "public_task",
                "retention": "P1Y",
            },
            "data_roles": {"applicant_name": "/applicant/name", "phone": "/applicant/phone"},
        },
        "form.json": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["applicant", "request"],
            "additionalProperties": False,
            "properties": {
                "applicant": {
                    "type": "object",
                    "required": ["name", "phone"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"$ref": "urn:thongthin:types#/$defs/person-name"},
                        "phone": {"type": "string", "format": "thai-phone"},
                    },
                },
                "request": {
                    "type": "object",
                    "required": ["detail"],
                    "additionalProperties": False,
                    "properties": {"detail": {"type": "string", "minLength": 10, "maxLength": 2000}},
                },
            },
        },
        "ui.json": {
            "$schema": "urn:thongthin:meta:ui",
            "steps": [
                {
                    "id": "applicant",
                    "title": {"th": "ข้อมูลผู้ยื่นคำขอ", "en": "About you"},
                    "fields": [
                        {
                            "pointer": "/applicant/name/prefix",
                            "widget": "select",
                            "label": {"th": "คำนำหน้าชื่อ", "en": "Title"},
                            "options": PREFIX_OPTIONS,
                        },
                        {
                            "pointer": "/applicant/name/first_name",
                            "widget": "text",
                            "label": {"th": "ชื่อ", "en": "First name"},
                        },
                        {
                            "pointer": "/applicant/name/last_name",
                            "widget": "text",
                            "label": {"th": "นามสกุล", "en": "Last name"},
                        },
                        {
                            "pointer": "/applicant/phone",
                            "widget": "phone",
                            "label": {"th": "หมายเลขโทรศัพท์", "en": "Phone number"},
                        },
                    ],
                },
                {
                    "id": "request",
                    "title": {"th": "เรื่องที่ขอ", "en": "Your request"},
                    "fields": [
                        {
                            "pointer": "/request/detail",
                            "widget": "textarea",
                            "label": {"th": "รายละเอียดคำขอ", "en": "Details of your request"},
                        }
                    ],
                },
            ],
        },
        "workflow.json": {
            "$schema": "urn:thongthin:meta:workflow",
            "initial": "submitted",
            "states": {
                "submitted": {
                    "title": {"th": "รับคำขอแล้ว", "en": "Received"},
                    "applicant_message": {
                        "th": "เทศบาลได้รับคำขอของท่านแล้ว",
                        "en": "The municipality has received your application.",
                    },
                    "assignees": ["clerk"],
                    "sla": "P7D",
                },
                "done": {
                    "title": {"th": "ดำเนินการแล้ว", "en": "Done"},
                    "applicant_message": {
                        "th": "เทศบาลดำเนินการตามคำขอของท่านแล้ว",
                        "en": "The municipality has done what you asked.",
                    },
                    "final": True,
                    "outcome": "approved",
                },
                "rejected": {
                    "title": {"th": "ไม่อนุมัติ", "en": "Refused"},
                    "applicant_message": {
                        "th": "เทศบาลไม่อาจดำเนินการตามคำขอของท่านได้",
                        "en": "The municipality cannot do what you asked.",
                    },
                    "final": True,
                    "outcome": "rejected",
                },
            },
            "transitions": [
                {
                    "action": "complete",
                    "title": {"th": "ดำเนินการแล้ว", "en": "Mark as done"},
                    "from": "submitted",
                    "to": "done",
                    "roles": ["clerk"],
                },
                {
                    "action": "reject",
                    "title": {"th": "ไม่อนุมัติ", "en": "Refuse"},
                    "from": "submitted",
                    "to": "rejected",
                    "roles": ["clerk"],
                },
            ],
        },
    }


def view_of(draft: ServiceDraft, catalog: Catalog) -> DraftView:
    bundle = ServiceBundle(documents=dict(draft.documents), files=dict(draft.files or {}))
    try:
        definition, problems = catalog_service.checked_definition(bundle, catalog)
    except (KeyError, TypeError, ValueError) as error:  # a document of the wrong shape altogether
        definition, problems = None, [Problem(Path("service.json"), "", f"cannot be read: {error}")]
    return DraftView(draft, problems, definition)


async def _find_draft(service_id: str) -> ServiceDraft | None:
    """The draft of ``service_id``; None for an ID no draft can have (too long, spaces, controls)."""
    if not could_be_key(service_id, ServiceDraft, "service_id"):
        return None
    return await ServiceDraft.get_or_none(service_id=service_id)


async def get_draft(service_id: str, catalog: Catalog) -> DraftView:
    """Raises :class:`DraftNotFound`."""
    draft = await _find_draft(service_id)
    if draft is None:
        raise DraftNotFound(service_id)
    return view_of(draft, catalog)


async def drafts() -> list[ServiceDraft]:
    return await ServiceDraft.all().order_by("service_id")


async def create_draft(
    service_id: str, catalog: Catalog, *, copy_of: str | None = None, by: str = ""
) -> DraftView:
    """A new draft of ``service_id``: a copy of ``copy_of`` (``id`` or ``id@version``; a new
    version when it is ``service_id`` itself), or the blank template.

    Raises :class:`DraftExists`, :class:`engine.definitions.UnknownService` and
    :class:`engine.definitions.editing.EditRefused` for an id that is not a lower-case identifier.
    """
    from engine.definitions.editing import _NAME, EditRefused

    if not _NAME.match(service_id.replace("-", "_")):
        raise EditRefused(
            "/id",
            "a service's id is lower-case letters, digits, - and _",
            th="รหัสบริการใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย - หรือ _",
        )
    if await ServiceDraft.exists(service_id=service_id):
        raise DraftExists(service_id)
    base_version = ""
    if copy_of:
        source_id, _, version = copy_of.partition("@")
        row = await catalog_service.find_version(source_id, version or None)
        documents = copy.deepcopy(row.documents)
        files = dict(row.files or {})
        if source_id == service_id:
            base_version = row.version
        else:
            documents["service.json"]["version"] = "1.0.0"
            # Published versions of this id (if any) come before the copy's first version.
            newest = await _newest(service_id)
            if newest is not None:
                base_version = newest.version
        documents["service.json"]["id"] = service_id
    else:
        documents, files = blank_documents(service_id), dict(BLANK_EXAMPLES)
        newest = await _newest(service_id)
        if newest is not None:
            base_version = newest.version
    draft = await ServiceDraft.create(
        service_id=service_id,
        base_version=base_version,
        documents=documents,
        files=files,
        updated_by=by[:150],
    )
    return view_of(draft, catalog)


async def _newest(service_id: str) -> PublishedService | None:
    from engine.definitions import UnknownService

    try:
        return await catalog_service.find_version(service_id)
    except UnknownService:
        return None


async def save_draft(
    service_id: str,
    documents: Documents,
    catalog: Catalog,
    *,
    files: Files | None = None,
    by: str = "",
    expected_revision: int | None = None,
) -> DraftView:
    """Replace the draft's documents (and files); the id of the service cannot change.

    Raises :class:`DraftNotFound`, :class:`StaleDraft` and :class:`InvalidBundle` (a document
    missing or not an object).
    """
    draft = await _find_draft(service_id)
    if draft is None:
        raise DraftNotFound(service_id)
    for name in SERVICE_FILES:
        if not isinstance(documents.get(name), dict):
            raise InvalidBundle(f"{name} must be a JSON object")
    documents = {name: documents[name] for name in SERVICE_FILES}
    documents["service.json"] = {**documents["service.json"], "id": service_id}
    current = draft.revision
    if expected_revision is not None and expected_revision != current:
        raise StaleDraft(service_id, expected_revision, current)
    changes: dict[str, Any] = {"documents": documents, "revision": current + 1, "updated_by": by[:150]}
    if files is not None:
        changes["files"] = files
    updated = await ServiceDraft.filter(id=draft.id, revision=current).update(**changes)
    if not updated:
        raise StaleDraft(service_id, current, current + 1)
    await draft.refresh_from_db()
    return view_of(draft, catalog)


async def edit_draft(
    service_id: str, edit: Edit, catalog: Catalog, *, by: str = "", expected_revision: int | None = None
) -> DraftView:
    """Apply one studio edit to the draft's documents and files, and save.

    Raises what the edit raises (:class:`engine.definitions.editing.EditRefused`), and as
    :func:`save_draft`.
    """
    draft = await _find_draft(service_id)
    if draft is None:
        raise DraftNotFound(service_id)
    documents, files = edit(copy.deepcopy(draft.documents), dict(draft.files or {}))
    return await save_draft(
        service_id,
        documents,
        catalog,
        files=files,
        by=by,
        expected_revision=draft.revision if expected_revision is None else expected_revision,
    )


async def delete_draft(service_id: str) -> None:
    if could_be_key(service_id, ServiceDraft, "service_id"):
        await ServiceDraft.filter(service_id=service_id).delete()


def changes_of(view: DraftView, catalog: Catalog) -> DefinitionDiff | None:
    """What the draft changes from the newest published version of its service (None for a new service)."""
    if view.definition is None or not catalog.versions_of(view.draft.service_id):
        return None
    return diff(catalog.get(view.draft.service_id), view.definition)


def suggested_version(view: DraftView, catalog: Catalog) -> str:
    """The version the draft should be published as: the next one its changes call for."""
    changes = changes_of(view, catalog)
    if changes is None:
        return "1.0.0"
    newest = catalog.get(view.draft.service_id).version
    return next_version(newest, changes.bump if changes.bump != "none" else "patch")


async def publish_draft(
    service_id: str, version: str, catalog: Catalog, cache: Path, *, changelog: str = "", by: str = ""
) -> catalog_service.PublishedVersion:
    """Publish the draft as ``version``; the draft then continues from it.

    Raises :class:`DraftNotFound`, :class:`engine.services.errors.DefinitionRefused` (every
    problem) and :class:`engine.services.errors.CatalogVersionConflict`.
    """
    draft = await _find_draft(service_id)
    if draft is None:
        raise DraftNotFound(service_id)
    documents = copy.deepcopy(draft.documents)
    documents["service.json"]["version"] = version
    bundle = ServiceBundle(documents=documents, files=dict(draft.files or {}))
    published = await catalog_service.publish(bundle, catalog, cache, changelog=changelog, published_by=by)
    await ServiceDraft.filter(id=draft.id).update(
        documents=documents, base_version=version, revision=draft.revision + 1
    )
    return published


# --- a service folder as a zip -------------------------------------------------------------------


def to_zip(bundle: ServiceBundle) -> bytes:
    """The service folder ``<id>/…`` zipped, as ``thongthin catalog export`` writes it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, document in bundle.documents.items():
            archive.writestr(
                f"{bundle.service_id}/{name}", json.dumps(document, ensure_ascii=False, indent=2) + "\n"
            )
        for name, text in sorted(bundle.files.items()):
            archive.writestr(f"{bundle.service_id}/{name}", text)
    return buffer.getvalue()


def from_zip(content: bytes) -> ServiceBundle:
    """A service folder from a zip (one folder, or its files at the top); raises :class:`InvalidBundle`."""
    if len(content) > MAX_ZIP_BYTES:
        raise InvalidBundle(f"the zip is larger than {MAX_ZIP_BYTES // (1024 * 1024)} MiB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = [n for n in archive.namelist() if not n.endswith("/")]
        if len(names) > 300:
            raise InvalidBundle("the zip holds too many files")
        prefix = ""
        service_files = [n for n in names if n.endswith("service.json") and n.count("/") <= 1]
        if not service_files:
            raise InvalidBundle("the zip holds no service.json")
        prefix = service_files[0][: -len("service.json")]
        documents: Documents = {}
        files: Files = {}
        for name in names:
            if not name.startswith(prefix):
                continue
            relative = name[len(prefix) :]
            info = archive.getinfo(name)
            if info.file_size > 1024 * 1024:
                raise InvalidBundle(f"{relative} is larger than 1 MiB")
            data = archive.read(name)
            if relative in SERVICE_FILES:
                documents[relative] = json.loads(data.decode("utf-8"))
            elif relative.split("/", 1)[0] in FILE_FOLDERS and ".." not in relative.split("/"):
                files[relative] = data.decode("utf-8")
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError, KeyError) as error:
        raise InvalidBundle(f"the zip cannot be read: {error}") from None
    missing = [n for n in SERVICE_FILES if not isinstance(documents.get(n), dict)]
    if missing:
        raise InvalidBundle(f"the zip lacks {', '.join(missing)}")
    return ServiceBundle(documents=documents, files=files)


async def import_zip(content: bytes, catalog: Catalog, *, by: str = "") -> DraftView:
    """A draft from a zipped service folder (replacing the service's draft, if any)."""
    bundle = from_zip(content)
    service_id = str(bundle.documents["service.json"].get("id", ""))
    await delete_draft(service_id)
    await create_draft(service_id, catalog, by=by)
    return await save_draft(service_id, bundle.documents, catalog, files=bundle.files, by=by)


def rendering_definition(view: DraftView, catalog: Catalog, cache: Path) -> ServiceDefinition | None:
    """The draft's definition read from a folder that stays (templates are read when rendering);
    None while the draft has problems."""
    from engine.definitions.loader import load_service

    if view.problems:
        return None
    problems: list[Problem] = []
    definition = load_service(
        view.bundle.materialise(cache), catalog.roles, problems, check_example_files=False
    )
    return None if problems else definition


def preview_cache(catalog_cache: Path) -> Path:
    """Where drafts are unpacked for their document previews (cleaned by :func:`prune_previews`)."""
    return catalog_cache / "drafts"


PREVIEW_LIFETIME = 86400  # seconds a draft's unpacked preview folder is kept after it was made


async def prune_previews(cache: Path, now: float | None = None) -> int:
    """Remove the drafts' preview folders older than a day; returns how many were removed.

    Each change of a draft that is previewed unpacks a folder of its own (named by content),
    so without this the cache would only grow.
    """
    import asyncio
    import shutil
    import time

    def prune() -> int:
        if not cache.is_dir():
            return 0
        limit = (now if now is not None else time.time()) - PREVIEW_LIFETIME
        removed = 0
        for folder in cache.iterdir():
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    return await asyncio.to_thread(prune)
