"""Cross-file checks of one service definition: everything the meta-schemas cannot see.

Each check yields :class:`Problem` objects; nothing here raises for a broken definition.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine import jsonpointer
from engine.definitions import schemas
from engine.definitions.model import Role, ServiceDefinition, UiField, message_label
from engine.definitions.problems import Problem
from engine.durations import Duration
from engine.effects import Registry
from engine.forms import widgets


def _schema_problems(file: Path, at: str, schema: Any) -> Iterator[Problem]:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        yield Problem(
            file, at + jsonpointer.join(error.absolute_path), f"not a valid JSON Schema: {error.message}"
        )


# Name roles take a name object or text, whatever widget asks for them.
NAME_ROLES = ("applicant_name", "account_holder", "document_subject")


class ServiceChecker:
    """Checks one parsed definition against its own files, the catalog's roles and the effects."""

    def __init__(
        self,
        definition: ServiceDefinition,
        roles: dict[str, Role],
        effects: Registry,
        *,
        authoring: bool = True,
    ):
        self.d = definition
        self.roles = roles
        self.effects = effects
        # The wording rules (labels that read inside messages, the privacy purpose) bind what is
        # checked and published from now on; versions published before them still load.
        self.authoring = authoring
        folder = definition.folder
        self.service_file = folder / "service.json"
        self.form_file = folder / "form.json"
        self.ui_file = folder / "ui.json"
        self.workflow_file = folder / "workflow.json"

    def problems(self) -> Iterator[Problem]:
        yield from self.check_service()
        yield from self.check_ui()
        yield from self.check_workflow()

    # -- helpers ---------------------------------------------------------------------------

    def field_schemas(self, pointer: str) -> list[dict[str, Any]]:
        return schemas.schemas_at(self.d.form, pointer)

    def role_problem(self, file: Path, at: str, role: str) -> Iterator[Problem]:
        if role not in self.roles:
            yield Problem(file, at, f"unknown role {role!r}: declare it in the catalog's roles.json")

    # -- service.json ----------------------------------------------------------------------

    def check_data_roles(self) -> Iterator[Problem]:
        """Each data role points at a field of the form that holds what the role says."""
        asked = {f.pointer: f.widget for f in self.d.ui.fields()}
        for role, pointers in self.d.service.data_roles.pointers().items():
            for i, pointer in enumerate(pointers):
                at = f"/data_roles/{role}" + (f"/{i}" if len(pointers) > 1 else "")
                found = self.field_schemas(pointer)
                if not found:
                    yield Problem(self.service_file, at, f"{pointer} is not a field of form.json")
                    continue
                if role in NAME_ROLES:
                    names = any("first_name" in (node.get("properties") or {}) for node in found)
                    if not names and "string" not in schemas.types_of(found):
                        yield Problem(
                            self.service_file,
                            at,
                            f"{pointer} is neither a name (prefix, first_name, last_name) nor text",
                        )
                    continue
                wanted = [w.name for w in widgets.registry.for_role(role)]
                if asked.get(pointer) not in wanted:
                    yield Problem(
                        self.service_file,
                        at,
                        f"{pointer} must be asked with the {' or '.join(wanted)} widget to be the {role}",
                    )

    def check_service(self) -> Iterator[Problem]:
        service, file = self.d.service, self.service_file
        if self.authoring:
            yield from check_purpose(file, service.pdpa.purpose.th, service.pdpa.purpose.en)
        if service.id != self.d.folder.name:
            yield Problem(
                file, "/id", f"id {service.id!r} differs from the folder name {self.d.folder.name!r}"
            )
        if (
            Duration.parse(service.sla.target).approximate()
            > Duration.parse(service.sla.legal_maximum).approximate()
        ):
            yield Problem(file, "/sla/target", "the target is longer than the legal maximum")
        yield from self.check_fees()
        yield from self.check_data_roles()
        for i, document in enumerate(service.documents):
            if not (self.d.folder / document.template).is_file():
                yield Problem(
                    file, f"/documents/{i}/template", f"template {document.template} does not exist"
                )
            for j, signer in enumerate(document.signers):
                yield from self.role_problem(file, f"/documents/{i}/signers/{j}/role", signer.role)
        ui_files = {f.pointer: f for f in self.d.ui.fields() if _takes_files(f)}
        for i, attachment in enumerate(service.attachments):
            at = f"/attachments/{i}/field"
            if attachment.field is None:
                if not any(
                    _takes_files(f) and f.attachment == attachment.id
                    for t in self.d.workflow.transitions
                    for f in t.input_ui
                ):
                    yield Problem(
                        file,
                        f"/attachments/{i}",
                        f"attachment {attachment.id!r} has no field and no action's input asks for it",
                    )
                continue
            found = self.field_schemas(attachment.field)
            if not found:
                yield Problem(file, at, f"{attachment.field} is not a field of form.json")
            elif "array" not in schemas.types_of(found):
                yield Problem(
                    file,
                    at,
                    f"{attachment.field} must be a list of files (urn:thongthin:types#/$defs/attachments)",
                )
            ui_field = ui_files.get(attachment.field)
            if ui_field is None:
                yield Problem(
                    file, at, f"no file widget in ui.json lets the applicant upload {attachment.field}"
                )
            elif ui_field.attachment != attachment.id:
                yield Problem(
                    file,
                    at,
                    f"the file widget at {attachment.field} names attachment {ui_field.attachment!r}",
                )

    def check_fees(self) -> Iterator[Problem]:
        file = self.service_file
        seen: set[str] = set()
        for i, fee in enumerate(self.d.service.fees):
            at = f"/fees/{i}"
            if fee.id in seen:
                yield Problem(file, at + "/id", f"fee id {fee.id!r} is used twice")
            seen.add(fee.id)
            if fee.when is not None:
                yield from _schema_problems(file, at + "/when", fee.when)
            if fee.field is None:
                continue
            found = self.field_schemas(fee.field)
            if not found:
                yield Problem(file, at + "/field", f"{fee.field} is not a field of form.json")
                continue
            if fee.kind in ("per_unit", "tiered") and "number" not in schemas.types_of(found):
                yield Problem(
                    file, at + "/field", f"{fee.field} is not a number, so no fee can be computed from it"
                )
            if fee.kind == "tiered":
                bounds = [t.up_to for t in fee.tiers]
                finite = [b for b in bounds if b is not None]
                if finite != sorted(finite) or None in bounds[:-1]:
                    yield Problem(
                        file, at + "/tiers", "tiers must ascend, with an open-ended (null) tier only last"
                    )
            if fee.kind == "rate_class":
                allowed = schemas.enum_of(found)
                if allowed is None:
                    yield Problem(file, at + "/field", f"{fee.field} has no enum of rate classes")
                    continue
                for value in allowed:
                    if value not in fee.rates:
                        yield Problem(file, at + "/rates", f"no rate for class {value!r}")
                for value in fee.rates:
                    if value not in allowed:
                        yield Problem(
                            file,
                            at + f"/rates/{jsonpointer.escape(value)}",
                            f"{value!r} is not a class of {fee.field}",
                        )

    # -- ui.json ---------------------------------------------------------------------------

    def check_ui(self) -> Iterator[Problem]:
        file = self.ui_file
        seen_steps: set[str] = set()
        seen_fields: dict[str, str] = {}
        for i, step in enumerate(self.d.ui.steps):
            at = f"/steps/{i}"
            if step.id in seen_steps:
                yield Problem(file, at + "/id", f"step id {step.id!r} is used twice")
            seen_steps.add(step.id)
            if step.when is not None:
                yield from _schema_problems(file, at + "/when", step.when)
            for j, ui_field in enumerate(step.fields):
                field_at = f"{at}/fields/{j}"
                if ui_field.pointer in seen_fields:
                    yield Problem(
                        file,
                        field_at + "/pointer",
                        f"{ui_field.pointer} is already asked at {seen_fields[ui_field.pointer]}",
                    )
                seen_fields[ui_field.pointer] = field_at
                yield from self.check_field(file, field_at, ui_field, self.d.form, "")
        yield from self.check_coverage()

    def check_field(
        self,
        file: Path,
        at: str,
        ui_field: UiField,
        root: dict[str, Any],
        prefix: str,
        *,
        in_form: bool = True,
    ) -> Iterator[Problem]:
        pointer = prefix + ui_field.pointer
        found = schemas.schemas_at(root, pointer)
        if not found:
            yield Problem(file, at + "/pointer", f"{pointer} is not a field of the schema")
            return
        widget = widgets.find(ui_field.widget)
        if widget is None:
            known = ", ".join(widgets.registry.names())
            yield Problem(file, at + "/widget", f"unknown widget {ui_field.widget!r}; registered: {known}")
            return
        yield from self.check_widget(file, at, widget, root, found)
        if self.authoring:
            yield from check_message_label(file, at, ui_field, found)
        if ui_field.when is not None:
            yield from _schema_problems(file, at + "/when", ui_field.when)
        if ui_field.options:
            yield from self.check_options(file, at, ui_field, found, root, pointer)
        if widget.files:
            attachment = self.d.service.attachment(ui_field.attachment or "")
            if attachment is None:
                yield Problem(
                    file, at + "/attachment", f"service.json declares no attachment {ui_field.attachment!r}"
                )
            elif in_form and attachment.field != pointer:
                yield Problem(
                    file,
                    at + "/attachment",
                    f"attachment {attachment.id!r} belongs to {attachment.field}, not {pointer}",
                )
            elif not in_form and attachment.field is not None:
                yield Problem(
                    file,
                    at + "/attachment",
                    f"attachment {attachment.id!r} belongs to the form's {attachment.field}; "
                    "an action's files need an attachment without a field",
                )
        if ui_field.to_applicant is not None and in_form:
            yield Problem(file, at + "/to_applicant", "only an action's input is shown to the applicant")
        if ui_field.prefill is not None:
            if in_form:
                yield Problem(
                    file, at + "/prefill", "only an action's input is filled in from the application"
                )
            elif not self.field_schemas(ui_field.prefill):
                yield Problem(file, at + "/prefill", f"{ui_field.prefill} is not a field of form.json")
        for k, item in enumerate(ui_field.item_fields):
            yield from self.check_field(
                file, f"{at}/item_fields/{k}", item, root, pointer + "/*", in_form=in_form
            )

    def check_widget(
        self, file: Path, at: str, widget: widgets.Widget, root: dict[str, Any], found: list[dict[str, Any]]
    ) -> Iterator[Problem]:
        """The widget can edit the field's answer: its type, its format, its shared type."""
        accepts = widget.accepts
        types = schemas.types_of(found)
        if types and not types & accepts.types:
            yield Problem(
                file,
                at + "/widget",
                f"widget {widget.name!r} cannot edit a value of type {'/'.join(sorted(types))}",
            )
        if accepts.format and accepts.format not in {n.get("format") for n in found}:
            yield Problem(
                file,
                at + "/widget",
                f"widget {widget.name!r} needs a field with format {accepts.format!r}",
            )
        shared = schemas.shared_types_of(root, found)
        if accepts.refs and shared and not shared & accepts.refs:
            made_for = " or ".join(schemas.TYPES_PREFIX + name for name in sorted(accepts.refs))
            given = " and ".join(schemas.TYPES_PREFIX + name for name in sorted(shared))
            yield Problem(file, at + "/widget", f"widget {widget.name!r} edits {made_for}, not {given}")

    def check_options(
        self,
        file: Path,
        at: str,
        ui_field: UiField,
        found: list[dict[str, Any]],
        root: dict[str, Any],
        pointer: str,
    ) -> Iterator[Problem]:
        # A list of choices: the options label its items.
        nodes = schemas.schemas_at(root, pointer + "/*") if widgets.get(ui_field.widget).multiple else found
        allowed = schemas.enum_of(nodes)
        if allowed is None and "boolean" in schemas.types_of(nodes):
            allowed = [True, False]
        if allowed is None:
            yield Problem(
                file, at + "/options", f"{pointer} has no enum, so options cannot be checked against it"
            )
            return
        values = [o.value for o in ui_field.options]
        for value in allowed:
            if value not in values:
                yield Problem(file, at + "/options", f"no label for the value {value!r} of {pointer}")
        for k, value in enumerate(values):
            if value not in allowed:
                yield Problem(
                    file, f"{at}/options/{k}/value", f"{value!r} is not an allowed value of {pointer}"
                )

    def check_coverage(self) -> Iterator[Problem]:
        asked = [f for f in self.d.ui.fields()]
        covered = {f.pointer for f in asked}
        composite = [f.pointer for f in asked if widgets.get(f.widget).composite]
        for pointer in schemas.required_pointers(self.d.form):
            parents = [pointer[:i] for i in range(len(pointer)) if pointer[i] == "/"]
            if pointer in covered or any(p in composite for p in parents):
                continue
            if any(c.startswith(pointer + "/") for c in covered):
                continue  # an object whose fields are asked one by one
            schema_at = "".join(f"/properties/{jsonpointer.escape(s)}" for s in jsonpointer.split(pointer))
            yield Problem(
                self.form_file, schema_at, f"required field {pointer} is not asked on any step of ui.json"
            )

    # -- workflow.json ---------------------------------------------------------------------

    def check_workflow(self) -> Iterator[Problem]:
        workflow, file = self.d.workflow, self.workflow_file
        states = workflow.states
        if workflow.initial not in states:
            yield Problem(file, "/initial", f"initial state {workflow.initial!r} is not among the states")
        if not workflow.final_states():
            yield Problem(file, "/states", "no final state: a submission could never end")
        for name, state in states.items():
            for k, role in enumerate(state.assignees):
                yield from self.role_problem(file, f"/states/{jsonpointer.escape(name)}/assignees/{k}", role)
        seen: dict[tuple[str, str], int] = {}
        for i, transition in enumerate(workflow.transitions):
            at = f"/transitions/{i}"
            sources = transition.from_
            for k, source in enumerate(sources):
                source_at = f"{at}/from" + (f"/{k}" if len(sources) > 1 else "")
                if source not in states:
                    yield Problem(file, source_at, f"state {source!r} does not exist")
                elif states[source].final:
                    yield Problem(file, source_at, f"{source!r} is final: nothing may leave it")
                if (source, transition.action) in seen:
                    yield Problem(
                        file,
                        at + "/action",
                        f"action {transition.action!r} from {source!r} is already transition {seen[(source, transition.action)]}",
                    )
                seen[(source, transition.action)] = i
            if transition.to not in states:
                yield Problem(file, at + "/to", f"state {transition.to!r} does not exist")
            for k, role in enumerate(transition.roles):
                yield from self.role_problem(file, f"{at}/roles/{k}", role)
            yield from self.check_transition_parts(file, at, transition)
        yield from self.check_reachability()

    def check_transition_parts(self, file: Path, at: str, transition: Any) -> Iterator[Problem]:
        if transition.quorum is not None:
            not_officers = {name for name, role in self.roles.items() if role.system} | {"applicant"}
            if not_officers & set(transition.roles):
                yield Problem(
                    file,
                    at + "/quorum",
                    "only officers' roles can vote; remove applicant/system from this transition",
                )
            if transition.quorum.needed(transition.roles) > len(transition.roles):
                yield Problem(
                    file,
                    at + "/quorum/count",
                    f"needs {transition.quorum.count} votes but only {len(transition.roles)} roles may vote",
                )
        if transition.input is not None:
            yield from self.check_input(file, at, transition)
        if transition.guard is not None:
            yield from _schema_problems(file, at + "/guard", transition.guard)
        steps = {step.id for step in self.d.ui.steps}
        for k, step_id in enumerate(transition.reopens):
            if step_id not in steps:
                yield Problem(file, f"{at}/reopens/{k}", f"ui.json has no step {step_id!r}")
        if transition.reopens and "applicant" not in transition.roles:
            yield Problem(
                file, at + "/reopens", "only the applicant corrects the answers; add 'applicant' to roles"
            )
        for k, effect in enumerate(transition.effects):
            effect_at = f"{at}/effects/{k}"
            if effect["type"] not in self.effects:
                yield Problem(
                    file,
                    effect_at + "/type",
                    f"unknown effect {effect['type']!r}; registered: {', '.join(self.effects.workflow_names())}",
                )
                continue
            if self.effects.get(effect["type"]).internal:
                yield Problem(
                    file,
                    effect_at + "/type",
                    f"{effect['type']!r} is queued by the platform itself, not by a workflow",
                )
                continue
            for pointer, message in self.effects.get(effect["type"]).problems(effect, self.d):
                yield Problem(file, effect_at + pointer, message)
            if effect["type"] == "notify" and effect.get("to") not in (None, "applicant"):
                yield from self.role_problem(file, effect_at + "/to", effect["to"])

    def check_input(self, file: Path, at: str, transition: Any) -> Iterator[Problem]:
        schema = transition.input
        problems = list(_schema_problems(file, at + "/input", schema))
        yield from problems
        if problems:
            return
        examples = schema.get("examples")
        if not examples:
            yield Problem(
                file,
                at + "/input",
                "give at least one valid input under examples (previews and tests use it)",
            )
            return
        validator = Draft202012Validator(schemas.bundle(schema))
        for k, example in enumerate(examples):
            for error in validator.iter_errors(example):
                yield Problem(
                    file,
                    f"{at}/input/examples/{k}" + jsonpointer.join(error.absolute_path),
                    f"example input is invalid: {error.message}",
                )
        for k, ui_field in enumerate(transition.input_ui):
            yield from self.check_field(file, f"{at}/input_ui/{k}", ui_field, schema, "", in_form=False)

    def check_reachability(self) -> Iterator[Problem]:
        workflow, file = self.d.workflow, self.workflow_file
        if workflow.initial not in workflow.states:
            return
        edges: dict[str, set[str]] = {name: set() for name in workflow.states}
        reverse: dict[str, set[str]] = {name: set() for name in workflow.states}
        for transition in workflow.transitions:
            for source in transition.from_:
                if source in edges and transition.to in edges:
                    edges[source].add(transition.to)
                    reverse[transition.to].add(source)
        reachable = _closure([workflow.initial], edges)
        can_end = _closure(workflow.final_states(), reverse)
        for name in workflow.states:
            at = f"/states/{jsonpointer.escape(name)}"
            if name not in reachable:
                yield Problem(
                    file, at, f"state {name!r} cannot be reached from the initial state {workflow.initial!r}"
                )
            elif name not in can_end:
                yield Problem(
                    file, at, f"state {name!r} cannot reach any final state: submissions would be stuck there"
                )


