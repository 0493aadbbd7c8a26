"""The rules of a form, whoever fills it in: which steps and fields are asked, given the answers so
far; dropping the answers of those that are not; the problems of one step and of the whole form.

Pure functions of a definition and a data document. Every entry point (the portal's pages,
the API, the officers' counter) reaches them through :func:`engine.services.submissions.submit`,
so they all store the same data. ``when`` conditions are JSON Schemas over the whole data,
compiled once per condition.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator

from engine import jsonpointer
from engine.definitions import ServiceDefinition
from engine.definitions.model import AttachmentSpec, Step, UiField
from engine.forms.errors import FieldError
from engine.forms.validation import validate_submission
from engine.jsonpointer import remove_value, set_value

# Compiled ``when`` conditions by the identity of the (immutable, long-lived) condition object;
# the entry keeps the object alive so its id is never reused for another.
_conditions: dict[int, tuple[Any, Draft202012Validator]] = {}
_conditions_lock = threading.Lock()
MAX_CONDITIONS = 20_000


def condition_holds(condition: Any, data: Any) -> bool:
    """A ``when`` condition of ui.json (a JSON Schema over the whole data)."""
    if condition is None or condition is True:
        return True
    if condition is False:
        return False
    entry = _conditions.get(id(condition))
    if entry is None or entry[0] is not condition:
        entry = (condition, Draft202012Validator(condition))
        with _conditions_lock:
            if len(_conditions) >= MAX_CONDITIONS:
                _conditions.clear()
            _conditions[id(condition)] = entry
    return entry[1].is_valid(data)


# --- visibility -----------------------------------------------------------------------------


def condition_pointers(condition: Any, prefix: str = "") -> set[str]:
    """The pointers a ``when`` condition looks at (the leaves of its ``properties``)."""
    found: set[str] = set()
    if not isinstance(condition, dict):
        return found
    for name, sub in (condition.get("properties") or {}).items():
        pointer = jsonpointer.child(prefix, name)
        inner = condition_pointers(sub, pointer)
        found |= inner or {pointer}
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in condition.get(key) or ():
            found |= condition_pointers(sub, prefix)
    if "not" in condition:
        found |= condition_pointers(condition["not"], prefix)
    return found


def under(pointer: str, ancestor: str) -> bool:
    """Whether ``pointer`` is ``ancestor`` or lies below it."""
    return pointer == ancestor or pointer.startswith(ancestor + "/")


def depends_on_step(ui_field: UiField, step: Step) -> bool:
    """Whether the field's condition looks at answers given on the same page (revealed there)."""
    looked_at = condition_pointers(ui_field.when)
    return any(under(p, f.pointer) or under(f.pointer, p) for p in looked_at for f in step.fields)


def visible_steps(definition: ServiceDefinition, data: Any) -> list[Step]:
    """The steps the citizen is asked, given the answers so far."""
    return [step for step in definition.ui.steps if condition_holds(step.when, data)]


def find_step(definition: ServiceDefinition, step_id: str) -> Step | None:
    return next((s for s in definition.ui.steps if s.id == step_id), None)


def page_fields(step: Step, data: Any) -> list[UiField]:
    """The fields a step's page shows: those whose condition holds, and those revealed by
    answers on the same page (shown without JavaScript, hidden by it while they do not apply)."""
    return [f for f in step.fields if condition_holds(f.when, data) or depends_on_step(f, step)]


def asked_fields(step: Step, data: Any) -> list[UiField]:
    """The fields of a step whose answers count, given ``data``."""
    return [f for f in step.fields if condition_holds(f.when, data)]


def drop_empty_objects(node: Any) -> Any:
    """Remove objects left empty (an address whose parts were all removed, ...) below the root."""
    if isinstance(node, dict):
        for key in list(node):
            value = drop_empty_objects(node[key])
            if isinstance(value, dict) and not value:
                del node[key]
    elif isinstance(node, list):
        for item in node:
            drop_empty_objects(item)
    return node


