"""The municipality console over the API: its details and seal, its services and their local fees,
its officers and their roles (administrators only), and each officer's own notice settings.

Every route calls the engine function the console page calls, so both check the same things and
refuse with the same words: a refusal lists each wrong answer by field, in Thai and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify, request

from api.auth import Caller, admin_of, officer_of
from api.body import json_body
from api.errors import ApiError
from api.paging import cursor_refused, decoded_cursor, encode_cursor, json_with_etag, limit_arg
from api.views import blueprint, tenant_or_404
from engine.definitions import ServiceDefinition
from engine.definitions.diff import diff
from engine.services import accounts, desk, local_fees, messages, officers, tenant_details, tenants
from engine.services.errors import InvalidParameters
from engine.services.roles import NOT_FOR_OFFICERS
from engine.store.bounds import could_be_integer_key
from engine.store.models import Tenant, User
from renderers.web import translate
from thongthin.app import client_address, platform

LANGUAGES = ("en", "th")
MAX_ROLES = 50
MAX_ROLE = 64
MAX_BOXES = 200
MAX_BOX_NAME = 120
MAX_NUMBER_TEXT = 40
MAX_VERSION = 32
MAX_PASSWORD_GIVEN = accounts.MAX_PASSWORD_LENGTH + 1  # one more, so "too long" is still said
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

# --- answers and refusals --------------------------------------------------------------------


def _both(key: str, **values: str) -> dict[str, str]:
    """A message of the back office's catalogue in English (``message``) and Thai (``message_th``)."""
    return {"message": translate(key, "en", **values), "message_th": translate(key, "th", **values)}


def _problem(field: str, en: str, th: str) -> dict[str, str]:
    return {"field": field, "message": en, "message_th": th}


def invalid(code: str, errors: list[dict[str, str]]) -> ApiError:
    """422 with every wrong answer by field; nothing was stored."""
    count = str(len(errors))
    return ApiError(
        422,
        code,
        f"{count} answer(s) are wrong; nothing was stored",
        message_th=f"ข้อมูลที่ส่งมาไม่ถูกต้อง {count} รายการ จึงยังไม่ได้บันทึก",
        errors=errors,
    )


def _officer_problems(error: officers.OfficerInvalid, code: str = "invalid_officer") -> ApiError:
    return invalid(code, [{"field": p.field, **_both(p.key)} for p in error.problems])


def _not_text(field: str) -> dict[str, str]:
    return _problem(field, f"{field} must be text", f"ช่อง {field} ต้องเป็นข้อความ")


def _text_of(body: Mapping[str, Any], field: str, errors: list[dict[str, str]], longest: int) -> str | None:
    """``body[field]`` when it is text (None when absent); a problem appended when it is not.

    An explicit ``null`` is not text: it is refused like a number would be, never read as absent.
    """
    if field not in body:
        return None
    value = body[field]
    if not isinstance(value, str):
        errors.append(_not_text(field))
        return None
    return value[:longest]


# --- the municipality's own details ----------------------------------------------------------


def _details_admin(found: Tenant) -> Caller:
    return admin_of(found, "keep the municipality's details", "แก้ไขข้อมูลของหน่วยงานได้")


def _details_view(found: Tenant) -> dict[str, Any]:
    details = tenant_details.details_of(found)
    return {
        "name_th": details.name_th,
        "name_en": details.name_en,
        "address_th": details.address_th,
        "phone": details.phone,
        "letter_code": details.letter_code,
        "thai_numerals": details.thai_numerals,
        "has_seal": bool(found.logo_blob),
    }


@blueprint.get("/tenants/<tenant>/details")
def console_details(tenant: str) -> Any:
    """The municipality's names, office address and phone, letter code and digits, as the console shows them."""
    found = tenant_or_404(tenant)
    _details_admin(found)
    return jsonify(_details_view(found))


