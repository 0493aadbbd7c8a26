"""The form renderer: a UI step + the form schema + the answers + errors -> fields to show, and back.

Two directions, both pure (no Flask, no database):

- :func:`parse_step` reads what a browser posted for one step into the form data: dates
  typed in the Buddhist Era become ISO dates, Thai digits and the spaces and dashes people
  type in ID and phone numbers are removed, numbers become numbers, option codes get their
  JSON types back. Answers that cannot be understood (``31/02/2568``, ``abc`` as a number)
  are reported as problems and kept as typed, so the citizen sees them again.
- :func:`step_view` builds what the templates in ``renderers/templates/forms`` lay out:
  one :class:`FieldView` per visible field, with its label, hint, value, options, parts
  (date, address, map pin), files, repeated items, ids for ``aria-describedby`` and the
  error next to it; :func:`summary_links` gives the error summary's links to those ids.

Visibility follows the ``when`` conditions of ui.json (JSON Schemas over the whole data):
:func:`visible_steps` and :func:`prune_hidden` decide on the server what was asked, and
hidden answers are dropped before validation. Per-step validation runs the whole form's
validator and keeps the errors that belong to the step's fields (:func:`step_errors`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from engine import jsonpointer, thaidate
from engine.definitions import ServiceDefinition, schemas
from engine.definitions.model import AttachmentSpec, Step, UiField
from engine.forms import FieldError
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
    prune_hidden,
    remove_value,
    set_value,
    step_errors,
    step_of_error,
    under,
    visible_steps,
)
from engine.thaidate import BUDDHIST_ERA_OFFSET, MONTHS_EN, MONTHS_LONG, MONTHS_SHORT, buddhist_year

# --- how the browser names things -----------------------------------------------------------

PART_SEPARATOR = "|"  # date parts and map coordinates: ``/complaint/incident_date|day``
COUNT_SUFFIX = "|count"  # a repeat's number of items on the page
ACTION = "action"  # the name of every submit button; its value says what to do

CONTINUE = "continue"
SAVE = "save"
UPLOAD = "upload"
REMOVE_FILE = "remove-file"
ADD_ITEM = "add-item"
REMOVE_ITEM = "remove-item"
SWITCH_LANGUAGE = "lang"  # the header's language button on a form page: save what is typed, then switch

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_ID_NOISE = re.compile(r"[\s\-.]")
_PHONE_NOISE = re.compile(r"[\s\-.()]")
_PARSERS_WITH_PARTS = {"date", "map-pin", "thai-address"}  # widgets read from several inputs
# Date parts in the GOV.UK order for Thailand: day, month, year (Buddhist Era).
DATE_PARTS = ("day", "month", "year")
MIN_BE_YEAR = 2400  # a year below this was written in the Common Era (2568 BE = 2025 CE)


class FormData(Protocol):
    """What a posted form offers (werkzeug's ``MultiDict``, a dict of lists in tests)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


def field_id(pointer: str) -> str:
    """The HTML id of a field's (first) input: ``/operator/name/first_name`` -> ``f-operator-name-first_name``."""
    return "f" + "".join("-" + _ID_UNSAFE.sub("_", s) for s in jsonpointer.split(pointer))


def part_name(pointer: str, part: str) -> str:
    return f"{pointer}{PART_SEPARATOR}{part}"


def encode_option(value: Any) -> str:
    """An option's value as the browser sends it back (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def ascii_digits(text: str) -> str:
    """``text`` with Thai (๐–๙) and full-width digits as ASCII digits."""
    return thaidate.ascii_digits(text)


# --- messages of the renderer's own checks (the engine's say the rest) ---------------------

_MESSAGES: dict[str, tuple[str, str]] = {
    "date.incomplete": ("{label}ต้องระบุวัน เดือน และปี", "{label} must include a day, month and year"),
    "date.year_be": (
        "กรุณากรอกปีเป็นพุทธศักราช 4 หลัก เช่น {example}",
        "Enter the year in the Buddhist Era (4 digits), for example {example}",
    ),
    "map.incomplete": (
        "กรุณากรอกทั้งละติจูดและลองจิจูด หรือเว้นว่างทั้งสองช่อง",
        "Enter both the latitude and the longitude, or leave both empty",
    ),
    "number.latitude": ("ละติจูดต้องเป็นตัวเลข เช่น 18.7468", "The latitude must be a number, like 18.7468"),
    "number.longitude": ("ลองจิจูดต้องเป็นตัวเลข เช่น 98.9661", "The longitude must be a number, like 98.9661"),
}

# Parts of a Thai address: key, (Thai label, English label), autocomplete token, width class.
# The parts the shared type does not require are marked optional on the form (and never in red).
ADDRESS_OPTIONAL = frozenset({"moo", "village", "soi", "road"})
OPTIONAL_MARK = {"th": "(ถ้ามี)", "en": "(optional)"}
ADDRESS_PARTS: tuple[tuple[str, tuple[str, str], str, str], ...] = (
    ("house_no", ("บ้านเลขที่", "House number"), "address-line1", "quarter"),
    ("moo", ("หมู่ที่", "Village no. (Moo)"), "off", "quarter"),
    ("village", ("หมู่บ้านหรืออาคาร", "Village or building"), "address-line2", "half"),
    ("soi", ("ซอย", "Soi (lane)"), "off", "half"),
    ("road", ("ถนน", "Road"), "address-line3", "half"),
    ("province", ("จังหวัด", "Province"), "address-level1", "half"),
    ("district", ("อำเภอ/เขต", "District"), "address-level2", "half"),
    ("subdistrict", ("ตำบล/แขวง", "Sub-district"), "address-level3", "half"),
    ("postcode", ("รหัสไปรษณีย์", "Postcode"), "postal-code", "quarter"),
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
_MONTH_NAMES = {
    name.lower().rstrip("."): number
    for names in (MONTHS_LONG, MONTHS_SHORT, MONTHS_EN, tuple(m[:3] for m in MONTHS_EN))
    for number, name in enumerate(names, start=1)
}


def _problem(pointer: str, key: str, label: tuple[str, str], **values: Any) -> FieldError:
    th, en = _MESSAGES[key]
    return FieldError(
        pointer,
        engine_messages.thai_with_label(th, label[0]).format(**values),
        en.format(label=label[1], **values),
        key,
    )


def _engine_problem(
    pointer: str, keyword: str, value: Any, label: tuple[str, str], widget: str
) -> FieldError:
    th, en = engine_messages.render(keyword, value, label=label, widget=widget, instance=None, schema={})
    return FieldError(pointer, th, en, keyword)


def _label(ui_field: UiField) -> tuple[str, str]:
    return ui_field.label.th, ui_field.label.en


# --- parsing what the browser sent -----------------------------------------------------------


@dataclass
class ParsedStep:
    """The form data after one step's post, what could not be understood, and what was typed."""

    data: dict[str, Any]
    problems: list[FieldError] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)  # input name -> text to show again


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _schema_types(definition: ServiceDefinition, pointer: str) -> set[str]:
    return schemas.types_of(schemas.schemas_at(definition.form, pointer))


