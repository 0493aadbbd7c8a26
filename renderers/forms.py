"""The form renderer: a UI step + the form schema + the answers + errors -> fields to show, and back.

Two directions, both pure (no Flask, no database), each widget's part found in the widget
registry (:mod:`engine.forms.widgets`):

- :func:`parse_step` reads what a browser posted for one step into the form data, each field
  by its widget: dates typed in the Buddhist Era become ISO dates, Thai digits and the spaces
  and dashes people type in ID and phone numbers are removed, numbers become numbers, option
  codes get their JSON types back. Answers that cannot be understood (``31/02/2568``, ``abc``
  as a number) are reported as problems and kept as typed, so the citizen sees them again.
- :func:`step_view` builds what the templates in ``renderers/templates/forms`` lay out:
  one :class:`FieldView` per visible field, with its widget's macro, label, hint, value,
  options, parts (date, address, map pin), files, repeated items, ids for
  ``aria-describedby`` and the error next to it; :func:`attach_errors` gives the error
  summary's links to those ids. What a widget adds to its view is a shaper registered with
  :func:`shapes`.

Visibility follows the ``when`` conditions of ui.json (JSON Schemas over the whole data):
:func:`visible_steps` and :func:`prune_hidden` decide on the server what was asked, and
hidden answers are dropped before validation. Per-step validation runs the whole form's
validator and keeps the errors that belong to the step's fields (:func:`step_errors`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine import jsonpointer, thaidate
from engine.definitions import ServiceDefinition, schemas
from engine.definitions.model import AttachmentSpec, Step, UiField
from engine.forms import FieldError, widgets
from engine.forms import messages as engine_messages
from engine.forms.rules import (  # noqa: F401 (the form rules, re-exported for the pages)
    asked_fields,
    condition_holds,
    condition_pointers,
    depends_on_step,
    drop_empty_objects,
    errors_for,
    find_step,
    page_fields,
    problems_by_step,
    prune_hidden,
    step_errors,
    step_of_error,
    too_many_files,
    under,
    visible_steps,
)
from engine.forms.widgets import ADDRESS_PARTS as ADDRESS_LABELS
from engine.forms.widgets import (  # noqa: F401 (names the pages and tests have read here)
    COUNT_SUFFIX,
    DATE_PARTS,
    MIN_BE_YEAR,
    PART_SEPARATOR,
    encode_option,
    normalise_id,
    normalise_phone,
    parse_date,
    parse_number,
    part_name,
    wrong_date_parts,
)
from engine.forms.widgets import Posted as FormData
from engine.jsonpointer import remove_value, set_value
from engine.thaidate import buddhist_year

# --- how the browser names things -----------------------------------------------------------

ACTION = "action"  # the name of every submit button; its value says what to do

CONTINUE = "continue"
SAVE = "save"
UPLOAD = "upload"
REMOVE_FILE = "remove-file"
ADD_ITEM = "add-item"
REMOVE_ITEM = "remove-item"
SWITCH_LANGUAGE = "lang"  # the header's language button on a form page: save what is typed, then switch

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def field_id(pointer: str) -> str:
    """The HTML id of a field's (first) input: ``/operator/name/first_name`` -> ``f-operator-name-first_name``."""
    return "f" + "".join("-" + _ID_UNSAFE.sub("_", s) for s in jsonpointer.split(pointer))


def ascii_digits(text: str) -> str:
    """``text`` with Thai (๐–๙) and full-width digits as ASCII digits."""
    return thaidate.ascii_digits(text)


# --- what the pages say around the inputs ------------------------------------------------------

