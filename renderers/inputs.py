"""The input form of a workflow transition, drawn from its ``input`` schema and ``input_ui`` labels.

Strings become text boxes (text areas when the UI says so or they may be long), enums
selects (radios when the UI asks), dates date boxes, booleans checkboxes, numbers number
boxes, file widgets file pickers. :func:`parse` turns the posted form back into the input the
workflow validates, so the messages of the engine (Thai and English) are the ones the officer
or the applicant sees. Officers' desk and the applicant's tracking page share these forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine import jsonpointer
from engine.definitions.model import AttachmentSpec, Transition, UiField
from engine.forms import widgets
from engine.forms.errors import FieldError
from engine.thaidate import BUDDHIST_ERA_OFFSET
from renderers.forms import attachment_rules

FIELD_PREFIX = "input-"
LONG_TEXT = 200  # strings that may be longer than this get a text area
_SLASHED_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# Catalog labels often say themselves that an answer is optional; the form then adds nothing.
_SAYS_OPTIONAL = re.compile(r"ถ้ามี|ถ้าต้องการ|optional|if any", re.IGNORECASE)


@dataclass(frozen=True)
class InputField:
    name: str  # the form field's name
    id: str  # unique on the page (several actions' forms share it)
    pointer: str  # where the value goes in the input, e.g. /reason
    kind: str  # text | textarea | select | radio | date | checkbox | number | file
    label: str
    required: bool
    options: tuple[tuple[str, str], ...] = ()
    value: str = ""
    checked: bool = False
    error: str | None = None
    hint: str | None = None
    accept: str = ""  # file pickers: the content types the attachment takes

    @property
    def mark_optional(self) -> bool:
        """Whether to add "(optional)" after the label."""
        return not self.required and not _SAYS_OPTIONAL.search(self.label)

    @property
    def hint_id(self) -> str:
        return f"{self.id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def described_by(self) -> str:
        return " ".join(
            i for i, present in ((self.hint_id, self.hint), (self.error_id, self.error)) if present
        )


def option_value(value: Any) -> str:
    """How an enum member travels in a form (JSON spelling for booleans, text otherwise)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _properties(transition: Transition) -> dict[str, dict[str, Any]]:
    return dict((transition.input or {}).get("properties", {}))


def _ui_fields(transition: Transition) -> dict[str, UiField]:
    return {f.pointer: f for f in transition.input_ui}


def kind_of(schema: Mapping[str, Any], ui: UiField | None) -> str:
    """What box a property gets: its schema decides, unless its widget asks for another kind."""
    wanted = widgets.get(ui.widget).input_kind if ui else None
    if wanted == "file":
        return "file"
    if "enum" in schema:
        return "radio" if wanted == "radio" else "select"
    kind = schema.get("type")
    if kind == "boolean" or wanted == "checkbox":
        return "checkbox"
    if schema.get("format") == "date" or wanted == "date":
        return "date"
    if kind in ("integer", "number"):
        return "number"
    if wanted == "textarea" or (ui is None and schema.get("maxLength", LONG_TEXT + 1) > LONG_TEXT):
        return "textarea"
    return "text"


def ordered_properties(transition: Transition) -> list[str]:
    """Properties in the order the UI lists them, then the rest in schema order."""
    properties = _properties(transition)
    from_ui = [f.pointer[1:] for f in transition.input_ui if f.pointer[1:] in properties]
    return [*from_ui, *(p for p in properties if p not in from_ui)]


