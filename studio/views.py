"""The studio's pages: catalog overview, drafts, the form and workflow editors, preview, publishing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, g, redirect, render_template, request, session, url_for

from engine import jsonpointer
from engine.definitions import UnknownService
from engine.definitions import editing as edits
from engine.definitions.diff import form_fields
from engine.definitions.model import POINTER_ROLES
from engine.services import catalog, onboarding, operators, studio, tenants
from engine.services.errors import AuthenticationFailed, CatalogError, DefinitionRefused
from engine.services.throttle import TooManyAttempts
from engine.workflow.diagram import to_svg
from renderers import forms
from renderers.back_office import ErrorItem, flash_key
from renderers.web import current_language, translate
from studio import SESSION_OPERATOR, blueprint, public
from thongthin.app import client_address, platform

CATEGORIES = ("petition", "permit", "certificate", "fee", "welfare", "complaint", "registration")
MAX_TEXT = 2000


def _t(key: str, **values: str) -> str:
    return translate(key, current_language(), **values)


def _by() -> str:
    return str(g.operator.username)


def _form(name: str, limit: int = 200) -> str:
    return request.form.get(name, "").strip()[:limit]


# --- logging in ---------------------------------------------------------------------------------


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    username = _form("username", 150)
    errors: list[ErrorItem] = []
    if request.method == "POST":
        password = request.form.get("password", "")[:1000]
        if not username or not password:
            errors.append(ErrorItem("username", "studio.login.error.missing"))
        else:
            try:
                user = platform().db(
                    operators.authenticate(
                        username, password, _form("code", 20) or None, address=client_address()
                    )
                )
            except AuthenticationFailed:
                errors.append(ErrorItem("username", "studio.login.error.failed"))
            except TooManyAttempts as refused:
                errors.append(
                    ErrorItem(
                        "username", text=_t("studio.login.error.throttled", minutes=str(refused.minutes))
                    )
                )
            else:
                language = session.get("lang")
                regenerate = getattr(session, "regenerate", None)
                if regenerate is not None:
                    regenerate()
                session.clear()
                if language:
                    session["lang"] = language
                session[SESSION_OPERATOR] = user.id
                return redirect(url_for("studio.index"))
    status = 401 if errors else 200
    return render_template("studio/login.html", username=username, errors=errors), status


@blueprint.post("/logout")
def logout() -> Any:
    session.pop(SESSION_OPERATOR, None)
    return redirect(url_for("studio.login"))


# --- the catalog ---------------------------------------------------------------------------------


@blueprint.get("/")
def index() -> Any:
    platform().db(platform().load_published())
    overview = platform().db(catalog.catalog_overview())
    titles = {service_id: platform().catalog.get(service_id).service.title for service_id in overview}
    return render_template(
        "studio/index.html",
        overview=overview,
        titles=titles,
        drafts=platform().db(studio.drafts()),
        errors=[],
    )


@blueprint.post("/drafts")
def create_draft() -> Any:
    service_id = _form("id", 63)
    copy_of = _form("copy_of", 90) or None
    try:
        platform().db(studio.create_draft(service_id, platform().catalog, copy_of=copy_of, by=_by()))
    except (edits.EditRefused, CatalogError, UnknownService) as error:
        flash_key("studio.error", message=str(error))
        return redirect(url_for("studio.index"))
    return redirect(url_for("studio.draft", service_id=service_id))


@blueprint.post("/import")
def import_zip() -> Any:
    upload = request.files.get("zip")
    content = upload.read(studio.MAX_ZIP_BYTES + 1) if upload else b""
    try:
        view = platform().db(studio.import_zip(content, platform().catalog, by=_by()))
    except (CatalogError, edits.EditRefused) as error:
        flash_key("studio.error", message=str(error))
        return redirect(url_for("studio.index"))
    flash_key("studio.imported", service=view.draft.service_id)
    return redirect(url_for("studio.draft", service_id=view.draft.service_id))


# --- a draft ---------------------------------------------------------------------------------------


def _draft_page(view: studio.DraftView, *, errors: list[ErrorItem] | None = None, status: int = 200) -> Any:
    documents = view.draft.documents
    current = platform().catalog
    changes = studio.changes_of(view, current)
    pointers = sorted(form_fields(documents["form.json"]))
    roles = sorted(r for r, spec in current.roles.items() if not spec.system)
    return (
        render_template(
            "studio/draft.html",
            view=view,
            draft=view.draft,
            service=documents["service.json"],
            steps=documents["ui.json"]["steps"],
            workflow=documents["workflow.json"],
            problems=view.problems,
            changes=changes,
            suggested=studio.suggested_version(view, current),
            diagram=to_svg(view.definition.workflow, current_language()) if view.definition else "",
            widgets=edits.addable_widgets(),
            data_roles=POINTER_ROLES,
            categories=CATEGORIES,
            pointers=pointers,
            problem_links=[
                problem_link(view.draft.service_id, documents, str(p.file), p.pointer) for p in view.problems
            ],
            roles=roles,
            role_titles={r: spec.title for r, spec in current.roles.items()},
            examples=_valid_examples(view),
            errors=errors or [],
        ),
        status,
    )


SECTIONS = {
    "attachments": "attachments",
    "fees": "fees",
    "documents": "documents",
    "data_roles": "data-roles",
    "pdpa": "data-roles",
}


def problem_link(service_id: str, documents: edits.Documents, file: str, pointer: str) -> str:
    """Where on the draft's pages a check problem can be fixed: the field's, state's or action's
    own page, or the section of the draft page; empty when no page says it better than the list."""
    parts = jsonpointer.split(pointer)
    page = url_for("studio.draft", service_id=service_id)
    workflow, steps = documents["workflow.json"], documents["ui.json"]["steps"]
    match file, parts:
        case "workflow.json", ["states", name, *_] if name in workflow["states"]:
            return url_for("studio.state", service_id=service_id, name=name)
        case "workflow.json", ["transitions", index, *_] if index.isdigit() and int(index) < len(
            workflow["transitions"]
        ):
            return url_for("studio.transition", service_id=service_id, index=int(index))
        case "workflow.json", _:
            return f"{page}#workflow"
        case "ui.json", ["steps", index, *rest] if index.isdigit() and int(index) < len(steps):
            step = steps[int(index)]
            match rest:
                case ["fields", at, *_] if at.isdigit() and int(at) < len(step["fields"]):
                    return url_for(
                        "studio.field", service_id=service_id, pointer=step["fields"][int(at)]["pointer"]
                    )
            return f"{page}#step-{step['id']}"
        case "form.json", _:
            answer = jsonpointer.join(_answer_names(parts))
            if any(f["pointer"] == answer for s in steps for f in s["fields"]):
                return url_for("studio.field", service_id=service_id, pointer=answer)
            return f"{page}#steps"
        case "service.json", [section, *_] if section in SECTIONS:
            return f"{page}#{SECTIONS[section]}"
    return ""


def _answer_names(parts: list[str]) -> list[str]:
    """The answer a form.json pointer is about: the names after each ``properties``."""
    names, index = [], 0
    while index < len(parts) - 1:
        if parts[index] == "properties":
            names.append(parts[index + 1])
            index += 2
        else:
            index += 1
    return names


def _valid_examples(view: studio.DraftView) -> list[str]:
    """The names of the draft's valid example submissions (``valid-….json``), sorted."""
    return sorted(
        n.removeprefix("examples/") for n in (view.draft.files or {}) if n.startswith("examples/valid-")
    )


