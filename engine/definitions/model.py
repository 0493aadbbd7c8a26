"""Typed views of service definitions, built after the files passed their meta-schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class Text(Spec):
    th: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.th


class Role(Spec):
    title: Text
    description: Text | None = None
    system: bool = False
    # Sees every service's applications, not only those whose workflow names the role.
    all_services: bool = False


# --- service.json ---------------------------------------------------------------------------


class LegalBasis(Spec):
    title: Text
    sections: str | None = None
    url: str | None = None


class Sla(Spec):
    legal_maximum: str
    target: str
    days: Literal["calendar", "working"] = "calendar"
    # Whether the maximum is set by a law (the Building Control Act's 45 days) or by the service
    # standard of the office (คู่มือสำหรับประชาชน): citizens are told which.
    basis: Literal["law", "service_standard"] = "service_standard"

    @property
    def maximum_is_law(self) -> bool:
        return self.basis == "law"


class Tier(Spec):
    up_to: float | None
    amount: float


class Fee(Spec):
    id: str
    title: Text
    kind: Literal["fixed", "per_unit", "tiered", "rate_class"]
    period: Literal["once", "monthly", "yearly"] = "once"
    local: bool = False
    when: dict[str, Any] | bool | None = None
    amount: float | None = None
    field: str | None = None
    rate: float | None = None
    base: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    tiers: tuple[Tier, ...] = ()
    rates: dict[str, float] = Field(default_factory=dict)


class Signer(Spec):
    role: str
    position: Text


class DocumentSpec(Spec):
    id: str
    title: Text
    template: str
    signers: tuple[Signer, ...]
    pades_level: Literal["B-B", "B-T", "B-LT", "B-LTA"]
    certify: bool = True
    validity: str | None = None


class Pdpa(Spec):
    purpose: Text
    lawful_basis: str
    retention: str
    recipients: tuple[Text, ...] = ()


class AttachmentSpec(Spec):
    id: str
    title: Text
    # The form field the files live at; None for files an action's input asks for (a reply's documents).
    field: str | None = None
    accept: tuple[str, ...]
    max_bytes: int
    max_files: int = 1
    required: bool = True


def _pointers(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


# The data roles that name answers by JSON pointer (the account prefix is a text of its own).
POINTER_ROLES = (
    "applicant_name",
    "national_id",
    "phone",
    "email",
    "address",
    "premises_address",
    "location",
    "account_holder",
    "start_month",
    "document_subject",
)


class DataRoles(Spec):
    """Where the answers billing, documents, messages and tracking rely on live in the form.

    Each role is the pointers tried in order; the first answered one counts.
    """

    applicant_name: tuple[str, ...] = ()
    national_id: tuple[str, ...] = ()
    phone: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    address: tuple[str, ...] = ()
    premises_address: tuple[str, ...] = ()
    location: tuple[str, ...] = ()
    account_holder: tuple[str, ...] = ()
    start_month: tuple[str, ...] = ()
    document_subject: tuple[str, ...] = ()
    account_prefix: str | None = None

    @field_validator(*POINTER_ROLES, mode="before")
    @classmethod
    def _as_tuple(cls, value: Any) -> tuple[str, ...]:
        return _pointers(value)

    def pointers(self) -> dict[str, tuple[str, ...]]:
        """Every declared role with its pointers (``account_prefix`` is not a pointer)."""
        return {name: value for name, value in self.model_dump(exclude={"account_prefix"}).items() if value}


class ServiceSpec(Spec):
    id: str
    version: str
    title: Text
    summary: Text
    keywords: tuple[str, ...] = ()
    category: str
    audience: tuple[str, ...] = ("citizen",)
    legal_basis: tuple[LegalBasis, ...]
    sla: Sla
    fees: tuple[Fee, ...] = ()
    documents: tuple[DocumentSpec, ...] = ()
    pdpa: Pdpa
    attachments: tuple[AttachmentSpec, ...] = ()
    data_roles: DataRoles = Field(default_factory=DataRoles)
    steps_for_applicant: tuple[Text, ...] = ()

    def fee(self, fee_id: str) -> Fee | None:
        return next((f for f in self.fees if f.id == fee_id), None)

    def document(self, document_id: str) -> DocumentSpec | None:
        return next((d for d in self.documents if d.id == document_id), None)

    def form_attachments(self) -> list[AttachmentSpec]:
        """The files the form asks for (not those an action's input asks for later)."""
        return [a for a in self.attachments if a.field is not None]

    def attachment(self, attachment_id: str) -> AttachmentSpec | None:
        return next((a for a in self.attachments if a.id == attachment_id), None)


# --- ui.json --------------------------------------------------------------------------------


class Option(Spec):
    value: str | int | bool
    label: Text
    hint: Text | None = None


class UiField(Spec):
    pointer: str
    widget: str
    label: Text
    # A noun for messages ("กรุณาเลือก…") when the label does not read inside one, e.g. a question
    # ("ท่านเป็นเจ้าของที่ดินหรือไม่") or a phrase ending in เป็น/โดย/ทาง/ภายใน.
    short_label: Text | None = None
    help: Text | None = None
    suffix: Text | None = None
    options: tuple[Option, ...] = ()
    when: dict[str, Any] | bool | None = None
    autocomplete: str | None = None
    width: str | None = None
    attachment: str | None = None
    item_label: Text | None = None
    item_fields: tuple[UiField, ...] = ()
    # For an action's input: the applicant reads this answer on the tracking page ("now"), or
    # only once the application is closed ("when_closed", e.g. an answer drafted for approval).
    to_applicant: str | None = None
    prefill: str | None = None  # for an action's input: filled in from the application's data here


OPTIONAL_MARKS = ("(ถ้ามี)", "(if any)", "(optional)")


def message_label(ui_field: UiField) -> tuple[str, str]:
    """What messages call the field (Thai, English): its short label, else its label without
    the "(ถ้ามี)" that marks it optional on the page."""
    if ui_field.short_label is not None:
        return ui_field.short_label.th, ui_field.short_label.en
    th, en = ui_field.label.th, ui_field.label.en
    for mark in OPTIONAL_MARKS:
        th, en = th.replace(mark, ""), en.replace(mark, "")
    return " ".join(th.split()), " ".join(en.split())


class Step(Spec):
    id: str
    title: Text
    description: Text | None = None
    when: dict[str, Any] | bool | None = None
    fields: tuple[UiField, ...]


class UiSpec(Spec):
    steps: tuple[Step, ...]

    def fields(self) -> list[UiField]:
        """Every top-level field, in the order the citizen meets them."""
        return [f for step in self.steps for f in step.fields]


# --- workflow.json --------------------------------------------------------------------------


class State(Spec):
    title: Text
    applicant_message: Text
    final: bool = False
    outcome: str | None = None
    assignees: tuple[str, ...] = ()
    sla: str | None = None
    pauses_sla: bool = False


class Quorum(Spec):
    mode: Literal["all", "any", "at_least"]
    count: int | None = None

    def needed(self, roles: tuple[str, ...]) -> int:
        """How many distinct roles must vote before the transition fires."""
        if self.mode == "all":
            return len(roles)
        if self.mode == "any":
            return 1
        return self.count or 1


class Transition(Spec):
    action: str
    title: Text
    from_: tuple[str, ...] = Field(alias="from")
    to: str
    roles: tuple[str, ...]
    quorum: Quorum | None = None
    input: dict[str, Any] | None = None
    input_ui: tuple[UiField, ...] = ()
    guard: dict[str, Any] | bool | None = None
    guard_message: Text | None = None
    effects: tuple[dict[str, Any], ...] = ()
    reopens: tuple[str, ...] = ()  # form steps the applicant may correct with this action

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Transition:
        sources = raw["from"]
        return cls.model_validate({**raw, "from": (sources,) if isinstance(sources, str) else tuple(sources)})


class WorkflowSpec(Spec):
    initial: str
    states: dict[str, State]
    transitions: tuple[Transition, ...]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> WorkflowSpec:
        return cls(
            initial=raw["initial"],
            states={name: State.model_validate(s) for name, s in raw["states"].items()},
            transitions=tuple(Transition.from_json(t) for t in raw["transitions"]),
        )

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.from_]

    def transition_named(self, action: str, state: str | None = None) -> Transition | None:
        """The transition ``action`` (the one from ``state`` when given and there is one)."""
        candidates = [t for t in self.transitions if t.action == action]
        preferred = [t for t in candidates if state in t.from_]
        found = preferred or candidates
        return found[0] if found else None

    def ends_matter(self, transition: Transition) -> bool:
        """Whether ``transition`` closes the application for good (asked to be confirmed first)."""
        target = self.states.get(transition.to)
        return target is not None and target.final

    def final_states(self) -> list[str]:
        return [name for name, s in self.states.items() if s.final]


# --- a whole service ------------------------------------------------------------------------


class ServiceDefinition(Spec):
    """One version of one service: the four files of its folder, parsed and cross-checked."""

    folder: Path
    service: ServiceSpec
    form: dict[str, Any]
    ui: UiSpec
    workflow: WorkflowSpec

    @property
    def id(self) -> str:
        return self.service.id

    @property
    def version(self) -> str:
        return self.service.version

    @property
    def key(self) -> str:
        """``id@version``: what caches and stored submissions pin."""
        return f"{self.service.id}@{self.service.version}"
