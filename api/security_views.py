"""The console's security pages over the API: signing keys, the LINE Official Account, personal data
requests and the correspondence units.

Each route takes the same caller as its page (a municipality administrator's bearer token; for
personal data requests also the data protection officer's) and calls the same engine function.
Key files, their passwords and LINE channel secrets go in and never come out again; national ID
numbers travel in the request body only, never in a URL (addresses end up in logs).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from api.auth import admin_of, officer_of
from api.body import json_body
from api.errors import ApiError
from api.saraban_views import Fields, body_of, user_id_of
from api.views import blueprint, tenant_or_404
from engine.saraban.errors import InvalidLetter, UnitNotFound
from engine.services import access_log, data_requests, line, signing_keys
from engine.services.roles import PRIVACY_ROLES
from engine.services.saraban import organisation
from engine.store.models import OrgUnit, Tenant, User
from renderers.web import download
from thongthin.app import client_address, platform
from thongthin.runners import public_url, signing_roles_of

TENANT = "/tenants/<tenant>"
# Who may answer a data subject's request: as on the console's personal data page.
# A multipart body is the key file and two short fields; room for their headers and boundaries.
MULTIPART_OVERHEAD = 16 * 1024
MAX_ROLE = 64
MAX_UNIT_FIELD = 300
MAX_UNIT_CODE = 40
UNIT_FIELDS_TH = {
    "code": "รหัสส่วนราชการ",
    "name_th": "ชื่อส่วนราชการภาษาไทย",
    "name_en": "ชื่อส่วนราชการภาษาอังกฤษ",
    "letter_suffix": "รหัสต่อท้ายเลขที่หนังสือ",
    "parent": "รหัสส่วนราชการต้นสังกัด",
    "phone": "หมายเลขโทรศัพท์",
}
NO_STORE = "private, no-store"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = NO_STORE
    return response


def _invalid(field: str, message: str, message_th: str, status: int = 422) -> ApiError:
    code = "invalid_request" if status == 400 else "invalid_field"
    return ApiError(status, code, message, message_th=message_th, field=field)


# --- signing keys -------------------------------------------------------------------------------


def _signing_admin(slug: str) -> tuple[Tenant, User]:
    found = tenant_or_404(slug)
    caller = admin_of(found, "manage the signing keys", "จัดการกุญแจลงนามเอกสารได้")
    assert caller.user is not None  # admin_of takes only an officer's bearer token
    return found, caller.user


def _trust_roots() -> list[Any]:
    """The platform's trust roots; none when none is configured (then no certificate chains to them)."""
    from signing.errors import PkiError

    try:
        return platform().trust_roots()
    except PkiError:
        return []


def _role_title(role: str) -> dict[str, str] | None:
    spec = platform().catalog.roles.get(role)
    return spec.title.model_dump() if spec else None


def role_key_json(row: signing_keys.RoleKey) -> dict[str, Any]:
    """A role and the key that signs for it now: the certificate's facts, never the key or its password."""
    stored = row.stored
    key: dict[str, Any] | None = None
    if stored is not None:
        key = {
            "kind": stored.kind,
            "subject_cn": stored.subject_cn,
            "serial": stored.serial,
            "not_before": stored.not_before.isoformat(),
            "not_after": stored.not_after.isoformat(),
            "token_label": stored.token_label if stored.kind == "pkcs11" else None,
            "set_by": stored.set_by_name,
            "set_at": stored.set_at.isoformat(),
        }
    return {
        "role": row.role,
        "title": _role_title(row.role),
        "signs": row.signs,
        "signed_with": "own" if stored else ("platform" if row.platform_key else "none"),
        "platform_key": row.platform_key,
        "expired": row.expired,
        "key": key,
    }


def _overview(found: Tenant) -> list[signing_keys.RoleKey]:
    from signing.services import platform_signing_roles

    settings = platform().settings
    own = platform_signing_roles(settings.data_dir, found.slug, settings.environ)
    return platform().db(signing_keys.overview(found, signing_roles_of(platform(), found), own))


def _role_answer(found: Tenant, role: str) -> Any:
    row = next(r for r in _overview(found) if r.role == role)
    return _no_store(jsonify(role_key_json(row)))


def _refused(refused: signing_keys.SigningKeyRefused) -> ApiError:
    # The refusal's own words only: its detail may quote what was sent.
    return ApiError(
        refused.http_status,
        refused.code,
        refused.message("en"),
        message_th=refused.message("th"),
        field=refused.field,
    )


@blueprint.get(f"{TENANT}/signing")
def signing_keys_list(tenant: str) -> Any:
    """Every role that signs the municipality's documents and the key that signs for it now."""
    from signing.keys import platform_token

    found, _ = _signing_admin(tenant)
    return _no_store(
        jsonify(
            {
                "roles": [role_key_json(row) for row in _overview(found)],
                "token_available": platform_token(platform().settings.environ) is not None,
                "max_p12_bytes": signing_keys.MAX_P12_BYTES,
            }
        )
    )


