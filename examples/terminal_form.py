#!/usr/bin/env python3
"""Fill in a municipality's e-form in the terminal, from the service's definition, then submit and track it.

The form is drawn from ``GET /api/v1/tenants/<t>/services/<id>``: its steps in order, each field
with its label (Thai, or English with ``--lang en``), help text, a ``*`` when an answer is required,
choices as numbered lists; steps and fields that apply only to some answers are asked only when
they do. The answers go into a draft on the server one step at a time, as the portal's pages send
them: each step is checked when it is saved (a refused step is printed with the portal's messages
and asked again) and the server says which steps the answers so far call for. Files are uploaded
from the paths given. When every step is saved the draft is submitted; the reference and tracking
token are printed, then the application's status and history as its applicant sees them.

Usage (the platform running, e.g. ``make demo``):

    python examples/terminal_form.py complaint
    python examples/terminal_form.py complaint --lang en
    python examples/terminal_form.py complaint \\
        --answers examples/complaint/valid-stray-dogs-anonymous.json    # no questions asked
    python examples/terminal_form.py --base-url https://thongthin.example --tenant maehia garbage-fee

``--answers FILE`` takes the form's data as JSON (as ``examples/<service>/valid-*.json``), prints
the form with those answers and saves and submits them; a file field may name files to upload by
their paths (relative to FILE's folder), e.g. ``"photos": ["road.jpg"]``. Exit status: 0 submitted,
2 refused (each wrong answer of the first step refused is printed with its field's label), 1 any
other error.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from thongthin_client import ApiError, Client, Draft, ServiceDocument, Step, Text, UiField, ValidationFailed

MISSING: Any = object()
WORDS = {
    "step": {"th": "ขั้นตอนที่", "en": "Step"},
    "required": {"th": "* จำเป็นต้องกรอก", "en": "* required"},
    "no_answer": {"th": "(ไม่ได้ตอบ)", "en": "(no answer)"},
    "choose": {"th": "เลือกหมายเลข", "en": "Choose a number"},
    "choose_many": {
        "th": "เลือกได้หลายข้อ คั่นด้วยจุลภาค เช่น 1,3",
        "en": "Choose any, separated by commas, e.g. 1,3",
    },
    "yes_no": {"th": "ใช่/ไม่ใช่ (y/n)", "en": "yes/no (y/n)"},
    "files": {"th": "ที่อยู่ไฟล์ คั่นด้วยจุลภาค", "en": "File paths, separated by commas"},
    "point": {"th": "ละติจูด, ลองจิจูด เช่น 18.7468, 98.9661", "en": "Latitude, longitude, e.g. 18.7468, 98.9661"},
    "count": {"th": "จำนวนรายการ", "en": "How many items"},
    "again": {"th": "คำตอบไม่ถูกต้อง กรุณาลองอีกครั้ง", "en": "That answer does not fit; try again"},
    "needed": {"th": "ข้อนี้จำเป็นต้องตอบ", "en": "This one needs an answer"},
    "refused": {"th": "ยื่นคำขอไม่สำเร็จ กรุณาแก้ไข:", "en": "The application was refused; please correct:"},
    "refused_step": {
        "th": "ยังบันทึกขั้นตอนนี้ไม่ได้ กรุณาแก้ไขแล้วกรอกขั้นตอนนี้อีกครั้ง:",
        "en": "This step was not saved; please correct it and fill it in again:",
    },
    "draft": {"th": "เลขที่ร่างคำขอ", "en": "Draft number"},
    "reference": {"th": "เลขที่คำขอ", "en": "Reference"},
    "token": {"th": "รหัสติดตาม (เก็บไว้เป็นความลับ)", "en": "Tracking token (keep it secret)"},
    "status": {"th": "สถานะ", "en": "Status"},
    "history": {"th": "ประวัติ", "en": "History"},
}


def say(word: str, lang: str) -> str:
    return WORDS[word][lang]


def text(value: Text | None, lang: str) -> str:
    if not value:
        return ""
    return (value["en"] if lang == "en" else value["th"]) or value["th"]


# JSON pointers and a little JSON Schema -----------------------------------------------------------


def parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def get(data: Any, pointer: str) -> Any:
    for part in parts(pointer):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return MISSING
    return data


def put(data: dict[str, Any], pointer: str, value: Any) -> None:
    *path, last = parts(pointer)
    for part in path:
        data = data.setdefault(part, {})
    data[last] = value


def resolve(form: dict[str, Any], node: Any) -> dict[str, Any]:
    """``node`` with a local ``$ref`` followed (its sibling keywords kept)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = form
        for part in parts(node["$ref"][1:]):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node if isinstance(node, dict) else {}