def fields(
    transition: Transition,
    language: str,
    given: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    attachments: Callable[[str], AttachmentSpec | None] | None = None,
    data: Any = None,
) -> list[InputField]:
    """The fields of ``transition``'s input form, filled with ``given`` and marked with ``errors``.

    ``errors`` maps JSON pointers (``/reason``) to messages already in ``language``;
    ``attachments`` finds the service's attachment a file picker names (its types and size
    limit become the picker's hint); ``data`` (the application's answers) fills in the fields
    whose UI names a ``prefill`` pointer, unless ``given`` has them.
    """
    properties, ui_fields = _properties(transition), _ui_fields(transition)
    required = set((transition.input or {}).get("required", []))
    given, errors = given or {}, errors or {}
    found = []
    for prop in ordered_properties(transition):
        schema, pointer = properties[prop], f"/{prop}"
        ui = ui_fields.get(pointer)
        kind = kind_of(schema, ui)
        labels = {option_value(o.value): o.label.get(language) for o in ui.options} if ui else {}
        options = tuple(
            (option_value(v), labels.get(option_value(v), str(v))) for v in schema.get("enum", ())
        )
        value = given.get(prop)
        if value is None and not given and ui and ui.prefill and data is not None:
            value = jsonpointer.resolve(data, ui.prefill, None)
        spec = attachments(ui.attachment) if attachments and ui and ui.attachment else None
        hint = ui.help.get(language) if ui and ui.help else None
        if spec is not None:
            hint = " ".join(h for h in (hint, attachment_rules(spec, language)) if h)
        found.append(
            InputField(
                name=FIELD_PREFIX + prop,
                id=f"{transition.action}-{prop}",
                pointer=pointer,
                kind=kind,
                label=ui.label.get(language) if ui else prop.replace("_", " ").capitalize(),
                required=prop in required,
                options=options,
                value="" if value is None or isinstance(value, bool | list | dict) else option_value(value),
                checked=value is True,
                error=errors.get(pointer),
                hint=hint,
                accept=",".join(spec.accept) if spec else "",
            )
        )
    return found


def parse_date(text: str) -> str:
    """ISO ``2025-01-15`` as typed, or ``15/1/2568`` (Buddhist Era) / ``15/1/2025`` as ISO.

    Anything else is returned as typed, so the workflow's validator names the problem.
    """
    match = _SLASHED_DATE.fullmatch(text)
    if not match:
        return text
    day, month, year = (int(part) for part in match.groups())
    if year > 2400:  # nobody processes papers from before 1857: this is a Buddhist-Era year
        year -= BUDDHIST_ERA_OFFSET
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return text


def _number(text: str) -> int | float | str:
    cleaned = text.replace(",", "")
    try:
        return int(cleaned)
    except ValueError:
        try:
            return float(cleaned)
        except ValueError:
            return text


def parse(transition: Transition, form: Mapping[str, str]) -> dict[str, Any]:
    """The input an officer posted for ``transition``; empty answers are left out."""
    ui_fields = _ui_fields(transition)
    found: dict[str, Any] = {}
    for prop, schema in _properties(transition).items():
        name = FIELD_PREFIX + prop
        kind = kind_of(schema, ui_fields.get(f"/{prop}"))
        if kind == "checkbox":
            found[prop] = name in form
            continue
        if kind == "file":
            continue  # the caller stores the uploaded files and adds their descriptions
        raw = form.get(name, "").replace("\r\n", "\n").strip()
        if not raw:
            continue
        if kind in ("select", "radio"):
            found[prop] = next((v for v in schema["enum"] if option_value(v) == raw), raw)
        elif kind == "number":
            found[prop] = _number(raw)
        elif kind == "date":
            found[prop] = parse_date(raw)
        else:
            found[prop] = raw
    return found


def file_fields(transition: Transition) -> list[tuple[str, str]]:
    """(form field name, service attachment id) of each file picker of ``transition``'s input."""
    return [
        (FIELD_PREFIX + f.pointer[1:], f.attachment)
        for f in transition.input_ui
        if widgets.get(f.widget).files and f.attachment and f.pointer[1:] in _properties(transition)
    ]


def error_messages(errors: list[FieldError], language: str) -> dict[str, str]:
    """The first message per pointer, in ``language``."""
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(error.pointer, error.message(language))
    return found


def posted_version(form: Mapping[str, str]) -> int:
    """The submission version the page was drawn at; 0 (no version) when missing or garbled,
    which the service treats as a stale page."""
    try:
        return int(form.get("version", ""))
    except ValueError:
        return 0