# The parts the shared type does not require are marked optional on the form (and never in red).
ADDRESS_OPTIONAL = frozenset({"moo", "village", "soi", "road"})
OPTIONAL_MARK = {"th": "(ถ้ามี)", "en": "(optional)"}
# How each part of a Thai address is typed: autocomplete token, width class.
_ADDRESS_LAYOUT = {
    "house_no": ("address-line1", "quarter"),
    "moo": ("off", "quarter"),
    "village": ("address-line2", "half"),
    "soi": ("off", "half"),
    "road": ("address-line3", "half"),
    "province": ("address-level1", "half"),
    "district": ("address-level2", "half"),
    "subdistrict": ("address-level3", "half"),
    "postcode": ("postal-code", "quarter"),
}
# Key, (Thai label, English label), autocomplete token, width class; in the order the form asks.
ADDRESS_PARTS: tuple[tuple[str, tuple[str, str], str, str], ...] = tuple(
    (key, labels, *_ADDRESS_LAYOUT[key]) for key, labels in ADDRESS_LABELS
)
DATE_LABELS = {
    "day": ("วันที่", "Day"),
    "month": ("เดือน", "Month"),
    "year": ("ปี พ.ศ.", "Year (Buddhist Era)"),
}
_DATE_EXAMPLE = (
    "กรอกปีเป็นพุทธศักราช เช่น 27 3 {year}",
    "Give the year in the Buddhist Era, for example 27 3 {year}",
)
MAP_LABELS = {"lat": ("ละติจูด", "Latitude"), "lon": ("ลองจิจูด", "Longitude")}


# --- parsing what the browser sent -----------------------------------------------------------


@dataclass
class ParsedStep:
    """The form data after one step's post, what could not be understood, and what was typed."""

    data: dict[str, Any]
    problems: list[FieldError] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)  # input name -> text to show again


def _max_length(definition: ServiceDefinition, pointer: str) -> int | None:
    limits = [
        node["maxLength"] for node in schemas.schemas_at(definition.form, pointer) if "maxLength" in node
    ]
    return min(limits) if limits else None


LENGTH_HINT = ("พิมพ์ได้ไม่เกิน {limit:,} ตัวอักษร", "You can write up to {limit:,} characters")


def _declared_integer(definition: ServiceDefinition, pointer: str) -> bool:
    return widgets.declared_integer(schemas.schemas_at(definition.form, pointer))


def _assign(data: dict[str, Any], pointer: str, present: bool, value: Any) -> None:
    if present:
        set_value(data, pointer, value)
    else:
        remove_value(data, pointer)


def parse_step(
    definition: ServiceDefinition,
    step: Step,
    form: FormData,
    data: Any,
    *,
    today: date | None = None,
) -> ParsedStep:
    """The form data with the answers of ``step`` replaced by what was posted.

    Only the fields the page showed are read; files are not (they are stored as they are
    uploaded, see :mod:`engine.services.uploads`). Answers of hidden steps and fields are
    not dropped here: call :func:`prune_hidden` on the result.
    """
    moment = today or date.today()
    result = ParsedStep(copy.deepcopy(data) if isinstance(data, dict) else {})

    def schema_at(pointer: str) -> list[dict[str, Any]]:
        return schemas.schemas_at(definition.form, pointer)

    for ui_field in page_fields(step, data):
        current = jsonpointer.resolve(result.data, ui_field.pointer, None)
        given = widgets.FieldInput(ui_field, ui_field.pointer, form, schema_at, moment, current)
        reading = widgets.get(ui_field.widget).parse(given)
        if reading is None:
            continue
        result.problems.extend(reading.problems)
        result.raw.update(reading.raw)
        _assign(result.data, ui_field.pointer, reading.present, reading.value)
    drop_empty_objects(result.data)
    return result


@dataclass(frozen=True)
class Action:
    """What the pressed button asks: continue, save, upload, remove a file, add or remove an item."""

    verb: str
    pointer: str = ""
    argument: str = ""


def parse_action(value: str | None) -> Action:
    """``remove-file:/attachments/id_card:ATTACHMENT_ID`` -> Action(remove-file, pointer, id)."""
    text = value or CONTINUE
    verb, _, rest = text.partition(":")
    if verb in (REMOVE_FILE, REMOVE_ITEM):
        pointer, _, argument = rest.rpartition(":")
        return Action(verb, pointer, argument)
    if verb in (UPLOAD, ADD_ITEM):
        return Action(verb, rest)
    if verb == SWITCH_LANGUAGE and rest in ("th", "en"):
        return Action(verb, argument=rest)
    return Action(SAVE if verb == SAVE else CONTINUE)


