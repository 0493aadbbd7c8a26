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
    # An address field's parts (its answer's keys) in the order the portal asks them.
    parts: NotRequired[list[AnswerPart]]


class AnswerPart(TypedDict):
    name: str
    label: Text


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
    action_title: Text  # the action as the pages name it, in Thai and English
    to_title: Text  # the state it led to, likewise
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
    # True when this is the first answer given again for the same Idempotency-Key and body.
    replayed: bool = False


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


# Drafts -------------------------------------------------------------------------------------------


class DraftStep(TypedDict):
    """A step the form asks given the answers so far, and whether its answers are complete."""

    id: str
    title: Text
    complete: bool


class WrittenAnswer(TypedDict):
    """An answer as the check-your-answers page writes it for people, in Thai and English."""

    pointer: str
    label: Text
    text: Text
    items: NotRequired[list[list[WrittenAnswer]]]


class SummaryStep(TypedDict):
    step_id: str
    title: Text
    answers: list[WrittenAnswer]


class ProblemItem(TypedDict):
    """A field error as JSON (the parsed form is :class:`~thongthin_client.errors.FieldError`)."""

    pointer: str
    message_th: str
    message_en: str
    step_id: NotRequired[str | None]


class Draft(TypedDict):
    """An application saved on the server step by step: answers, steps complete, the summary."""

    id: int
    service_id: str
    service_version: str
    answers: dict[str, Any]
    steps: list[DraftStep]
    next_step: str | None
    ready: bool
    problems: list[ProblemItem]
    summary: list[SummaryStep]
    updated_at: str
    expires_at: str


class NewDraft(Draft):
    """A draft just begun, with its secret: shown this once (the client keeps it for its draft calls)."""

    secret: str


class SavedStep(Draft):
    """The draft after a step was stored; ``errors`` lists the step's problems (only with keep_invalid)."""

    saved_step: str
    errors: list[ProblemItem]


# Documents and bills ------------------------------------------------------------------------------


class IssuedDocument(TypedDict):
    """A signed document issued for an application; download it with :meth:`Client.document_pdf`."""

    public_id: str
    number: str
    title: Text
    issued_at: str | None
    download_url: str
    document_id: NotRequired[str]
    file_name: NotRequired[str]
    verify_url: NotRequired[str]


class FeeAccountView(TypedDict):
    """A fee account as whoever has its number sees it: the holder masked, the address from the subdistrict up."""

    number: str
    holder: str
    address: NotRequired[str]
    fee_title: NotRequired[Text]
    rate_class: NotRequired[Text]


class UnpaidBill(TypedDict):
    """A bill still owed, with the Thai QR payload (PromptPay bill payment) for what is owed."""

    period: str
    amount: str
    owed: str
    status: str
    qr_payload: str
    ref1: str
    ref2: str
    period_title: NotRequired[Text]
    description: NotRequired[Text]
    paid: NotRequired[str]
    due_date: NotRequired[str | None]
    qr_png_url: NotRequired[str | None]


class BillReceipt(TypedDict):
    public_id: str
    number: str
    issued_at: str | None
    download_url: str


class PaidBill(TypedDict):
    """A paid bill; ``receipt`` only when the registered phone number was given."""

    period: str
    amount: str
    paid: str
    status: str
    settled_at: str | None
    ref1: str
    ref2: str
    period_title: NotRequired[Text]
    description: NotRequired[Text]
    receipt: NotRequired[BillReceipt]


class AccountBills(TypedDict):
    """A fee account's bills as the portal's bills page shows them; amounts are baht as "25.00"."""

    account: FeeAccountView
    arrears: str
    arrears_qr_payload: str | None
    arrears_qr_png_url: str | None
    unpaid: list[UnpaidBill]
    paid: list[PaidBill]


# Administration -----------------------------------------------------------------------------------


class Webhook(TypedDict):
    """A webhook subscription (never its secret); ``services`` empty means every service."""

    id: int
    url: str
    events: list[str]
    services: list[str]
    active: bool
    created_at: str


class NewWebhook(Webhook):
    """A subscription just made, with its signing secret: shown this once."""

    secret: str


class WebhookDelivery(TypedDict):
    """One attempt to deliver an event; ``status_code`` is None when the receiver never answered."""

    event_id: str
    type: str
    attempt: int
    at: str
    status_code: int | None
    error: str | None
    duration_ms: int
    delivered: bool


class WebhookEvent(TypedDict):
    """A delivered event's body; drop repeats by ``id`` (the same on every retry)."""

    id: str
    type: str
    created_at: str
    tenant: str
    data: dict[str, Any]


class ApiKey(TypedDict):
    """A machine client's API key (never its secret); ``prefix`` tells keys apart."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: str
    last_used_at: str | None
    expires_at: str | None
    revoked_at: str | None


class NewApiKey(ApiKey):
    """A key just made, with its secret (``ttk_…``): shown this once."""

    secret: str


class StateCount(TypedDict):
    state: str
    title: Text | None
    count: int


class DashboardFigures(TypedDict):
    total: int
    open: int
    open_overdue: int
    closed: int
    closed_in_time: int
    compliance: float | None


class DashboardService(DashboardFigures):
    service_id: str
    title: Text | None
    withdrawn: int
    by_state: list[StateCount]


class Dashboard(DashboardFigures):
    """The console dashboard's figures: the municipality's totals, then per service and state."""

    services: list[DashboardService]


class ApplicationFile(TypedDict):
    """A file uploaded with an application, as officers list it; download with :meth:`Client.attachment_content`."""

    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: str
    download_url: str