@blueprint.post(f"{TENANT}/signing/p12")
def signing_key_p12(tenant: str) -> Any:
    """Check a PKCS#12 file with its password and use it as a role's key (multipart: role, password, p12).

    Raises ApiError 415 (not multipart), 413 (larger than a key file), 422 with the reason in Thai
    and English when the key is refused (nothing stored).
    """
    from signing.keys import pkcs12_check

    found, user = _signing_admin(tenant)
    limit = signing_keys.MAX_P12_BYTES + MULTIPART_OVERHEAD
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(
            413,
            "request_entity_too_large",
            f"the body is larger than {limit} bytes; a key file is at most {signing_keys.MAX_P12_BYTES} bytes",
            message_th="ข้อมูลที่ส่งมีขนาดใหญ่เกินไป ไฟล์กุญแจต้องมีขนาดไม่เกิน 64 KB",
            limit_bytes=limit,
        )
    request.max_content_length = limit
    if request.mimetype != "multipart/form-data":
        raise ApiError(
            415,
            "unsupported_media_type",
            "send the key file as multipart/form-data: the fields role and password, the file in p12",
            message_th="กรุณาส่งไฟล์กุญแจแบบ multipart/form-data โดยมีช่อง role password และไฟล์ในช่อง p12",
            accepted=["multipart/form-data"],
        )
    role = request.form.get("role", "")
    password = request.form.get("password", "")
    if len(role) > MAX_ROLE:
        raise _refused(signing_keys.RoleNotSigning())
    if len(password) > signing_keys.MAX_PASSWORD:
        raise _refused(signing_keys.KeyFileUnreadable())
    sent = request.files.get("p12")
    content = sent.read(signing_keys.MAX_P12_BYTES + 1) if sent else b""
    try:
        platform().db(
            signing_keys.set_pkcs12(
                found,
                role,
                content,
                password.encode("utf-8"),
                roles=signing_roles_of(platform(), found),
                check=pkcs12_check(_trust_roots()),
                platform_key=platform().settings.secret_key,
                by=user,
            )
        )
    except signing_keys.SigningKeyRefused as refused:
        raise _refused(refused) from None
    return _role_answer(found, role)


@blueprint.post(f"{TENANT}/signing/pkcs11")
def signing_key_pkcs11(tenant: str) -> Any:
    """Use a key on the platform's token (HSM), by its label, as a role's key (JSON: role, label).

    Raises ApiError 422 with the reason in Thai and English when refused (nothing stored).
    """
    from signing.keys import token_check

    found, user = _signing_admin(tenant)
    body = json_body()
    role = body.get("role", "")
    if not isinstance(role, str) or len(role) > MAX_ROLE:
        raise _refused(signing_keys.RoleNotSigning())
    label = body.get("label", "")
    if not isinstance(label, str) or len(label) > signing_keys.MAX_LABEL:
        raise _refused(signing_keys.TokenKeyNotFound())
    settings = platform().settings
    try:
        platform().db(
            signing_keys.set_pkcs11(
                found,
                role,
                label,
                roles=signing_roles_of(platform(), found),
                check=token_check(settings.environ, _trust_roots()),
                by=user,
            )
        )
    except signing_keys.SigningKeyRefused as refused:
        raise _refused(refused) from None
    return _role_answer(found, role)


@blueprint.delete(f"{TENANT}/signing")
def signing_key_remove(tenant: str) -> Any:
    """Stop using the municipality's key of ``?role=``: the platform's key signs for it again.

    Raises ApiError 400 without a role, 404 when the role has no key of the municipality.
    """
    found, _ = _signing_admin(tenant)
    role = request.args.get("role", "")
    if not role or len(role) > MAX_ROLE:
        raise _invalid(
            "role",
            "name the role whose key to remove: ?role=",
            "กรุณาระบุตำแหน่งผู้ลงนามที่ต้องการเลิกใช้กุญแจ (?role=)",
            status=400,
        )
    if not platform().db(signing_keys.remove(found, role)):
        raise ApiError(
            404,
            "signing_key_not_found",
            "the municipality has no key of its own for this role",
            message_th="หน่วยงานไม่ได้ตั้งกุญแจลงนามของตนเองไว้สำหรับตำแหน่งนี้",
            field="role",
        )
    return "", 204


# --- LINE Official Account ----------------------------------------------------------------------


def _line_admin(slug: str) -> Tenant:
    found = tenant_or_404(slug)
    admin_of(found, "manage the LINE Official Account", "จัดการบัญชี LINE ทางการของหน่วยงานได้")
    return found


