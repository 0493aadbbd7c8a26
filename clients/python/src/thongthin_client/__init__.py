"""A typed client of Thongthin's JSON API (``/api/v1``): definitions, submissions, tracking, the inbox.

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
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from thongthin_client.types import (
    Action,
    CatalogEntry,
    HistoryEntry,
    InboxItem,
    InboxPage,
    Receipt,
    ServiceDocument,
    ServiceSummary,
    Step,
    Submission,
    Text,
    Transitioned,
    UiField,
    UploadedFile,
    Verification,
)

__version__ = "0.1.0"

__all__ = [
    "Action",
    "ApiError",
    "CatalogEntry",
    "Client",
    "Conflict",
    "FieldError",
    "Forbidden",
    "HistoryEntry",
    "InboxItem",
    "InboxPage",
    "NotFound",
    "RateLimited",
    "Receipt",
    "ServiceDocument",
    "ServiceSummary",
    "Step",
    "Submission",
    "Text",
    "Transitioned",
    "UiField",
    "Unauthorized",
    "UploadedFile",
    "ValidationFailed",
    "Verification",
]