@blueprint.put("/tenants/<tenant>/details")
def update_console_details(tenant: str) -> Any:
    """Change the details; an answer left out keeps its value. 422 lists every wrong answer."""
    found = tenant_or_404(tenant)
    _details_admin(found)
    body = json_body()
    current = tenant_details.details_of(found)
    answers: dict[str, str] = {}
    errors: list[dict[str, str]] = []
    for name, longest in tenant_details.READ_AT_MOST.items():
        given = _text_of(body, name, errors, longest)
        answers[name] = given if given is not None else getattr(current, name)
    numerals = body.get("thai_numerals", current.thai_numerals)
    if not isinstance(numerals, bool):
        errors.append(
            _problem(
                "thai_numerals",
                "thai_numerals must be true or false",
                "ช่อง thai_numerals ต้องเป็น true หรือ false",
            )
        )
    if errors:
        raise invalid("invalid_details", errors)
    details = tenant_details.details_given(answers, thai_numerals=bool(numerals))
    try:
        platform().db(tenant_details.update_details(found, details))
    except tenant_details.DetailsInvalid as wrong:
        raise invalid(
            wrong.code, [_problem(p.field, p.message_en, p.message_th) for p in wrong.problems]
        ) from None
    return jsonify(_details_view(found))


@blueprint.put("/tenants/<tenant>/details/seal")
def update_console_seal(tenant: str) -> Any:
    """The seal printed on documents and bills: a PNG or JPEG (judged by its content), at most 512 KB.

    Sent as the body's bytes, or as the ``seal`` file of a multipart form as the page sends it.
    """
    found = tenant_or_404(tenant)
    _details_admin(found)
    limit = tenant_details.MAX_LOGO_BYTES + 1  # one byte more, so "too large" is said by the same check
    if request.mimetype == "multipart/form-data":
        sent = request.files.get("seal")
        content, filename = (sent.read(limit), sent.filename or "") if sent else (b"", "")
    else:
        content, filename = request.stream.read(limit), ""
    try:
        platform().db(tenant_details.set_logo(found, content, filename, platform().blobs))
    except tenant_details.UploadRejected as rejected:
        raise invalid(
            "upload_rejected", [_problem("seal", rejected.message_en, rejected.message_th)]
        ) from None
    return jsonify(_details_view(found))


# --- services ---------------------------------------------------------------------------------


def _services_admin(found: Tenant) -> Caller:
    return admin_of(found, "enable services and set their local fees", "เปิดให้บริการและกำหนดค่าธรรมเนียมท้องถิ่นได้")


def _newest(service_id: str) -> ServiceDefinition:
    """A catalog service's newest version (by any node); raises UnknownService (404)."""
    platform().db(platform().load_published())  # versions another node published since
    return platform().catalog.get(service_id)


def _title(definition: ServiceDefinition) -> dict[str, str]:
    return {"th": definition.service.title.get("th"), "en": definition.service.title.get("en")}


@blueprint.get("/tenants/<tenant>/console/services")
def console_services(tenant: str) -> Any:
    """Every catalog service: whether the municipality offers it, at which version, and a newer one."""
    found = tenant_or_404(tenant)
    _services_admin(found)
    enabled = {e.service_id: e for e in platform().db(tenants.enabled_services(found))}
    platform().db(platform().load_published())  # versions another node published since
    rows = []
    for definition in platform().catalog:
        offered = enabled.get(definition.id)
        rows.append(
            {
                "service_id": definition.id,
                "title": _title(definition),
                "enabled": offered is not None,
                "version": offered.version if offered else None,
                "catalog_version": definition.version,
                "newer_version": (
                    definition.version if offered and offered.version != definition.version else None
                ),
                "has_local_fees": bool(local_fees.local_fees(definition)),
            }
        )
    return json_with_etag({"services": rows}, private=True)


def _outdated(definition: ServiceDefinition) -> ApiError:
    return ApiError(
        409,
        "parameters_outdated",
        **_both("admin.services.parameters_outdated", service=definition.service.title.get("en")),
    )


@blueprint.post("/tenants/<tenant>/console/services/<service_id>/enable")
def enable_console_service(tenant: str, service_id: str) -> Any:
    """Offer a service at the catalog's newest version, keeping the municipality's local fees."""
    found = tenant_or_404(tenant)
    _services_admin(found)
    definition = _newest(service_id)
    current = platform().db(tenants.enabled_services(found))
    parameters = next((e.parameters for e in current if e.service_id == service_id), None)
    try:
        enabled = platform().db(tenants.enable_service(found, definition, parameters))
    except InvalidParameters:
        # The new version changed its fees: the old local rates must be looked at again first.
        raise _outdated(definition) from None
    return jsonify({"service_id": service_id, "enabled": True, "version": enabled.version})