def _schema_format(definition: ServiceDefinition, pointer: str) -> str | None:
    for node in schemas.schemas_at(definition.form, pointer):
        if isinstance(node.get("format"), str):
            return node["format"]
    return None


def parse_number(text: str, integer: bool) -> int | float | None:
    """``1,200`` -> 1200, ``๑๒.๕`` -> 12.5; None when it is not a number (or not whole, for ``integer``)."""
    cleaned = re.sub(r"[\s,]", "", ascii_digits(text))
    if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", cleaned):
        return None
    number = float(cleaned)
    if number.is_integer():
        return int(number)
    return None if integer else number


def normalise_id(text: str) -> str:
    """A national or company ID as digits only: ``1-2345-67890-12-1`` -> ``1234567890121``."""
    return _ID_NOISE.sub("", ascii_digits(text))


def normalise_phone(text: str) -> str:
    """A Thai phone number as digits only; ``+66 81 234 5678`` -> ``0812345678``."""
    digits = _PHONE_NOISE.sub("", ascii_digits(text))
    if digits.startswith("+66"):
        digits = "0" + digits[3:]
    elif digits.startswith("66") and len(digits) in (10, 11):
        digits = "0" + digits[2:]
    return digits


def _normalise_text(definition: ServiceDefinition, ui_field: UiField, pointer: str, text: str) -> str:
    fmt = _schema_format(definition, pointer)
    if ui_field.widget == "national-id" or fmt == "thai-national-id":
        return normalise_id(text)
    if ui_field.widget == "phone" or fmt == "thai-phone":
        return normalise_phone(text)
    if fmt == "thai-postcode":
        return re.sub(r"\s", "", ascii_digits(text))
    if ui_field.widget == "textarea":
        return text.replace("\r\n", "\n")
    return text