def prune_hidden(definition: ServiceDefinition, data: Any) -> dict[str, Any]:
    """A copy of ``data`` without the answers of steps and fields that are not asked.

    Dropping an answer can hide further fields (their conditions looked at it), so this
    repeats until nothing changes.
    """
    pruned = copy.deepcopy(data) if isinstance(data, dict) else {}
    for _ in range(len(definition.ui.steps) + 2):
        asked: set[str] = set()
        hidden: list[str] = []
        for step in definition.ui.steps:
            shown = condition_holds(step.when, pruned)
            for ui_field in step.fields:
                if shown and condition_holds(ui_field.when, pruned):
                    asked.add(ui_field.pointer)
                else:
                    hidden.append(ui_field.pointer)
        changed = False
        for pointer in hidden:
            if pointer not in asked and remove_value(pruned, pointer):
                changed = True
        if not changed:
            break
    return drop_empty_objects(pruned)


# --- validation per step ---------------------------------------------------------------------


def _validate_asking(
    definition: ServiceDefinition, data: Any, pointers: Sequence[str], today: date | None
) -> list[FieldError]:
    """Validate, but say which of ``pointers`` are missing rather than that their group is.

    The validator reports a missing object (``/operator/name``) as one error; on a page that
    asks its fields one by one, each field should say it is missing. Objects that the form
    requires and that hold fields of the page are created empty and the data validated
    again; optional groups are left alone, so they stay optional.
    """
    working = copy.deepcopy(data) if isinstance(data, dict) else {}
    errors = validate_submission(definition, working, today=today)
    for _ in range(8):
        missing = {
            e.pointer
            for e in errors
            if e.keyword == "required" and any(p != e.pointer and under(p, e.pointer) for p in pointers)
        }
        if not missing:
            break
        for pointer in missing:
            set_value(working, pointer, {})
        errors = validate_submission(definition, working, today=today)
    return errors


def errors_for(errors: Iterable[FieldError], fields: Iterable[UiField]) -> list[FieldError]:
    """The errors that belong to ``fields`` (at a field's pointer or inside it)."""
    pointers = [f.pointer for f in fields]
    return [e for e in errors if any(under(e.pointer, p) for p in pointers)]


def step_errors(
    definition: ServiceDefinition, step: Step, data: Any, *, today: date | None = None
) -> list[FieldError]:
    """The problems with the answers of one step: the whole form validated, its errors filtered."""
    fields = asked_fields(step, data)
    errors = _validate_asking(definition, data, [f.pointer for f in fields], today)
    return errors_for(errors, fields)


def step_of_error(definition: ServiceDefinition, data: Any, error: FieldError) -> Step | None:
    """The first visible step that asks for the answer an error is about."""
    for step in visible_steps(definition, data):
        for ui_field in asked_fields(step, data):
            if under(error.pointer, ui_field.pointer) or under(ui_field.pointer, error.pointer):
                return step
    return None


def check_whole(
    definition: ServiceDefinition, data: Any, *, today: date | None = None
) -> tuple[dict[str, Any], list[FieldError]]:
    """The answers that count (hidden ones dropped) and every problem with them."""
    pruned = prune_hidden(definition, data)
    return pruned, validate_submission(definition, pruned, today=today)


def problems_by_step(definition: ServiceDefinition, data: Any) -> tuple[list[Step], list[FieldError]]:
    """The steps whose answers are missing or wrong, and errors no step asks about."""
    steps: list[Step] = []
    unplaced: list[FieldError] = []
    for error in validate_submission(definition, data):
        found = step_of_error(definition, data, error)
        if found is None:
            unplaced.append(error)
        elif found not in steps:
            steps.append(found)
    return steps, unplaced


def too_many_files(pointer: str, spec: AttachmentSpec) -> FieldError:
    """A field asked for more files than its attachment takes."""
    return FieldError(
        pointer,
        f"แนบไฟล์ได้ไม่เกิน {spec.max_files} ไฟล์ กรุณาลบไฟล์เดิมก่อน",
        f"You can attach at most {spec.max_files} files; remove one first",
        "maxItems",
    )