@blueprint.post("/tenants/<tenant>/console/services/<service_id>/disable")
def disable_console_service(tenant: str, service_id: str) -> Any:
    """Close a service: citizens can no longer apply; applications under way carry on to their end."""
    found = tenant_or_404(tenant)
    _services_admin(found)
    definition = _newest(service_id)
    platform().db(tenants.disable_service(found, definition.id))
    open_count = platform().db(tenants.open_applications(found, definition.id))
    return jsonify({"service_id": service_id, "enabled": False, "open_applications": open_count})


def _version(given: Any) -> str | None:
    if given is None or given == "":
        return None
    if not isinstance(given, str) or len(given) > MAX_VERSION:
        raise invalid(
            "invalid_request",
            [
                _problem(
                    "version",
                    "version must be a version number like 1.2.0",
                    "ช่อง version ต้องเป็นเลขรุ่น เช่น 1.2.0",
                )
            ],
        )
    return given


@blueprint.get("/tenants/<tenant>/console/services/<service_id>/upgrade")
def console_service_upgrade(tenant: str, service_id: str) -> Any:
    """What moving an offered service to a newer version (``?version=``, else the newest) changes."""
    found = tenant_or_404(tenant)
    _services_admin(found)
    enabled = platform().db(tenants.enabled_service(found, service_id))  # 404 when not offered
    current = platform().definition(service_id, enabled.version)
    platform().db(platform().load_published())  # versions another node published since
    target = platform().definition(service_id, _version(request.args.get("version")))
    changes = diff(current, target)
    open_count = platform().db(tenants.open_applications(found, service_id, version=current.version))
    bump_text = _both(f"admin.upgrade.bump.{changes.bump}")
    return jsonify(
        {
            "service_id": service_id,
            "title": _title(target),
            "current_version": current.version,
            "target_version": target.version,
            "can_upgrade": target.version != current.version,
            "bump": changes.bump,
            "bump_text": {"en": bump_text["message"], "th": bump_text["message_th"]},
            "open_applications": open_count,
            "changes": [
                {"area": c.area, "kind": c.kind, "name": c.name, "detail": c.detail, "bump": c.bump}
                for c in changes.changes
            ],
        }
    )


@blueprint.post("/tenants/<tenant>/console/services/<service_id>/upgrade")
def upgrade_console_service(tenant: str, service_id: str) -> Any:
    """Move an offered service to ``version`` (else the newest); applications under way keep theirs."""
    found = tenant_or_404(tenant)
    _services_admin(found)
    body = json_body() if request.content_length else {}
    platform().db(tenants.enabled_service(found, service_id))  # 404 when not offered
    platform().db(platform().load_published())
    target = platform().definition(service_id, _version(body.get("version")))
    try:
        change = platform().db(tenants.enable_version(found, target))
    except InvalidParameters:
        raise _outdated(target) from None
    return jsonify(
        {
            "service_id": service_id,
            "version": change.enabled.version,
            "previous_version": change.previous,
            "open_on_previous": change.open_on_previous,
        }
    )


def _number(text: str) -> float | int | None:
    if not text:
        return None
    value = float(text)
    return int(value) if value.is_integer() else value


def _parameters_view(found: Tenant, service_id: str) -> dict[str, Any]:
    enabled = platform().db(tenants.enabled_service(found, service_id))  # 404 when not offered
    definition = platform().definition(service_id, enabled.version)
    parameters = dict(enabled.parameters or {})
    by_language = {lang: local_fees.forms(definition, parameters, lang) for lang in LANGUAGES}
    fees = []
    for thai, english in zip(by_language["th"], by_language["en"], strict=True):
        fees.append(
            {
                "fee_id": thai.fee.id,
                "kind": thai.fee.kind,
                "title": {"th": thai.fee.title.get("th"), "en": thai.fee.title.get("en")},
                "changed": thai.fee.id in parameters.get("fees", {}),
                "boxes": [
                    {
                        "name": box_th.name,
                        "label": {
                            "th": translate(box_th.label_key, "th", **box_th.label_values),
                            "en": translate(box_en.label_key, "en", **box_en.label_values),
                        },
                        "value": _number(box_th.value),
                        "required": box_th.required,
                    }
                    for box_th, box_en in zip(thai.fields, english.fields, strict=True)
                ],
            }
        )
    return {"service_id": service_id, "version": definition.version, "fees": fees}