def parse_date(day: str, month: str, year: str) -> tuple[str | None, str | None]:
    """Three inputs (year in the Buddhist Era) -> (ISO date, None) or (None, problem key).

    Problem keys: ``date.incomplete``, ``date.year_be``, ``format`` (no such day).
    """
    day, month, year = (ascii_digits(v).strip() for v in (day, month, year))
    if not (day and month and year):
        return None, "date.incomplete"
    month_number = int(month) if month.isdigit() else _MONTH_NAMES.get(month.lower().rstrip("."))
    if not (day.isdigit() and year.isdigit()) or month_number is None:
        return None, "format"
    if len(year) != 4 or int(year) < MIN_BE_YEAR:
        return None, "date.year_be"
    try:
        value = date(int(year) - BUDDHIST_ERA_OFFSET, month_number, int(day))
    except ValueError:
        return None, "format"
    return value.isoformat(), None


def wrong_date_parts(day: str, month: str, year: str) -> tuple[str, ...]:
    """Which of a date's three boxes an error is about; all three when it is about the whole date
    (no such day in that month, or a date outside what the question allows)."""
    day, month, year = (ascii_digits(v).strip() for v in (day, month, year))
    empty = tuple(key for key, text in zip(DATE_PARTS, (day, month, year), strict=True) if not text)
    if empty:
        return empty
    month_number = int(month) if month.isdigit() else _MONTH_NAMES.get(month.lower().rstrip("."))
    wrong = []
    if not day.isdigit() or not 1 <= int(day) <= 31:
        wrong.append("day")
    if month_number is None or not 1 <= month_number <= 12:
        wrong.append("month")
    if not year.isdigit() or len(year) != 4 or int(year) < MIN_BE_YEAR:
        wrong.append("year")
    return tuple(wrong) or DATE_PARTS


def _decode_option(ui_field: UiField, text: str) -> Any:
    for option in ui_field.options:
        if encode_option(option.value) == text:
            return option.value
    return text  # not one of ours: kept, so the validator names the problem


def _parse_field(
    definition: ServiceDefinition,
    ui_field: UiField,
    pointer: str,
    form: FormData,
    parsed: ParsedStep,
    today: date,
) -> tuple[bool, Any]:
    """(present, value) of one field as posted; problems and raw texts go into ``parsed``."""
    widget = ui_field.widget
    label = _label(ui_field)
    if widget not in _PARSERS_WITH_PARTS:
        if widget in ("select", "radio"):
            text = _text(form, pointer)
            return (True, _decode_option(ui_field, text)) if text else (False, None)
        if widget == "checkbox":
            return True, _text(form, pointer) in ("true", "on", "1", "yes")
        if widget == "checkboxes":
            chosen = [v for v in form.getlist(pointer) if isinstance(v, str) and v]
            return (True, [_decode_option(ui_field, v) for v in chosen]) if chosen else (False, None)
        text = _text(form, pointer)
        if not text:
            return False, None
        types = _schema_types(definition, pointer)
        if widget == "number" or ("string" not in types and types & {"number", "integer"}):
            integer = _declared_integer(definition, pointer)
            number = parse_number(text, integer)
            if number is None:
                parsed.raw[pointer] = text
                parsed.problems.append(
                    _engine_problem(pointer, "type", "integer" if integer else "number", label, widget)
                )
                return False, None
            return True, number
        return True, _normalise_text(definition, ui_field, pointer, text)
    if widget == "date":
        parts = {p: _text(form, part_name(pointer, p)) for p in DATE_PARTS}
        if not any(parts.values()):
            return False, None
        value, problem = parse_date(parts["day"], parts["month"], parts["year"])
        if problem is None:
            return True, value
        for part, text in parts.items():
            parsed.raw[part_name(pointer, part)] = text
        if problem == "format":
            parsed.problems.append(_engine_problem(pointer, "format", "date", label, widget))
        else:
            parsed.problems.append(_problem(pointer, problem, label, example=buddhist_year(today)))
        return False, None
    if widget == "map-pin":
        return _parse_map(pointer, form, parsed)
    return _parse_address(definition, pointer, form, parsed)


def _max_length(definition: ServiceDefinition, pointer: str) -> int | None:
    limits = [
        node["maxLength"] for node in schemas.schemas_at(definition.form, pointer) if "maxLength" in node
    ]
    return min(limits) if limits else None


LENGTH_HINT = ("พิมพ์ได้ไม่เกิน {limit:,} ตัวอักษร", "You can write up to {limit:,} characters")


def _declared_integer(definition: ServiceDefinition, pointer: str) -> bool:
    declared = {node.get("type") for node in schemas.schemas_at(definition.form, pointer) if "type" in node}
    return "integer" in declared and "number" not in declared


