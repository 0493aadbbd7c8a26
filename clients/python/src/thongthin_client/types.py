"""The shapes the API answers with: JSON documents as TypedDicts, small results as dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict


class Text(TypedDict):
    """A text in Thai and English."""

    th: str
    en: str


class ServiceSummary(TypedDict):
    """A service as lists show it."""

    id: str
    version: str
    title: Text
    summary: Text
    category: str


class CatalogEntry(ServiceSummary):
    """A service of the national catalog with its published versions."""

    latest: str
    versions: list[str]


class Option(TypedDict):
    value: str | int | bool
    label: Text
    hint: NotRequired[Text]


class UiField(TypedDict):
    """A field of a step: where its answer goes in the data, how it is asked, its label and help."""

    pointer: str
    widget: str
    label: Text
    options: list[Option]
    item_fields: list[UiField]
    short_label: NotRequired[Text]
    help: NotRequired[Text]
    suffix: NotRequired[Text]
    # A JSON Schema the data must match for the field to be asked (absent: always asked).
    when: NotRequired[dict[str, Any] | bool]
    autocomplete: NotRequired[str]
    width: NotRequired[str]
    attachment: NotRequired[str]
    item_label: NotRequired[Text]


class Step(TypedDict):
    id: str
    title: Text
    fields: list[UiField]
    description: NotRequired[Text]
    when: NotRequired[dict[str, Any] | bool]


class UiSchema(TypedDict):
    steps: list[Step]


class AttachmentRule(TypedDict):
    """A kind of file a service asks for."""

    id: str
    title: Text
    field: str
    accept: list[str]
    max_bytes: int
    max_files: int
    required: bool


class ServiceDocument(ServiceSummary):
    """A service version as one document: the form's JSON Schema, its steps, files, fees, SLA, privacy."""

    keywords: list[str]
    audience: list[str]
    legal_basis: list[dict[str, Any]]
    steps_for_applicant: list[Text]
    form: dict[str, Any]
    ui: UiSchema
    attachments: list[AttachmentRule]
    fees: list[dict[str, Any]]
    sla: dict[str, Any]
    pdpa: dict[str, Any]
    documents: list[dict[str, Any]]


class UploadedFile(TypedDict):
    """A stored upload; put it into the form data where the attachment's field is."""

    id: str
    filename: str
    content_type: str
    size: int
    sha256: NotRequired[str]


class HistoryEntry(TypedDict):
    """A step of a submission's history (officers see ``role``, ``by``, ``input``; applicants ``told``)."""

    at: str
    action: str
    to: str
    by_applicant: NotRequired[bool]
    told: NotRequired[list[dict[str, Any]]]
    role: NotRequired[str | None]
    by: NotRequired[str | None]
    input: NotRequired[dict[str, Any] | None]


class Action(TypedDict):
    """What the caller may do next: the action, the state it leads to, and the JSON Schema of its input."""

    action: str
    to: str
    title: Text
    input: dict[str, Any] | None
    reopens: NotRequired[list[str]]


class Submission(TypedDict):
    """A submission as its applicant (tracking token) or an officer sees it."""

    reference: str
    service_id: str
    service_version: str
    status: str
    status_title: Text
    applicant_message: Text
    version: int
    submitted_at: str
    due_at: str | None
    history: list[HistoryEntry]
    actions: list[Action]
    data: NotRequired[dict[str, Any]]
    votes: NotRequired[Any]


class Transitioned(Submission):
    """The submission after an action, with what fired and the effects it queued."""

    fired: bool
    effects: list[str]


class Verification(TypedDict):
    """Whether a PDF's signatures hold and whether the platform issued exactly this file."""

    genuine: bool
    in_register: bool
    register_message: Text
    document: dict[str, Any] | None
    verification: dict[str, Any]


@dataclass(frozen=True)
class Receipt:
    """A stored submission: its reference and the secret that lets its applicant follow it."""

    reference: str
    status: str
    tracking_token: str
    location: str | None = None


@dataclass(frozen=True)
class InboxItem:
    reference: str
    service: str
    state: str
    submitted_at: str
    due_at: str | None
    sla: str


@dataclass(frozen=True)
class InboxPage:
    """One page of an officer's inbox with the desk's counts; ``next_cursor`` is None on the last."""

    items: list[InboxItem]
    total: int
    waiting: int
    by_service: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    by_sla: dict[str, int] = field(default_factory=dict)
    next_cursor: str | None = None