def _example(view: studio.DraftView, chosen: str = "") -> tuple[str, dict[str, Any]]:
    """The valid example named ``chosen`` (else the first) and its data; ("", {}) when there is none."""
    names = _valid_examples(view)
    name = chosen if chosen in names else (names[0] if names else "")
    return name, (json.loads(view.draft.files[f"examples/{name}"]) if name else {})


def _view(service_id: str) -> studio.DraftView:
    return platform().db(studio.get_draft(service_id, platform().catalog))


@blueprint.get("/drafts/<service_id>")
def draft(service_id: str) -> Any:
    return _draft_page(_view(service_id))


def _apply(service_id: str, edit: studio.Edit, anchor: str = "") -> Any:
    """Make one edit; the draft page again with the refusal in its error summary when it cannot be made."""
    try:
        platform().db(studio.edit_draft(service_id, edit, platform().catalog, by=_by()))
    except edits.EditRefused as refused:
        return _draft_page(_view(service_id), errors=[_refusal(refused)], status=422)
    return redirect(url_for("studio.draft", service_id=service_id, _anchor=anchor or None))


def _documents_only(change: Callable[[edits.Documents], edits.Documents]) -> studio.Edit:
    return lambda documents, files: (change(documents), files)


@blueprint.post("/drafts/<service_id>/service")
def edit_service(service_id: str) -> Any:
    category = _form("category", 40)

    def change(documents: edits.Documents) -> edits.Documents:
        result = edits.set_service_texts(
            documents,
            title=(_form("title_th", 300), _form("title_en", 300)),
            summary=(_form("summary_th", MAX_TEXT), _form("summary_en", MAX_TEXT)),
        )
        if category in CATEGORIES:
            result["service.json"]["category"] = category
        return result

    return _apply(service_id, _documents_only(change), "service")


@blueprint.post("/drafts/<service_id>/steps")
def add_step(service_id: str) -> Any:
    step_id = _form("step_id", 63)
    change = _documents_only(
        lambda d: edits.add_step(d, step_id, _form("title_th", 300), _form("title_en", 300))
    )
    return _apply(service_id, change, f"step-{step_id}")


@blueprint.post("/drafts/<service_id>/steps/<step_id>/move")
def move_step(service_id: str, step_id: str) -> Any:
    delta = -1 if request.form.get("direction") == "up" else 1
    return _apply(
        service_id, _documents_only(lambda d: edits.move_step(d, step_id, delta)), f"step-{step_id}"
    )


@blueprint.post("/drafts/<service_id>/steps/order")
def order_steps(service_id: str) -> Any:
    """The steps in a new order (the page's drag and drop posts it; the buttons move one at a time)."""
    order = [v[:63] for v in request.form.getlist("order")[:100]]
    return _apply(service_id, _documents_only(lambda d: edits.order_steps(d, order)), "steps")


@blueprint.post("/drafts/<service_id>/steps/<step_id>/fields/order")
def order_fields(service_id: str, step_id: str) -> Any:
    """A step's fields in a new order (posted by dragging them into place)."""
    order = [v[:200] for v in request.form.getlist("order")[:200]]
    return _apply(
        service_id, _documents_only(lambda d: edits.order_fields(d, step_id, order)), f"step-{step_id}"
    )


@blueprint.post("/drafts/<service_id>/steps/<step_id>/remove")
def remove_step(service_id: str, step_id: str) -> Any:
    def change(documents: edits.Documents, files: studio.Files) -> tuple[edits.Documents, studio.Files]:
        asked: list[dict[str, Any]] = next(
            (s["fields"] for s in documents["ui.json"]["steps"] if s["id"] == step_id), []
        )
        for ui_field in asked:
            files = edits.drop_from_examples(files, ui_field["pointer"])
        return edits.remove_step(documents, step_id), files

    return _apply(service_id, change, "steps")


def _options(text: str) -> tuple[edits.Option, ...]:
    """``value | ไทย | English`` per line."""
    found = []
    for line in text.splitlines()[:100]:
        parts = [p.strip() for p in line.split("|")]
        if parts and parts[0]:
            th = parts[1] if len(parts) > 1 and parts[1] else parts[0]
            found.append(edits.Option(parts[0][:100], th[:200], (parts[2] if len(parts) > 2 else "")[:200]))
    return tuple(found)


def _number(name: str) -> float | None:
    text = _form(name, 30)
    try:
        return float(text) if text else None
    except ValueError:
        raise edits.EditRefused(f"/{name}", _t("studio.field.error.number")) from None


def _integer(name: str) -> int | None:
    value = _number(name)
    return int(value) if value is not None else None


