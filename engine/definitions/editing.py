"""Edits of a service's documents, as the studio makes them: steps, fields, conditions, fees,
documents, states and actions — without anyone touching JSON.

Every function takes the documents (``{"service.json": …, "form.json": …, "ui.json": …,
"workflow.json": …}``) and returns changed copies; nothing here checks the result as a whole
(``thongthin check`` does, through :func:`engine.services.catalog.checked_definition`).
Refusals of an edit that cannot be made at all raise :class:`EditRefused`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine import jsonpointer
from engine.definitions.model import UiField
from engine.definitions.schemas import schemas_at
from engine.errors import ThongthinError
from engine.forms import widgets

Documents = dict[str, Any]
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class EditRefused(ThongthinError):
    """The edit cannot be made (an unknown step, a name already taken, …); nothing changed."""

    http_status = 422

    def __init__(self, where: str, message: str, *, th: str = ""):
        self.where = where
        self.message = message
        self.message_th = th or message
        super().__init__(f"{where}: {message}")

    def text(self, language: str) -> str:
        """The refusal in ``language`` (``th`` or ``en``)."""
        return self.message_th if language == "th" else self.message


@dataclass(frozen=True)
class Option:
    value: str
    th: str
    en: str


@dataclass(frozen=True)
class FieldSpec:
    """A field as the studio's form describes it."""

    pointer: str
    widget: str
    label_th: str
    label_en: str
    help_th: str = ""
    help_en: str = ""
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    options: tuple[Option, ...] = ()
    # Shown only when the answer at ``when_pointer`` equals ``when_equals``.
    when_pointer: str | None = None
    when_equals: Any = None
    attachment: str | None = None  # file widgets: the attachment of service.json
    extra_schema: dict[str, Any] = field(default_factory=dict)
    # Repeatable groups: the name of one item, and how many items the applicant may give.
    item_label_th: str = ""
    item_label_en: str = ""
    min_items: int | None = None
    max_items: int | None = None


CHOICE_WIDGETS = ("select", "radio", "checkboxes")  # built from their options
REPEAT = "repeat"  # built from its item's name and limits; its questions are added one by one


def addable_widgets(*, in_items: bool = False) -> tuple[str, ...]:
    """The widgets the studio adds fields of (those of the registry it can build a schema for),
    or, ``in_items``, those one item of a repeated group may ask. Files come with an attachment."""
    return tuple(
        w.name
        for w in widgets.registry
        if (w.new_field is not None or w.name in CHOICE_WIDGETS or w.repeats)
        and not w.files
        and (w.in_items or not in_items)
    )


MAX_ITEMS = 50


def _copy(documents: Documents) -> Documents:
    return copy.deepcopy(documents)


def _step(documents: Documents, step_id: str) -> dict[str, Any]:
    for step in documents["ui.json"]["steps"]:
        if step["id"] == step_id:
            return step
    raise EditRefused(f"/steps/{step_id}", f"there is no step {step_id!r}", th=f"ไม่มีขั้นตอนรหัส {step_id}")


def _text(th: str, en: str) -> dict[str, str]:
    return {"th": th.strip(), "en": en.strip() or th.strip()}


# --- steps -------------------------------------------------------------------------------------


def add_step(
    documents: Documents, step_id: str, title_th: str, title_en: str, *, after: str | None = None
) -> Documents:
    """A new, empty step (a page of one topic); it needs a field before the form is valid."""
    if not _NAME.match(step_id):
        raise EditRefused(
            "/id",
            "a step's id is lower-case letters, digits and _",
            th="รหัสขั้นตอนใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย _",
        )
    result = _copy(documents)
    steps = result["ui.json"]["steps"]
    if any(s["id"] == step_id for s in steps):
        raise EditRefused("/id", f"there is already a step {step_id!r}", th=f"มีขั้นตอนรหัส {step_id} อยู่แล้ว")
    step = {"id": step_id, "title": _text(title_th, title_en), "fields": []}
    index = next((i + 1 for i, s in enumerate(steps) if s["id"] == after), len(steps))
    steps.insert(index, step)
    return result


def move_step(documents: Documents, step_id: str, delta: int) -> Documents:
    """Move a step ``delta`` places earlier (negative) or later (positive)."""
    result = _copy(documents)
    steps = result["ui.json"]["steps"]
    index = next((i for i, s in enumerate(steps) if s["id"] == step_id), None)
    if index is None:
        raise EditRefused(f"/steps/{step_id}", f"there is no step {step_id!r}", th=f"ไม่มีขั้นตอนรหัส {step_id}")
    target = max(0, min(len(steps) - 1, index + delta))
    steps.insert(target, steps.pop(index))
    return result


def order_steps(documents: Documents, step_ids: Sequence[str]) -> Documents:
    """The steps in the order ``step_ids`` gives (every step once, as dragging them into place does)."""
    result = _copy(documents)
    steps = {s["id"]: s for s in result["ui.json"]["steps"]}
    if sorted(step_ids) != sorted(steps):
        raise EditRefused(
            "/steps", "name every step once, in the new order", th="กรุณาระบุทุกขั้นตอนครั้งละหนึ่งครั้งตามลำดับใหม่"
        )
    result["ui.json"]["steps"] = [steps[i] for i in step_ids]
    return result