def line_json(found: Tenant) -> dict[str, Any]:
    """What the console page shows of the account: never its channel secret or access token."""
    account = line.account_of(found, platform().settings.secret_key)
    return {
        "connected": account is not None,
        "basic_id": account.basic_id if account else None,
        "add_friend_url": (account.add_friend_url or None) if account else None,
        "phone": (found.settings or {}).get("phone", ""),
        "webhook_url": line.webhook_url(public_url(platform()), found),
    }


@blueprint.get(f"{TENANT}/line")
def line_settings(tenant: str) -> Any:
    found = _line_admin(tenant)
    return _no_store(jsonify(line_json(found)))


@blueprint.put(f"{TENANT}/line")
def line_connect(tenant: str) -> Any:
    """Connect (or reconnect) the account: secret, token, basic_id, and the office's phone (optional).

    Raises LineSettingsInvalid (422, every wrong field in Thai and English); nothing is stored then.
    """
    found = _line_admin(tenant)
    body = json_body()
    given: dict[str, str] = {}
    wrong: list[line.SettingProblem] = []
    for name in ("secret", "token", "basic_id", "phone"):
        value = body.get(name, "")  # an answer left out is empty; null is no text, and refused
        if not isinstance(value, str):
            wrong.append(line.SETTING_PROBLEMS[name])
            value = ""
        given[name] = value.strip()
    try:
        if wrong:  # a value of the wrong type is told as that field's problem, beside the others
            problems = {p.field: p for p in [*wrong, *line.setting_problems(**given)]}
            raise line.LineSettingsInvalid(list(problems.values()))
        platform().db(line.configure(found, platform().settings.secret_key, **given))
    except line.LineSettingsInvalid as invalid:
        raise ApiError(
            422,
            invalid.code,
            str(invalid),
            message_th=invalid.message_th,
            errors=[p.as_dict() for p in invalid.problems],
        ) from None
    return _no_store(jsonify(line_json(found)))


@blueprint.delete(f"{TENANT}/line")
def line_disconnect(tenant: str) -> Any:
    """Disconnect the account: no more LINE messages are sent (204 also when none was connected)."""
    found = _line_admin(tenant)
    platform().db(line.disconnect(found))
    return "", 204


# --- personal data requests ---------------------------------------------------------------------


def _privacy_officer(slug: str) -> tuple[Tenant, User]:
    """The municipality and its administrator or data protection officer behind the bearer token."""
    found = tenant_or_404(slug)
    caller = officer_of(found)
    if caller is None or caller.user is None:
        raise ApiError(401, "unauthorized", "give an officer's bearer token", message_th="กรุณาเข้าสู่ระบบ")
    if not caller.roles & PRIVACY_ROLES:
        raise ApiError(
            403,
            "forbidden",
            "only the municipality's administrators and data protection officers answer personal data requests",
            message_th="เฉพาะผู้ดูแลระบบและเจ้าหน้าที่คุ้มครองข้อมูลส่วนบุคคลของหน่วยงานเท่านั้นที่ดำเนินการตามคำขอของเจ้าของข้อมูลได้",
        )
    return found, caller.user


def _national_id(body: dict[str, Any]) -> str:
    """The ``national_id`` of the JSON body; raises ApiError 422 when it is not a valid one."""
    value = body.get("national_id")
    try:
        if not isinstance(value, str):
            raise data_requests.InvalidNationalId()
        return data_requests.subject_id(value)
    except data_requests.InvalidNationalId as invalid:
        raise _invalid("national_id", str(invalid), invalid.message_th) from None


def _look_json(look: access_log.Look) -> dict[str, Any]:
    return {
        "at": look.at.isoformat(),
        "who": look.who,
        "action": look.action,
        "reference": look.reference,
        "channel": look.channel,
    }


@blueprint.post(f"{TENANT}/privacy/access-log")
def privacy_access_log(tenant: str) -> Any:
    """The person's applications and every recorded look at them, newest first (at most 1000)."""
    found, _ = _privacy_officer(tenant)
    national_id = _national_id(json_body())
    references, looks = platform().db(access_log.who_looked(found, national_id))
    return _no_store(jsonify({"references": references, "looks": [_look_json(x) for x in looks]}))


@blueprint.post(f"{TENANT}/privacy/export")
def privacy_export(tenant: str) -> Any:
    """Everything held about the person as a zip; each application's export is in the access log."""
    found, user = _privacy_officer(tenant)
    national_id = _national_id(json_body())
    content, _ = platform().db(
        data_requests.export(
            found, national_id, user, blobs=platform().blobs, address=client_address(), channel="api"
        )
    )
    return download(content, f"personal-data-{found.slug}.zip", "application/zip")