def _field_spec(documents: edits.Documents, *, item: bool = False) -> edits.FieldSpec:
    name = _form("name", 200).strip("/")
    widget = _form("widget", 30)
    if widget not in edits.addable_widgets(in_items=item):
        raise edits.EditRefused("/widget", _t("studio.field.error.widget"))
    when_pointer = None if item else (_form("when_pointer", 200) or None)
    when_equals = _typed_answer(documents, when_pointer, _form("when_equals", 200)) if when_pointer else ""
    number_widget = widget == "number"
    return edits.FieldSpec(
        pointer="/" + name,
        widget=widget,
        label_th=_form("label_th", 300),
        label_en=_form("label_en", 300),
        help_th=_form("help_th", 1000),
        help_en=_form("help_en", 1000),
        required=request.form.get("required") == "yes",
        min_length=_integer("min_length") if not number_widget else None,
        max_length=_integer("max_length") if not number_widget else None,
        minimum=_number("minimum") if number_widget else None,
        maximum=_number("maximum") if number_widget else None,
        pattern=_form("pattern", 300) or None,
        options=_options(request.form.get("options", "")[:8000]),
        when_pointer=when_pointer,
        when_equals=when_equals,
        item_label_th=_form("item_label_th", 300),
        item_label_en=_form("item_label_en", 300),
        min_items=_integer("min_items") if widget == edits.REPEAT else None,
        max_items=_integer("max_items") if widget == edits.REPEAT else None,
    )


def _group_field(documents: edits.Documents, group: str) -> tuple[str, dict[str, Any]] | None:
    """(step id, ui field) of the repeatable group at ``group``."""
    return next(
        (
            (s["id"], f)
            for s in documents["ui.json"]["steps"]
            for f in s["fields"]
            if f["pointer"] == group and f.get("widget") == edits.REPEAT
        ),
        None,
    )


@blueprint.route("/drafts/<service_id>/fields", methods=["GET", "POST"])
def field(service_id: str) -> Any:
    """Add a field to a step, or change one (``pointer``): widget, labels, help, rules, options,
    condition. With ``group``, the field is a question of each item of that repeatable group."""
    view = _view(service_id)
    documents = view.draft.documents
    step_id = request.values.get("step", "")[:63]
    pointer = request.values.get("pointer", "")[:200]
    group = request.values.get("group", "")[:200]
    in_group = _group_field(documents, group) if group else None
    if group and in_group is None:
        return Response(status=404)
    asked = (
        in_group[1].get("item_fields", [])
        if in_group
        else [f for s in documents["ui.json"]["steps"] for f in s["fields"]]
    )
    existing = next((f for f in asked if pointer and f["pointer"] == pointer), None)
    if in_group:
        step_id = in_group[0]
    elif existing is not None:
        step_id = next(s["id"] for s in documents["ui.json"]["steps"] if existing in s["fields"])
    errors: list[ErrorItem] = []
    if request.method == "POST":
        try:
            spec = _field_spec(documents, item=bool(in_group))

            def change(
                documents: edits.Documents, files: studio.Files
            ) -> tuple[edits.Documents, studio.Files]:
                result = documents
                # A new field has no old pointer, so it is never a rename.
                old_pointer = existing["pointer"] if existing is not None else spec.pointer
                renamed = old_pointer != spec.pointer
                if in_group:
                    if renamed:
                        result = edits.remove_item_field(result, group, old_pointer)
                        files = edits.drop_item_from_examples(files, group, old_pointer)
                    result = edits.put_item_field(result, group, spec)
                    return result, edits.fill_item_examples(files, group, spec)
                if renamed:
                    result = edits.remove_field(result, old_pointer)
                return edits.put_field(result, step_id, spec), edits.fill_examples(files, spec)

            platform().db(studio.edit_draft(service_id, change, platform().catalog, by=_by()))
        except edits.EditRefused as refused:
            errors.append(
                ErrorItem(refused.where.strip("/") or "name", text=refused.text(current_language()))
            )
        else:
            return redirect(url_for("studio.draft", service_id=service_id, _anchor=f"step-{step_id}"))
    values = _field_values(existing, documents, group) if request.method == "GET" else request.form
    return (
        render_template(
            "studio/field.html",
            draft=view.draft,
            step_id=step_id,
            pointer=pointer if existing else "",
            group=in_group[1] if in_group else None,
            values=values,
            widgets=edits.addable_widgets(in_items=in_group is not None),
            pointers=[p for p in sorted(form_fields(documents["form.json"])) if p != pointer],
            errors=errors,
        ),
        422 if errors else 200,
    )


def _field_values(
    existing: dict[str, Any] | None, documents: edits.Documents, group: str = ""
) -> dict[str, str]:
    """The field form filled in from a field of the draft (of an item of ``group`` if given)."""
    if existing is None:
        return {"widget": "text"}
    from engine.definitions import schemas

    absolute = f"{group}/*{existing['pointer']}" if group else existing["pointer"]
    schema = next(iter(schemas.schemas_at(documents["form.json"], absolute)), {})
    parent, _, name = absolute.rpartition("/")
    parent_schema = (
        next(iter(schemas.schemas_at(documents["form.json"], parent)), documents["form.json"])
        if parent
        else documents["form.json"]
    )
    when = existing.get("when") or {}
    when_pointer, when_equals = _simple_condition(when)
    return {
        "name": existing["pointer"].lstrip("/"),
        "widget": existing["widget"],
        "label_th": existing["label"]["th"],
        "label_en": existing["label"].get("en", ""),
        "help_th": (existing.get("help") or {}).get("th", ""),
        "help_en": (existing.get("help") or {}).get("en", ""),
        "required": "yes" if name in parent_schema.get("required", []) else "",
        "min_length": str(schema.get("minLength", "")),
        "max_length": str(schema.get("maxLength", "")),
        "minimum": str(schema.get("minimum", "")),
        "maximum": str(schema.get("maximum", "")),
        "pattern": schema.get("pattern", ""),
        "options": "\n".join(
            f"{o['value']} | {o['label']['th']} | {o['label'].get('en', '')}"
            for o in existing.get("options", [])
        ),
        "when_pointer": when_pointer,
        "when_equals": "" if when_equals is None else json.dumps(when_equals, ensure_ascii=False).strip('"'),
        "item_label_th": (existing.get("item_label") or {}).get("th", ""),
        "item_label_en": (existing.get("item_label") or {}).get("en", ""),
        "min_items": str(schema.get("minItems", "")) if existing["widget"] == edits.REPEAT else "",
        "max_items": str(schema.get("maxItems", "")) if existing["widget"] == edits.REPEAT else "",
    }