def remove_step(documents: Documents, step_id: str) -> Documents:
    """Remove a step with its fields and their answers in the form schema."""
    step = _step(documents, step_id)
    result = documents
    for ui_field in list(step["fields"]):
        result = remove_field(result, ui_field["pointer"])
    result = _copy(result)
    result["ui.json"]["steps"] = [s for s in result["ui.json"]["steps"] if s["id"] != step_id]
    return result


# --- fields ------------------------------------------------------------------------------------


def _schema_of(spec: FieldSpec) -> dict[str, Any]:
    if spec.widget in CHOICE_WIDGETS:
        values = [o.value for o in spec.options]
        if not values:
            raise EditRefused(
                "/options", "a choice needs at least one option", th="ช่องที่ให้เลือกต้องมีตัวเลือกอย่างน้อย 1 ตัวเลือก"
            )
        schema: dict[str, Any] = {"type": "string", "enum": values}
        if spec.widget == "checkboxes":
            schema = {"type": "array", "items": {"type": "string", "enum": values}, "uniqueItems": True}
            if spec.required:
                schema["minItems"] = 1
    elif spec.widget == REPEAT:
        return _repeat_schema(spec)
    elif (widget := widgets.find(spec.widget)) is not None and widget.new_field is not None:
        schema = copy.deepcopy(dict(widget.new_field))
    else:
        raise EditRefused(
            "/widget",
            f"the studio cannot add a {spec.widget!r} field",
            th=f"ไม่สามารถเพิ่มช่องชนิด {spec.widget} ได้",
        )
    if spec.widget in ("text", "textarea"):
        if spec.min_length is not None:
            schema["minLength"] = spec.min_length
        if spec.max_length is not None:
            schema["maxLength"] = spec.max_length
        if spec.pattern:
            try:
                re.compile(spec.pattern)
            except re.error as error:
                raise EditRefused(
                    "/pattern",
                    f"the pattern is not a regular expression: {error}",
                    th=f"รูปแบบที่กำหนดไม่ใช่นิพจน์ปรกติที่ถูกต้อง: {error}",
                ) from None
            schema["pattern"] = spec.pattern
    if spec.widget == "number":
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
    schema.update(spec.extra_schema)
    return schema


