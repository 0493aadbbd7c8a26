"""The client: one method per operation, all through :meth:`Client._request`, which maps refusals to exceptions."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, cast
from urllib.parse import quote

import httpx

from thongthin_client.errors import ApiError, error_from
from thongthin_client.types import (
    AccountBills,
    ApiKey,
    ApplicationFile,
    CatalogEntry,
    Dashboard,
    Draft,
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
    Submission,
    Transitioned,
    UploadedFile,
    Verification,
    Webhook,
    WebhookDelivery,
)

API = "/api/v1"
TRACKING_HEADER = "X-Tracking-Token"
DRAFT_HEADER = "X-Draft-Secret"
PHONE_HEADER = "X-Account-Phone"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_TIMEOUT = 30.0
ALL_OWED = "all"  # the "period" of the one QR that pays everything an account owes


def _segment(value: str) -> str:
    """``value`` as one path segment (a reference or an id never becomes several)."""
    return quote(value, safe="")


class Client:
    """A synchronous client of one Thongthin installation.

    ``token`` is an officer's bearer token (or call :meth:`login`) or a municipality's API key
    (``ttk_…``); ``tracking_token`` an applicant's secret, sent when tracking (a submission made
    with this client is tracked with its own token without it, and a draft begun with it is
    worked with its own secret). Reads that carry an ``ETag`` (the catalog, a service's
    definition) are remembered with it and asked for again with ``If-None-Match``: an unchanged
    document costs a 304. Use it as a context manager, or call :meth:`close`.

    Every method raises :class:`~thongthin_client.errors.ApiError` (or the kind for its status)
    when the server refuses, and ``httpx.HTTPError`` when it cannot be reached.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        tracking_token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.token = token
        self.tracking_token = tracking_token
        # The underlying httpx client (event hooks, headers, limits can be set on it).
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)
        self._cached: dict[str, tuple[str, Any]] = {}
        self._own_tokens: dict[tuple[str, str], str] = {}
        self._draft_secrets: dict[tuple[str, int], str] = {}

    # The plumbing ---------------------------------------------------------------------------

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        content: bytes | None = None,
        expect: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send one request under /api/v1; an answer of 400 or more raises the matching :class:`ApiError`.

        Statuses in ``expect`` (e.g. 304) are returned as they are.
        """
        sent: dict[str, str] = {"Accept": "application/json"}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        sent.update(headers or {})
        response = self.http.request(
            method,
            API + path,
            json=json_body,
            params=params,
            headers=sent,
            files=files,
            content=content,
        )
        if response.status_code >= 400 and response.status_code not in expect:
            try:
                body: Any = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                body = None
            raise error_from(response.status_code, body, response.text, response.headers.get("Retry-After"))
        return response

    def _get_cached(self, path: str) -> Any:
        """A GET that honours ``ETag``: the last body again when the server answers 304."""
        held = self._cached.get(path)
        headers = {"If-None-Match": held[0]} if held else {}
        response = self._request("GET", path, headers=headers, expect=(304,))
        if response.status_code == 304 and held is not None:
            return held[1]
        body = response.json()
        tag = response.headers.get("ETag")
        if tag:
            self._cached[path] = (tag, body)
        return body

    def _download(self, path: str, accept: str, headers: Mapping[str, str] | None = None) -> bytes:
        """A file's bytes (a PDF, a PNG, an upload); a refusal still comes as JSON and raises."""
        sent = {"Accept": f"{accept}, application/json;q=0.5", **(headers or {})}
        return self._request("GET", path, headers=sent).content

    def _applicant(
        self, tenant: str, reference: str, tracking_token: str | None, *, unless_officer: bool = False
    ) -> dict[str, str]:
        """The ``X-Tracking-Token`` header for a submission: the one given, else its own, else the client's."""
        if unless_officer and self.token:
            return {}
        secret = tracking_token or self._own_tokens.get((tenant, reference)) or self.tracking_token
        return {TRACKING_HEADER: secret} if secret else {}

    def _keep_receipt(self, tenant: str, response: httpx.Response) -> Receipt:
        """The receipt of a submission just filed; its tracking token is kept for :meth:`track`."""
        body = response.json()
        receipt = Receipt(
            reference=body["reference"],
            status=body["status"],
            tracking_token=body["tracking_token"],
            location=response.headers.get("Location"),
            replayed=response.headers.get("Idempotency-Replayed") == "true",
        )
        self._own_tokens[(tenant, receipt.reference)] = receipt.tracking_token
        return receipt

    def _draft_path(self, tenant: str, service_id: str, draft_id: int) -> str:
        return f"/tenants/{_segment(tenant)}/services/{_segment(service_id)}/drafts/{int(draft_id)}"

    def _draft_secret(self, tenant: str, draft_id: int, secret: str | None) -> dict[str, str]:
        """The ``X-Draft-Secret`` header: the one given, else the one kept when the draft was begun here."""
        given = secret or self._draft_secrets.get((tenant, int(draft_id)))
        return {DRAFT_HEADER: given} if given else {}

    # Definitions -----------------------------------------------------------------------------

    def catalog(self) -> list[CatalogEntry]:
        """Every service of the national catalog with its published versions."""
        return cast(list[CatalogEntry], self._get_cached("/catalog")["services"])

    def catalog_version(self, service_id: str, version: str) -> ServiceDocument:
        """A published version of a catalog service, with the national default fees."""
        path = f"/catalog/{_segment(service_id)}/versions/{_segment(version)}"
        return cast(ServiceDocument, self._get_cached(path))

    def services(self, tenant: str) -> list[ServiceSummary]:
        """The services a municipality offers."""
        body = self._request("GET", f"/tenants/{_segment(tenant)}/services").json()
        return cast(list[ServiceSummary], body["services"])

    def service(self, tenant: str, service_id: str) -> ServiceDocument:
        """The definition the municipality enabled: form schema, steps, files, fees, SLA, privacy notice."""
        path = f"/tenants/{_segment(tenant)}/services/{_segment(service_id)}"
        return cast(ServiceDocument, self._get_cached(path))

    # Applicants ------------------------------------------------------------------------------

    def submit(
        self,
        tenant: str,
        service_id: str,
        data: Mapping[str, Any],
        idempotency_key: str | None = None,
    ) -> Receipt:
        """Submit the form's data; :class:`ValidationFailed` lists every wrong answer when it is refused.

        The receipt's tracking token is remembered for :meth:`track`. With ``idempotency_key`` (a
        UUID, say) the same request sent again within 24 hours gets the first receipt back
        (``replayed`` true) and nothing is filed twice; with another body it is refused (422
        ``idempotency_key_reused``).
        """
        headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else {}
        response = self._request(
            "POST",
            f"/tenants/{_segment(tenant)}/services/{_segment(service_id)}/submissions",
            json_body=dict(data),
            headers=headers,
        )
        return self._keep_receipt(tenant, response)

    def upload(
        self,
        tenant: str,
        service_id: str,
        attachment_id: str,
        filename: str,
        content: bytes,
        content_type: str = "application/octet-stream",
    ) -> UploadedFile:
        """Upload one file for an attachment of the service, before submitting; put the answer in the data."""
        path = f"/tenants/{_segment(tenant)}/services/{_segment(service_id)}/attachments/{_segment(attachment_id)}"
        response = self._request("POST", path, files={"file": (filename, content, content_type)})
        return cast(UploadedFile, response.json())

    def track(self, tenant: str, reference: str, *, tracking_token: str | None = None) -> Submission:
        """A submission's status, history and the caller's next actions.

        As an officer with a bearer token, or as its applicant: ``tracking_token``, else the one of
        a submission made with this client, else the client's own.
        """
        headers = self._applicant(tenant, reference, tracking_token)
        path = f"/tenants/{_segment(tenant)}/submissions/{_segment(reference)}"
        return cast(Submission, self._request("GET", path, headers=headers).json())

    def verify(self, pdf_bytes: bytes) -> Verification:
        """Check a PDF's signatures and whether the platform issued exactly this file."""
        response = self._request(
            "POST", "/verify", content=pdf_bytes, headers={"Content-Type": "application/pdf"}
        )
        return cast(Verification, response.json())

    # Drafts: an application saved on the server, step by step -----------------------------------

    def create_draft(self, tenant: str, service_id: str) -> NewDraft:
        """Begin an application on the server; the answer holds its ``secret``, shown this once.

        The client keeps the secret for its other draft calls; keep it yourself to resume the draft
        elsewhere (:meth:`resume_draft`). Drafts untouched for 30 days are deleted.
        """
        path = f"/tenants/{_segment(tenant)}/services/{_segment(service_id)}/drafts"
        draft = cast(NewDraft, self._request("POST", path).json())
        self._draft_secrets[(tenant, int(draft["id"]))] = draft["secret"]
        return draft

    def save_step(
        self,
        tenant: str,
        service_id: str,
        draft_id: int,
        step_id: str,
        answers: Mapping[str, Any],
        *,
        keep_invalid: bool = False,
        secret: str | None = None,
    ) -> SavedStep:
        """Store one step's answers (in the form's shape), checked as the portal checks that step.

        Raises :class:`ValidationFailed` (``code`` ``invalid_step``, ``step_id``) with the portal's
        per-field messages in Thai and English when the step has a problem: nothing is stored.
        With ``keep_invalid`` the answers are stored anyway and the problems listed in ``errors``.
        Files are uploaded first (:meth:`upload`) and their descriptions put at the file field.
        """
        path = f"{self._draft_path(tenant, service_id, draft_id)}/steps/{_segment(step_id)}"
        body = {"answers": dict(answers), "keep_invalid": keep_invalid}
        headers = self._draft_secret(tenant, draft_id, secret)
        return cast(SavedStep, self._request("PUT", path, json_body=body, headers=headers).json())

    def draft(self, tenant: str, service_id: str, draft_id: int, *, secret: str | None = None) -> Draft:
        """A draft's answers, which steps are complete, the next one, and the check-your-answers summary.

        A wrong secret is :class:`NotFound`, as a draft that does not exist (or expired).
        """
        path = self._draft_path(tenant, service_id, draft_id)
        headers = self._draft_secret(tenant, draft_id, secret)
        return cast(Draft, self._request("GET", path, headers=headers).json())

    def resume_draft(self, tenant: str, service_id: str, draft_id: int, secret: str) -> Draft:
        """Take up a draft begun elsewhere (another device, a resume link) with its secret, kept from then on.

        Raises :class:`NotFound` when the secret does not open this draft.
        """
        found = self.draft(tenant, service_id, draft_id, secret=secret)
        self._draft_secrets[(tenant, int(draft_id))] = secret
        return found

    def submit_draft(
        self,
        tenant: str,
        service_id: str,
        draft_id: int,
        *,
        secret: str | None = None,
        idempotency_key: str | None = None,
    ) -> Receipt:
        """File the draft: the receipt :meth:`submit` gives (its tracking token kept); the draft is gone.

        Raises :class:`ValidationFailed` (each error with the ``step_id`` asking it) when the draft
        is not ready, :class:`Conflict` while another request submits it. ``idempotency_key`` as
        for :meth:`submit`: sent again, the first receipt comes back.
        """
        path = f"{self._draft_path(tenant, service_id, draft_id)}/submit"
        headers = self._draft_secret(tenant, draft_id, secret)
        if idempotency_key:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        receipt = self._keep_receipt(tenant, self._request("POST", path, headers=headers))
        self._draft_secrets.pop((tenant, int(draft_id)), None)
        return receipt

    def discard_draft(
        self, tenant: str, service_id: str, draft_id: int, *, secret: str | None = None
    ) -> None:
        """Delete a draft and the files uploaded to it."""
        path = self._draft_path(tenant, service_id, draft_id)
        self._request("DELETE", path, headers=self._draft_secret(tenant, draft_id, secret))
        self._draft_secrets.pop((tenant, int(draft_id)), None)

    # An application's signed documents ----------------------------------------------------------

    def documents(
        self, tenant: str, reference: str, *, tracking_token: str | None = None
    ) -> list[IssuedDocument]:
        """The signed documents issued for an application, oldest first (its applicant, or an officer)."""
        path = f"/tenants/{_segment(tenant)}/submissions/{_segment(reference)}/documents"
        headers = self._applicant(tenant, reference, tracking_token)
        return cast(list[IssuedDocument], self._request("GET", path, headers=headers).json()["documents"])

    def document_pdf(
        self, tenant: str, reference: str, public_id: str, *, tracking_token: str | None = None
    ) -> bytes:
        """A signed document of an application, the PDF byte for byte as issued."""
        path = (
            f"/tenants/{_segment(tenant)}/submissions/{_segment(reference)}"
            f"/documents/{_segment(public_id)}.pdf"
        )
        return self._download(path, "application/pdf", self._applicant(tenant, reference, tracking_token))

    # A fee account's bills ----------------------------------------------------------------------

    def bills(self, tenant: str, account: str, *, phone: str | None = None) -> AccountBills:
        """An account's bills as the portal shows them: each unpaid one with its Thai QR payload.

        ``account`` in any spelling, or a paper bill's reference 1. With the ``phone`` number
        registered with the account the paid bills carry their e-receipts; a wrong one is
        :class:`Forbidden` (``account_phone_wrong``), too many are :class:`RateLimited`.
        """
        path = f"/tenants/{_segment(tenant)}/bills/{_segment(account)}"
        headers = {PHONE_HEADER: phone} if phone else {}
        return cast(AccountBills, self._request("GET", path, headers=headers).json())

    def bill_qr_png(self, tenant: str, account: str, period: str = ALL_OWED) -> bytes:
        """The Thai QR of one unpaid bill (its period, e.g. ``2569-11``) or of everything owed, as a PNG.

        :class:`NotFound` (``bill_not_found``) when nothing is owed for that period.
        """
        path = f"/tenants/{_segment(tenant)}/bills/{_segment(account)}/qr/{_segment(period)}.png"
        return self._download(path, "image/png")

    def receipt_pdf(self, tenant: str, account: str, public_id: str, phone: str) -> bytes:
        """The signed e-receipt of one of the account's paid bills, for the phone number registered with it."""
        path = f"/tenants/{_segment(tenant)}/bills/{_segment(account)}/receipts/{_segment(public_id)}.pdf"
        return self._download(path, "application/pdf", {PHONE_HEADER: phone})

    # Officers --------------------------------------------------------------------------------

    def login(self, tenant: str, username: str, password: str, totp: str | None = None) -> str:
        """Exchange an officer's credentials for a bearer token, which this client uses from then on."""
        body: dict[str, str] = {"tenant": tenant, "username": username, "password": password}
        if totp is not None:
            body["totp"] = totp
        self.token = None  # never send an old token along with a login
        self.token = str(self._request("POST", "/auth/token", json_body=body).json()["token"])
        return self.token

    def logout(self) -> None:
        """End the bearer token (it stops working everywhere) and forget it."""
        if self.token:
            self._request("DELETE", "/auth/token")
        self.token = None

    def inbox_page(
        self,
        tenant: str,
        *,
        service: str | None = None,
        state: str | None = None,
        sla: str | None = None,
        q: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> InboxPage:
        """One page of the officer's inbox with the desk's counts (filters as on the desk)."""
        given = {"service": service, "state": state, "sla": sla, "q": q, "cursor": cursor}
        params = {name: value for name, value in given.items() if value is not None}
        if limit is not None:
            params["limit"] = str(limit)
        body = self._request("GET", f"/tenants/{_segment(tenant)}/inbox", params=params).json()
        return InboxPage(
            items=[InboxItem(**item) for item in body["items"]],
            total=body["total"],
            waiting=body["waiting"],
            by_service=body.get("by_service") or {},
            by_state=body.get("by_state") or {},
            by_sla=body.get("by_sla") or {},
            next_cursor=body.get("next_cursor"),
        )

    def inbox(
        self,
        tenant: str,
        *,
        service: str | None = None,
        state: str | None = None,
        sla: str | None = None,
        q: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[InboxItem]:
        """Every item of the officer's inbox, most urgent first, fetching page after page as it goes."""
        cursor: str | None = None
        while True:
            page = self.inbox_page(
                tenant, service=service, state=state, sla=sla, q=q, limit=page_size, cursor=cursor
            )
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def transition(
        self,
        tenant: str,
        reference: str,
        action: str,
        input: Mapping[str, Any] | None = None,
        *,
        version: int | None = None,
        corrected: Mapping[str, Any] | None = None,
    ) -> Transitioned:
        """Fire ``action`` on the submission with its ``input``; ``version`` refuses it (409) if it changed."""
        body: dict[str, Any] = {"action": action, "input": dict(input or {})}
        if version is not None:
            body["version"] = version
        if corrected is not None:
            body["corrected"] = dict(corrected)
        headers = self._applicant(tenant, reference, None, unless_officer=True)
        path = f"/tenants/{_segment(tenant)}/submissions/{_segment(reference)}/transitions"
        return cast(Transitioned, self._request("POST", path, json_body=body, headers=headers).json())

    def attachments(self, tenant: str, reference: str) -> list[ApplicationFile]:
        """The files uploaded with an application, oldest first (officers with need to know, or a
        ``submissions:read`` key)."""
        path = f"/tenants/{_segment(tenant)}/submissions/{_segment(reference)}/attachments"
        return cast(list[ApplicationFile], self._request("GET", path).json()["attachments"])

    def attachment_content(self, tenant: str, reference: str, file_id: str) -> bytes:
        """One file of an application as uploaded; the download is recorded in the access log."""
        path = (
            f"/tenants/{_segment(tenant)}/submissions/{_segment(reference)}/attachments/{_segment(file_id)}"
        )
        return self._download(path, "*/*")

    def dashboard(self, tenant: str) -> Dashboard:
        """The console dashboard's figures (an administrator's token): open, overdue, closed in time, per service."""
        return cast(Dashboard, self._request("GET", f"/tenants/{_segment(tenant)}/reports/dashboard").json())

    # Administrators: webhooks and API keys ---------------------------------------------------

    def create_webhook(
        self,
        tenant: str,
        url: str,
        events: Sequence[str],
        services: Sequence[str] | None = None,
    ) -> NewWebhook:
        """Subscribe ``url`` to ``events`` (of ``services``; none: all); the answer's ``secret`` is shown once.

        Check each delivery with :func:`~thongthin_client.verify_webhook_signature` and that secret.
        """
        body: dict[str, Any] = {"url": url, "events": list(events)}
        if services is not None:
            body["services"] = list(services)
        path = f"/tenants/{_segment(tenant)}/webhooks"
        return cast(NewWebhook, self._request("POST", path, json_body=body).json())

    def webhooks(self, tenant: str) -> list[Webhook]:
        """The municipality's webhook subscriptions, oldest first (never their secrets)."""
        return cast(
            list[Webhook], self._request("GET", f"/tenants/{_segment(tenant)}/webhooks").json()["webhooks"]
        )

    def webhook(self, tenant: str, webhook_id: int) -> Webhook:
        """One subscription; another municipality's is :class:`NotFound`."""
        return cast(Webhook, self._request("GET", self._webhook_path(tenant, webhook_id)).json())

    def delete_webhook(self, tenant: str, webhook_id: int) -> None:
        """Remove a subscription; events queued for it are dropped."""
        self._request("DELETE", self._webhook_path(tenant, webhook_id))

    def webhook_deliveries(self, tenant: str, webhook_id: int) -> list[WebhookDelivery]:
        """The latest delivery attempts (up to 100), newest first."""
        path = f"{self._webhook_path(tenant, webhook_id)}/deliveries"
        return cast(list[WebhookDelivery], self._request("GET", path).json()["deliveries"])

    def send_webhook_test(self, tenant: str, webhook_id: int) -> str:
        """Queue a ``webhook.test`` event for the subscription; the worker delivers it. Returns its event id."""
        path = f"{self._webhook_path(tenant, webhook_id)}/test"
        return str(self._request("POST", path).json()["event_id"])

    def _webhook_path(self, tenant: str, webhook_id: int) -> str:
        return f"/tenants/{_segment(tenant)}/webhooks/{int(webhook_id)}"

    def create_api_key(
        self,
        tenant: str,
        name: str,
        scopes: Sequence[str],
        *,
        expires_at: datetime | None = None,
    ) -> NewApiKey:
        """Make an API key for a machine client; its ``secret`` (``ttk_…``) is in this answer only.

        Use it as ``Client(url, token=key["secret"])``. ``expires_at`` must carry its time zone.
        """
        body: dict[str, Any] = {"name": name, "scopes": list(scopes)}
        if expires_at is not None:
            body["expires_at"] = expires_at.isoformat()
        path = f"/tenants/{_segment(tenant)}/api-keys"
        return cast(NewApiKey, self._request("POST", path, json_body=body).json())

    def api_keys(self, tenant: str) -> list[ApiKey]:
        """The municipality's API keys, newest first, revoked ones included (never their secrets)."""
        return cast(
            list[ApiKey], self._request("GET", f"/tenants/{_segment(tenant)}/api-keys").json()["api_keys"]
        )

    def revoke_api_key(self, tenant: str, key_id: int) -> ApiKey:
        """Revoke a key at once (again: nothing changes); the key as it is now."""
        path = f"/tenants/{_segment(tenant)}/api-keys/{int(key_id)}"
        return cast(ApiKey, self._request("DELETE", path).json())


__all__ = ["API", "ApiError", "Client"]