def _simple_condition(condition: Any) -> tuple[str, Any]:
    """(pointer, value) of a condition "the answer at pointer is value", else ("", None)."""
    pointer = ""
    node = condition
    while (
        isinstance(node, dict) and isinstance(node.get("properties"), dict) and len(node["properties"]) == 1
    ):
        name, node = next(iter(node["properties"].items()))
        pointer += "/" + name
    if isinstance(node, dict) and "const" in node:
        return pointer, node["const"]
    return "", None


@blueprint.post("/drafts/<service_id>/fields/move")
def move_field(service_id: str) -> Any:
    pointer = _form("pointer", 200)
    delta = -1 if request.form.get("direction") == "up" else 1
    return _apply(service_id, _documents_only(lambda d: edits.move_field(d, pointer, delta)))


@blueprint.post("/drafts/<service_id>/fields/remove")
def remove_field(service_id: str) -> Any:
    pointer = _form("pointer", 200)
    group = _form("group", 200)
    if group:
        return _apply(
            service_id,
            lambda d, files: (
                edits.remove_item_field(d, group, pointer),
                edits.drop_item_from_examples(files, group, pointer),
            ),
        )
    return _apply(
        service_id,
        lambda d, files: (edits.remove_field(d, pointer), edits.drop_from_examples(files, pointer)),
    )


@blueprint.post("/drafts/<service_id>/fees")
def add_fee(service_id: str) -> Any:
    def change(documents: edits.Documents) -> edits.Documents:
        amount = _number("amount")
        if amount is None or amount < 0:
            raise edits.EditRefused("/amount", _t("studio.fee.error.amount"))
        fee = {
            "id": _form("fee_id", 63),
            "title": {"th": _form("title_th", 300), "en": _form("title_en", 300) or _form("title_th", 300)},
            "kind": "fixed",
            "amount": amount,
            "local": request.form.get("local") == "yes",
        }
        return edits.put_fee(documents, fee)

    return _apply(service_id, _documents_only(change), "fees")


@blueprint.post("/drafts/<service_id>/fees/<fee_id>/remove")
def remove_fee(service_id: str, fee_id: str) -> Any:
    return _apply(service_id, _documents_only(lambda d: edits.remove_fee(d, fee_id)), "fees")


DEFAULT_TEMPLATE = """<!DOCTYPE html>
<html lang="th">
<head>
<meta charset="utf-8">
<title>{{ document.title }} ที่ {{ document.number }}</title>
<meta name="author" content="{{ tenant.name_th }}">
</head>
<body>
<table class="letterhead">
  <tr>
    <td class="number">ที่ <span class="data">{{ document.number }}</span></td>
    <td class="emblem">{% if tenant.logo_data_uri %}<img src="{{ tenant.logo_data_uri }}" alt="ตราสัญลักษณ์ {{ tenant.name_th }}">{% endif %}</td>
    <td class="office"><span class="name">{{ tenant.name_th }}</span><br>{{ keep_words(tenant.address_th) }}</td>
  </tr>
</table>
<h1>{{ document.title }}</h1>
<p>{{ tenant.name_th }} ออกหนังสือฉบับนี้ตามคำขอเลขที่ <span class="data">{{ submission.reference }}</span></p>
<p class="issued">ออกให้ ณ วันที่ <span class="data">{{ document.issued_on_th }}</span></p>
{% for signer in signers %}
<div class="signature" style="{{ signer.style }}">
  <div class="signature-box" style="{{ signer.box_style }}" data-role="{{ signer.role }}" data-field="{{ signer.field_name }}"></div>
  <div class="name">{% if signer.name %}({{ signer.name }}){% else %}&nbsp;{% endif %}</div>
  <div class="position">{{ signer.position }}</div>
</div>
{% endfor %}
<div class="document-footer">
  <div class="qr">{{ document.qr_svg }}</div>
  <div class="text">
    ตรวจสอบความถูกต้องของเอกสารได้ที่ <span class="url">{{ document.verify_url }}</span><br>
    เอกสารนี้ลงลายมือชื่ออิเล็กทรอนิกส์ตามพระราชบัญญัติว่าด้วยธุรกรรมทางอิเล็กทรอนิกส์ พ.ศ. {{ n(2544) }}
    โดย{{ tenant.name_th }}
  </div>
</div>
</body>
</html>
"""


@blueprint.post("/drafts/<service_id>/documents")
def add_document(service_id: str) -> Any:
    def change(documents: edits.Documents, files: studio.Files) -> tuple[edits.Documents, studio.Files]:
        role = _form("signer_role", 63)
        document = {
            "id": _form("document_id", 63),
            "title": {"th": _form("title_th", 300), "en": _form("title_en", 300) or _form("title_th", 300)},
            "signers": [
                {
                    "role": role,
                    "position": {
                        "th": _form("position_th", 300),
                        "en": _form("position_en", 300) or _form("position_th", 300),
                    },
                }
            ],
            "pades_level": "B-T",
            "certify": True,
        }
        template = request.form.get("template", "")[:20000].replace("\r\n", "\n") or DEFAULT_TEMPLATE
        return edits.put_document(documents, files, document, template)

    return _apply(service_id, change, "documents")


def _state_spec(name: str) -> edits.StateSpec:
    outcome = _form("outcome", 20)
    return edits.StateSpec(
        name=name,
        title_th=_form("title_th", 300),
        title_en=_form("title_en", 300),
        message_th=_form("message_th", MAX_TEXT),
        message_en=_form("message_en", MAX_TEXT),
        assignees=tuple(r for r in request.form.getlist("assignees")[:20] if r),
        outcome=outcome,
        sla="" if outcome else _form("sla", 20),
        pauses_sla=not outcome and request.form.get("pauses_sla") == "yes",
    )


@blueprint.post("/drafts/<service_id>/states")
def add_state(service_id: str) -> Any:
    name = _form("state", 63)
    return _apply(
        service_id, _documents_only(lambda d: edits.put_state(d, name, _state_spec(name))), "workflow"
    )


