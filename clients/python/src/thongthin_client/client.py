"""The client: one method per operation, all through :meth:`Client._request`, which maps refusals to exceptions."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, cast
from urllib.parse import quote

import httpx

from thongthin_client.errors import ApiError, error_from
from thongthin_client.types import (
    CatalogEntry,
    InboxItem,
    InboxPage,
    Receipt,
    ServiceDocument,
    ServiceSummary,
    Submission,
    Transitioned,
    UploadedFile,
    Verification,
)

API = "/api/v1"
TRACKING_HEADER = "X-Tracking-Token"
DEFAULT_TIMEOUT = 30.0


def _segment(value: str) -> str:
    """``value`` as one path segment (a reference or an id never becomes several)."""
    return quote(value, safe="")


class Client:
    """A synchronous client of one Thongthin installation.

    ``token`` is an officer's bearer token (or call :meth:`login`); ``tracking_token`` an
    applicant's secret, sent when tracking (a submission made with this client is tracked with its
    own token without it). Reads that carry an ``ETag`` (the catalog, a service's definition) are
    remembered with it and asked for again with ``If-None-Match``: an unchanged document costs a
    304. Use it as a context manager, or call :meth:`close`.
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

        The receipt's tracking token is remembered for :meth:`track`.
        """
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = self._request(
            "POST",
            f"/tenants/{_segment(tenant)}/services/{_segment(service_id)}/submissions",
            json_body=dict(data),
            headers=headers,
        )
        body = response.json()
        receipt = Receipt(
            reference=body["reference"],
            status=body["status"],
            tracking_token=body["tracking_token"],
            location=response.headers.get("Location"),
        )
        self._own_tokens[(tenant, receipt.reference)] = receipt.tracking_token
        return receipt

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
        secret = tracking_token or self._own_tokens.get((tenant, reference)) or self.tracking_token
        headers = {TRACKING_HEADER: secret} if secret else {}
        path = f"/tenants/{_segment(tenant)}/submissions/{_segment(reference)}"
        return cast(Submission, self._request("GET", path, headers=headers).json())

    def verify(self, pdf_bytes: bytes) -> Verification:
        """Check a PDF's signatures and whether the platform issued exactly this file."""
        response = self._request(
            "POST", "/verify", content=pdf_bytes, headers={"Content-Type": "application/pdf"}
        )
        return cast(Verification, response.json())

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
        secret = self._own_tokens.get((tenant, reference)) or self.tracking_token
        headers = {TRACKING_HEADER: secret} if secret and not self.token else {}
        path = f"/tenants/{_segment(tenant)}/submissions/{_segment(reference)}/transitions"
        return cast(Transitioned, self._request("POST", path, json_body=body, headers=headers).json())


__all__ = ["API", "ApiError", "Client"]