@blueprint.get("/tenants/<tenant>/console/services/<service_id>/parameters")
def console_service_parameters(tenant: str, service_id: str) -> Any:
    """The municipality's own rates of the fees national law leaves to it, box by box as the page shows."""
    found = tenant_or_404(tenant)
    _services_admin(found)
    return jsonify(_parameters_view(found, service_id))


def _box_text(name: str, value: Any, errors: list[dict[str, str]]) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, str) and len(value) <= MAX_NUMBER_TEXT:
        return value
    errors.append(_problem(name, "Enter a number", "กรุณากรอกเป็นตัวเลข"))
    return ""


@blueprint.put("/tenants/<tenant>/console/services/<service_id>/parameters")
def update_console_service_parameters(tenant: str, service_id: str) -> Any:
    """Set local rates: ``values`` maps box names to numbers (null leaves an optional box empty);
    a box left out keeps its value. Only values differing from the national default are stored."""
    found = tenant_or_404(tenant)
    _services_admin(found)
    body = json_body()
    values = body.get("values")
    if not isinstance(values, dict) or len(values) > MAX_BOXES:
        raise invalid(
            "invalid_request",
            [
                _problem(
                    "values",
                    f"give values as an object of at most {MAX_BOXES} boxes by name",
                    f"ช่อง values ต้องเป็นออบเจกต์ที่ระบุค่าตามชื่อช่องได้ไม่เกิน {MAX_BOXES} ช่อง",
                )
            ],
        )
    enabled = platform().db(tenants.enabled_service(found, service_id))  # 404 when not offered
    definition = platform().definition(service_id, enabled.version)
    parameters = dict(enabled.parameters or {})
    boxes = {b.name: b.value for form in local_fees.forms(definition, parameters, "th") for b in form.fields}
    errors: list[dict[str, str]] = []
    for name, value in values.items():
        if name not in boxes:
            errors.append(
                _problem(
                    name[:MAX_BOX_NAME],
                    "The local fees of this service have no such box",
                    "ค่าธรรมเนียมท้องถิ่นของบริการนี้ไม่มีช่องนี้",
                )
            )
        else:
            boxes[name] = _box_text(name, value, errors)
    if errors:
        raise invalid("invalid_parameters", errors)
    try:
        platform().db(local_fees.set_local_fees(found, definition, parameters, boxes))
    except local_fees.LocalFeesInvalid as wrong:
        labels = {
            lang: {
                b.name: translate(b.label_key, lang, **b.label_values)
                for form in local_fees.forms(definition, parameters, lang)
                for b in form.fields
            }
            for lang in LANGUAGES
        }
        raise invalid(
            wrong.code,
            [
                _problem(
                    name,
                    f"{translate(key, 'en')} ({labels['en'].get(name, name)})",
                    f"{translate(key, 'th')} ({labels['th'].get(name, name)})",
                )
                for name, key in wrong.errors.items()
            ],
        ) from None
    return jsonify(_parameters_view(found, service_id))


# --- officers ---------------------------------------------------------------------------------


def _officers_admin(found: Tenant) -> Caller:
    return admin_of(found, "manage officers and their roles", "จัดการเจ้าหน้าที่และบทบาทของเจ้าหน้าที่ได้")


def _grantable(found: Tenant) -> list[str]:
    """As the page: ``admin`` and the roles the enabled services' workflows name, by Thai title."""
    enabled = platform().db(tenants.enabled_services(found))
    definitions = [platform().definition(e.service_id, e.version) for e in enabled]
    titles = {name: role.title.get("th") for name, role in platform().catalog.roles.items()}
    return officers.grantable_roles(definitions, titles)


def _role(name: str) -> dict[str, Any]:
    known = platform().catalog.roles.get(name)
    title = {"th": known.title.get("th"), "en": known.title.get("en")} if known else None
    return {"role": name, "title": title}


def _person(user: User, roles: set[str] | frozenset[str]) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "active": user.active,
        "two_factor": user.totp_secret is not None,
        "roles": sorted(roles),
    }


def _cursor_for(username: str) -> str:
    return encode_cursor({"u": username})


