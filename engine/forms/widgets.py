"""The widgets a ui.json asks with: one object per widget, in a registry (after Open Forms' registries).

A widget says which answers it can edit (JSON types, a format, shared types: ``thongthin
check`` refuses it on a field it cannot edit), how what a browser posted becomes its answer
(:meth:`Widget.parse`, with the problems only it can see, such as a 31 February), how an answer
reads on the check-your-answers page and the officer's desk (:meth:`Widget.answer_text`), a
sample answer for examples and previews, and the few facts the renderers need to draw it (the
name of its template macro, whether it is a group of inputs under one legend).

Nothing here knows HTML or Flask: the renderers keep the macros and look each widget up here,
so a new widget is one registered object plus its macro::

    @registry.register
    class Rating(Widget):
        name = "rating"
        accepts = Accepts(frozenset({"integer"}))
        macro = "rating"
        template = "forms/rating.html"

The meta-schema of ui.json lists the built-in widgets; a definition may name any registered one.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from engine import jsonpointer
from engine.definitions import schemas
from engine.errors import ThongthinError
from engine.forms import messages
from engine.forms.data_roles import address_line
from engine.forms.errors import FieldError
from engine.forms.formats import is_date
from engine.thaidate import (
    BUDDHIST_ERA_OFFSET,
    MONTHS_EN,
    MONTHS_LONG,
    MONTHS_SHORT,
    ascii_digits,
    buddhist_year,
    format_date,
)

if TYPE_CHECKING:
    from engine.definitions.model import UiField

# --- how a browser names the inputs of one answer -------------------------------------------

PART_SEPARATOR = "|"  # date parts and map coordinates: ``/complaint/incident_date|day``
COUNT_SUFFIX = "|count"  # a repeat's number of items on the page
# Date parts in the GOV.UK order for Thailand: day, month, year (Buddhist Era).
DATE_PARTS = ("day", "month", "year")
MIN_BE_YEAR = 2400  # a year below this was written in the Common Era (2568 BE = 2025 CE)
MAX_ITEMS = 200  # a tampered count cannot make a repeat build a huge list
# The parts of a Thai address in the order the form asks them, with their labels (Thai, English).
ADDRESS_PARTS: tuple[tuple[str, tuple[str, str]], ...] = (
    ("house_no", ("บ้านเลขที่", "House number")),
    ("moo", ("หมู่ที่", "Village no. (Moo)")),
    ("village", ("หมู่บ้านหรืออาคาร", "Village or building")),
    ("soi", ("ซอย", "Soi (lane)")),
    ("road", ("ถนน", "Road")),
    ("province", ("จังหวัด", "Province")),
    ("district", ("อำเภอ/เขต", "District")),
    ("subdistrict", ("ตำบล/แขวง", "Sub-district")),
    ("postcode", ("รหัสไปรษณีย์", "Postcode")),
)
_MOO_WORD = re.compile(r"^(หมู่(ที่)?|ม\.|moo)\s*", re.IGNORECASE)
_ID_NOISE = re.compile(r"[\s\-.]")
_PHONE_NOISE = re.compile(r"[\s\-.()]")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_MONTH_NAMES = {
    name.lower().rstrip("."): number
    for names in (MONTHS_LONG, MONTHS_SHORT, MONTHS_EN, tuple(m[:3] for m in MONTHS_EN))
    for number, name in enumerate(names, start=1)
}
_CHECKED = ("true", "on", "1", "yes")  # what browsers and scripts send for a ticked box


def part_name(pointer: str, part: str) -> str:
    return f"{pointer}{PART_SEPARATOR}{part}"


def encode_option(value: Any) -> str:
    """An option's value as the browser sends it back (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- reading what people type ----------------------------------------------------------------


def parse_number(text: str, integer: bool) -> int | float | None:
    """``1,200`` -> 1200, ``๑๒.๕`` -> 12.5; None when it is not a number (or not whole, for ``integer``)."""
    cleaned = re.sub(r"[\s,]", "", ascii_digits(text))
    if not _NUMBER.fullmatch(cleaned):
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