def _workflow_page(
    template: str, view: studio.DraftView, values: Any, errors: list[ErrorItem], **context: Any
) -> Any:
    """A page of the workflow editor, with the choices its lists offer in the analyst's language."""
    documents = view.draft.documents
    current = platform().catalog
    language = current_language()

    def text(value: dict[str, str]) -> str:
        return value.get(language) or value.get("th", "")

    service, workflow = documents["service.json"], documents["workflow.json"]
    none = ("", _t("studio.draft.effect.none"))
    choices = {
        "role_options": [
            (r, spec.title.get(language)) for r, spec in sorted(current.roles.items()) if not spec.system
        ],
        "open_states": [(n, text(s["title"])) for n, s in workflow["states"].items() if not s.get("final")],
        "all_states": [(n, text(s["title"])) for n, s in workflow["states"].items()],
        "outcome_options": [
            ("", _t("studio.draft.outcome.none")),
            *((o, _t(f"studio.draft.outcome.{o}")) for o in edits.OUTCOMES),
        ],
        "quorum_options": [
            ("", _t("studio.transition.quorum.none")),
            *((m, _t(f"studio.transition.quorum.{m}")) for m in edits.QUORUM_MODES),
        ],
        "ask_options": [
            ("", _t("studio.transition.ask.none")),
            *((m, _t(f"studio.transition.ask.{m}")) for m in edits.ASK_MODES),
        ],
        "to_applicant_options": [
            ("", _t("studio.transition.to_applicant.never")),
            *((m, _t(f"studio.transition.to_applicant.{m}")) for m in edits.TO_APPLICANT),
        ],
        "answer_options": [none, *((p, p) for p in sorted(form_fields(documents["form.json"])))],
        "document_options": [(d["id"], text(d["title"])) for d in service.get("documents", [])],
        "fee_options": [(f["id"], text(f["title"])) for f in service.get("fees", [])],
        "step_options": [(s["id"], text(s["title"])) for s in documents["ui.json"]["steps"]],
    }
    return (
        render_template(
            f"studio/{template}",
            draft=view.draft,
            service=service,
            values=values,
            errors=errors,
            **choices,
            **context,
        ),
        422 if errors else 200,
    )


def _refusal(refused: edits.EditRefused) -> ErrorItem:
    return ErrorItem(
        refused.where.strip("/").replace("/", "-") or "draft", text=refused.text(current_language())
    )


@blueprint.route("/drafts/<service_id>/states/<name>", methods=["GET", "POST"])
def state(service_id: str, name: str) -> Any:
    """Change a state: titles, what the applicant is told, who works on it, its time limit,
    whether the time counts, or the outcome of a final state."""
    view = _view(service_id)
    existing = view.draft.documents["workflow.json"]["states"].get(name)
    if existing is None:
        return Response(status=404)
    errors: list[ErrorItem] = []
    if request.method == "POST":
        try:
            platform().db(
                studio.edit_draft(
                    service_id,
                    _documents_only(lambda d: edits.put_state(d, name, _state_spec(name))),
                    platform().catalog,
                    by=_by(),
                )
            )
        except edits.EditRefused as refused:
            errors.append(_refusal(refused))
        else:
            return redirect(url_for("studio.draft", service_id=service_id, _anchor="workflow"))
    values: Any = request.form if request.method == "POST" else _state_values(existing)
    return _workflow_page("state.html", view, values, errors, name=name)


def _state_values(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "title_th": state["title"]["th"],
        "title_en": state["title"].get("en", ""),
        "message_th": state["applicant_message"]["th"],
        "message_en": state["applicant_message"].get("en", ""),
        "assignees": state.get("assignees", []),
        "outcome": state.get("outcome", "") if state.get("final") else "",
        "sla": state.get("sla", ""),
        "pauses_sla": "yes" if state.get("pauses_sla") else "",
    }


def _typed_answer(documents: edits.Documents, pointer: str, text: str, field: str = "when_equals") -> Any:
    """``text`` as the answer at ``pointer`` holds it: a yes/no, a number, or the text itself."""
    kind = form_fields(documents["form.json"]).get(pointer, ("", False))[0]
    if kind == "boolean":
        return text.lower() in ("true", "1", "yes", "ใช่", "จริง")
    if kind in ("number", "integer"):
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            raise edits.EditRefused(f"/{field}", _t("studio.field.error.number")) from None
    return text


def _transition_spec(documents: edits.Documents) -> edits.TransitionSpec:
    def listed(name: str) -> tuple[str, ...]:
        return tuple(v[:63] for v in request.form.getlist(name)[:30] if v)

    effect = _form("effect", 130)  # the quick form's single choice
    kind, _, argument = effect.partition(":")
    guard_pointer = _form("guard_pointer", 200)
    return edits.TransitionSpec(
        action=_form("action", 63),
        title_th=_form("title_th", 300),
        title_en=_form("title_en", 300),
        sources=listed("from"),
        to=_form("to", 63),
        roles=listed("roles"),
        quorum=_form("quorum", 20),
        quorum_count=_integer("quorum_count"),
        ask=_form("ask", 20),
        ask_label_th=_form("ask_label_th", 300),
        ask_label_en=_form("ask_label_en", 300),
        ask_min_length=_integer("ask_min_length") or 0,
        ask_to_applicant=_form("ask_to_applicant", 20),
        guard_paid=request.form.get("guard_paid") == "yes",
        guard_pointer=guard_pointer,
        guard_equals=_typed_answer(documents, guard_pointer, _form("guard_equals", 200), "guard_equals")
        if guard_pointer
        else None,
        guard_message_th=_form("guard_message_th", 300),
        guard_message_en=_form("guard_message_en", 300),
        issue_documents=(
            *listed("issue_documents"),
            *((argument,) if kind == "issue_document" and argument else ()),
        ),
        request_fees=(
            *listed("request_fees"),
            *((argument,) if kind == "request_payment" and argument else ()),
        ),
        notify_th=_form("notify_th", MAX_TEXT),
        notify_en=_form("notify_en", MAX_TEXT),
        reopens=listed("reopens"),
    )


@blueprint.post("/drafts/<service_id>/transitions")
def add_transition(service_id: str) -> Any:
    def change(documents: edits.Documents) -> edits.Documents:
        return edits.put_transition(documents, _transition_spec(documents))

    return _apply(service_id, _documents_only(change), "workflow")


