"""Answers as people read them: the check-your-answers page, the officer's read-only view.

Values are written for people: option labels instead of codes, dates in the Buddhist Era,
addresses on one line, files by name, a map pin as latitude and longitude.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine import jsonpointer
from engine.definitions import ServiceDefinition
from engine.definitions.model import UiField
from engine.forms.data_roles import address_line
from engine.forms.formats import is_date
from engine.forms.rules import condition_holds
from engine.thaidate import format_date

_WORDS = {
    "th": {True: "ใช่", False: "ไม่ใช่", None: "ไม่ได้ระบุ", "moo": "หมู่", "soi": "ซอย", "road": "ถนน"},
    "en": {True: "Yes", False: "No", None: "Not given", "moo": "Moo", "soi": "Soi", "road": "Road"},
}


@dataclass(frozen=True)
class Answer:
    pointer: str
    label: str
    text: str
    items: tuple[tuple[Answer, ...], ...] = ()  # for repeated groups: the answers of each item


@dataclass(frozen=True)
class StepAnswers:
    step_id: str
    title: str
    answers: tuple[Answer, ...] = field(default_factory=tuple)


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


def format_value(ui_field: UiField, value: Any, language: str = "th") -> str:
    words = _WORDS["en" if language == "en" else "th"]
    if value is None or value == "" or value == []:
        return words[None]
    labels = {o.value: o.label.get(language) for o in ui_field.options}
    if ui_field.widget in ("select", "radio") and value in labels:
        return labels[value]
    if ui_field.widget == "checkboxes" and isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value)
    if isinstance(value, bool):
        return words[value]
    if ui_field.widget == "date" and is_date(value):
        return format_date(date.fromisoformat(value), language)
    if ui_field.widget == "file" and isinstance(value, list):
        return ", ".join(str(item.get("filename", "")) for item in value if isinstance(item, dict))
    if ui_field.widget == "map-pin" and isinstance(value, dict):
        lon, lat = (value.get("coordinates") or [None, None])[:2]
        return (
            f"{lat:.6f}, {lon:.6f}"
            if isinstance(lat, int | float) and isinstance(lon, int | float)
            else words[None]
        )
    if ui_field.widget == "national-id" and isinstance(value, str):
        return group_national_id(value)
    if ui_field.widget == "phone" and isinstance(value, str):
        return group_phone(value)
    if ui_field.widget == "thai-address" and isinstance(value, dict):
        return address_line(value, language)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float):
        text = f"{value:,}"
        return f"{text} {ui_field.suffix.get(language)}" if ui_field.suffix else text
    return str(value)


def _answer(ui_field: UiField, data: Any, value: Any, pointer: str, language: str) -> Answer:
    label = ui_field.label.get(language)
    if ui_field.widget == "repeat" and isinstance(value, list):
        items = tuple(
            tuple(
                _answer(
                    sub,
                    data,
                    jsonpointer.resolve(item, sub.pointer, None),
                    f"{pointer}/{i}{sub.pointer}",
                    language,
                )
                for sub in ui_field.item_fields
            )
            for i, item in enumerate(value)
        )
        return Answer(pointer, label, str(len(value)), items)
    return Answer(pointer, label, format_value(ui_field, value, language))


def answers(definition: ServiceDefinition, data: Any, language: str = "th") -> list[StepAnswers]:
    """The answers of every step the citizen saw (steps and fields whose ``when`` holds)."""
    found = []
    for step in definition.ui.steps:
        if not condition_holds(step.when, data):
            continue
        rows = tuple(
            _answer(f, data, jsonpointer.resolve(data, f.pointer, None), f.pointer, language)
            for f in step.fields
            if condition_holds(f.when, data)
        )
        found.append(StepAnswers(step.id, step.title.get(language), rows))
    return found
