"""``/api/v1/saraban/agencies``: the platform-wide agency directory (สมุดรายชื่อหน่วยงาน).

Any officer's bearer token reads it (of any municipality, or the national operator's); only the
national operator's adds, changes, imports and registers keys (403 ``saraban_forbidden``
otherwise, with the reason in Thai). Field errors are 422 with ``errors: [{field, message,
message_th}]``; a CSV import's errors name the line (``field`` is ``LINE:COLUMN``).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from api.auth import bearer_token, token_user
from api.errors import ApiError
from api.saraban_views import _bounded, body_of
from api.views import blueprint
from engine.saraban.errors import FieldProblem
from engine.services.saraban import agencies
from engine.services.saraban.agencies import AgencyInvalid
from engine.store.models import Agency, AgencyKey, Tenant, User
from thongthin.app import platform

PREFIX = "/saraban/agencies"
MAX_IMPORT_BYTES = agencies.MAX_IMPORT_BYTES
MAX_PEM_BYTES = agencies.MAX_PEM_BYTES
FIELDS = (
    "kind",
    "name_th",
    "name_en",
    "letter_code",
    "ministry_id",
    "department_id",
    "endpoint_url",
    "ecms_url",
    "email",
)


def _caller() -> User:
    """The account behind the bearer token; ApiError 401 without a valid one."""
    token = bearer_token()
    user = token_user(token) if token else None
    if user is None:
        raise ApiError(401, "unauthorized", "give an officer's bearer token", message_th="กรุณาเข้าสู่ระบบ")
    return user


def _editor() -> agencies.Editor:
    """The national operator behind the bearer token: ApiError 401 without a valid one, NotAllowed (403)
    for anyone else (checked before the body is read; the service checks again)."""
    editor = platform().db(agencies.editor_for(_caller()))
    agencies.require_operator(editor)
    return editor


def _tenant_slugs(rows: list[Agency]) -> dict[int, str]:
    ids = {a.tenant_id for a in rows if a.tenant_id is not None}
    if not ids:
        return {}

    async def load() -> dict[int, str]:
        return {t.id: t.slug for t in await Tenant.filter(id__in=ids)}

    return platform().db(load())


def agency_json(agency: Agency, slugs: dict[int, str]) -> dict[str, Any]:
    return {
        "id": agency.id,
        "kind": agency.kind,
        "tenant": slugs.get(agency.tenant_id) if agency.tenant_id is not None else None,
        "name_th": agency.name_th,
        "name_en": agency.name_en,
        "letter_code": agency.letter_code,
        "ministry_id": agency.ministry_id,
        "department_id": agency.department_id,
        "endpoint_url": agency.endpoint_url,
        "ecms_url": agency.ecms_url,
        "email": agency.email,
        "active": agency.active,
        "updated_at": agency.updated_at.isoformat(),
    }


def key_json(key: AgencyKey) -> dict[str, Any]:
    return {
        "fingerprint": key.fingerprint,
        "subject": key.subject,
        "not_before": key.not_before.isoformat(),
        "not_after": key.not_after.isoformat(),
        "added_at": key.added_at.isoformat(),
        "retired_at": key.retired_at.isoformat() if key.retired_at else None,
    }


def _with_keys(agency: Agency) -> dict[str, Any]:
    async def load() -> tuple[list[AgencyKey], list[AgencyKey]]:
        return await agencies.keys_of(agency), await agencies.keys_for(agency)

    every, valid = platform().db(load())
    valid_ids = {k.id for k in valid}
    return {
        **agency_json(agency, _tenant_slugs([agency])),
        "keys": [{**key_json(k), "valid_now": k.id in valid_ids} for k in every],
    }


def _fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The entry's fields of a JSON body; raises AgencyInvalid for unknown or mistyped fields."""
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    for name, value in body.items():
        if name == "active":
            if not isinstance(value, bool):
                problems.append(FieldProblem(name, "true or false", "ต้องเป็น true หรือ false"))
            else:
                values[name] = value
        elif name in FIELDS:
            if value is None and name != "kind":
                values[name] = ""
            elif not isinstance(value, str):
                problems.append(FieldProblem(name, "must be text", "ต้องเป็นข้อความ"))
            elif "\x00" in value:
                problems.append(FieldProblem(name, "must not hold NUL characters", "มีอักขระที่ไม่อนุญาต"))
            else:
                values[name] = value
        else:
            problems.append(FieldProblem(str(name)[:60], "no such field", "ไม่มีช่องข้อมูลนี้"))
    if creating and "name_th" not in body and not any(p.field == "name_th" for p in problems):
        problems.append(FieldProblem("name_th", "give the agency's Thai name", "กรุณาระบุชื่อหน่วยงานภาษาไทย"))
    if problems:
        raise AgencyInvalid.of(problems)
    return values