@blueprint.route("/drafts/<service_id>/transitions/<int:index>", methods=["GET", "POST"])
def transition(service_id: str, index: int) -> Any:
    """Change an action: who takes it from where to where, the text the officer writes with it,
    when it is available (paid, or an answer of the form), a vote of several roles, what it
    issues, requests or tells the applicant, and the steps the applicant may correct."""
    view = _view(service_id)
    transitions = view.draft.documents["workflow.json"]["transitions"]
    if not 0 <= index < len(transitions):
        return Response(status=404)
    errors: list[ErrorItem] = []
    if request.method == "POST":

        def change(documents: edits.Documents) -> edits.Documents:
            return edits.put_transition(documents, _transition_spec(documents), index=index)

        try:
            platform().db(
                studio.edit_draft(service_id, _documents_only(change), platform().catalog, by=_by())
            )
        except edits.EditRefused as refused:
            errors.append(_refusal(refused))
        else:
            return redirect(url_for("studio.draft", service_id=service_id, _anchor="workflow"))
    values: Any = request.form if request.method == "POST" else _transition_values(transitions[index])
    return _workflow_page("transition.html", view, values, errors, index=index, existing=transitions[index])


def _transition_values(transition: dict[str, Any]) -> dict[str, Any]:
    """The action's form filled in from the draft (the parts the form can say)."""
    sources = transition["from"] if isinstance(transition["from"], list) else [transition["from"]]
    quorum = transition.get("quorum") or {}
    field_ui = (transition.get("input_ui") or [{}])[0]
    answer = ((transition.get("input") or {}).get("properties") or {}).get(edits.INPUT_NAME, {})
    guard = transition.get("guard") or {}
    parts = guard.get("allOf", [guard]) if guard else []
    paid = any(p.get("properties", {}).get("context") for p in parts)
    pointer, equals = next(
        (_simple_condition(p) for p in parts if "data" in p.get("properties", {})), ("", None)
    )
    effects: list[dict[str, Any]] = transition.get("effects") or []
    notify = next((e for e in effects if e["type"] == "notify"), {}).get("message", {})
    return {
        "action": transition["action"],
        "title_th": transition["title"]["th"],
        "title_en": transition["title"].get("en", ""),
        "from": sources,
        "to": transition["to"],
        "roles": transition["roles"],
        "quorum": quorum.get("mode", ""),
        "quorum_count": str(quorum.get("count", "")),
        "ask": (
            ("required" if edits.INPUT_NAME in transition["input"].get("required", []) else "optional")
            if transition.get("input")
            else ""
        ),
        "ask_label_th": (field_ui.get("label") or {}).get("th", ""),
        "ask_label_en": (field_ui.get("label") or {}).get("en", ""),
        "ask_min_length": str(answer.get("minLength", "")) if answer.get("minLength", 0) > 1 else "",
        "ask_to_applicant": field_ui.get("to_applicant", ""),
        "guard_paid": "yes" if paid else "",
        "guard_pointer": pointer.removeprefix("/data"),
        "guard_equals": "" if equals is None else json.dumps(equals, ensure_ascii=False).strip('"'),
        "guard_message_th": (transition.get("guard_message") or {}).get("th", ""),
        "guard_message_en": (transition.get("guard_message") or {}).get("en", ""),
        "issue_documents": [e["document"] for e in effects if e["type"] == "issue_document"],
        "request_fees": [f for e in effects if e["type"] == "request_payment" for f in e.get("fees", [])],
        "notify_th": notify.get("th", ""),
        "notify_en": notify.get("en", ""),
        "reopens": transition.get("reopens", []),
    }


@blueprint.post("/drafts/<service_id>/states/<name>/remove")
def remove_state(service_id: str, name: str) -> Any:
    return _apply(service_id, _documents_only(lambda d: edits.remove_state(d, name)), "workflow")


@blueprint.post("/drafts/<service_id>/transitions/<int:index>/remove")
def remove_transition(service_id: str, index: int) -> Any:
    return _apply(service_id, _documents_only(lambda d: edits.remove_transition(d, index)), "workflow")


@blueprint.get("/drafts/<service_id>/diagram.svg")
def diagram(service_id: str) -> Any:
    view = _view(service_id)
    if view.definition is None:
        return Response(status=404)
    return Response(to_svg(view.definition.workflow, current_language()), mimetype="image/svg+xml")


# --- preview, publishing, export -------------------------------------------------------------------


@blueprint.route("/drafts/<service_id>/preview/<step_id>", methods=["GET", "POST"])
def preview(service_id: str, step_id: str) -> Any:
    """A step of the citizen's form through the real renderer, filled with an example; posting it
    shows the real error messages."""
    view = _view(service_id)
    if view.definition is None:
        return _draft_page(view, errors=[ErrorItem("problems", "studio.preview.broken")], status=422)
    definition = view.definition
    name, data = _example(view, request.values.get("example", ""))
    steps = forms.visible_steps(definition, data) or list(definition.ui.steps)
    step = next((s for s in definition.ui.steps if s.id == step_id), steps[0])
    errors: list[Any] = []
    raw: dict[str, str] | None = None
    if request.method == "POST":
        parsed = forms.parse_step(definition, step, request.form, data)
        data = forms.prune_hidden(definition, parsed.data)
        errors = [*parsed.problems, *forms.step_errors(definition, step, data)]
        raw = parsed.raw
    views, links = forms.step_view(
        definition, step, data, errors=errors, raw=raw, language=current_language()
    )
    return (
        render_template(
            "studio/preview.html",
            draft=view.draft,
            definition=definition,
            step=step,
            steps=definition.ui.steps,
            views=views,
            links=links,
            example=name,
            examples=_valid_examples(view),
        ),
        422 if errors else 200,
    )


@blueprint.post("/drafts/<service_id>/publish")
def publish(service_id: str) -> Any:
    version = _form("version", 20)
    try:
        published = platform().db(
            studio.publish_draft(
                service_id,
                version,
                platform().catalog,
                platform().catalog_cache,
                changelog=_form("changelog", 4000),
                by=_by(),
            )
        )
    except DefinitionRefused as refused:
        return _draft_page(
            _view(service_id),
            errors=[ErrorItem("problems", text=str(p)) for p in refused.problems[:20]],
            status=422,
        )
    except CatalogError as error:
        return _draft_page(_view(service_id), errors=[ErrorItem("publish", text=str(error))], status=409)
    flash_key("studio.published", service=published.service_id, version=published.version)
    return redirect(url_for("studio.index"))


@blueprint.get("/drafts/<service_id>/export")
def export(service_id: str) -> Any:
    view = _view(service_id)
    return Response(
        studio.to_zip(view.bundle),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{service_id}.zip"'},
    )