def normalise_postcode(text: str) -> str:
    return re.sub(r"\s", "", ascii_digits(text))


# Whatever widget asks for an answer of these formats, what people type around the digits goes.
FORMAT_CLEANERS: dict[str, Callable[[str], str]] = {
    "thai-national-id": normalise_id,
    "thai-phone": normalise_phone,
    "thai-postcode": normalise_postcode,
}


def _month_number(month: str) -> int | None:
    return int(month) if month.isdigit() else _MONTH_NAMES.get(month.lower().rstrip("."))


def parse_date(day: str, month: str, year: str) -> tuple[str | None, str | None]:
    """Three inputs (year in the Buddhist Era) -> (ISO date, None) or (None, problem key).

    Problem keys: ``date.incomplete``, ``date.year_be``, ``format`` (no such day).
    """
    day, month, year = (ascii_digits(v).strip() for v in (day, month, year))
    if not (day and month and year):
        return None, "date.incomplete"
    month_number = _month_number(month)
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
    month_number = _month_number(month)
    wrong = []
    if not day.isdigit() or not 1 <= int(day) <= 31:
        wrong.append("day")
    if month_number is None or not 1 <= month_number <= 12:
        wrong.append("month")
    if not year.isdigit() or len(year) != 4 or int(year) < MIN_BE_YEAR:
        wrong.append("year")
    return tuple(wrong) or DATE_PARTS


