"""``/api/v1/studio/tenants``: the national operator adds municipalities and offers them services.

The studio's municipalities page does the same through the same engine calls
(:mod:`engine.services.onboarding`, :func:`engine.services.tenants.enable_in`).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for

from api.body import json_body
from api.errors import ApiError
from api.studio_views import operator
from api.views import blueprint
from engine.definitions import UnknownService
from engine.services import onboarding, tenants
from thongthin.app import platform

_TEXT_FIELDS = {
    "slug": 40,
    "name_th": 200,
    "name_en": 200,
    "kind": 40,
    "province": 100,
    "district": 100,
    "code": 20,
    "admin": 80,
}


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise ApiError(400, "bad_request", f"{name} must be a string", field=name)
    if len(value) > _TEXT_FIELDS[name]:
        raise ApiError(
            422,
            "too_long",
            f"{name} is longer than {_TEXT_FIELDS[name]} characters",
            field=name,
            message_th=f"{onboarding.FIELD_NAMES_TH.get(name, name)} ยาวเกิน {_TEXT_FIELDS[name]} ตัวอักษร",
        )
    return value.strip()


@blueprint.get("/studio/tenants")
def studio_tenants() -> Any:
    """Every municipality, with its register code, kind, province and how many services it offers."""
    operator()
    return jsonify({"tenants": platform().db(onboarding.list_municipalities())})


@blueprint.post("/studio/tenants")
def studio_create_tenant() -> Any:
    """A new municipality; with ``admin``, its administrator's one-time set-up link, given once."""
    operator()
    body = json_body()
    unknown = sorted(set(body) - set(_TEXT_FIELDS))
    if unknown:
        raise ApiError(400, "bad_request", f"unknown fields: {', '.join(unknown[:10])}")
    values = {name: _text(body, name) for name in _TEXT_FIELDS}
    created = platform().db(
        onboarding.create_tenant(
            values["slug"],
            name_th=values["name_th"],
            name_en=values["name_en"],
            kind=values["kind"],
            province=values["province"],
            district=values["district"],
            code=values["code"],
            admin_username=values["admin"] or None,
        )
    )
    tenant = created.tenant
    answer: dict[str, Any] = {
        "slug": tenant.slug,
        "code": tenant.code,
        "name_th": tenant.name_th,
        "kind": tenant.kind,
        "province": tenant.province,
        "reference_prefix": tenant.reference_prefix,
        "admin": created.admin.username if created.admin else None,
        "setup_link": None,
        "setup_expires_at": None,
    }
    if created.setup_token:
        answer["setup_link"] = url_for(
            "admin.setup", tenant=tenant.slug, token=created.setup_token, _external=True
        )
        answer["setup_expires_at"] = (
            created.setup_expires_at.isoformat() if created.setup_expires_at else None
        )
    response = jsonify(answer)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"  # the set-up link is shown once
    return response


@blueprint.post("/studio/tenants/import")
def studio_import_tenants() -> Any:
    """The national register's rows (the CSV body): all of them are added, or none."""
    operator()
    content = request.stream.read(onboarding.MAX_REGISTER_BYTES + 1)
    rows = onboarding.read_register_csv(content)
    result = platform().db(onboarding.import_tenants(rows))
    return jsonify(
        {
            "created": result.created,
            "skipped": result.skipped,
            "ignored_columns": result.ignored_columns,
        }
    )


@blueprint.post("/studio/tenants/enable")
def studio_enable_for_tenants() -> Any:
    """Offer one published version in the municipalities named (or in all of them), each on its own."""
    operator()
    body = json_body()
    service_id, version = body.get("service"), body.get("version")
    if not isinstance(service_id, str) or not service_id or len(service_id) > 100:
        raise ApiError(400, "bad_request", "service must be a service's id", field="service")
    if version is not None and (not isinstance(version, str) or len(version) > 40):
        raise ApiError(400, "bad_request", "version must be a published version", field="version")
    named = body.get("tenants", [])
    if not isinstance(named, list) or not all(isinstance(s, str) for s in named):
        raise ApiError(400, "bad_request", "tenants must be a list of slugs", field="tenants")
    try:
        definition = platform().definition(service_id, version)
    except UnknownService:
        raise ApiError(
            422,
            "service_not_found",
            "no such published service or version",
            field="service",
            message_th="กรุณาเลือกบริการที่เผยแพร่แล้ว",
        ) from None
    every = platform().db(onboarding.list_municipalities())
    chosen = onboarding.chosen_municipalities(every, named, all_of_them=body.get("all") is True)
    if not chosen:
        raise ApiError(
            422,
            "no_tenants",
            "name at least one municipality, or give all: true",
            field="tenants",
            message_th="กรุณาเลือกหน่วยงานอย่างน้อยหนึ่งแห่ง หรือเลือกทุกหน่วยงาน",
        )
    unknown = sorted(set(named) - set(chosen)) if body.get("all") is not True else []
    done = platform().db(tenants.enable_in(chosen, definition))
    return jsonify(
        {
            "service": definition.id,
            "version": definition.version,
            "enabled": [slug for slug in chosen if slug not in done.refused],
            "refused": done.refused,
            "unknown": unknown[:100],
        }
    )