def add_item(data: dict[str, Any], pointer: str) -> None:
    items = jsonpointer.resolve(data, pointer, None)
    set_value(data, pointer, [*(items if isinstance(items, list) else []), {}])


def remove_item(data: dict[str, Any], pointer: str, index: int) -> None:
    items = jsonpointer.resolve(data, pointer, None)
    if isinstance(items, list) and 0 <= index < len(items):
        del items[index]


def drop_empty_items(definition: ServiceDefinition, step: Step, data: dict[str, Any]) -> None:
    """Remove repeated items the citizen left completely empty (when moving on)."""
    for ui_field in step.fields:
        items = jsonpointer.resolve(data, ui_field.pointer, None)
        if widgets.get(ui_field.widget).repeats and isinstance(items, list):
            items[:] = [item for item in items if item not in ({}, None)]
            if not items:
                remove_value(data, ui_field.pointer)


def files_of(data: Any, pointer: str) -> list[dict[str, Any]]:
    files = jsonpointer.resolve(data, pointer, None)
    return [f for f in files if isinstance(f, dict)] if isinstance(files, list) else []


def add_file(data: dict[str, Any], pointer: str, described: dict[str, Any]) -> None:
    set_value(data, pointer, [*files_of(data, pointer), described])


def remove_file(data: dict[str, Any], pointer: str, attachment_id: str) -> bool:
    """Take a file off a field's list; False when it was not there."""
    files = files_of(data, pointer)
    kept = [f for f in files if f.get("id") != attachment_id]
    if len(kept) == len(files):
        return False
    _assign(data, pointer, bool(kept), kept)
    return True


# --- what the templates show ---------------------------------------------------------------


@dataclass
class ChoiceView:
    id: str
    value: str
    label: str
    hint: str | None
    checked: bool

    @property
    def hint_id(self) -> str:
        return f"{self.id}-option-hint"  # not "-hint": the first option's id is the field's


@dataclass
class PartView:
    """One input of a group (a date's day, an address's road, a map pin's latitude)."""

    key: str
    id: str
    name: str
    pointer: str
    label: str
    value: str
    autocomplete: str | None = None
    inputmode: str | None = None
    width: str = ""
    maxlength: int | None = None
    error: str | None = None
    invalid: bool = False  # this box is what is wrong (a date's day, not its month and year)

    @property
    def describedby(self) -> str:
        return f"{self.id}-error" if self.error else ""


@dataclass
class FileView:
    id: str
    filename: str
    size: str


@dataclass
class ItemView:
    index: int
    legend: str
    fields: list[FieldView]


@dataclass
class FieldView:
    """A field as the templates lay it out: ``macro`` (of ``template``, else of
    ``forms/fields.html``) draws it; the error summary links to ``anchor``, else to ``id``."""

    widget: str
    id: str
    name: str
    pointer: str
    label: str
    macro: str = "text_input"
    template: str = ""
    hint: str | None = None
    maxlength: int | None = None  # long text: the most characters the answer may have
    error: str | None = None
    value: str = ""
    suffix: str | None = None
    width: str = ""
    input_type: str = "text"
    inputmode: str | None = None
    autocomplete: str | None = None
    spellcheck: bool | None = None
    choices: list[ChoiceView] = field(default_factory=list)
    parts: list[PartView] = field(default_factory=list)
    files: list[FileView] = field(default_factory=list)
    accept: str = ""
    multiple: bool = False
    can_add_files: bool = True
    items: list[ItemView] = field(default_factory=list)
    item_label: str = ""
    reveal: dict[str, str] | None = None  # data-* attributes for revealing by an answer on the page
    anchor: str = ""
    part_errors: bool = False  # an error about one part is shown next to that part
    # Given the parts' values, which boxes an error of the whole is about (a date's day, say).
    wrong_parts: Callable[..., tuple[str, ...]] | None = field(default=None, repr=False, compare=False)

    @property
    def hint_id(self) -> str:
        return f"{self.id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def suffix_id(self) -> str:
        return f"{self.id}-suffix"

    @property
    def describedby(self) -> str:
        ids = [self.hint_id] if self.hint else []
        if self.suffix:
            ids.append(self.suffix_id)
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def group(self) -> bool:
        """Whether the field is a group of inputs (fieldset and legend)."""
        return widgets.get(self.widget).fieldset


