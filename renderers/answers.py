"""Answers as people read them: the check-your-answers page, the officer's read-only view.

Each widget writes its answers for people (:mod:`engine.forms.widgets`): option labels instead
of codes, dates in the Buddhist Era, addresses on one line, files by name, a map pin as latitude
and longitude; a repeated group as its number of items, each with its own answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine import jsonpointer
from engine.definitions import ServiceDefinition
from engine.definitions.model import UiField
from engine.forms import widgets
from engine.forms.rules import condition_holds
from engine.forms.widgets import group_national_id, group_phone  # noqa: F401 (read here by the pages and tests)


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


def format_value(ui_field: UiField, value: Any, language: str = "th") -> str:
    """An answer as its widget writes it for people (see :func:`engine.forms.widgets.answer_text`)."""
    return widgets.answer_text(ui_field, value, language)


def _answer(ui_field: UiField, data: Any, value: Any, pointer: str, language: str) -> Answer:
    label = ui_field.label.get(language)
    if widgets.get(ui_field.widget).repeats and isinstance(value, list):
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