def schema_at(form: dict[str, Any], pointer: str) -> dict[str, Any]:
    node = resolve(form, form)
    for part in parts(pointer):
        if "properties" in node:
            node = resolve(form, node["properties"].get(part, {}))
        elif "items" in node:
            node = resolve(form, node["items"])
        else:
            return {}
    return node


def matches(schema: Any, value: Any) -> bool:
    """Whether ``value`` fits ``schema``, for the keywords conditions use (others are not checked)."""
    if isinstance(schema, bool):
        return schema
    if "const" in schema and value != schema["const"]:
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, dict):
        if any(name not in value for name in schema.get("required", [])):
            return False
        for name, inner in schema.get("properties", {}).items():
            if name in value and not matches(inner, value[name]):
                return False
    elif value is MISSING and schema.get("required"):
        return False
    if "not" in schema and matches(schema["not"], value):
        return False
    if not all(matches(inner, value) for inner in schema.get("allOf", [])):
        return False
    return not ("anyOf" in schema and not any(matches(inner, value) for inner in schema["anyOf"]))


def required(form: dict[str, Any], pointer: str, data: dict[str, Any]) -> bool:
    """Whether the form requires the answer at ``pointer``, given the answers so far (``if``/``then`` too)."""
    *path, name = parts(pointer)
    parent_pointer = "".join(f"/{p}" for p in path)
    parent = schema_at(form, parent_pointer)
    if name in parent.get("required", []):
        return True
    condition = parent.get("if")
    if condition is not None and name in resolve(form, parent.get("then", {})).get("required", []):
        return matches(condition, get(data, parent_pointer) if path else data)
    return False


