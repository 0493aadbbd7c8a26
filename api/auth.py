"""Who is calling: an officer's bearer token, or an applicant's tracking token."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request

from api.errors import ApiError
from engine.services import accounts
from engine.store.models import Tenant, User
from thongthin.app import platform


@dataclass(frozen=True)
class Caller:
    user: User | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    tracking_token: str | None = None

    @property
    def is_officer(self) -> bool:
        return self.user is not None


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def officer_of(tenant: Tenant) -> Caller | None:
    """The officer behind the bearer token, refused (403) when they work for another tenant."""
    token = bearer_token()
    if token is None:
        return None
    user = platform().db(accounts.user_for_token(token))
    if user is None:
        raise ApiError(401, "unauthorized", "the bearer token is unknown or expired")
    if user.tenant_id != tenant.id:
        raise ApiError(403, "wrong_tenant", "this token belongs to another municipality")
    return Caller(user=user, roles=frozenset(platform().db(accounts.roles_of(user))))


TRACKING_HEADER = "X-Tracking-Token"


def caller_for(tenant: Tenant) -> Caller:
    """An officer (bearer) or an applicant (tracking token); 401 when neither is given.

    The tracking token is taken from the ``X-Tracking-Token`` header only: one in the query
    string is refused (400) rather than ignored, since URLs end up in access logs and browser
    histories, and a client that silently lost its token would not notice why.
    """
    if "tracking_token" in request.args:
        raise ApiError(
            400,
            "tracking_token_in_query",
            f"send the tracking token in the {TRACKING_HEADER} header, never in the URL",
        )
    officer = officer_of(tenant)
    if officer is not None:
        return officer
    tracking = request.headers.get(TRACKING_HEADER, "").strip()
    if tracking:
        return Caller(roles=frozenset({"applicant"}), tracking_token=tracking)
    raise ApiError(401, "unauthorized", "give an officer's bearer token or the applicant's tracking token")