def _takes_files(ui_field: UiField) -> bool:
    widget = widgets.find(ui_field.widget)
    return widget is not None and widget.files


def _closure(start: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    seen = set(start)
    queue = deque(seen)
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def check_examples(definition: ServiceDefinition, folder: Path | None) -> Iterator[Problem]:
    """Valid examples must validate, invalid ones must fail; each service needs some of both."""
    from engine.forms import validate_submission

    if folder is None or not folder.is_dir():
        where = folder or definition.folder / "examples"
        yield Problem(
            where, "", f"no example submissions for {definition.id} (valid-*.json and invalid-*.json)"
        )
        return
    files = sorted(folder.glob("*.json"))
    kinds = {"valid": 0, "invalid": 0}
    for path in files:
        kind = path.name.split("-", 1)[0]
        if kind not in kinds:
            yield Problem(path, "", "example file names start with valid- or invalid-")
            continue
        kinds[kind] += 1
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as broken:
            yield Problem(
                path, "", f"invalid JSON at line {broken.lineno} column {broken.colno}: {broken.msg}"
            )
            continue
        errors = validate_submission(definition, data)
        if kind == "valid":
            for error in errors:
                yield Problem(path, error.pointer, f"valid example fails: {error.message_en}")
        elif not errors:
            yield Problem(path, "", "invalid example passes validation; it should fail")
    for kind, count in kinds.items():
        if count == 0:
            yield Problem(folder, "", f"no {kind}-*.json example")


# Thai labels ending so do not read inside a message ("กรุณาเลือกผู้แจ้งเป็น", "กรุณาเลือกท่านเป็น…หรือไม่").
UNREADABLE_LABEL_ENDINGS = ("เป็น", "โดย", "ทาง", "ภายใน", "หรือไม่")


def check_message_label(
    file: Path, at: str, ui_field: UiField, found: list[dict[str, Any]]
) -> Iterator[Problem]:
    """A field whose label would not read inside the generated messages needs a ``short_label``
    (a noun) or messages of its own (``x-messages`` on its schema)."""
    if ui_field.short_label is not None or any(node.get("x-messages") for node in found):
        return
    label = message_label(ui_field)[0]
    if label.endswith(UNREADABLE_LABEL_ENDINGS):
        yield Problem(
            file,
            at + "/label",
            f"{label!r} does not read inside a message such as 'กรุณาเลือก{label}': give the field a "
            "short_label (a noun, e.g. ช่องทางรับใบแจ้งหนี้) or x-messages of its own",
        )


def check_purpose(file: Path, th: str, en: str) -> Iterator[Problem]:
    """The privacy purpose completes the sentence "เราเก็บและใช้ข้อมูลส่วนบุคคลของท่าน…" /
    "We collect and use your personal data …", so it starts with เพื่อ / To."""
    if not th.strip().startswith("เพื่อ"):
        yield Problem(
            file,
            "/pdpa/purpose/th",
            "start the purpose with 'เพื่อ': it completes 'เราเก็บและใช้ข้อมูลส่วนบุคคลของท่าน…'",
        )
    if not en.strip().lower().startswith("to "):
        yield Problem(
            file,
            "/pdpa/purpose/en",
            "start the purpose with 'To': it completes 'We collect and use your personal data …'",
        )
