"""Compiled forms: a validator plus what the citizen sees of each field, cached per service version."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from engine import jsonpointer
from engine.definitions import schemas
from engine.forms import messages, widgets
from engine.forms.errors import MAX_COUNTED, MAX_ERRORS, ErrorList, FieldError
from engine.forms.formats import FORMAT_CHECKER
from engine.forms.keywords import KEYWORDS, TODAY

if TYPE_CHECKING:
    from engine.definitions.model import ServiceDefinition, UiField

FormValidator = validators.extend(Draft202012Validator, KEYWORDS)

# When one answer breaks several rules, the citizen hears about the most basic one first.
_PRIORITY = {"required": 0, "type": 1, "minLength": 2, "format": 3, "enum": 4, "const": 4}
_INDEX = re.compile(r"/[0-9]+(?=/|$)")


@dataclass(frozen=True)
class FieldInfo:
    """What the citizen sees of a field: its label in both languages, widget and position."""

    label: tuple[str, str] | None
    widget: str | None
    order: int


def _schema(error: ValidationError) -> Mapping[str, Any]:
    """The schema that refused (jsonschema's types also allow a boolean or no schema)."""
    return error.schema if isinstance(error.schema, Mapping) else {}


@dataclass
class CompiledForm:
    """A form schema ready to validate submissions, with the labels its messages use."""

    schema: dict[str, Any]
    fields: dict[str, FieldInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validator = FormValidator(self.schema, format_checker=FORMAT_CHECKER)

    def is_valid(self, data: Any, *, today: date | None = None) -> bool:
        token = TODAY.set(today)
        try:
            return self.validator.is_valid(data)
        finally:
            TODAY.reset(token)

    def errors(self, data: Any, *, today: date | None = None) -> list[FieldError]:
        """One :class:`FieldError` per wrong answer, in the order the form asks the questions.

        ``today`` fixes the day that age and not-in-the-future rules count from.
        """
        token = TODAY.set(today)
        try:
            found: dict[str, FieldError] = {}
            ranks: dict[str, int] = {}
            beyond: set[str] = set()
            for field_error in self._each_error(data):
                rank = _PRIORITY.get(field_error.keyword, 9)
                if field_error.pointer in found:
                    if rank < ranks[field_error.pointer]:
                        found[field_error.pointer] = field_error
                        ranks[field_error.pointer] = rank
                elif len(found) < MAX_ERRORS:
                    found[field_error.pointer] = field_error
                    ranks[field_error.pointer] = rank
                else:
                    beyond.add(field_error.pointer)
                    if len(beyond) >= MAX_COUNTED:
                        break
            listed = sorted(found.values(), key=lambda e: (self._order(e.pointer), e.pointer))
            return ErrorList(listed, more=len(beyond))
        finally:
            TODAY.reset(token)

    def _each_error(self, data: Any) -> Iterator[FieldError]:
        for error in self.validator.iter_errors(data):
            yield from self._describe(error)

    # -- describing one validator error ------------------------------------------------------

    def _describe(self, error: ValidationError) -> Iterator[FieldError]:
        keyword = str(error.validator)
        pointer = jsonpointer.join(error.absolute_path)
        if keyword in ("anyOf", "oneOf") and error.context:
            yield from self._describe(best_match(error.context))
            return
        if keyword in ("required", "dependentRequired"):
            for name in self._missing(error):
                child = jsonpointer.child(pointer, name)
                if _by_part(self.info(child)):
                    yield from self._required(child, _schema(error))
                else:
                    yield self._field_error(child, "required", True, None, _schema(error))
            return
        if keyword in ("additionalProperties", "unevaluatedProperties"):
            for name in self._unexpected(error):
                th, en = messages.render(
                    "additionalProperties", None, label=None, instance=None, schema={}, name=name
                )
                yield FieldError(jsonpointer.child(pointer, name), th, en, "additionalProperties")
            return
        yield self._field_error(pointer, keyword, error.validator_value, error.instance, _schema(error))

    def _required(self, pointer: str, parent_schema: Mapping[str, Any]) -> Iterator[FieldError]:
        """A missing answer; a missing group whose questions the form asks one by one is reported per question."""
        own = self._schema_of(pointer)
        children = [jsonpointer.child(pointer, name) for name in own.get("required", [])]
        info = self.info(pointer)
        # An address left empty: one message per part it needs (the optional parts say nothing).
        if children and (_by_part(info) or (info is None and any(self.info(c) for c in children))):
            for child_pointer in children:
                yield from self._required(child_pointer, own)
            return
        yield self._field_error(pointer, "required", True, None, parent_schema)

    def _field_error(
        self, pointer: str, keyword: str, value: Any, instance: Any, parent_schema: Mapping[str, Any]
    ) -> FieldError:
        info = self.info(pointer)
        own = self._schema_of(pointer)
        override = (own.get("x-messages") or {}).get(keyword)
        if override is None and keyword != "required":
            override = (parent_schema.get("x-messages") or {}).get(keyword)
        widget = widgets.find(info.widget if info else _implied_widget(own))
        th, en = messages.render(
            keyword,
            value,
            label=self.label(pointer),
            widget_keys=widget.message_keys if widget else None,
            instance=instance,
            schema=own,
            override=override,
        )
        return FieldError(pointer, th, en, keyword)

    @staticmethod
    def _missing(error: ValidationError) -> Iterable[str]:
        instance = error.instance if isinstance(error.instance, dict) else {}
        value = error.validator_value
        dependencies = value.values() if isinstance(value, Mapping) else []
        names = value if isinstance(value, list) else [n for deps in dependencies for n in deps]
        # jsonschema yields one error per missing property; its message names which.
        missing = [n for n in names if n not in instance]
        named = [n for n in missing if repr(n) in error.message]
        return named or missing

    @staticmethod
    def _unexpected(error: ValidationError) -> Iterable[str]:
        instance = error.instance if isinstance(error.instance, dict) else {}
        declared = _schema(error).get("properties", {})
        patterns = [re.compile(p) for p in _schema(error).get("patternProperties", {})]
        # Lazily: the caller stops after the first few of a million unexpected names.
        return (
            name for name in instance if name not in declared and not any(p.search(name) for p in patterns)
        )

    # -- what the citizen sees of a field ----------------------------------------------------

    def info(self, pointer: str) -> FieldInfo | None:
        return self.fields.get(pointer) or self.fields.get(_INDEX.sub("/*", pointer))

    def label(self, pointer: str) -> tuple[str, str] | None:
        info = self.info(pointer)
        if info and info.label:
            return info.label
        title = self._schema_of(pointer).get("title")
        if isinstance(title, str):
            return title, title
        return None

    def _schema_of(self, pointer: str) -> dict[str, Any]:
        found = schemas.schemas_at(self.schema, _INDEX.sub("/*", pointer))
        merged: dict[str, Any] = {}
        for node in reversed(found):
            merged.update(node)
        return merged

    def _order(self, pointer: str) -> int:
        while True:
            info = self.info(pointer)
            if info is not None:
                return info.order
            if not pointer:
                return 1_000_000
            pointer = pointer.rsplit("/", 1)[0]


def _by_part(info: FieldInfo | None) -> bool:
    widget = widgets.find(info.widget) if info else None
    return widget is not None and widget.missing_by_part


def _implied_widget(schema: Mapping[str, Any]) -> str | None:
    if "enum" in schema:
        return "select"
    items = schema.get("items")
    if schema.get("type") == "array" and isinstance(items, dict) and "$ref" in items:
        return "file" if items["$ref"].endswith("/attachment") else None
    return None


def _field_infos(fields: Iterable[UiField], prefix: str = "", start: int = 0) -> dict[str, FieldInfo]:
    from engine.definitions.model import message_label  # the definitions package imports this module

    infos: dict[str, FieldInfo] = {}
    for ui_field in fields:
        pointer = prefix + ui_field.pointer
        infos[pointer] = FieldInfo(message_label(ui_field), ui_field.widget, start + len(infos))
        if ui_field.item_fields:
            infos.update(_field_infos(ui_field.item_fields, pointer + "/*", start + len(infos)))
    return infos


_cache: dict[tuple[str, str], CompiledForm] = {}
_cache_lock = threading.Lock()


def compile_form(definition: ServiceDefinition) -> CompiledForm:
    """The compiled form of a service version; compiled once per process and reused."""
    cache_key = (definition.key, str(definition.folder))
    compiled = _cache.get(cache_key)
    if compiled is None:
        compiled = CompiledForm(definition.form, _field_infos(definition.ui.fields()))
        with _cache_lock:
            compiled = _cache.setdefault(cache_key, compiled)
    return compiled


def compile_schema(schema: dict[str, Any], ui_fields: Iterable[UiField] = ()) -> CompiledForm:
    """Compile a stand-alone schema (shared types bundled), e.g. a transition's input."""
    return CompiledForm(schemas.bundle(schema), _field_infos(ui_fields))


def validate_submission(
    definition: ServiceDefinition, data: Any, *, today: date | None = None
) -> list[FieldError]:
    """Every problem with ``data`` as a submission of ``definition``; empty when it is valid."""
    return compile_form(definition).errors(data, today=today)