@blueprint.post(f"{TENANT}/privacy/erase")
def privacy_erase(tenant: str) -> Any:
    """Anonymise what is past retention; the answer says what was erased and why the rest is kept.

    With ``"preview": true`` nothing changes: the answer lists what would be erased (``done`` false),
    as the console's confirmation page does.
    """
    found, user = _privacy_officer(tenant)
    body = json_body()
    national_id = _national_id(body)
    preview = body.get("preview", False)
    if not isinstance(preview, bool):
        raise _invalid("preview", "preview must be true or false", "ช่อง preview ต้องเป็น true หรือ false")
    if preview:
        erasure = platform().db(
            data_requests.erasure_plan(found, national_id, definition_of=platform().definition)
        )
    else:
        erasure = platform().db(
            data_requests.erase(
                found, national_id, user, blobs=platform().blobs, definition_of=platform().definition
            )
        )
    return _no_store(
        jsonify(
            {
                "done": erasure.done,
                "erased": erasure.erased,
                "kept_open": erasure.kept_open,
                "kept_until": [
                    {"reference": reference, "until": until.isoformat()}
                    for reference, until in erasure.kept_until.items()
                ],
            }
        )
    )


# --- correspondence units -----------------------------------------------------------------------


def _units_admin(slug: str) -> Tenant:
    found = tenant_or_404(slug)
    admin_of(found, "manage the units", "จัดการส่วนราชการภายในของหน่วยงานได้")
    return found


def unit_json(unit: OrgUnit, parent: str | None) -> dict[str, Any]:
    """A unit as ``GET …/saraban/units`` lists it."""
    return {
        "code": unit.code,
        "name_th": unit.name_th,
        "name_en": unit.name_en,
        "letter_suffix": unit.letter_suffix,
        "parent": parent,
        "phone": unit.phone,
        "active": unit.active,
    }


@blueprint.post(f"{TENANT}/saraban/units")
def saraban_put_unit(tenant: str) -> Any:
    """Create a unit, or change the one with this code (201 created, 200 changed).

    Raises InvalidLetter (422) naming the wrong fields, a parent that is not a unit here included.
    """
    found = _units_admin(tenant)
    fields = Fields(body_of())
    values = {
        name: fields.text(name, required=name in ("code", "name_th"))
        for name in ("code", "name_th", "name_en", "letter_suffix", "parent", "phone")
    }
    for name, value in values.items():
        if len(value) > MAX_UNIT_FIELD:
            fields.wrong(
                name,
                f"{name} is longer than {MAX_UNIT_FIELD} characters",
                f"{UNIT_FIELDS_TH[name]}ต้องยาวไม่เกิน {MAX_UNIT_FIELD} ตัวอักษร",
            )
    fields.done()
    code = values["code"].strip()
    existed = any(u.code == code for u in platform().db(organisation.units(found)))
    try:
        unit = platform().db(
            organisation.put_unit(
                found, code, values["name_th"], name_en=values["name_en"],
                letter_suffix=values["letter_suffix"], parent=values["parent"] or None, phone=values["phone"],
            )
        )  # fmt: skip
    except UnitNotFound as missing:
        # The parent named in the body: a wrong field, as the page says, not a missing resource.
        raise InvalidLetter(missing.message, th=missing.message_th, field="parent") from None
    response = jsonify(unit_json(unit, values["parent"] or None))
    response.status_code = 200 if existed else 201
    return response


@blueprint.post(f"{TENANT}/saraban/units/<unit>/members")
def saraban_add_member(tenant: str, unit: str) -> Any:
    """Put an officer (``user``: id or username) in the unit, as its head with ``head``: true.

    Raises UnitNotFound (404), InvalidLetter (422) for an officer who is not of this municipality.
    """
    found = _units_admin(tenant)
    if len(unit) > MAX_UNIT_CODE:
        raise UnitNotFound(unit[:MAX_UNIT_CODE])
    fields = Fields(body_of())
    head = fields.flag("head")
    if fields.body.get("user") is None:
        fields.wrong(
            "user",
            "name the officer: user is their id or username",
            "กรุณาระบุเจ้าหน้าที่ที่จะให้สังกัดส่วนราชการนี้ (user) เป็นเลขประจำตัวหรือชื่อผู้ใช้",
        )
    fields.done()
    platform().db(organisation.unit(found, unit))  # 404 before the officer is looked up
    user_id = user_id_of(found, fields.body.get("user"))
    platform().db(organisation.add_member(found, unit, user_id, head=head))
    user = platform().db(User.get(tenant_id=found.id, id=user_id))
    return jsonify(
        {
            "unit": unit,
            "user": {"id": user.id, "username": user.username, "display_name": user.display_name},
            "head": head,
        }
    )
