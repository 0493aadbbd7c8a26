"""What changed between two versions of a service, and the version number the change calls for.

The rules follow semantic versioning as a municipality experiences it:

- **major**: work filled in under the old version may no longer be accepted — a field removed
  or newly required, a field's type changed, a state or an action removed, an attachment
  newly required;
- **minor**: something was added that nobody has to use — an optional field, a state, an
  action, a fee, a document;
- **patch**: only texts changed (labels, help, messages, titles).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from engine.definitions.model import ServiceDefinition

Bump = Literal["major", "minor", "patch", "none"]
_ORDER: dict[Bump, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}
MAX_DEPTH = 12


@dataclass(frozen=True)
class Change:
    """One difference. ``area``: field, step, state, transition, fee, document, attachment, text."""

    area: str
    kind: Literal["added", "removed", "changed"]
    name: str
    detail: str
    bump: Bump


@dataclass(frozen=True)
class DefinitionDiff:
    old_version: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def bump(self) -> Bump:
        """The largest change's bump (``none`` when the documents are equal)."""
        return max((c.bump for c in self.changes), key=_ORDER.__getitem__, default="none")

    def suggested_version(self) -> str:
        """The next version after ``old_version`` for this diff."""
        return next_version(self.old_version, self.bump)

    def of_area(self, area: str) -> list[Change]:
        return [c for c in self.changes if c.area == area]


def next_version(version: str, bump: Bump) -> str:
    major, minor, patch = (int(p) for p in version.split("."))
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    if bump == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return version