def _parse_map(pointer: str, form: FormData, parsed: ParsedStep) -> tuple[bool, Any]:
    lat_name, lon_name = part_name(pointer, "lat"), part_name(pointer, "lon")
    lat_text, lon_text = _text(form, lat_name), _text(form, lon_name)
    if lat_text and not lon_text and "," in lat_text:
        lat_text, _, lon_text = (
            t.strip() for t in lat_text.partition(",")
        )  # "18.7468, 98.9661" pasted whole
    if not lat_text and not lon_text:
        return False, None
    if not (lat_text and lon_text):
        parsed.raw.update({lat_name: lat_text, lon_name: lon_text})
        parsed.problems.append(_problem(pointer + "/coordinates", "map.incomplete", ("", "")))
        return False, None
    coordinates = []
    for text, axis, index in ((lon_text, "longitude", 0), (lat_text, "latitude", 1)):
        number = parse_number(text, integer=False)
        if number is None:
            parsed.raw.update({lat_name: lat_text, lon_name: lon_text})
            parsed.problems.append(_problem(f"{pointer}/coordinates/{index}", f"number.{axis}", ("", "")))
        coordinates.append(number)
    if any(c is None for c in coordinates):
        return False, None
    return True, {"type": "Point", "coordinates": coordinates}


def _parse_address(
    definition: ServiceDefinition, pointer: str, form: FormData, parsed: ParsedStep
) -> tuple[bool, Any]:
    address: dict[str, Any] = {}
    for key, labels, _autocomplete, _width in ADDRESS_PARTS:
        name = jsonpointer.child(pointer, key)
        text = _text(form, name)
        if not text:
            continue
        if key == "moo":
            number = parse_number(re.sub(r"^(หมู่(ที่)?|ม\.|moo)\s*", "", text, flags=re.IGNORECASE), True)
            if number is None:
                parsed.raw[name] = text
                parsed.problems.append(_engine_problem(name, "type", "integer", labels, "number"))
                continue
            address[key] = number
        elif key in ("postcode", "house_no"):
            address[key] = re.sub(r"\s+", "" if key == "postcode" else " ", ascii_digits(text))
        else:
            address[key] = text
    if not address and not any(n.startswith(pointer + "/") for n in parsed.raw):
        return False, None
    return bool(address), address


def _assign(data: dict[str, Any], pointer: str, present: bool, value: Any) -> None:
    if present:
        set_value(data, pointer, value)
    else:
        remove_value(data, pointer)


def _parse_repeat(
    definition: ServiceDefinition,
    ui_field: UiField,
    form: FormData,
    parsed: ParsedStep,
    current: Any,
    today: date,
) -> list[Any]:
    try:
        count = int(_text(form, ui_field.pointer + COUNT_SUFFIX) or "0")
    except ValueError:
        count = 0
    count = max(0, min(count, 200))  # a tampered count cannot make us build a huge list
    previous = current if isinstance(current, list) else []
    items: list[Any] = []
    for index in range(count):
        item: dict[str, Any] = copy.deepcopy(previous[index]) if index < len(previous) else {}
        if not isinstance(item, dict):
            item = {}
        prefix = f"{ui_field.pointer}/{index}"
        for sub in ui_field.item_fields:
            if sub.widget in ("file", "repeat"):
                continue  # files and nested groups inside a repeated item are not supported
            present, value = _parse_field(definition, sub, prefix + sub.pointer, form, parsed, today)
            _assign(item, sub.pointer, present, value)
        items.append(drop_empty_objects(item))
    return items


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
    for ui_field in page_fields(step, data):
        if ui_field.widget == "file":
            continue
        if ui_field.widget == "repeat":
            current = jsonpointer.resolve(result.data, ui_field.pointer, None)
            items = _parse_repeat(definition, ui_field, form, result, current, moment)
            _assign(result.data, ui_field.pointer, True, items)
            continue
        present, value = _parse_field(definition, ui_field, ui_field.pointer, form, result, moment)
        _assign(result.data, ui_field.pointer, present, value)
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
        if ui_field.widget == "repeat" and isinstance(items, list):
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
    """A field as the templates lay it out; ``id`` is where the error summary links to."""

    widget: str
    id: str
    name: str
    pointer: str
    label: str
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
        return self.widget in ("radio", "checkboxes", "date", "thai-address", "map-pin", "repeat")


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