def merged(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """``earlier`` with ``later``'s answers over it, object by object (the answers so far)."""
    out = dict(earlier)
    for key, value in later.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merged(out[key], value) if both else value
    return out


def shown(when: Any, data: dict[str, Any]) -> bool:
    return when is None or matches(when, data)


# Asking -------------------------------------------------------------------------------------------


def ask(prompt: str, parse: Callable[[str], Any], needed: bool, lang: str) -> Any:
    """Ask until ``parse`` accepts the answer; an empty answer is MISSING where none is needed."""
    while True:
        try:
            raw = input(f"  > {prompt}: " if prompt else "  > ").strip()
        except EOFError:
            raise SystemExit(1) from None
        if not raw:
            if needed:
                print(f"    {say('needed', lang)}")
                continue
            return MISSING
        try:
            return parse(raw)
        except (ValueError, IndexError, OSError):
            print(f"    {say('again', lang)}")


def parse_scalar(schema: dict[str, Any]) -> Callable[[str], Any]:
    kind = schema.get("type")
    if kind == "integer":
        return int
    if kind == "number":
        return float
    if kind == "boolean":
        return lambda raw: {"y": True, "yes": True, "ใช่": True, "n": False, "no": False, "ไม่ใช่": False}[
            raw.lower()
        ]
    return str


def choices(
    field: UiField, schema: dict[str, Any], lang: str, form: dict[str, Any] | None = None
) -> list[tuple[Any, str]]:
    """The field's choices as (value, label): the UI's options, else the schema's enum."""
    if field["options"]:
        out = []
        for option in field["options"]:
            hint = text(option.get("hint"), lang)
            out.append((option["value"], text(option["label"], lang) + (f" — {hint}" if hint else "")))
        return out
    items = resolve(form or {}, schema.get("items", {})) if schema.get("type") == "array" else schema
    return [(value, str(value)) for value in items.get("enum", [])]


def pick(options: list[tuple[Any, str]], raw: str) -> Any:
    number = int(raw)
    if not 1 <= number <= len(options):
        raise ValueError(raw)
    return options[number - 1][0]


class Asker:
    """Asks each field on stdin, uploading files through the client."""

    def __init__(self, api: Client, tenant: str, service_id: str, form: dict[str, Any], lang: str):
        self.api, self.tenant, self.service_id, self.form, self.lang = api, tenant, service_id, form, lang

    def field(self, field: UiField, schema: dict[str, Any], needed: bool) -> Any:
        lang = self.lang
        options = choices(field, schema, lang, self.form)
        if field["widget"] == "file":
            return ask(say("files", lang), lambda raw: self.upload(field, schema, raw), needed, lang)
        if schema.get("type") == "array" and options:
            return ask(
                say("choose_many", lang),
                lambda raw: [pick(options, part.strip()) for part in raw.split(",")],
                needed,
                lang,
            )
        if options:
            return ask(say("choose", lang), lambda raw: pick(options, raw), needed, lang)
        if field["widget"] == "map-pin":
            return ask(say("point", lang), point, needed, lang)
        if field["item_fields"]:
            count = ask(say("count", lang), int, needed, lang)
            return MISSING if count is MISSING else [self.item(field, n) for n in range(count)]
        if schema.get("type") == "boolean":
            return ask(say("yes_no", lang), parse_scalar(schema), needed, lang)
        if field.get("parts"):
            return self.parts(field, schema, needed)
        if schema.get("type") == "object" or "properties" in schema:
            return self.object(schema, needed)
        return ask("", parse_scalar(schema), needed, lang)

    def item(self, field: UiField, number: int) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        print(f"    [{text(field.get('item_label'), self.lang) or '#'} {number + 1}]")
        item_schema = resolve(self.form, schema_at(self.form, field["pointer"]).get("items", {}))
        for inner in field["item_fields"]:
            inner_schema = resolve(
                self.form, item_schema.get("properties", {}).get(parts(inner["pointer"])[-1], {})
            )
            print(f"    {text(inner['label'], self.lang)}")
            value = self.field(inner, inner_schema, False)
            if value is not MISSING:
                put(answers, inner["pointer"], value)
        return answers

    def parts(self, field: UiField, schema: dict[str, Any], needed: bool) -> Any:
        """An address: each part by its label, in the order the portal asks them."""
        schema = resolve(self.form, schema)
        answers: dict[str, Any] = {}
        for part in field.get("parts", []):
            name = part["name"]
            inner = resolve(self.form, schema.get("properties", {}).get(name, {}))
            must = needed and name in schema.get("required", [])
            print(f"    {text(part['label'], self.lang)}{' *' if must else ''}")
            value = ask("", parse_scalar(inner), must, self.lang)
            if value is not MISSING:
                answers[name] = value
        return answers or MISSING

    def object(self, schema: dict[str, Any], needed: bool) -> Any:
        """An object without its own widget (an address): each of its properties in turn."""
        answers: dict[str, Any] = {}
        for name, inner in schema.get("properties", {}).items():
            inner = resolve(self.form, inner)
            print(f"    {inner.get('title', name)}{' *' if name in schema.get('required', []) else ''}")
            value = ask(name, parse_scalar(inner), needed and name in schema.get("required", []), self.lang)
            if value is not MISSING:
                answers[name] = value
        return answers or MISSING

    def upload(self, field: UiField, schema: dict[str, Any], raw: str, folder: Path | None = None) -> Any:
        """Upload the files at the comma-separated paths (relative to ``folder``); their descriptions."""
        stored = []
        for name in (part.strip() for part in raw.split(",") if part.strip()):
            path = (folder or Path.cwd()) / Path(name).expanduser()
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            attachment = field.get("attachment") or parts(field["pointer"])[-1]
            stored.append(
                self.api.upload(self.tenant, self.service_id, attachment, path.name, path.read_bytes(), kind)
            )
        return stored if schema.get("type") == "array" or "items" in schema else stored[0]


def point(raw: str) -> dict[str, Any]:
    latitude, longitude = (float(part) for part in raw.split(","))
    return {"type": "Point", "coordinates": [longitude, latitude]}


# The form -----------------------------------------------------------------------------------------


def shown_answer(field: UiField, value: Any, lang: str) -> str:
    if value is MISSING:
        return say("no_answer", lang)
    suffix = f" {text(field.get('suffix'), lang)}" if field.get("suffix") else ""
    if field["widget"] == "file":
        files = value if isinstance(value, list) else [value]
        return ", ".join(str(f.get("filename", f)) if isinstance(f, dict) else str(f) for f in files)
    if isinstance(value, bool) and not field["options"]:
        return {"th": ("ไม่ใช่", "ใช่"), "en": ("no", "yes")}[lang][value]
    labels = {json.dumps(v): label for v, label in choices(field, {}, lang)}
    if isinstance(value, list) and labels and all(json.dumps(v) in labels for v in value):
        return ", ".join(labels[json.dumps(v)] for v in value)
    if json.dumps(value) in labels:
        return labels[json.dumps(value)]
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return f"{value}{suffix}"


def ask_step(
    document: ServiceDocument,
    step: Step,
    lang: str,
    asker: Asker,
    data: dict[str, Any],
    answers: dict[str, Any] | None,
    folder: Path | None,
) -> dict[str, Any]:
    """Print one step's fields; take each answer from ``answers`` or ask it. Returns the step's answers."""
    form = document["form"]
    given: dict[str, Any] = {}
    for field in step["fields"]:
        so_far = merged(data, given)
        if not shown(field.get("when"), so_far):
            continue
        needed = required(form, field["pointer"], so_far)
        mark = " *" if needed else ""
        print(f"\n{text(field['label'], lang)}{mark}")
        if field.get("help"):
            print(f"  ({text(field.get('help'), lang)})")
        schema = schema_at(form, field["pointer"])
        options = choices(field, schema, lang, form)
        for index, (_, label) in enumerate(options, 1):
            print(f"  {index}) {label}")
        if answers is None:
            value = asker.field(field, schema, needed)
        else:
            value = get(answers, field["pointer"])
            if field["widget"] == "file" and paths(value):
                # Files named by their paths in the answers: uploaded now, their descriptions sent.
                value = asker.upload(field, schema, ",".join(paths(value)), folder)
            print(f"  → {shown_answer(field, value, lang)}")
        if value is not MISSING:
            put(given, field["pointer"], value)
    return given


def fill(
    api: Client,
    tenant: str,
    document: ServiceDocument,
    lang: str,
    asker: Asker,
    answers: dict[str, Any] | None,
    folder: Path | None,
) -> Draft:
    """Fill a draft on the server step by step, as the portal's pages do: each step is checked when it
    is saved, and the server says which steps the answers so far ask for. A refused step is asked
    again (its problems printed first); with ``answers`` it raises :class:`ValidationFailed`.
    """
    steps = {step["id"]: step for step in document["ui"]["steps"]}
    print(f"\n{text(document['title'], lang)} ({document['id']} {document['version']})")
    print(text(document["summary"], lang))
    draft: Draft = api.create_draft(tenant, document["id"])
    print(f"{say('draft', lang)}: {draft['id']}")
    done: list[str] = []
    while step_id := next((s["id"] for s in draft["steps"] if s["id"] not in done), None):
        step = steps[step_id]
        number = [s["id"] for s in draft["steps"]].index(step_id) + 1
        print(f"\n== {say('step', lang)} {number}/{len(draft['steps'])}: {text(step['title'], lang)} ==")
        if step.get("description"):
            print(text(step.get("description"), lang))
        while True:
            given = ask_step(document, step, lang, asker, draft["answers"], answers, folder)
            try:
                draft = api.save_step(tenant, document["id"], draft["id"], step_id, given)
            except ValidationFailed as refused:
                if answers is not None:
                    raise
                print(f"\n{say('refused_step', lang)}")
                print_problems(document, refused, lang)
                continue
            break
        done.append(step_id)
    print(f"\n({say('required', lang)})")
    return draft


def print_problems(document: ServiceDocument, refused: ValidationFailed, lang: str) -> None:
    """Each wrong answer with its field's label, as the portal's error summary lists them."""
    for error in refused.errors:
        print(f"  - {label_of(document, error.pointer, lang)} ({error.pointer}): {error.message(lang)}")
    if not refused.errors:
        print(f"  - {refused.message_th if lang == 'th' and refused.message_th else refused.message}")


def paths(value: Any) -> list[str]:
    """The file paths an answers file gives for a file field (a path or a list of them), else none."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return []


def label_of(document: ServiceDocument, pointer: str, lang: str) -> str:
    """The label of the field whose answer holds ``pointer`` (the nearest one above it)."""
    best: tuple[int, str] = (-1, pointer)
    for step in document["ui"]["steps"]:
        for field in step["fields"]:
            own = field["pointer"]
            if (pointer == own or pointer.startswith(own + "/")) and len(own) > best[0]:
                best = (len(own), text(field["label"], lang))
    return best[1]


THAI_MONTHS = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
]


def when(moment: str, lang: str) -> str:
    """An ISO time as Thailand reads it: ``5 ธ.ค. 2569 07:43 น.`` (Buddhist Era), or ``5 Dec 2026 07:43``."""
    local = datetime.fromisoformat(moment).astimezone(timezone(timedelta(hours=7)))
    if lang == "th":
        return f"{local.day} {THAI_MONTHS[local.month - 1]} {local.year + 543} {local:%H:%M} น."
    return f"{local.day} {local:%b %Y %H:%M}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service", help="the service's id, e.g. complaint")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the platform runs")
    parser.add_argument("--tenant", default="maehia", help="the municipality's slug")
    parser.add_argument("--lang", choices=("th", "en"), default="th", help="the language of labels")
    parser.add_argument("--answers", type=Path, help="a JSON file of the form's data: ask nothing")
    options = parser.parse_args(argv)
    lang: str = options.lang
    with Client(options.base_url) as api:
        try:
            document = api.service(options.tenant, options.service)
            answers = json.loads(options.answers.read_text(encoding="utf-8")) if options.answers else None
            asker = Asker(api, options.tenant, options.service, document["form"], lang)
            folder = options.answers.parent if options.answers else None
            draft = fill(api, options.tenant, document, lang, asker, answers, folder)
            receipt = api.submit_draft(options.tenant, options.service, draft["id"])
        except ValidationFailed as refused:
            print(f"\n{say('refused', lang)}")
            print_problems(document, refused, lang)
            return 2
        except OSError as error:  # a file named in the answers that cannot be read
            print(f"\n{error}")
            return 1
        except ApiError as error:
            print(
                f"\n{error.status} {error.code}: {error.message_th if lang == 'th' and error.message_th else error.message}"
            )
            return 1
        print(f"\n{say('reference', lang)}: {receipt.reference}")
        print(f"{say('token', lang)}: {receipt.tracking_token}")
        tracked = api.track(options.tenant, receipt.reference)
        print(f"{say('status', lang)}: {text(tracked['status_title'], lang)} ({tracked['status']})")
        print(text(tracked["applicant_message"], lang))
        print(f"{say('history', lang)}:")
        for entry in tracked["history"]:
            moment = when(entry["at"], lang)
            print(f"  {moment}  {text(entry['action_title'], lang)} → {text(entry['to_title'], lang)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