def size_text(size: int) -> str:
    """``1.4 MB``, ``231 KB`` (1 MB = 1024 × 1024 bytes, as phones count)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/heic": "HEIC",
}


def attachment_rules(spec: AttachmentSpec, language: str) -> str:
    """``PDF, JPG หรือ PNG ขนาดไม่เกิน 5 MB ต่อไฟล์ แนบได้สูงสุด 2 ไฟล์``."""
    labels = [TYPE_LABELS.get(t, t.rsplit("/", 1)[-1].upper()) for t in spec.accept]
    word_or = "or" if language == "en" else "หรือ"
    kinds = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} {word_or} {labels[-1]}"
    limit = size_text(spec.max_bytes).replace(".0 ", " ")
    if language == "en":
        text = f"{kinds}, at most {limit} each"
        return text + (f", up to {spec.max_files} files" if spec.max_files > 1 else "")
    text = f"ไฟล์ {kinds} ขนาดไม่เกิน {limit} ต่อไฟล์"
    return text + (f" แนบได้สูงสุด {spec.max_files} ไฟล์" if spec.max_files > 1 else "")


def _simple_reveal(ui_field: UiField) -> dict[str, str] | None:
    """The ``when`` of a field as one answer and its allowed values, for the page's script."""
    condition = ui_field.when
    path: list[str] = []
    while isinstance(condition, dict) and set(condition) <= {"properties", "required"}:
        properties = condition.get("properties") or {}
        if len(properties) != 1:
            return None
        name, condition = next(iter(properties.items()))
        path.append(name)
    if not isinstance(condition, dict) or not path:
        return None
    negate = False
    if set(condition) == {"not"}:
        negate, condition = True, condition["not"]
    if "const" in condition:
        values = [condition["const"]]
    elif "enum" in condition:
        values = list(condition["enum"])
    else:
        return None
    return {
        "pointer": jsonpointer.join(path),
        "values": json.dumps([encode_option(v) for v in values], ensure_ascii=False),
        "negate": "true" if negate else "false",
    }


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return encode_option(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class ViewContext:
    """What a widget's shaper may read to fill in its field's view."""

    definition: ServiceDefinition
    field: UiField
    pointer: str
    data: Any
    raw: Mapping[str, str]
    language: str
    value: Any

    @property
    def english(self) -> bool:
        return self.language == "en"

    def view_of(self, ui_field: UiField, pointer: str) -> FieldView:
        """The view of a field inside this one (a repeated item's)."""
        return _view(self.definition, ui_field, pointer, self.data, self.raw, self.language, False)


# A widget's shaper adds what its macro needs beyond label, hint and value (options, parts, files…).
ViewShaper = Callable[[FieldView, ViewContext], None]
_SHAPERS: dict[str, ViewShaper] = {}


def shapes(*names: str) -> Callable[[ViewShaper], ViewShaper]:
    """Register (as a decorator) what the widgets ``names`` add to their views."""

    def add(shaper: ViewShaper) -> ViewShaper:
        for name in names:
            _SHAPERS[name] = shaper
        return shaper

    return add


def _view(
    definition: ServiceDefinition,
    ui_field: UiField,
    pointer: str,
    data: Any,
    raw: Mapping[str, str],
    language: str,
    reveal: bool,
) -> FieldView:
    widget = widgets.get(ui_field.widget)
    value = jsonpointer.resolve(data, pointer, None)
    view = FieldView(
        widget=widget.name,
        id=field_id(pointer),
        name=pointer,
        pointer=pointer,
        label=ui_field.label.get(language),
        macro=widget.macro,
        template=widget.template or "",
        hint=ui_field.help.get(language) if ui_field.help else None,
        suffix=ui_field.suffix.get(language) if ui_field.suffix else None,
        width=f"width-{ui_field.width}" if ui_field.width and ui_field.width != "full" else "",
        autocomplete=ui_field.autocomplete,
        value=raw.get(pointer, _value_text(value)),
        reveal=_simple_reveal(ui_field) if reveal else None,
    )
    shaper = _SHAPERS.get(widget.name)
    if shaper is not None:
        shaper(view, ViewContext(definition, ui_field, pointer, data, raw, language, value))
    return view


def _choice_views(view: FieldView, context: ViewContext) -> list[ChoiceView]:
    value = context.value
    chosen = {encode_option(v) for v in value} if isinstance(value, list) else {_value_text(value)}
    return [
        ChoiceView(
            id=view.id if index == 0 else f"{view.id}-{index + 1}",
            value=encode_option(option.value),
            label=option.label.get(context.language),
            hint=option.hint.get(context.language) if option.hint else None,
            checked=encode_option(option.value) in chosen and value is not None,
        )
        for index, option in enumerate(context.field.options)
    ]


@shapes("select")
def _select(view: FieldView, context: ViewContext) -> None:
    view.choices = _choice_views(view, context)


@shapes("radio")
def _radios(view: FieldView, context: ViewContext) -> None:
    view.choices, view.input_type = _choice_views(view, context), "radio"


@shapes("checkboxes")
def _checkboxes(view: FieldView, context: ViewContext) -> None:
    view.choices, view.input_type = _choice_views(view, context), "checkbox"


@shapes("textarea")
def _long_text(view: FieldView, context: ViewContext) -> None:
    limit = _max_length(context.definition, context.pointer)
    if limit:
        # The limit is in the hint (without script); the page's script counts down as one types.
        said = LENGTH_HINT[1 if context.english else 0].format(limit=limit)
        view.hint = f"{view.hint} {said}" if view.hint else said
        view.maxlength = limit


@shapes("number")
def _number(view: FieldView, context: ViewContext) -> None:
    view.inputmode = "numeric" if _declared_integer(context.definition, context.pointer) else "decimal"
    view.spellcheck = False


@shapes("national-id")
def _national_id(view: FieldView, context: ViewContext) -> None:
    view.inputmode, view.spellcheck = "numeric", False
    view.autocomplete = view.autocomplete or "off"


@shapes("phone")
def _phone(view: FieldView, context: ViewContext) -> None:
    view.input_type, view.inputmode = "tel", "tel"
    view.autocomplete = view.autocomplete or "tel"


@shapes("email")
def _email(view: FieldView, context: ViewContext) -> None:
    view.input_type, view.spellcheck = "email", False
    view.autocomplete = view.autocomplete or "email"


@shapes("checkbox")
def _checkbox(view: FieldView, context: ViewContext) -> None:
    view.value = "true"
    view.choices = [ChoiceView(view.id, "true", view.label, None, context.value is True)]


@shapes("date")
def _date(view: FieldView, context: ViewContext) -> None:
    view.parts = _date_parts(view, context.pointer, context.value, context.raw, context.language)
    view.wrong_parts = wrong_date_parts
    example = _DATE_EXAMPLE[1 if context.english else 0].format(year=buddhist_year(date.today()))
    view.hint = f"{view.hint} {example}" if view.hint else example


@shapes("thai-address")
def _address(view: FieldView, context: ViewContext) -> None:
    optional = _address_optional(context.definition, context.pointer)
    view.parts = _address_parts(context.pointer, context.value, context.raw, context.language, optional)
    view.part_errors = True
    view.anchor = view.parts[0].id  # the fieldset has the field's id; the summary leads to the first box


@shapes("map-pin")
def _map_pin(view: FieldView, context: ViewContext) -> None:
    view.parts = _map_parts(view, context.pointer, context.value, context.raw, context.language)
    view.part_errors = True


@shapes("file")
def _files(view: FieldView, context: ViewContext) -> None:
    spec = context.definition.service.attachment(context.field.attachment or "")
    files = files_of(context.data, context.pointer)
    view.files = [
        FileView(str(f.get("id", "")), str(f.get("filename", "")), size_text(int(f.get("size") or 0)))
        for f in files
    ]
    if spec is not None:
        view.accept = ",".join(spec.accept)
        view.multiple = spec.max_files > 1
        view.can_add_files = len(files) < spec.max_files
        rules = attachment_rules(spec, context.language)
        view.hint = f"{view.hint} ({rules})" if view.hint else rules


@shapes("repeat")
def _repeat(view: FieldView, context: ViewContext) -> None:
    ui_field = context.field
    view.item_label = ui_field.item_label.get(context.language) if ui_field.item_label else view.label
    items = context.value if isinstance(context.value, list) else []
    view.items = [
        ItemView(
            index,
            f"{view.item_label} {index + 1}",
            [
                context.view_of(sub, f"{context.pointer}/{index}{sub.pointer}")
                for sub in ui_field.item_fields
                if widgets.get(sub.widget).in_items and condition_holds(sub.when, context.data)
            ],
        )
        for index, _item in enumerate(items)
    ]


def _date_parts(
    view: FieldView, pointer: str, value: Any, raw: Mapping[str, str], language: str
) -> list[PartView]:
    known: dict[str, str] = {}
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
            known = {"day": str(day.day), "month": str(day.month), "year": str(buddhist_year(day))}
        except ValueError:
            known = {}
    token = {"bday": "bday-"}.get(view.autocomplete or "", "")
    parts = []
    for key in DATE_PARTS:
        name = part_name(pointer, key)
        parts.append(
            PartView(
                key=key,
                id=view.id if key == "day" else f"{view.id}-{key}",
                name=name,
                pointer=pointer,
                label=DATE_LABELS[key][1 if language == "en" else 0],
                value=raw.get(name, known.get(key, "")),
                autocomplete=f"{token}{key}" if token else "off",
                inputmode="numeric",
                width="width-year" if key == "year" else "width-2",
                maxlength=4 if key == "year" else 2,
            )
        )
    return parts


def _address_optional(definition: ServiceDefinition, pointer: str) -> frozenset[str]:
    """The parts this field's shared type does not require: a site's house number may be one of them."""
    nodes = [node for node in schemas.schemas_at(definition.form, pointer) if "required" in node]
    if not nodes:
        return ADDRESS_OPTIONAL
    required = {str(name) for node in nodes for name in node["required"]}
    return frozenset(key for key, *_ in ADDRESS_PARTS if key not in required)


def _address_parts(
    pointer: str,
    value: Any,
    raw: Mapping[str, str],
    language: str,
    optional: frozenset[str] = ADDRESS_OPTIONAL,
) -> list[PartView]:
    address = value if isinstance(value, dict) else {}
    parts = []
    for key, labels, autocomplete, width in ADDRESS_PARTS:
        part_pointer = jsonpointer.child(pointer, key)
        parts.append(
            PartView(
                key=key,
                id=field_id(part_pointer),
                name=part_pointer,
                pointer=part_pointer,
                label=labels[1 if language == "en" else 0]
                + (f" {OPTIONAL_MARK['en' if language == 'en' else 'th']}" if key in optional else ""),
                value=raw.get(part_pointer, _value_text(address.get(key))),
                autocomplete=autocomplete,
                inputmode="numeric" if key in ("moo", "postcode") else None,
                width=f"width-{width}",
                maxlength=5 if key == "postcode" else None,
            )
        )
    return parts


def _map_parts(
    view: FieldView, pointer: str, value: Any, raw: Mapping[str, str], language: str
) -> list[PartView]:
    coordinates = value.get("coordinates") if isinstance(value, dict) else None
    lon, lat = [*coordinates, None, None][:2] if isinstance(coordinates, list) else (None, None)
    parts = []
    for key, index, number in (("lat", 1, lat), ("lon", 0, lon)):
        name = part_name(pointer, key)
        parts.append(
            PartView(
                key=key,
                id=view.id if key == "lat" else f"{view.id}-{key}",
                name=name,
                pointer=f"{pointer}/coordinates/{index}",
                label=MAP_LABELS[key][1 if language == "en" else 0],
                value=raw.get(name, _value_text(number)),
                autocomplete="off",
                inputmode="decimal",
                width="width-third",
            )
        )
    return parts


@dataclass(frozen=True)
class SummaryLink:
    href: str
    message: str


def _slots(views: Iterable[FieldView]) -> list[tuple[str, str, Any]]:
    """(pointer, anchor id, view or part) of everything an error can be shown next to."""
    found: list[tuple[str, str, Any]] = []
    for view in views:
        anchor = view.anchor or view.id
        if view.choices:
            anchor = view.choices[0].id
        found.append((view.pointer, anchor, view))
        if view.part_errors:
            found.extend((part.pointer, part.id, part) for part in view.parts)
        for item in view.items:
            found.extend(_slots(item.fields))
    return found


def _with_part_label(error: FieldError, part: PartView, language: str) -> str:
    """The engine names a part of a group "this answer"; name it by the part's label instead."""
    text = error.message_en if language == "en" else error.message_th
    default_th, default_en = engine_messages.DEFAULT_LABEL
    if language == "en":
        return text.replace(default_en, part.label).replace(
            engine_messages.lower_first(default_en), engine_messages.lower_first(part.label)
        )
    return text.replace(default_th, part.label)


def attach_errors(views: list[FieldView], errors: Iterable[FieldError], language: str) -> list[SummaryLink]:
    """Put each error next to its field (or part of a group); returns the summary's links in
    the order of the page."""
    slots = _slots(views)
    placed: list[tuple[int, SummaryLink]] = []
    for error in errors:
        matching = [(i, s) for i, s in enumerate(slots) if under(error.pointer, s[0])]
        if not matching:
            continue
        position, (_pointer, anchor, target) = max(matching, key=lambda m: len(m[1][0]))
        if isinstance(target, PartView):
            message = _with_part_label(error, target, language)
        else:
            message = error.message_en if language == "en" else error.message_th
        if target.error is None:
            target.error = message
            if isinstance(target, FieldView) and target.wrong_parts is not None and target.parts:
                wrong = target.wrong_parts(*(part.value for part in target.parts))
                for part in target.parts:
                    part.invalid = part.key in wrong
        placed.append((position, SummaryLink(f"#{anchor}", message)))
    return [link for _position, link in sorted(placed, key=lambda p: p[0])]


def merge_problems(problems: Sequence[FieldError], errors: Iterable[FieldError]) -> list[FieldError]:
    """The renderer's problems (an unreal date, a word for a number) and the validator's errors,
    without the validator's complaints about the answers those problems already explain."""
    kept = [
        e
        for e in errors
        if not any(under(e.pointer, p.pointer) or under(p.pointer, e.pointer) for p in problems)
    ]
    return [*problems, *kept]


def step_view(
    definition: ServiceDefinition,
    step: Step,
    data: Any,
    *,
    errors: Iterable[FieldError] = (),
    raw: Mapping[str, str] | None = None,
    language: str = "th",
) -> tuple[list[FieldView], list[SummaryLink]]:
    """The fields of a step's page and the error summary's links, in the order of the page."""
    views = [
        _view(definition, f, f.pointer, data, raw or {}, language, depends_on_step(f, step))
        for f in page_fields(step, data)
    ]
    links = attach_errors(views, errors, language)
    return views, links


def upload_problem(pointer: str, message_th: str, message_en: str) -> FieldError:
    return FieldError(pointer, message_th, message_en, "upload")