def _after() -> str | None:
    """The username the page before ended at (from ``cursor``), None for the first page."""
    decoded = decoded_cursor()
    if decoded is None:
        return None
    username = decoded.get("u")
    if not isinstance(username, str) or not officers.USERNAME.fullmatch(username):
        raise cursor_refused()
    return username


@blueprint.get("/tenants/<tenant>/officers")
def console_officers(tenant: str) -> Any:
    """Every officer with their roles, by username, and the roles this municipality can grant."""
    found = tenant_or_404(tenant)
    _officers_admin(found)
    after, limit = _after(), limit_arg(DEFAULT_LIMIT, MAX_LIMIT)
    everyone = platform().db(desk.officers(found))
    following = [o for o in everyone if after is None or o.user.username > after]
    page = following[:limit]
    return json_with_etag(
        {
            "officers": [_person(o.user, o.roles) for o in page],
            "grantable_roles": [_role(r) for r in _grantable(found)],
            "next_cursor": _cursor_for(page[-1].user.username) if len(following) > limit else None,
        },
        private=True,
    )


def _roles_given(body: Mapping[str, Any], allowed: set[str], errors: list[dict[str, str]]) -> list[str]:
    given = body.get("roles", [])
    if (
        not isinstance(given, list)
        or len(given) > MAX_ROLES
        or not all(isinstance(r, str) and len(r) <= MAX_ROLE for r in given)
    ):
        errors.append(
            _problem(
                "roles",
                f"give roles as a list of at most {MAX_ROLES} role names",
                f"ช่อง roles ต้องเป็นรายการชื่อบทบาทไม่เกิน {MAX_ROLES} รายการ",
            )
        )
        return []
    if set(given) - allowed:
        errors.append(
            _problem(
                "roles",
                "Some of these roles cannot be granted in this municipality: "
                + ", ".join(sorted(set(given) - allowed)),
                "บทบาทบางรายการที่เลือกไม่สามารถมอบให้เจ้าหน้าที่ของหน่วยงานนี้ได้ ได้แก่ "
                + ", ".join(sorted(set(given) - allowed)),
            )
        )
    return list(dict.fromkeys(given))


@blueprint.post("/tenants/<tenant>/officers")
def create_console_officer(tenant: str) -> Any:
    """Add an officer with the password the administrator chose (never answered back) and roles."""
    found = tenant_or_404(tenant)
    _officers_admin(found)
    body = json_body()
    errors: list[dict[str, str]] = []
    username = (_text_of(body, "username", errors, 200) or "").strip().lower()
    display_name = (_text_of(body, "display_name", errors, 400) or "").strip()
    password = _text_of(body, "password", errors, MAX_PASSWORD_GIVEN) or ""
    roles = _roles_given(body, set(_grantable(found)), errors)
    if errors:
        raise invalid("invalid_officer", errors)
    try:
        user = platform().db(officers.add_officer(found, username, display_name, password, roles))
    except officers.OfficerInvalid as wrong:
        raise _officer_problems(wrong) from None
    return jsonify(_person(user, set(roles))), 201


def _officer_here(found: Tenant, user_id: int) -> User:
    """One officer of ``found``; 404 for another municipality's (as if there were none)."""
    if not could_be_integer_key(user_id):
        raise desk.OfficerNotFound(user_id)
    return platform().db(desk.officer(found, user_id))


def _roles_view(user: User, grantable: list[str]) -> dict[str, Any]:
    held = platform().db(accounts.roles_of(user))
    # Roles of services no longer offered stay listed while the officer holds them, so they can be revoked.
    shown = grantable + sorted(held - set(grantable) - NOT_FOR_OFFICERS)
    events = platform().db(accounts.events_of(user))
    return {
        "officer": _person(user, held),
        "roles": [{**_role(r), "held": r in held} for r in shown],
        "events": [
            {
                "kind": e.kind,
                "at": e.at.isoformat(),
                "by": e.actor.username if e.actor else None,
                "address": e.address or None,
            }
            for e in events
        ],
    }


@blueprint.get("/tenants/<tenant>/officers/<int:user_id>/roles")
def console_officer_roles(tenant: str, user_id: int) -> Any:
    """An officer's roles (those that can be granted here, and any still held), and their account's history."""
    found = tenant_or_404(tenant)
    _officers_admin(found)
    user = _officer_here(found, user_id)
    return jsonify(_roles_view(user, _grantable(found)))


