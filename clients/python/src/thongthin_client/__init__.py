"""A typed client of Thongthin's JSON API (``/api/v1``): definitions, drafts, submissions, tracking,
documents and bills, the inbox and an application's files, reports, webhooks and API keys.

from thongthin_client import Client, ValidationFailed

with Client("https://thongthin.example") as api:
    form = api.service("maehia", "complaint")
    receipt = api.submit("maehia", "complaint", data)
    print(api.track("maehia", receipt.reference)["status"])
"""

from thongthin_client.client import Client
from thongthin_client.errors import (
    ApiError,
    Conflict,
    FieldError,
    Forbidden,
    InvalidSignature,
    NotFound,
    RateLimited,
    ThongthinError,
    Unauthorized,
    ValidationFailed,
)
from thongthin_client.types import (
    AccountBills,
    Action,
    AnswerPart,
    ApiKey,
    ApplicationFile,
    CatalogEntry,
    Dashboard,
    Draft,
    HistoryEntry,
    InboxItem,
    InboxPage,
    IssuedDocument,
    NewApiKey,
    NewDraft,
    NewWebhook,
    Receipt,
    SavedStep,
    ServiceDocument,
    ServiceSummary,
    Step,
    Submission,
    Text,
    Transitioned,
    UiField,
    UploadedFile,
    Verification,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from thongthin_client.webhooks import verify_webhook_signature

__version__ = "0.2.1"

__all__ = [
    "AccountBills",
    "Action",
    "AnswerPart",
    "ApiError",
    "ApiKey",
    "ApplicationFile",
    "CatalogEntry",
    "Client",
    "Conflict",
    "Dashboard",
    "Draft",
    "FieldError",
    "Forbidden",
    "HistoryEntry",
    "InboxItem",
    "InboxPage",
    "InvalidSignature",
    "IssuedDocument",
    "NewApiKey",
    "NewDraft",
    "NewWebhook",
    "NotFound",
    "RateLimited",
    "Receipt",
    "SavedStep",
    "ServiceDocument",
    "ServiceSummary",
    "Step",
    "Submission",
    "Text",
    "ThongthinError",
    "Transitioned",
    "UiField",
    "Unauthorized",
    "UploadedFile",
    "ValidationFailed",
    "Verification",
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
    "verify_webhook_signature",
]