def declared_integer(nodes: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the schema asks for a whole number (and not any number)."""
    declared = {node.get("type") for node in nodes if "type" in node}
    return "integer" in declared and "number" not in declared


# --- writing answers for people ----------------------------------------------------------------

_WORDS: dict[str, dict[bool | None, str]] = {
    "th": {True: "ใช่", False: "ไม่ใช่", None: "ไม่ได้ระบุ"},
    "en": {True: "Yes", False: "No", None: "Not given"},
}


def _words(language: str) -> dict[bool | None, str]:
    return _WORDS["en" if language == "en" else "th"]


def group_national_id(value: str) -> str:
    """``1101700123456`` -> ``1-1017-00123-45-6``, as it is printed on the ID card."""
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) != 13:
        return value
    return f"{digits[0]}-{digits[1:5]}-{digits[5:10]}-{digits[10:12]}-{digits[12]}"


def group_phone(value: str) -> str:
    """``0812345678`` -> ``081-234-5678``; ``021234567`` -> ``02-123-4567``; ``053123456`` -> ``053-123-456``."""
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) == 10 and digits.startswith("0"):
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if len(digits) == 9 and digits.startswith("02"):
        return f"{digits[:2]}-{digits[2:5]}-{digits[5:]}"
    if len(digits) == 9 and digits.startswith("0"):
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return value


# --- the problems a widget finds before the validator sees the answer ------------------------

PROBLEMS: dict[str, tuple[str, str]] = {
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
NO_LABEL = ("", "")


def problem(pointer: str, key: str, label: tuple[str, str], **values: Any) -> FieldError:
    """One of :data:`PROBLEMS` about the answer at ``pointer``."""
    th, en = PROBLEMS[key]
    return FieldError(
        pointer,
        messages.thai_with_label(th, label[0]).format(**values),
        en.format(label=label[1], **values),
        key,
    )


# --- what a widget reads -------------------------------------------------------------------


class Posted(Protocol):
    """What a posted form offers (werkzeug's ``MultiDict``, a dict of lists in tests)."""

    # Two overloads, not one signature with a default: werkzeug's overloaded MultiDict.get
    # matches only this shape.
    @overload
    def get(self, key: str) -> Any: ...
    @overload
    def get(self, key: str, default: Any) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


@dataclass(frozen=True)
class FieldInput:
    """One field of a posted page, as its widget reads it.

    ``pointer`` is where the answer goes and the name of its input (a group's inputs add a
    part: ``|day``, ``/road``); ``schema_at`` finds the subschemas that describe the answer at
    a pointer of the whole form; ``current`` is the answer before this post.
    """

    field: UiField
    pointer: str
    posted: Posted
    schema_at: Callable[[str], list[dict[str, Any]]]
    today: date
    current: Any = None

    @property
    def label(self) -> tuple[str, str]:
        from engine.definitions.model import message_label  # the definitions package imports this module

        return message_label(self.field)

    def text(self, name: str | None = None) -> str:
        """What was typed into the input ``name`` (the field's own by default), trimmed."""
        value = self.posted.get(self.pointer if name is None else name)
        return value.strip() if isinstance(value, str) else ""

    @cached_property
    def schema(self) -> list[dict[str, Any]]:
        return self.schema_at(self.pointer)

    def types(self) -> set[str]:
        return schemas.types_of(self.schema)

    def format(self) -> str | None:
        for node in self.schema:
            if isinstance(node.get("format"), str):
                return str(node["format"])
        return None

    def integer(self) -> bool:
        return declared_integer(self.schema)

    def child(self, ui_field: UiField, pointer: str, current: Any = None) -> FieldInput:
        """A field inside this one (a repeated item's), read from the same post."""
        return FieldInput(ui_field, pointer, self.posted, self.schema_at, self.today, current)


@dataclass
class Reading:
    """A widget's answer from a post: whether there is one, its value, what could not be
    understood, and what was typed (input name -> text) to show again next to the problem."""

    present: bool
    value: Any = None
    problems: list[FieldError] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Accepts:
    """The answers a widget can edit: any of the JSON ``types``, of ``format`` when it needs one,
    and, when it is made for shared types (``refs``: names under ``urn:thongthin:types#/$defs/``),
    never a field of another shared type."""

    types: frozenset[str]
    format: str | None = None
    refs: frozenset[str] = frozenset()


NO_KEYS: Mapping[str, str] = MappingProxyType({})


# --- the widgets ---------------------------------------------------------------------------


class Widget:
    """One kind of question. Subclasses set the attributes and override what differs.

    The default reads one text box: empty is no answer, a number when the field holds numbers
    (``1,200``, Thai digits), else the text cleaned as its format asks (ID and phone numbers
    without spaces and dashes).
    """

    name: str = ""
    accepts: Accepts = Accepts(frozenset({"string"}))
    # Drawing: the macro of renderers/templates/forms/fields.html (or of ``template``, for a
    # widget that brings its own), and whether it is a group of inputs under one legend.
    macro: str = "text_input"
    template: str | None = None
    fieldset: bool = False
    numeric: bool = False  # always read as a number, whatever the schema says
    composite: bool = False  # edits a whole object or list, so it also covers the fields inside it
    files: bool = False  # the answer is the list of files uploaded for it, stored as they come
    multiple: bool = False  # the answer is a list of the chosen options
    repeats: bool = False  # the answer is a list of items, each asked with the field's item_fields
    in_items: bool = True  # may be asked inside a repeated item
    missing_by_part: bool = False  # a missing answer is reported once per part it needs
    uses_map: bool = False  # its page loads the map
    roles: frozenset[str] = frozenset()  # the data roles (service.json) whose answer it can give
    # Keyword -> key of engine.forms.messages.TEMPLATES, where this widget words a problem its own way.
    message_keys: Mapping[str, str] = NO_KEYS
    # How an action's input form (renderers.inputs) draws it; None follows the input's schema.
    input_kind: str | None = None
    example: Any = "ตัวอย่าง"
    # The schema of a new field of this widget as the studio adds it (None: the studio builds it
    # from more than the widget, e.g. a choice's options or a group's items).
    new_field: Mapping[str, Any] | None = None

    def parse(self, given: FieldInput) -> Reading | None:
        """The answer ``given`` posts; None when a post does not carry it (files come on their own)."""
        text = given.text()
        if not text:
            return Reading(False)
        types = given.types()
        if self.numeric or ("string" not in types and types & {"number", "integer"}):
            integer = given.integer()
            number = parse_number(text, integer)
            if number is None:
                wrong = self.keyword_problem(
                    given.pointer, "type", "integer" if integer else "number", given.label
                )
                return Reading(False, problems=[wrong], raw={given.pointer: text})
            return Reading(True, number)
        return Reading(True, self.clean(text, given.format()))

    def clean(self, text: str, fmt: str | None) -> str:
        """Typed text as the answer to keep."""
        cleaner = FORMAT_CLEANERS.get(fmt or "")
        return cleaner(text) if cleaner else text

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        """How an answer reads to people; None for the plain reading (see :func:`answer_text`)."""
        return None

    def sample(self, ui_field: UiField) -> Any:
        """An answer the widget gives, for example submissions and previews."""
        return copy.deepcopy(self.example)

    def keyword_problem(self, pointer: str, keyword: str, value: Any, label: tuple[str, str]) -> FieldError:
        """The validator's message for ``keyword``, found before validating (a word for a number)."""
        th, en = messages.render(
            keyword, value, label=label, widget_keys=self.message_keys, instance=None, schema={}
        )
        return FieldError(pointer, th, en, keyword)


class UnknownWidget(ThongthinError, LookupError):
    def __init__(self, name: str, known: Sequence[str]):
        self.name = name
        super().__init__(f"no widget {name!r} is registered (registered: {', '.join(known)})")


class DuplicateWidget(ThongthinError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"widget {name!r} is registered twice")


W = TypeVar("W", bound=type[Widget])


class Registry:
    """Widgets by name, in the order they were registered."""

    def __init__(self) -> None:
        self._widgets: dict[str, Widget] = {}

    def register(self, kind: W) -> W:
        """Register one ``kind()`` under its name (usable as a class decorator); raises
        :class:`DuplicateWidget` when the name is taken."""
        widget = kind()
        if not widget.name:
            raise ValueError(f"{kind.__name__} has no name")
        if widget.name in self._widgets:
            raise DuplicateWidget(widget.name)
        self._widgets[widget.name] = widget
        return kind

    def unregister(self, name: str) -> None:
        self._widgets.pop(name, None)

    def get(self, name: str) -> Widget:
        """Raises :class:`UnknownWidget` for a name nobody registered."""
        try:
            return self._widgets[name]
        except KeyError:
            raise UnknownWidget(name, self.names()) from None

    def find(self, name: str | None) -> Widget | None:
        return self._widgets.get(name) if name is not None else None

    def names(self) -> list[str]:
        return list(self._widgets)

    def for_role(self, role: str) -> list[Widget]:
        """The widgets that can give the answer of the data role ``role``."""
        return [w for w in self._widgets.values() if role in w.roles]

    def __contains__(self, name: object) -> bool:
        return name in self._widgets

    def __iter__(self) -> Iterator[Widget]:
        return iter(list(self._widgets.values()))


registry = Registry()


def get(name: str) -> Widget:
    """The registered widget ``name``; raises :class:`UnknownWidget`."""
    return registry.get(name)


def find(name: str | None) -> Widget | None:
    return registry.find(name)


def answer_text(ui_field: UiField, value: Any, language: str = "th") -> str:
    """An answer as people read it: option labels instead of codes, dates in the Buddhist Era,
    addresses on one line, files by name, a map pin as latitude and longitude; yes or no, and
    numbers with their unit, whatever the widget."""
    words = _words(language)
    if value is None or value == "" or value == []:
        return words[None]
    widget = registry.find(ui_field.widget)
    own = widget.answer_text(ui_field, value, language) if widget else None
    if own is not None:
        return own
    if isinstance(value, bool):
        return words[value]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float):
        text = f"{value:,}"
        return f"{text} {ui_field.suffix.get(language)}" if ui_field.suffix else text
    return str(value)


def _option_labels(ui_field: UiField, language: str) -> dict[Any, str]:
    return {o.value: o.label.get(language) for o in ui_field.options}


def _decode_option(ui_field: UiField, text: str) -> Any:
    for option in ui_field.options:
        if encode_option(option.value) == text:
            return option.value
    return text  # not one of ours: kept, so the validator names the problem


@registry.register
class Text(Widget):
    name = "text"
    new_field = MappingProxyType({"type": "string", "minLength": 1, "maxLength": 200})


@registry.register
class Textarea(Widget):
    name = "textarea"
    new_field = MappingProxyType({"type": "string", "minLength": 1, "maxLength": 2000})
    macro = "textarea"
    input_kind = "textarea"
    example = "ข้อความตัวอย่างสำหรับทดสอบแบบคำขอ"

    def clean(self, text: str, fmt: str | None) -> str:
        if fmt in FORMAT_CLEANERS:
            return super().clean(text, fmt)
        return text.replace("\r\n", "\n")


@registry.register
class Number(Widget):
    name = "number"
    new_field = MappingProxyType({"type": "number"})
    accepts = Accepts(frozenset({"number", "integer"}))
    numeric = True
    example = 1


class _Choice(Widget):
    """One of the field's options, chosen by its code."""

    message_keys = MappingProxyType({"required": "required.choice"})

    def parse(self, given: FieldInput) -> Reading:
        text = given.text()
        return Reading(True, _decode_option(given.field, text)) if text else Reading(False)

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        labels = _option_labels(ui_field, language)
        return labels.get(value)

    def sample(self, ui_field: UiField) -> Any:
        return ui_field.options[0].value if ui_field.options else None


@registry.register
class Select(_Choice):
    name = "select"
    accepts = Accepts(frozenset({"string", "integer"}))
    macro = "select"


@registry.register
class Radio(_Choice):
    name = "radio"
    accepts = Accepts(frozenset({"string", "integer", "boolean"}))
    macro = "choices"
    fieldset = True
    input_kind = "radio"


@registry.register
class Checkbox(Widget):
    """One box to tick: ticked is true, anything else false (an unticked box sends nothing)."""

    name = "checkbox"
    new_field = MappingProxyType({"type": "boolean"})
    accepts = Accepts(frozenset({"boolean"}))
    macro = "checkbox"
    message_keys = MappingProxyType({"required": "required.confirm"})
    input_kind = "checkbox"
    example = True

    def parse(self, given: FieldInput) -> Reading:
        return Reading(True, given.text() in _CHECKED)


@registry.register
class Checkboxes(Widget):
    """Any number of the field's options; the options label the list's items."""

    name = "checkboxes"
    accepts = Accepts(frozenset({"array"}))
    macro = "choices"
    fieldset = True
    composite = True
    multiple = True
    message_keys = MappingProxyType({"required": "required.choice"})

    def parse(self, given: FieldInput) -> Reading:
        chosen = [v for v in given.posted.getlist(given.pointer) if isinstance(v, str) and v]
        if not chosen:
            return Reading(False)
        return Reading(True, [_decode_option(given.field, v) for v in chosen])

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        if not isinstance(value, list):
            return None
        labels = _option_labels(ui_field, language)
        return ", ".join(labels.get(v, str(v)) for v in value)

    def sample(self, ui_field: UiField) -> Any:
        return [ui_field.options[0].value] if ui_field.options else []


@registry.register
class Date(Widget):
    """Day, month and Buddhist-Era year in three boxes; stored as an ISO date."""

    name = "date"
    new_field = MappingProxyType({"type": "string", "format": "date"})
    accepts = Accepts(frozenset({"string"}), "date")
    macro = "date_input"
    fieldset = True
    roles = frozenset({"start_month"})
    input_kind = "date"
    example = "2027-01-15"

    def parse(self, given: FieldInput) -> Reading:
        parts = {p: given.text(part_name(given.pointer, p)) for p in DATE_PARTS}
        if not any(parts.values()):
            return Reading(False)
        value, key = parse_date(parts["day"], parts["month"], parts["year"])
        if key is None:
            return Reading(True, value)
        raw = {part_name(given.pointer, part): text for part, text in parts.items()}
        if key == "format":
            wrong = self.keyword_problem(given.pointer, "format", "date", given.label)
        else:
            wrong = problem(given.pointer, key, given.label, example=buddhist_year(given.today))
        return Reading(False, problems=[wrong], raw=raw)

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        return format_date(date.fromisoformat(value), language) if is_date(value) else None


@registry.register
class NationalId(Widget):
    name = "national-id"
    new_field = MappingProxyType({"type": "string", "format": "thai-national-id"})
    accepts = Accepts(frozenset({"string"}), "thai-national-id")
    roles = frozenset({"national_id"})
    example = "1101700230708"

    def clean(self, text: str, fmt: str | None) -> str:
        return normalise_id(text)

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        return group_national_id(value) if isinstance(value, str) else None


@registry.register
class Phone(Widget):
    name = "phone"
    new_field = MappingProxyType({"type": "string", "format": "thai-phone"})
    accepts = Accepts(frozenset({"string"}), "thai-phone")
    roles = frozenset({"phone"})
    example = "0812345678"

    def clean(self, text: str, fmt: str | None) -> str:
        return normalise_id(text) if fmt == "thai-national-id" else normalise_phone(text)

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        return group_phone(value) if isinstance(value, str) else None


@registry.register
class Email(Widget):
    name = "email"
    new_field = MappingProxyType({"type": "string", "format": "email", "maxLength": 254})
    accepts = Accepts(frozenset({"string"}), "email")
    roles = frozenset({"email"})
    example = "name@example.com"


@registry.register
class ThaiAddress(Widget):
    """A Thai address part by part (house number, moo, …, postcode)."""

    name = "thai-address"
    new_field = MappingProxyType({"$ref": "urn:thongthin:types#/$defs/thai-address"})
    # A building site may have no house number yet (thai-site-address): same parts, one fewer required.
    accepts = Accepts(frozenset({"object"}), refs=frozenset({"thai-address", "thai-site-address"}))
    macro = "address"
    fieldset = True
    composite = True
    missing_by_part = True
    roles = frozenset({"address", "premises_address"})

    def parse(self, given: FieldInput) -> Reading:
        reading = Reading(False)
        address: dict[str, Any] = {}
        for key, labels in ADDRESS_PARTS:
            name = jsonpointer.child(given.pointer, key)
            text = given.text(name)
            if not text:
                continue
            if key == "moo":
                number = parse_number(_MOO_WORD.sub("", text), True)
                if number is None:
                    reading.raw[name] = text
                    reading.problems.append(self.keyword_problem(name, "type", "integer", labels))
                    continue
                address[key] = number
            elif key in ("postcode", "house_no"):
                address[key] = re.sub(r"\s+", "" if key == "postcode" else " ", ascii_digits(text))
            else:
                address[key] = text
        reading.present, reading.value = bool(address), address or None
        return reading

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        return address_line(value, language) if isinstance(value, dict) else None

    def sample(self, ui_field: UiField) -> Any:
        return {
            "house_no": "99",
            "moo": 1,
            "subdistrict": "แม่เหียะ",
            "district": "เมืองเชียงใหม่",
            "province": "เชียงใหม่",
            "postcode": "50100",
        }


@registry.register
class MapPin(Widget):
    """A point on the map (GeoJSON), or its latitude and longitude typed in."""

    name = "map-pin"
    new_field = MappingProxyType({"$ref": "urn:thongthin:types#/$defs/geo-point"})
    accepts = Accepts(frozenset({"object"}), refs=frozenset({"geo-point"}))
    macro = "map_pin"
    fieldset = True
    composite = True
    uses_map = True
    roles = frozenset({"location"})
    message_keys = MappingProxyType({"required": "required.map"})

    def parse(self, given: FieldInput) -> Reading:
        lat_name, lon_name = part_name(given.pointer, "lat"), part_name(given.pointer, "lon")
        lat_text, lon_text = given.text(lat_name), given.text(lon_name)
        if lat_text and not lon_text and "," in lat_text:  # "18.7468, 98.9661" pasted whole
            lat_text, _, lon_text = (t.strip() for t in lat_text.partition(","))
        if not lat_text and not lon_text:
            return Reading(False)
        typed = {lat_name: lat_text, lon_name: lon_text}
        if not (lat_text and lon_text):
            wrong = problem(given.pointer + "/coordinates", "map.incomplete", NO_LABEL)
            return Reading(False, problems=[wrong], raw=typed)
        reading = Reading(True)
        coordinates = []
        for text, axis, index in ((lon_text, "longitude", 0), (lat_text, "latitude", 1)):
            number = parse_number(text, integer=False)
            if number is None:
                reading.raw.update(typed)
                reading.problems.append(
                    problem(f"{given.pointer}/coordinates/{index}", f"number.{axis}", NO_LABEL)
                )
            coordinates.append(number)
        if reading.problems:
            reading.present = False
        else:
            reading.value = {"type": "Point", "coordinates": coordinates}
        return reading

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        if not isinstance(value, dict):
            return None
        lon, lat = (value.get("coordinates") or [None, None])[:2]
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            return f"{lat:.6f}, {lon:.6f}"
        return _words(language)[None]

    def sample(self, ui_field: UiField) -> Any:
        return {"type": "Point", "coordinates": [98.96, 18.74]}


@registry.register
class File(Widget):
    """Files of the field's attachment (service.json), each stored the moment it is uploaded."""

    name = "file"
    new_field = MappingProxyType({"$ref": "urn:thongthin:types#/$defs/attachments"})
    accepts = Accepts(frozenset({"array"}), refs=frozenset({"attachments"}))
    macro = "file_upload"
    composite = True
    files = True
    in_items = False
    message_keys = MappingProxyType({"required": "required.file", "minItems": "minItems.file"})
    input_kind = "file"

    def parse(self, given: FieldInput) -> None:
        return None

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        if not isinstance(value, list):
            return None
        return ", ".join(str(item.get("filename", "")) for item in value if isinstance(item, dict))

    def sample(self, ui_field: UiField) -> Any:
        # One file as the platform describes what it stored.
        return [
            {
                "id": "blob_example0001",
                "filename": "ตัวอย่าง.pdf",
                "content_type": "application/pdf",
                "size": 1024,
            }
        ]


@registry.register
class Repeat(Widget):
    """The same questions (``item_fields``) once per item; the page posts how many items it shows."""

    name = "repeat"
    accepts = Accepts(frozenset({"array"}))
    macro = "repeat"
    fieldset = True
    composite = True
    repeats = True
    in_items = False  # one level of items only: a page of nested groups is no page for a phone

    def parse(self, given: FieldInput) -> Reading:
        try:
            count = int(given.text(given.pointer + COUNT_SUFFIX) or "0")
        except ValueError:
            count = 0
        count = max(0, min(count, MAX_ITEMS))
        previous = given.current if isinstance(given.current, list) else []
        reading = Reading(True, [])
        for index in range(count):
            # What the page does not ask of an item (a file, say) is kept from before.
            item: Any = copy.deepcopy(previous[index]) if index < len(previous) else {}
            if not isinstance(item, dict):
                item = {}
            prefix = f"{given.pointer}/{index}"
            for sub in given.field.item_fields:
                widget = get(sub.widget)
                if not widget.in_items:
                    continue
                answer = widget.parse(given.child(sub, prefix + sub.pointer))
                if answer is None:
                    continue
                reading.problems.extend(answer.problems)
                reading.raw.update(answer.raw)
                if answer.present:
                    jsonpointer.set_value(item, sub.pointer, answer.value)
                else:
                    jsonpointer.remove_value(item, sub.pointer)
            reading.value.append(item)
        return reading

    def answer_text(self, ui_field: UiField, value: Any, language: str) -> str | None:
        return str(len(value)) if isinstance(value, list) else None

    def sample(self, ui_field: UiField) -> Any:
        item: dict[str, Any] = {}
        for sub in ui_field.item_fields:
            widget = get(sub.widget)
            if widget.in_items:
                jsonpointer.set_value(item, sub.pointer, widget.sample(sub))
        return [item]