@blueprint.post("/drafts/<service_id>/delete")
def delete(service_id: str) -> Any:
    _view(service_id)
    platform().db(studio.delete_draft(service_id))
    flash_key("studio.deleted", service=service_id)
    return redirect(url_for("studio.index"))


# --- municipalities ------------------------------------------------------------------------------


def _tenants_page(*, errors: list[ErrorItem] | None = None, created: Any = None, status: int = 200) -> Any:
    rows = platform().db(onboarding.list_municipalities())
    services = [
        (definition.id, version, definition.service.title)
        for definition in platform().catalog
        for version in reversed(platform().catalog.versions_of(definition.id))
    ]
    return (
        render_template(
            "studio/tenants.html",
            tenants=rows,
            services=services,
            kinds=onboarding.KINDS,
            created=created,
            errors=errors or [],
            values=request.form if request.method == "POST" else {},
        ),
        status,
    )


@blueprint.get("/tenants")
def tenants_page() -> Any:
    return _tenants_page()


@blueprint.post("/tenants")
def create_tenant() -> Any:
    """A new municipality and, when named, its administrator's one-time set-up link (shown once)."""
    try:
        created = platform().db(
            onboarding.create_tenant(
                _form("slug", 40),
                name_th=_form("name_th", 200),
                name_en=_form("name_en", 200),
                kind=_form("kind", 40),
                province=_form("province", 100),
                district=_form("district", 100),
                code=_form("code", 20),
                admin_username=_form("admin", 80) or None,
            )
        )
    except onboarding.OnboardingError as error:
        problems = getattr(error, "problems", None) or []
        language = current_language()
        items = [ErrorItem(p.field or "slug", text=p.text(language)) for p in problems]
        return _tenants_page(errors=items or [ErrorItem("slug", text=error.text(language))], status=422)
    link = None
    if created.setup_token:
        link = url_for("admin.setup", tenant=created.tenant.slug, token=created.setup_token, _external=True)
    return _tenants_page(created={"tenant": created.tenant, "link": link}, status=201)


@blueprint.post("/tenants/import")
def import_tenants() -> Any:
    """The national register's rows (CSV), all of them or none."""
    upload = request.files.get("register")
    content = upload.read(onboarding.MAX_REGISTER_BYTES + 1) if upload else b""
    try:
        rows = onboarding.read_register_csv(content)
        result = platform().db(onboarding.import_tenants(rows))
    except onboarding.OnboardingError as error:
        problems = getattr(error, "problems", None) or []
        items = [
            ErrorItem(
                "register", text=f"{_t('studio.tenants.line', line=str(p.line))} {p.text(current_language())}"
            )
            for p in problems[:50]
        ]
        language = current_language()
        return _tenants_page(errors=items or [ErrorItem("register", text=error.text(language))], status=422)
    flash_key("studio.tenants.imported", created=str(len(result.created)), skipped=str(len(result.skipped)))
    return redirect(url_for("studio.tenants_page"))


@blueprint.post("/tenants/enable")
def enable_for_tenants() -> Any:
    """Offer one published version in the municipalities ticked (or in all of them)."""
    service_id, _, version = _form("service", 100).partition("@")
    try:
        definition = platform().definition(service_id, version or None)
    except UnknownService:
        return _tenants_page(errors=[ErrorItem("service", "studio.tenants.error.service")], status=422)
    chosen = onboarding.chosen_municipalities(
        platform().db(onboarding.list_municipalities()),
        request.form.getlist("tenant"),
        all_of_them=request.form.get("all") == "yes",
    )
    if not chosen:
        return _tenants_page(errors=[ErrorItem("tenants", "studio.tenants.error.none")], status=422)
    done = platform().db(tenants.enable_in(chosen, definition))
    flash_key(
        "studio.tenants.enabled",
        service=definition.service.title.get(current_language()),
        version=definition.version,
        count=str(len(done.changed)),
    )
    for slug, why in done.refused.items():
        flash_key("studio.tenants.refused", tenant=slug, reason=why)
    return redirect(url_for("studio.tenants_page"))


@blueprint.post("/drafts/<service_id>/roles")
def edit_roles(service_id: str) -> Any:
    """Which answers are the applicant's name, phone, address, … (``thongthin check`` checks each)."""

    def change(documents: edits.Documents) -> edits.Documents:
        roles: dict[str, Any] = {}
        for role in POINTER_ROLES:
            pointers = [p[:200] for p in request.form.getlist(role)[:5] if p]
            if pointers:
                roles[role] = pointers[0] if len(pointers) == 1 else pointers
        prefix = _form("account_prefix", 4).upper()
        if prefix:
            roles["account_prefix"] = prefix
        result = edits.set_data_roles(documents, roles)
        retention = _form("retention", 20)
        if retention:
            result["service.json"]["pdpa"]["retention"] = retention
        purpose = (_form("purpose_th", MAX_TEXT), _form("purpose_en", MAX_TEXT))
        if purpose[0]:
            result["service.json"]["pdpa"]["purpose"] = {"th": purpose[0], "en": purpose[1] or purpose[0]}
        return result

    return _apply(service_id, _documents_only(change), "data-roles")


@blueprint.get("/drafts/<service_id>/documents/<document_id>.pdf")
def document_preview(service_id: str, document_id: str) -> Any:
    """The document as it would be issued, from an example submission; unsigned, marked as a specimen
    by its number and reference."""
    from datetime import date

    from engine.thaidate import buddhist_year
    from renderers.documents import DocumentError, DocumentTenant, render_document

    view = _view(service_id)
    cache = studio.preview_cache(platform().catalog_cache)
    # The worker cleans its own disk only: a web node on another machine prunes its previews here.
    platform().db(studio.prune_previews(cache))
    definition = studio.rendering_definition(view, platform().catalog, cache)
    if definition is None or definition.service.document(document_id) is None:
        return _draft_page(view, errors=[ErrorItem("documents", "studio.preview.broken")], status=422)
    _, data = _example(view, request.args.get("example", ""))
    today = date.today()
    try:
        pdf = render_document(
            definition,
            document_id,
            data,
            tenant=DocumentTenant(
                _t("studio.specimen.tenant"), "Specimen municipality", _t("studio.specimen.address")
            ),
            number=f"0/{buddhist_year(today)}",
            issued_on=today,
            verify_url=url_for("studio.draft", service_id=service_id, _external=True),
            reference=f"XX-{buddhist_year(today)}-000000",
            submitted_on=today,
        )
    except DocumentError as error:
        return _draft_page(view, errors=[ErrorItem("documents", text=str(error))], status=422)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{document_id}.pdf"'},
    )