@blueprint.put("/tenants/<tenant>/officers/<int:user_id>/roles")
def update_console_officer_roles(tenant: str, user_id: int) -> Any:
    """The officer holds exactly ``roles`` of those grantable here; an administrator keeps their own ``admin``."""
    found = tenant_or_404(tenant)
    caller = _officers_admin(found)
    user = _officer_here(found, user_id)
    body = json_body()
    grantable = _grantable(found)
    held = platform().db(accounts.roles_of(user))
    errors: list[dict[str, str]] = []
    if "roles" not in body:
        errors.append(
            _problem("roles", "give roles as a list of role names", "กรุณาระบุรายการบทบาทในช่อง roles")
        )
    wanted = _roles_given(body, set(grantable) | (held - NOT_FOR_OFFICERS), errors)
    if errors:
        raise invalid("invalid_officer", errors)
    assert caller.user is not None  # admin_of takes only an officer's token
    try:
        platform().db(officers.set_officer_roles(caller.user, user, set(wanted), grantable))
    except officers.OfficerInvalid as wrong:
        raise _officer_problems(wrong) from None
    return jsonify(_roles_view(user, grantable))


@blueprint.post("/tenants/<tenant>/officers/<int:user_id>/account")
def console_officer_account(tenant: str, user_id: int) -> Any:
    """Deactivate, reactivate, reset the password (the administrator's choice, never answered back)
    or turn two-factor login off, as the officer's page does."""
    found = tenant_or_404(tenant)
    caller = _officers_admin(found)
    user = _officer_here(found, user_id)
    body = json_body()
    errors: list[dict[str, str]] = []
    action = body.get("action")
    if action not in officers.ACCOUNT_ACTIONS:
        choices = ", ".join(officers.ACCOUNT_ACTIONS)
        errors.append(
            _problem(
                "action", f"action must be one of {choices}", f"ช่อง action ต้องเป็นค่าใดค่าหนึ่งต่อไปนี้ {choices}"
            )
        )
    password = _text_of(body, "password", errors, MAX_PASSWORD_GIVEN) or ""
    if errors:
        raise invalid("invalid_request", errors)
    assert caller.user is not None and isinstance(action, str)
    try:
        done = platform().db(
            officers.change_account(caller.user, user, action, password=password, address=client_address())
        )
    except officers.OfficerInvalid as wrong:
        raise _officer_problems(wrong) from None
    fresh = _officer_here(found, user_id)
    return jsonify(
        {
            "officer": _person(fresh, platform().db(accounts.roles_of(fresh))),
            "done": action,
            **_both(done, username=fresh.username),
        }
    )


# --- the signed-in officer's own notice settings -----------------------------------------------


def _signed_in(found: Tenant) -> User:
    """The officer behind the bearer token (never an API key: these are a person's own settings)."""
    caller = officer_of(found)
    if caller is None or caller.user is None:
        raise ApiError(401, "unauthorized", "give an officer's bearer token")
    return caller.user


def _notifications_view(user: User) -> dict[str, Any]:
    return {"email": user.email, "digest": user.digest, "digest_choices": list(messages.DIGEST_CHOICES)}


@blueprint.get("/tenants/<tenant>/me/notifications")
def my_notifications(tenant: str) -> Any:
    """Where the signed-in officer is told of work, and whether they get the daily digest."""
    found = tenant_or_404(tenant)
    return jsonify(_notifications_view(_signed_in(found)))


@blueprint.put("/tenants/<tenant>/me/notifications")
def update_my_notifications(tenant: str) -> Any:
    """Change them; an answer left out keeps its value, an empty ``email`` stops e-mail notices."""
    found = tenant_or_404(tenant)
    user = _signed_in(found)
    body = json_body()
    errors: list[dict[str, str]] = []
    email = _text_of(body, "email", errors, officers.MAX_EMAIL + 1)
    digest = _text_of(body, "digest", errors, 20)
    if errors:
        raise invalid("invalid_notifications", errors)
    try:
        platform().db(
            officers.set_notifications(
                user,
                email=(email if email is not None else user.email).strip(),
                digest=digest if digest is not None else user.digest,
            )
        )
    except officers.OfficerInvalid as wrong:
        raise _officer_problems(wrong, "invalid_notifications") from None
    return jsonify(_notifications_view(user))