def _view(
    definition: ServiceDefinition,
    ui_field: UiField,
    pointer: str,
    data: Any,
    raw: Mapping[str, str],
    language: str,
    reveal: bool,
) -> FieldView:
    widget = ui_field.widget
    value = jsonpointer.resolve(data, pointer, None)
    view = FieldView(
        widget=widget,
        id=field_id(pointer),
        name=pointer,
        pointer=pointer,
        label=ui_field.label.get(language),
        hint=ui_field.help.get(language) if ui_field.help else None,
        suffix=ui_field.suffix.get(language) if ui_field.suffix else None,
        width=f"width-{ui_field.width}" if ui_field.width and ui_field.width != "full" else "",
        autocomplete=ui_field.autocomplete,
        value=raw.get(pointer, _value_text(value)),
        reveal=_simple_reveal(ui_field) if reveal else None,
    )
    if widget in ("select", "radio", "checkboxes"):
        chosen = {encode_option(v) for v in value} if isinstance(value, list) else {_value_text(value)}
        view.choices = [
            ChoiceView(
                id=view.id if index == 0 else f"{view.id}-{index + 1}",
                value=encode_option(option.value),
                label=option.label.get(language),
                hint=option.hint.get(language) if option.hint else None,
                checked=encode_option(option.value) in chosen and value is not None,
            )
            for index, option in enumerate(ui_field.options)
        ]
    elif widget == "textarea" and (limit := _max_length(definition, pointer)):
        # The limit is in the hint (without script); the page's script counts down as one types.
        said = LENGTH_HINT[1 if language == "en" else 0].format(limit=limit)
        view.hint = f"{view.hint} {said}" if view.hint else said
        view.maxlength = limit
    elif widget == "number":
        view.inputmode = "numeric" if _declared_integer(definition, pointer) else "decimal"
        view.spellcheck = False
    elif widget == "national-id":
        view.inputmode, view.spellcheck = "numeric", False
        view.autocomplete = view.autocomplete or "off"
    elif widget == "phone":
        view.input_type, view.inputmode = "tel", "tel"
        view.autocomplete = view.autocomplete or "tel"
    elif widget == "email":
        view.input_type, view.spellcheck = "email", False
        view.autocomplete = view.autocomplete or "email"
    elif widget == "checkbox":
        view.value = "true"
        view.choices = [ChoiceView(view.id, "true", view.label, None, value is True)]
    elif widget == "date":
        view.parts = _date_parts(view, pointer, value, raw, language)
        example = _DATE_EXAMPLE[1 if language == "en" else 0].format(year=buddhist_year(date.today()))
        view.hint = f"{view.hint} {example}" if view.hint else example
    elif widget == "thai-address":
        view.parts = _address_parts(pointer, value, raw, language)
    elif widget == "map-pin":
        view.parts = _map_parts(view, pointer, value, raw, language)
    elif widget == "file":
        spec = definition.service.attachment(ui_field.attachment or "")
        files = files_of(data, pointer)
        view.files = [
            FileView(str(f.get("id", "")), str(f.get("filename", "")), size_text(int(f.get("size") or 0)))
            for f in files
        ]
        if spec is not None:
            view.accept = ",".join(spec.accept)
            view.multiple = spec.max_files > 1
            view.can_add_files = len(files) < spec.max_files
            rules = attachment_rules(spec, language)
            view.hint = f"{view.hint} ({rules})" if view.hint else rules
    elif widget == "repeat":
        view.item_label = ui_field.item_label.get(language) if ui_field.item_label else view.label
        items = value if isinstance(value, list) else []
        view.items = [
            ItemView(
                index,
                f"{view.item_label} {index + 1}",
                [
                    _view(definition, sub, f"{pointer}/{index}{sub.pointer}", data, raw, language, False)
                    for sub in ui_field.item_fields
                    if sub.widget not in ("file", "repeat") and condition_holds(sub.when, data)
                ],
            )
            for index, _item in enumerate(items)
        ]
    return view


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


def _address_parts(pointer: str, value: Any, raw: Mapping[str, str], language: str) -> list[PartView]:
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
                + (
                    f" {OPTIONAL_MARK['en' if language == 'en' else 'th']}" if key in ADDRESS_OPTIONAL else ""
                ),
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
        anchor = view.id
        if view.choices:
            anchor = view.choices[0].id
        elif view.widget == "thai-address" and view.parts:
            anchor = view.parts[0].id
        found.append((view.pointer, anchor, view))
        if view.widget in ("thai-address", "map-pin"):
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
            if isinstance(target, FieldView) and target.widget == "date" and target.parts:
                wrong = wrong_date_parts(*(part.value for part in target.parts))
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


def too_many_files(pointer: str, spec: AttachmentSpec) -> FieldError:
    return FieldError(
        pointer,
        f"แนบไฟล์ได้ไม่เกิน {spec.max_files} ไฟล์ กรุณาลบไฟล์เดิมก่อน",
        f"You can attach at most {spec.max_files} files; remove one first",
        "maxItems",
    )