@blueprint.get("/services/<service_id>/diff")
def versions_diff(service_id: str) -> Any:
    """What changed between any two published versions of a service."""
    from engine.definitions.diff import diff

    platform().db(platform().load_published())
    versions = platform().catalog.versions_of(service_id)
    if not versions:
        raise UnknownService(service_id, [])
    old = request.args.get("from") if request.args.get("from") in versions else versions[0]
    new = request.args.get("to") if request.args.get("to") in versions else versions[-1]
    changes = diff(platform().definition(service_id, old), platform().definition(service_id, new))
    return render_template(
        "studio/diff.html",
        service_id=service_id,
        title=platform().definition(service_id, new).service.title,
        versions=versions,
        old=old,
        new=new,
        changes=changes,
    )


@blueprint.post("/drafts/<service_id>/attachments")
def add_attachment(service_id: str) -> Any:
    """Files the applicant attaches on a step: their kinds, size, number, and whether they are needed."""
    step_id = _form("step", 63)

    def change(documents: edits.Documents) -> edits.Documents:
        rule = edits.AttachmentRule(
            id=_form("attachment_id", 63),
            title_th=_form("title_th", 300),
            title_en=_form("title_en", 300),
            pointer="/" + _form("name", 200).strip("/"),
            accept=tuple(request.form.getlist("accept")[:5]),
            max_megabytes=_integer("max_megabytes") or 10,
            max_files=_integer("max_files") or 1,
            required=request.form.get("required") == "yes",
        )
        return edits.put_attachment(documents, step_id, rule)

    def with_examples(
        documents: edits.Documents, files: studio.Files
    ) -> tuple[edits.Documents, studio.Files]:
        result = change(documents)
        if request.form.get("required") == "yes":
            pointer = "/" + _form("name", 200).strip("/")
            spec = edits.FieldSpec(pointer=pointer, widget="file", label_th="-", label_en="-", required=True)
            files = edits.fill_examples(files, spec)
        return result, files

    return _apply(service_id, with_examples, f"step-{step_id}")


# --- a test run of the workflow -------------------------------------------------------------------


def _played_effect(definition: Any, service_id: str, effect: Any) -> dict[str, str]:
    """What an effect of a played action would do, as the test run lists it: the document's
    specimen, the fees requested, the message the applicant is sent."""
    language = current_language()
    played = {"type": effect.type, "text": "", "url": ""}
    if effect.type == "issue_document":
        document = definition.service.document(effect.params.get("document", ""))
        if document is not None:
            played["text"] = _t("studio.play.effect.document", title=document.title.get(language))
            played["url"] = url_for("studio.document_preview", service_id=service_id, document_id=document.id)
    elif effect.type == "request_payment":
        fees = [definition.service.fee(f) for f in effect.params.get("fees", [])]
        titles = ", ".join(f.title.get(language) for f in fees if f is not None)
        played["text"] = _t("studio.play.effect.fees", fees=titles)
    elif effect.type == "notify":
        message = effect.params.get("message") or {}
        played["text"] = _t(
            "studio.play.effect.notify", message=message.get(language) or message.get("th", "")
        )
    return played


def _play_key(service_id: str) -> str:
    return f"studio_play:{service_id}"


@blueprint.route("/drafts/<service_id>/play", methods=["GET", "POST"])
def play(service_id: str) -> Any:
    """Play the workflow with an example submission, as each role in turn: the engine's own
    interpreter decides which actions each role has, checks inputs and guards, and says what
    each action would queue. Nothing is stored but the run itself, in the analyst's session."""
    from engine.errors import ThongthinError
    from engine.workflow.interpreter import Vote, available_actions, take_action

    view = _view(service_id)
    definition = view.definition
    if definition is None:
        return _draft_page(view, errors=[ErrorItem("problems", "studio.preview.broken")], status=422)
    workflow = definition.workflow
    example, data = _example(view)
    run = session.get(_play_key(service_id)) or {}
    if run.get("state") not in workflow.states or request.form.get("restart"):
        run = {"state": workflow.initial, "votes": [], "log": [], "paid": False}
    errors: list[ErrorItem] = []
    if request.method == "POST" and not request.form.get("restart"):
        if "paid" in request.form:
            run["paid"] = request.form.get("paid") == "yes"
        action, role = _form("action", 63), _form("role", 63)
        if action and role:
            transition = workflow.transition_named(action, run["state"])
            given = (
                (transition.input or {}).get("examples", [{}])[0] if transition and transition.input else {}
            )
            try:
                outcome = take_action(
                    workflow,
                    run["state"],
                    action,
                    {role},
                    input=given,
                    data=data,
                    context={"payment": "paid" if run["paid"] else "none"},
                    votes=tuple(Vote(v[0], v[1]) for v in run["votes"]),
                )
            except ThongthinError as refused:
                errors.append(ErrorItem("actions", text=str(refused)))
            else:
                run["log"] = [
                    *run["log"][-30:],
                    {
                        "role": role,
                        "action": action,
                        "from": outcome.from_state,
                        "to": outcome.state,
                        "effects": [_played_effect(definition, service_id, e) for e in outcome.effects],
                        "fired": outcome.fired,
                    },
                ]
                run["votes"] = [] if outcome.fired else [[v.action, v.role] for v in outcome.votes]
                run["state"] = outcome.state
    session[_play_key(service_id)] = run
    roles = sorted({r for t in workflow.transitions for r in t.roles})
    context = {"payment": "paid" if run["paid"] else "none"}
    votes = tuple(Vote(v[0], v[1]) for v in run["votes"])
    actions = {
        role: available_actions(
            workflow, run["state"], frozenset({role}), data=data, context=context, votes=votes
        )
        for role in roles
    }
    return (
        render_template(
            "studio/play.html",
            draft=view.draft,
            definition=definition,
            run=run,
            state=workflow.states[run["state"]],
            actions=actions,
            role_titles={r: spec.title for r, spec in platform().catalog.roles.items()},
            example=example,
            errors=errors,
        ),
        422 if errors else 200,
    )