def form_fields(form: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Every answer the form schema can hold: pointer -> (JSON type, required where it sits)."""
    definitions = form.get("$defs", {})
    found: dict[str, tuple[str, bool]] = {}

    def resolve(node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < MAX_DEPTH:
            ref = node["$ref"]
            if not ref.startswith("#/$defs/"):
                return node
            node = definitions.get(ref.removeprefix("#/$defs/"), {})
            seen += 1
        return node

    def walk(node: Any, pointer: str, depth: int) -> None:
        node = resolve(node)
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return
        required = set(node.get("required", []))
        for name, child in (node.get("properties") or {}).items():
            child = resolve(child)
            path = f"{pointer}/{name}"
            kind = child.get("type", "") if isinstance(child, dict) else ""
            found[path] = (kind if isinstance(kind, str) else "/".join(kind), name in required)
            walk(child, path, depth + 1)
            if isinstance(child, dict) and isinstance(child.get("items"), dict):
                walk(child["items"], f"{path}/-", depth + 1)

    walk(form, "", 0)
    return found


def diff(old: ServiceDefinition, new: ServiceDefinition) -> DefinitionDiff:
    """Every change from ``old`` to ``new``, field by field, state by state, text by text."""
    changes = [
        *_fields(old, new),
        *_steps(old, new),
        *_workflow(old, new),
        *_keyed("fee", {f.id: f for f in old.service.fees}, {f.id: f for f in new.service.fees}),
        *_keyed(
            "document", {d.id: d for d in old.service.documents}, {d.id: d for d in new.service.documents}
        ),
        *_attachments(old, new),
        *_service_texts(old, new),
    ]
    return DefinitionDiff(old.version, new.version, tuple(changes))


def _fields(old: ServiceDefinition, new: ServiceDefinition) -> Iterator[Change]:
    before, after = form_fields(old.form), form_fields(new.form)
    for pointer in sorted(before.keys() - after.keys()):
        yield Change("field", "removed", pointer, "", "major")
    for pointer in sorted(after.keys() - before.keys()):
        _kind, required = after[pointer]
        yield Change(
            "field",
            "added",
            pointer,
            "required" if required else "optional",
            "major" if required else "minor",
        )
    for pointer in sorted(before.keys() & after.keys()):
        (old_kind, old_required), (new_kind, new_required) = before[pointer], after[pointer]
        if old_kind != new_kind:
            yield Change("field", "changed", pointer, f"type {old_kind} → {new_kind}", "major")
        elif new_required and not old_required:
            yield Change("field", "changed", pointer, "now required", "major")
        elif old_required and not new_required:
            yield Change("field", "changed", pointer, "now optional", "minor")
    old_rules = _rules(old.form)
    new_rules = _rules(new.form)
    for pointer in sorted(old_rules.keys() & new_rules.keys()):
        if old_rules[pointer] != new_rules[pointer]:
            yield Change("field", "changed", pointer, "validation rules", "major")
    old_labels = {f.pointer: f for f in _ui_fields(old)}
    for field in _ui_fields(new):
        before_field = old_labels.get(field.pointer)
        if before_field is None:
            continue
        if before_field.widget != field.widget:
            yield Change(
                "field", "changed", field.pointer, f"widget {before_field.widget} → {field.widget}", "minor"
            )
        if (before_field.label, before_field.help, before_field.options) != (
            field.label,
            field.help,
            field.options,
        ):
            yield Change("text", "changed", field.pointer, "label, help or options", "patch")
        if before_field.when != field.when:
            yield Change("field", "changed", field.pointer, "shown when", "minor")


_RULE_KEYWORDS = (
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "enum",
    "const",
    "minItems",
    "maxItems",
)


def _rules(form: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The validation keywords of every property, by pointer (without following ``$ref``)."""
    rules: dict[str, dict[str, Any]] = {}

    def walk(node: Any, pointer: str, depth: int) -> None:
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return
        for name, child in (node.get("properties") or {}).items():
            if isinstance(child, dict):
                items = child.get("items") if isinstance(child.get("items"), dict) else {}
                rules[f"{pointer}/{name}"] = (
                    {k: child[k] for k in _RULE_KEYWORDS if k in child}
                    | ({"$ref": child["$ref"]} if "$ref" in child else {})
                    # A list's items: fewer choices in a checkbox list is a change of its rules too.
                    | ({"items": {k: items[k] for k in _RULE_KEYWORDS if k in items}} if items else {})
                )
                walk(child, f"{pointer}/{name}", depth + 1)

    walk(form, "", 0)
    return rules


def _ui_fields(definition: ServiceDefinition) -> Iterator[Any]:
    for field in definition.ui.fields():
        yield field
        yield from field.item_fields


def _steps(old: ServiceDefinition, new: ServiceDefinition) -> Iterator[Change]:
    before = {s.id: s for s in old.ui.steps}
    after = {s.id: s for s in new.ui.steps}
    for step_id in before.keys() - after.keys():
        yield Change("step", "removed", step_id, "", "minor")
    for step_id in after.keys() - before.keys():
        yield Change("step", "added", step_id, "", "minor")
    if [s for s in before if s in after] != [s for s in after if s in before]:
        yield Change("step", "changed", "", "order", "minor")
    for step_id in before.keys() & after.keys():
        if (before[step_id].title, before[step_id].description) != (
            after[step_id].title,
            after[step_id].description,
        ):
            yield Change("text", "changed", step_id, "step title or description", "patch")
        if before[step_id].when != after[step_id].when:
            yield Change("step", "changed", step_id, "shown when", "minor")


def _workflow(old: ServiceDefinition, new: ServiceDefinition) -> Iterator[Change]:
    before, after = old.workflow.states, new.workflow.states
    for state in sorted(before.keys() - after.keys()):
        yield Change("state", "removed", state, "", "major")
    for state in sorted(after.keys() - before.keys()):
        yield Change("state", "added", state, "", "minor")
    for state in sorted(before.keys() & after.keys()):
        a, b = before[state], after[state]
        if (a.title, a.applicant_message) != (b.title, b.applicant_message):
            yield Change("text", "changed", state, "state title or message to the applicant", "patch")
        if a.model_dump(exclude={"title", "applicant_message"}) != b.model_dump(
            exclude={"title", "applicant_message"}
        ):
            yield Change("state", "changed", state, "assignees, time limits or outcome", "minor")
    old_moves = {(t.action, tuple(sorted(t.from_)), t.to): t for t in old.workflow.transitions}
    new_moves = {(t.action, tuple(sorted(t.from_)), t.to): t for t in new.workflow.transitions}
    for key in sorted(old_moves.keys() - new_moves.keys()):
        yield Change("transition", "removed", key[0], f"{', '.join(key[1])} → {key[2]}", "major")
    for key in sorted(new_moves.keys() - old_moves.keys()):
        yield Change("transition", "added", key[0], f"{', '.join(key[1])} → {key[2]}", "minor")
    for key in sorted(old_moves.keys() & new_moves.keys()):
        if old_moves[key] != new_moves[key]:
            yield Change("transition", "changed", key[0], "roles, inputs, guards or effects", "minor")


def _keyed(area: str, before: dict[str, Any], after: dict[str, Any]) -> Iterator[Change]:
    for key in sorted(before.keys() - after.keys()):
        yield Change(area, "removed", key, "", "minor")
    for key in sorted(after.keys() - before.keys()):
        yield Change(area, "added", key, "", "minor")
    for key in sorted(before.keys() & after.keys()):
        if before[key] != after[key]:
            yield Change(area, "changed", key, "", "minor")


def _attachments(old: ServiceDefinition, new: ServiceDefinition) -> Iterator[Change]:
    before = {a.id: a for a in old.service.attachments}
    after = {a.id: a for a in new.service.attachments}
    for key in sorted(before.keys() - after.keys()):
        yield Change("attachment", "removed", key, "", "minor")
    for key in sorted(after.keys() - before.keys()):
        required = after[key].required and after[key].field is not None
        yield Change(
            "attachment",
            "added",
            key,
            "required" if required else "optional",
            "major" if required else "minor",
        )
    for key in sorted(before.keys() & after.keys()):
        if before[key] != after[key]:
            yield Change("attachment", "changed", key, "", "minor")


def _service_texts(old: ServiceDefinition, new: ServiceDefinition) -> Iterator[Change]:
    a, b = old.service, new.service
    if (a.title, a.summary) != (b.title, b.summary):
        yield Change("text", "changed", "service", "title or summary", "patch")
    if a.sla != b.sla:
        yield Change("service", "changed", "sla", "time limits", "minor")
    if a.pdpa != b.pdpa:
        yield Change("service", "changed", "pdpa", "privacy notice or retention", "minor")