def _text_body(limit: int, what: str) -> str:
    """The request body as UTF-8 text; ApiError 413 when larger than ``limit``, 400 when not text."""
    raw = _bounded(limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_request", f"the {what} must be UTF-8 text") from None
    if "\x00" in text:
        raise ApiError(400, "invalid_request", f"the {what} must not hold NUL characters")
    return text


@blueprint.get(PREFIX)
def agency_directory() -> Any:
    """Search the directory by Thai or English name, letter code or department ID (any officer)."""
    _caller()
    query = request.args.get("q", "")
    if len(query) > 200 or "\x00" in query:
        raise ApiError(400, "invalid_request", "q is at most 200 characters")
    active = request.args.get("active", "true")
    if active not in ("true", "false"):
        raise ApiError(400, "invalid_request", "active is true (only agencies taking letters) or false (all)")
    limit_text = request.args.get("limit", "50")
    if not limit_text.isascii() or not limit_text.isdigit() or not 1 <= int(limit_text) <= agencies.MAX_LIMIT:
        raise ApiError(400, "invalid_request", f"limit is a whole number from 1 to {agencies.MAX_LIMIT}")
    rows = platform().db(agencies.directory(query, active_only=active == "true", limit=int(limit_text)))
    slugs = _tenant_slugs(rows)
    return jsonify({"agencies": [agency_json(a, slugs) for a in rows]})


@blueprint.get(f"{PREFIX}/<int:agency_id>")
def agency_entry(agency_id: int) -> Any:
    """One entry with its keys (any officer)."""
    _caller()
    return jsonify(_with_keys(platform().db(agencies.find(agency_id))))


@blueprint.post(PREFIX)
def agency_add() -> Any:
    """A new entry (the national operator only)."""
    editor = _editor()
    values = _fields(body_of(), creating=True)
    agency = platform().db(agencies.add(editor, **values))
    return jsonify(_with_keys(agency)), 201


@blueprint.put(f"{PREFIX}/<int:agency_id>")
def agency_update(agency_id: int) -> Any:
    """Change the given fields of an entry (the national operator only)."""
    editor = _editor()
    values = _fields(body_of(), creating=False)
    agency = platform().db(agencies.update(editor, agency_id, **values))
    return jsonify(_with_keys(agency))


@blueprint.post(f"{PREFIX}/import")
def agency_import() -> Any:
    """Add or update every row of a CSV file, or none (the national operator only)."""
    editor = _editor()
    text = _text_body(MAX_IMPORT_BYTES, "CSV file")
    done = platform().db(agencies.import_csv(editor, text, filename="import.csv"))
    return jsonify({"created": done.created, "updated": done.updated, "unchanged": done.unchanged})


@blueprint.post(f"{PREFIX}/<int:agency_id>/keys")
def agency_add_key(agency_id: int) -> Any:
    """Register a PEM certificate for the agency's signatures (the national operator only)."""
    editor = _editor()
    pem = _text_body(MAX_PEM_BYTES, "certificate")

    async def run() -> AgencyKey:
        agency = await agencies.find(agency_id)
        return await agencies.add_key(editor, agency, pem)

    key = platform().db(run())
    return jsonify(key_json(key)), 201