def _repeat_schema(spec: FieldSpec) -> dict[str, Any]:
    least = spec.min_items if spec.min_items is not None else (1 if spec.required else 0)
    most = spec.max_items if spec.max_items is not None else 10
    if not 0 <= least <= most <= MAX_ITEMS or most < 1:
        raise EditRefused(
            "/max_items",
            f"a group holds 0 to {MAX_ITEMS} items, at least as many as its minimum",
            th=f"กลุ่มข้อมูลเพิ่มได้ไม่เกิน {MAX_ITEMS} ชุด และจำนวนชุดสูงสุดต้องไม่น้อยกว่าจำนวนชุดอย่างน้อย",
        )
    schema: dict[str, Any] = {
        "type": "array",
        "items": {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
        "maxItems": most,
    }
    if least:
        schema["minItems"] = least
    return schema


def _ui_of(spec: FieldSpec) -> dict[str, Any]:
    ui: dict[str, Any] = {
        "pointer": spec.pointer,
        "widget": spec.widget,
        "label": _text(spec.label_th, spec.label_en),
    }
    if spec.help_th.strip():
        ui["help"] = _text(spec.help_th, spec.help_en)
    if spec.widget in CHOICE_WIDGETS:
        ui["options"] = [{"value": o.value, "label": _text(o.th, o.en)} for o in spec.options]
    if spec.attachment:
        ui["attachment"] = spec.attachment
    if spec.widget == REPEAT:
        if not spec.item_label_th.strip():
            raise EditRefused(
                "/item_label_th",
                "name one item of the group, e.g. ผู้ร่วมยื่นคำขอ",
                th="กรุณาระบุชื่อเรียกข้อมูลแต่ละชุด เช่น ผู้ร่วมยื่นคำขอ",
            )
        ui["item_label"] = _text(spec.item_label_th, spec.item_label_en)
        ui["item_fields"] = []
    if spec.when_pointer:
        ui["when"] = condition_equals(spec.when_pointer, spec.when_equals)
    return ui


def condition_equals(pointer: str, value: Any) -> dict[str, Any]:
    """The ``when`` schema "the answer at ``pointer`` is ``value``"."""
    segments = jsonpointer.split(pointer)
    if not segments:
        raise EditRefused("/when", "a condition looks at an answer", th="เงื่อนไขต้องอ้างถึงคำตอบในแบบคำขอ")
    node: dict[str, Any] = {"const": value}
    for segment in reversed(segments):
        node = {"properties": {segment: node}, "required": [segment]}
    return node


def _parent_schema(form: dict[str, Any], segments: Sequence[str], *, create: bool) -> dict[str, Any] | None:
    node = form
    for segment in segments:
        properties = node.setdefault("properties", {}) if create else node.get("properties", {})
        child = properties.get(segment)
        if child is None:
            if not create:
                return None
            child = properties[segment] = {"type": "object", "properties": {}, "additionalProperties": False}
            node.setdefault("required", [])
            if segment not in node["required"]:
                node["required"].append(segment)
        if "$ref" in child or child.get("type") not in (None, "object"):
            raise EditRefused(
                "/pointer",
                f"{segment!r} is an answer, not a group of answers",
                th=f"{segment} เป็นคำตอบ ไม่ใช่กลุ่มของคำตอบ",
            )
        node = child
    return node


def _check_label(spec: FieldSpec) -> None:
    if not spec.label_th.strip():
        raise EditRefused("/label", "a field needs a Thai label", th="กรุณาระบุชื่อช่องภาษาไทย")


def put_field(documents: Documents, step_id: str, spec: FieldSpec) -> Documents:
    """Add a field to a step, or replace the field at the same pointer where it stands."""
    segments = jsonpointer.split(spec.pointer)
    if not segments or not all(_NAME.match(s) for s in segments):
        raise EditRefused(
            "/pointer",
            "a field's name is lower-case letters, digits and _ (groups joined by /)",
            th="ชื่อช่องใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย _ และคั่นกลุ่มด้วยเครื่องหมาย /",
        )
    _check_label(spec)
    result = _copy(documents)
    step = _step(result, step_id)
    form = result["form.json"]
    parent = _parent_schema(form, segments[:-1], create=True)
    assert parent is not None
    schema = _schema_of(spec)
    before = parent.get("properties", {}).get(segments[-1])
    if spec.widget == REPEAT and isinstance(before, dict) and isinstance(before.get("items"), dict):
        schema["items"] = before["items"]  # changing the group keeps the questions of its items
    parent.setdefault("properties", {})[segments[-1]] = schema
    required = [r for r in parent.get("required", []) if r != segments[-1]]
    if spec.required:
        required.append(segments[-1])
    parent["required"] = required
    ui = _ui_of(spec)
    for other in result["ui.json"]["steps"]:
        for index, existing in enumerate(other["fields"]):
            if existing["pointer"] == spec.pointer:
                if spec.widget == REPEAT and existing.get("widget") == REPEAT:
                    ui["item_fields"] = existing.get("item_fields", [])
                if other is step:
                    other["fields"][index] = ui
                    return result
                del other["fields"][index]
                break
    step["fields"].append(ui)
    return result


def remove_field(documents: Documents, pointer: str) -> Documents:
    """Remove a field from its step and its answer from the form schema (and its required list)."""
    result = _copy(documents)
    found = False
    attachments: set[str] = set()
    for step in result["ui.json"]["steps"]:
        attachments |= {
            f["attachment"] for f in step["fields"] if f["pointer"] == pointer and f.get("attachment")
        }
        kept = [f for f in step["fields"] if f["pointer"] != pointer]
        found = found or len(kept) != len(step["fields"])
        step["fields"] = kept
    if not found:
        raise EditRefused(pointer, "no step asks for this field", th="ไม่มีขั้นตอนใดถามช่องนี้")
    if attachments:  # the files the field asked for go with it
        service = result["service.json"]
        service["attachments"] = [a for a in service.get("attachments", []) if a["id"] not in attachments]
    segments = jsonpointer.split(pointer)
    parent = _parent_schema(result["form.json"], segments[:-1], create=False)
    if parent is not None:
        parent.get("properties", {}).pop(segments[-1], None)
        if segments[-1] in parent.get("required", []):
            parent["required"] = [r for r in parent["required"] if r != segments[-1]]
    return result


def move_field(documents: Documents, pointer: str, delta: int) -> Documents:
    result = _copy(documents)
    for step in result["ui.json"]["steps"]:
        pointers = [f["pointer"] for f in step["fields"]]
        if pointer in pointers:
            index = pointers.index(pointer)
            target = max(0, min(len(pointers) - 1, index + delta))
            step["fields"].insert(target, step["fields"].pop(index))
            return result
    raise EditRefused(pointer, "no step asks for this field", th="ไม่มีขั้นตอนใดถามช่องนี้")


def order_fields(documents: Documents, step_id: str, pointers: Sequence[str]) -> Documents:
    """The fields of a step in the order ``pointers`` gives (every field of the step once)."""
    result = _copy(documents)
    step = _step(result, step_id)
    fields = {f["pointer"]: f for f in step["fields"]}
    if sorted(pointers) != sorted(fields):
        raise EditRefused(
            f"/steps/{step_id}",
            "name every field of the step once, in the new order",
            th="กรุณาระบุทุกช่องของขั้นตอนนี้ครั้งละหนึ่งครั้งตามลำดับใหม่",
        )
    step["fields"] = [fields[p] for p in pointers]
    return result


# --- the questions of one item of a repeatable group ------------------------------------------


def _group(documents: Documents, group_pointer: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The group's ui field and the schema of one of its items, in ``documents`` (not copied)."""
    ui = next(
        (f for s in documents["ui.json"]["steps"] for f in s["fields"] if f["pointer"] == group_pointer),
        None,
    )
    schema = next(iter(schemas_at(documents["form.json"], group_pointer)), None)
    if ui is None or ui.get("widget") != REPEAT or not isinstance(schema, dict):
        raise EditRefused(group_pointer, "no step asks for this repeatable group", th="ไม่มีขั้นตอนใดถามกลุ่มข้อมูลนี้")
    items = schema.setdefault("items", {"type": "object", "properties": {}, "additionalProperties": False})
    return ui, items


def put_item_field(documents: Documents, group_pointer: str, spec: FieldSpec) -> Documents:
    """Add a question to every item of a repeatable group, or replace the one at the same pointer
    (relative to the item, e.g. ``/name``)."""
    segments = jsonpointer.split(spec.pointer)
    if len(segments) != 1 or not _NAME.match(segments[0]):
        raise EditRefused(
            "/pointer",
            "a question of an item is named with lower-case letters, digits and _",
            th="ชื่อคำถามของข้อมูลแต่ละชุดใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย _",
        )
    if spec.widget not in addable_widgets(in_items=True):
        raise EditRefused(
            "/widget",
            "an item of a group cannot ask for files, a map pin or another group",
            th="ข้อมูลแต่ละชุดถามไฟล์แนบ ตำแหน่งบนแผนที่ หรือกลุ่มข้อมูลอีกชั้นหนึ่งไม่ได้",
        )
    _check_label(spec)
    result = _copy(documents)
    ui, items = _group(result, group_pointer)
    items.setdefault("properties", {})[segments[0]] = _schema_of(spec)
    items["required"] = [r for r in items.get("required", []) if r != segments[0]] + (
        [segments[0]] if spec.required else []
    )
    item_ui = _ui_of(replace(spec, when_pointer=None))
    fields = ui.setdefault("item_fields", [])
    for index, existing in enumerate(fields):
        if existing["pointer"] == spec.pointer:
            fields[index] = item_ui
            return result
    fields.append(item_ui)
    return result


def remove_item_field(documents: Documents, group_pointer: str, pointer: str) -> Documents:
    result = _copy(documents)
    ui, items = _group(result, group_pointer)
    kept = [f for f in ui.get("item_fields", []) if f["pointer"] != pointer]
    if len(kept) == len(ui.get("item_fields", [])):
        raise EditRefused(pointer, "the group does not ask this", th="กลุ่มข้อมูลนี้ไม่มีคำถามดังกล่าว")
    ui["item_fields"] = kept
    name = pointer.strip("/")
    items.get("properties", {}).pop(name, None)
    items["required"] = [r for r in items.get("required", []) if r != name]
    return result


# --- service.json: texts, fees, documents ------------------------------------------------------


def set_service_texts(
    documents: Documents, *, service_id: str | None = None, title: tuple[str, str], summary: tuple[str, str]
) -> Documents:
    result = _copy(documents)
    service = result["service.json"]
    if service_id is not None:
        service["id"] = service_id
    service["title"] = _text(*title)
    service["summary"] = _text(*summary)
    return result


def put_fee(documents: Documents, fee: dict[str, Any]) -> Documents:
    """Add a fee, or replace the fee with the same id."""
    if not _NAME.match(str(fee.get("id", ""))):
        raise EditRefused(
            "/fees/id",
            "a fee's id is lower-case letters, digits and _",
            th="รหัสค่าธรรมเนียมใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย _",
        )
    result = _copy(documents)
    fees = [f for f in result["service.json"].get("fees", []) if f["id"] != fee["id"]]
    result["service.json"]["fees"] = [*fees, fee]
    return result


def remove_fee(documents: Documents, fee_id: str) -> Documents:
    result = _copy(documents)
    result["service.json"]["fees"] = [f for f in result["service.json"].get("fees", []) if f["id"] != fee_id]
    return result


def put_document(
    documents: Documents, files: dict[str, str], document: dict[str, Any], template: str
) -> tuple[Documents, dict[str, str]]:
    """Add (or replace) an issued document and its template ``templates/<id>.html.j2``."""
    if not _NAME.match(str(document.get("id", ""))):
        raise EditRefused(
            "/documents/id",
            "a document's id is lower-case letters, digits and _",
            th="รหัสเอกสารใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย _",
        )
    result = _copy(documents)
    name = f"templates/{document['id']}.html.j2"
    document = {**document, "template": name}
    kept = [d for d in result["service.json"].get("documents", []) if d["id"] != document["id"]]
    result["service.json"]["documents"] = [*kept, document]
    return result, {**files, name: template}


# --- workflow.json ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StateSpec:
    """A state as the studio's form describes it."""

    name: str
    title_th: str
    title_en: str
    message_th: str
    message_en: str = ""
    assignees: tuple[str, ...] = ()
    outcome: str = ""  # a final state's outcome (approved, rejected, …); empty for an open state
    sla: str = ""
    pauses_sla: bool = False


OUTCOMES = ("approved", "rejected", "withdrawn", "completed", "cancelled")


def state_of(spec: StateSpec) -> dict[str, Any]:
    """The ``workflow.json`` state the studio's form describes; raises EditRefused when it cannot be one."""
    if not spec.title_th.strip():
        raise EditRefused("/title_th", "a state needs a Thai title", th="กรุณาระบุชื่อสถานะภาษาไทย")
    if not spec.message_th.strip():
        raise EditRefused(
            "/message_th",
            "say what the applicant is told while the application is here",
            th="กรุณาระบุข้อความที่แจ้งผู้ยื่นคำขอขณะที่คำขออยู่ในสถานะนี้",
        )
    state: dict[str, Any] = {
        "title": _text(spec.title_th, spec.title_en),
        "applicant_message": _text(spec.message_th, spec.message_en),
    }
    if spec.outcome:
        if spec.outcome not in OUTCOMES:
            raise EditRefused(
                "/outcome",
                f"an outcome is one of {', '.join(OUTCOMES)}",
                th="กรุณาเลือกผลของสถานะสุดท้ายจากรายการ",
            )
        state["final"] = True
        state["outcome"] = spec.outcome
        return state
    if not spec.assignees:
        raise EditRefused(
            "/assignees", "choose who works on applications in this state", th="กรุณาเลือกผู้รับผิดชอบคำขอในสถานะนี้"
        )
    state["assignees"] = list(dict.fromkeys(spec.assignees))
    if spec.sla:
        state["sla"] = spec.sla
    if spec.pauses_sla:
        state["pauses_sla"] = True
    return state


def put_state(documents: Documents, name: str, state: dict[str, Any] | StateSpec) -> Documents:
    """Add a state, or replace the state of the same name (its actions stay)."""
    if not _NAME.match(name):
        raise EditRefused(
            "/state",
            "a state's name is lower-case letters, digits and _",
            th="รหัสสถานะใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย _",
        )
    result = _copy(documents)
    result["workflow.json"]["states"][name] = state_of(state) if isinstance(state, StateSpec) else state
    return result


def remove_state(documents: Documents, name: str) -> Documents:
    """Remove a state and every action into or out of it."""
    result = _copy(documents)
    workflow = result["workflow.json"]
    if name == workflow.get("initial"):
        raise EditRefused(f"/states/{name}", "the first state cannot be removed", th="ลบสถานะแรกของคำขอไม่ได้")
    workflow["states"].pop(name, None)
    kept = []
    for transition in workflow["transitions"]:
        sources = transition["from"] if isinstance(transition["from"], list) else [transition["from"]]
        sources = [s for s in sources if s != name]
        if transition["to"] == name or not sources:
            continue
        transition["from"] = sources if isinstance(transition["from"], list) else sources[0]
        kept.append(transition)
    workflow["transitions"] = kept
    return result


QUORUM_MODES = ("all", "any", "at_least")
ASK_MODES = ("optional", "required")
TO_APPLICANT = ("now", "when_closed")
INPUT_NAME = "message"  # the one answer an action asks of the officer, as the seed services name it


@dataclass(frozen=True)
class TransitionSpec:
    """An action as the studio's form describes it: who takes it from where to where, what the
    officer must write, when it is available, how many must agree, and what follows."""

    action: str
    title_th: str
    title_en: str
    sources: tuple[str, ...]
    to: str
    roles: tuple[str, ...]
    quorum: str = ""  # "", all, any, at_least
    quorum_count: int | None = None
    ask: str = ""  # "", optional, required: a text the officer writes with the action
    ask_label_th: str = ""
    ask_label_en: str = ""
    ask_min_length: int = 0
    ask_to_applicant: str = ""  # "", now, when_closed
    guard_paid: bool = False  # available only once the fees are paid
    guard_pointer: str = ""  # available only when the answer here …
    guard_equals: Any = None  # … equals this
    guard_message_th: str = ""
    guard_message_en: str = ""
    issue_documents: tuple[str, ...] = ()
    request_fees: tuple[str, ...] = ()
    notify_th: str = ""
    notify_en: str = ""
    reopens: tuple[str, ...] = ()


def transition_of(documents: Documents, spec: TransitionSpec) -> dict[str, Any]:
    """The ``workflow.json`` transition the studio's form describes, checked against the draft's
    states, steps, fees and documents; raises EditRefused naming the part that cannot be."""
    if not _NAME.match(spec.action):
        raise EditRefused(
            "/action",
            "an action's name is lower-case letters, digits and _",
            th="รหัสการดำเนินการใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย _",
        )
    if not spec.title_th.strip():
        raise EditRefused("/title_th", "an action needs a Thai title", th="กรุณาระบุชื่อการดำเนินการภาษาไทย")
    states = documents["workflow.json"]["states"]
    if not spec.sources or any(s not in states for s in spec.sources):
        raise EditRefused(
            "/from", "choose the states the action is taken from", th="กรุณาเลือกสถานะที่ดำเนินการนี้ได้"
        )
    if spec.to not in states:
        raise EditRefused("/to", "choose the state the action leads to", th="กรุณาเลือกสถานะหลังดำเนินการ")
    if not spec.roles:
        raise EditRefused("/roles", "choose who may take the action", th="กรุณาเลือกผู้มีสิทธิ์ดำเนินการ")
    roles = list(dict.fromkeys(spec.roles))
    transition: dict[str, Any] = {
        "action": spec.action,
        "title": _text(spec.title_th, spec.title_en),
        "from": spec.sources[0] if len(spec.sources) == 1 else list(dict.fromkeys(spec.sources)),
        "to": spec.to,
        "roles": roles,
    }
    if spec.quorum:
        if spec.quorum not in QUORUM_MODES:
            raise EditRefused(
                "/quorum",
                f"a quorum is one of {', '.join(QUORUM_MODES)}",
                th="กรุณาเลือกเงื่อนไขการลงมติจากรายการ",
            )
        if len(roles) < 2:
            raise EditRefused(
                "/quorum", "a vote needs at least two roles", th="การลงมติต้องมีผู้มีสิทธิ์ดำเนินการอย่างน้อย 2 ตำแหน่ง"
            )
        quorum: dict[str, Any] = {"mode": spec.quorum}
        if spec.quorum == "at_least":
            if spec.quorum_count is None or not 1 <= spec.quorum_count <= len(roles):
                raise EditRefused(
                    "/quorum_count",
                    f"how many must agree: 1 to {len(roles)}",
                    th=f"กรุณาระบุจำนวนตำแหน่งที่ต้องลงมติตั้งแต่ 1 ถึง {len(roles)}",
                )
            quorum["count"] = spec.quorum_count
        transition["quorum"] = quorum
    if spec.ask:
        transition.update(_input_of(spec))
    guard = _guard_of(documents, spec)
    if guard is not None:
        transition["guard"] = guard
        if spec.guard_message_th.strip():
            transition["guard_message"] = _text(spec.guard_message_th, spec.guard_message_en)
    if spec.reopens:
        steps = {s["id"] for s in documents["ui.json"]["steps"]}
        if "applicant" not in roles or any(s not in steps for s in spec.reopens):
            raise EditRefused(
                "/reopens",
                "only the applicant's action reopens steps of the form",
                th="เฉพาะการดำเนินการของผู้ยื่นคำขอเท่านั้นที่เปิดให้แก้ไขขั้นตอนของแบบคำขอได้",
            )
        transition["reopens"] = list(dict.fromkeys(spec.reopens))
    effects = _effects_of(documents, spec)
    if effects:
        transition["effects"] = effects
    return transition


def _input_of(spec: TransitionSpec) -> dict[str, Any]:
    if spec.ask not in ASK_MODES:
        raise EditRefused(
            "/ask",
            "the officer's text is optional or required",
            th="กรุณาเลือกว่าข้อความของเจ้าหน้าที่เป็นข้อความที่ไม่บังคับหรือบังคับ",
        )
    if not spec.ask_label_th.strip():
        raise EditRefused(
            "/ask_label_th", "name what the officer writes", th="กรุณาระบุชื่อช่องข้อความที่เจ้าหน้าที่ต้องระบุ"
        )
    if not 0 <= spec.ask_min_length <= 500:
        raise EditRefused(
            "/ask_min_length",
            "a text's minimum length is 0 to 500 characters",
            th="จำนวนตัวอักษรอย่างน้อยต้องอยู่ระหว่าง 0 ถึง 500 ตัวอักษร",
        )
    answer: dict[str, Any] = {"type": "string", "maxLength": 2000}
    if spec.ask_min_length:
        answer["minLength"] = spec.ask_min_length
    elif spec.ask == "required":
        answer["minLength"] = 1
    example = "ตัวอย่างข้อความของเจ้าหน้าที่"
    example = (example + " ") * (spec.ask_min_length // len(example) + 1)
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {INPUT_NAME: answer},
        "examples": [{INPUT_NAME: example.strip()}],
    }
    if spec.ask == "required":
        schema["required"] = [INPUT_NAME]
    field_ui: dict[str, Any] = {
        "pointer": "/" + INPUT_NAME,
        "widget": "textarea",
        "label": _text(spec.ask_label_th, spec.ask_label_en),
    }
    if spec.ask_to_applicant:
        if spec.ask_to_applicant not in TO_APPLICANT:
            raise EditRefused(
                "/ask_to_applicant",
                "the applicant reads it now or once the matter is closed",
                th="กรุณาเลือกการแสดงข้อความแก่ผู้ยื่นคำขอจากรายการ",
            )
        field_ui["to_applicant"] = spec.ask_to_applicant
    return {"input": schema, "input_ui": [field_ui]}


def _guard_of(documents: Documents, spec: TransitionSpec) -> dict[str, Any] | None:
    parts: list[dict[str, Any]] = []
    if spec.guard_paid:
        parts.append(
            {
                "properties": {
                    "context": {"properties": {"payment": {"const": "paid"}}, "required": ["payment"]}
                },
                "required": ["context"],
            }
        )
    if spec.guard_pointer:
        if not _answer_exists(documents["form.json"], spec.guard_pointer):
            raise EditRefused(
                "/guard_pointer",
                "the condition looks at an answer of the form",
                th="เงื่อนไขต้องอ้างถึงคำตอบในแบบคำขอ",
            )
        parts.append(condition_equals("/data" + spec.guard_pointer, spec.guard_equals))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def _answer_exists(form: dict[str, Any], pointer: str) -> bool:
    node: Any = form
    for segment in jsonpointer.split(pointer):
        node = node.get("properties", {}).get(segment) if isinstance(node, dict) else None
        if node is None:
            return False
    return True


def _effects_of(documents: Documents, spec: TransitionSpec) -> list[dict[str, Any]]:
    service = documents["service.json"]
    known_documents = {d["id"] for d in service.get("documents", [])}
    known_fees = {f["id"] for f in service.get("fees", [])}
    if any(d not in known_documents for d in spec.issue_documents):
        raise EditRefused("/issue_documents", "the service has no such document", th="บริการนี้ไม่มีเอกสารดังกล่าว")
    if any(f not in known_fees for f in spec.request_fees):
        raise EditRefused("/request_fees", "the service has no such fee", th="บริการนี้ไม่มีค่าธรรมเนียมดังกล่าว")
    effects: list[dict[str, Any]] = []
    if spec.request_fees:
        effects.append({"type": "request_payment", "fees": list(dict.fromkeys(spec.request_fees))})
    effects.extend({"type": "issue_document", "document": d} for d in dict.fromkeys(spec.issue_documents))
    if spec.notify_th.strip():
        effects.append(
            {"type": "notify", "to": "applicant", "message": _text(spec.notify_th, spec.notify_en)}
        )
    return effects


def put_transition(
    documents: Documents, transition: dict[str, Any] | TransitionSpec, *, index: int | None = None
) -> Documents:
    """Add an action, or replace the one at ``index`` (or else the action with the same name from
    the same states)."""
    if isinstance(transition, TransitionSpec):
        transition = transition_of(documents, transition)
    if not _NAME.match(str(transition.get("action", ""))):
        raise EditRefused(
            "/action",
            "an action's name is lower-case letters, digits and _",
            th="รหัสการดำเนินการใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย _",
        )
    result = _copy(documents)
    transitions = result["workflow.json"]["transitions"]
    if index is not None:
        if not 0 <= index < len(transitions):
            raise EditRefused(f"/transitions/{index}", "there is no such action", th="ไม่มีการดำเนินการนี้")
        transitions[index] = transition
        return result
    sources = transition["from"] if isinstance(transition["from"], list) else [transition["from"]]
    kept = [
        t
        for t in transitions
        if not (
            t["action"] == transition["action"]
            and set(t["from"] if isinstance(t["from"], list) else [t["from"]]) == set(sources)
        )
    ]
    result["workflow.json"]["transitions"] = [*kept, transition]
    return result


def remove_transition(documents: Documents, index: int) -> Documents:
    result = _copy(documents)
    transitions = result["workflow.json"]["transitions"]
    if not 0 <= index < len(transitions):
        raise EditRefused(f"/transitions/{index}", "there is no such action", th="ไม่มีการดำเนินการนี้")
    del transitions[index]
    return result


# --- example submissions -------------------------------------------------------------------


def sample_value(spec: FieldSpec) -> Any:
    """A value the field accepts, for example submissions and the preview: the widget's own
    sample, fitted to the field's limits."""
    if spec.widget == REPEAT:
        return [{} for _ in range(max(1, spec.min_items or 0))]
    if spec.widget == "number" and spec.minimum is not None:
        return spec.minimum
    value = widgets.get(spec.widget).sample(UiField.model_validate(_ui_of(spec)))
    if isinstance(value, str) and spec.min_length is not None and len(value) < spec.min_length:
        value = (value + " ") * (spec.min_length // len(value) + 1)
    if isinstance(value, str) and spec.max_length is not None:
        value = value[: spec.max_length].strip() or value[: spec.max_length]
    return value


def _each_example(
    files: dict[str, str], change: Callable[[dict[str, Any]], bool], *, valid_only: bool = True
) -> dict[str, str]:
    """The example submissions with ``change`` made to each (it says whether it changed one)."""
    result = dict(files)
    prefix = "examples/valid-" if valid_only else "examples/"
    for name, text in files.items():
        if not (name.startswith(prefix) and name.endswith(".json")):
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and change(data):
            result[name] = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return result


def fill_examples(files: dict[str, str], spec: FieldSpec) -> dict[str, str]:
    """The valid example submissions with an answer for a newly required field where they lack one,
    so that they stay valid (a field shown only under a condition is answered only where it shows)."""
    from engine.forms.rules import condition_holds

    if not spec.required:
        return files
    value = sample_value(spec)
    when = condition_equals(spec.when_pointer, spec.when_equals) if spec.when_pointer else None
    segments = jsonpointer.split(spec.pointer)

    def answer(data: dict[str, Any]) -> bool:
        if jsonpointer.resolve(data, spec.pointer, None) is not None:
            return False
        if when is not None and not condition_holds(when, data):
            return False
        node = data
        for segment in segments[:-1]:
            node = node.setdefault(segment, {})
        node[segments[-1]] = copy.deepcopy(value)
        return True

    return _each_example(files, answer)


def fill_item_examples(files: dict[str, str], group_pointer: str, spec: FieldSpec) -> dict[str, str]:
    """The valid examples with an answer to a newly required question in every item of the group."""
    if not spec.required:
        return files
    value = sample_value(spec)
    name = spec.pointer.strip("/")

    def answer(data: dict[str, Any]) -> bool:
        items = jsonpointer.resolve(data, group_pointer, None)
        missing = (
            [i for i in items if isinstance(i, dict) and name not in i] if isinstance(items, list) else []
        )
        for item in missing:
            item[name] = copy.deepcopy(value)
        return bool(missing)

    return _each_example(files, answer)


def set_data_roles(documents: Documents, roles: dict[str, Any]) -> Documents:
    """Replace the service's data roles (which answers billing, documents and messages rely on)."""
    result = _copy(documents)
    if roles:
        result["service.json"]["data_roles"] = roles
    else:
        result["service.json"].pop("data_roles", None)
    return result


ATTACHMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")


@dataclass(frozen=True)
class AttachmentRule:
    """Files the applicant attaches on a step: which kinds, how large, how many, required or not."""

    id: str
    title_th: str
    title_en: str
    pointer: str
    accept: tuple[str, ...]
    max_megabytes: int
    max_files: int
    required: bool


def put_attachment(documents: Documents, step_id: str, rule: AttachmentRule) -> Documents:
    """Add (or replace) an attachment of service.json and the file field that asks for it."""
    if not _NAME.match(rule.id):
        raise EditRefused(
            "/attachment_id",
            "an attachment's id is lower-case letters, digits and _",
            th="รหัสเอกสารแนบใช้ได้เฉพาะอักษรภาษาอังกฤษตัวพิมพ์เล็ก ตัวเลข และเครื่องหมาย _",
        )
    accept = [t for t in rule.accept if t in ATTACHMENT_TYPES]
    if not accept:
        raise EditRefused("/accept", "choose at least one kind of file", th="กรุณาเลือกชนิดไฟล์อย่างน้อย 1 ชนิด")
    if not 1 <= rule.max_megabytes <= 20:
        raise EditRefused("/max_megabytes", "a file may be 1 to 20 MB", th="ขนาดไฟล์ต้องอยู่ระหว่าง 1 ถึง 20 MB")
    if not 1 <= rule.max_files <= 20:
        raise EditRefused("/max_files", "allow 1 to 20 files", th="จำนวนไฟล์ต้องอยู่ระหว่าง 1 ถึง 20 ไฟล์")
    kinds = "/".join({"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}[t] for t in accept)
    spec = FieldSpec(
        pointer=rule.pointer,
        widget="file",
        label_th=rule.title_th,
        label_en=rule.title_en,
        help_th=f"ไฟล์ {kinds} ได้ไม่เกิน {rule.max_files} ไฟล์ ไฟล์ละไม่เกิน {rule.max_megabytes} MB",
        help_en=f"{kinds}, up to {rule.max_files} files of at most {rule.max_megabytes} MB each",
        required=rule.required,
        attachment=rule.id,
        extra_schema={
            "maxItems": rule.max_files,
            **({"minItems": 1} if rule.required else {}),
        },
    )
    result = put_field(documents, step_id, spec)
    attachment: dict[str, Any] = {
        "id": rule.id,
        "title": _text(rule.title_th, rule.title_en),
        "field": rule.pointer,
        "accept": accept,
        "max_bytes": rule.max_megabytes * 1024 * 1024,
        "max_files": rule.max_files,
        "required": rule.required,
    }
    kept = [a for a in result["service.json"].get("attachments", []) if a["id"] != rule.id]
    result["service.json"]["attachments"] = [*kept, attachment]
    return result


def drop_from_examples(files: dict[str, str], pointer: str) -> dict[str, str]:
    """The example submissions without an answer at ``pointer`` (its field was removed)."""
    segments = jsonpointer.split(pointer)

    def drop(data: dict[str, Any]) -> bool:
        parent = (
            jsonpointer.resolve(data, jsonpointer.join(segments[:-1]), None) if len(segments) > 1 else data
        )
        if isinstance(parent, dict) and segments and segments[-1] in parent:
            del parent[segments[-1]]
            return True
        return False

    return _each_example(files, drop, valid_only=False)


def drop_item_from_examples(files: dict[str, str], group_pointer: str, pointer: str) -> dict[str, str]:
    """The example submissions without the answer at ``pointer`` in any item of the group."""
    name = pointer.strip("/")

    def drop(data: dict[str, Any]) -> bool:
        items = jsonpointer.resolve(data, group_pointer, None)
        holding = [i for i in items if isinstance(i, dict) and name in i] if isinstance(items, list) else []
        for item in holding:
            del item[name]
        return bool(holding)

    return _each_example(files, drop, valid_only=False)
