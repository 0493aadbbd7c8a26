"""Who is calling: an officer's bearer token, a municipality's API key, or an applicant's tracking token."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, request

from api.errors import ApiError
from engine.services import accounts, api_keys
from engine.services.roles import ADMIN_ROLE, NOT_FOR_KEYS
from engine.store.models import ApiKey, Tenant, User
from thongthin.app import platform


@dataclass(frozen=True)
class Caller:
    user: User | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    tracking_token: str | None = None
    api_key: ApiKey | None = None

    @property
    def is_officer(self) -> bool:
        """An officer, or a machine client holding the municipality's API key for this route."""
        return self.user is not None or self.api_key is not None


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_user(token: str) -> User | None:
    """The officer or operator behind ``token``, looked up once per request (the rate limit asks first)."""
    looked_up: dict[str, User | None] = g.setdefault("token_users", {})
    if token not in looked_up:
        looked_up[token] = platform().db(accounts.user_for_token(token))
    return looked_up[token]


def active_key(token: str) -> ApiKey | None:
    """The active API key behind ``token``, looked up once per request (the rate limit asks first)."""
    looked_up: dict[str, ApiKey | None] = g.setdefault("api_keys", {})
    if token not in looked_up:
        looked_up[token] = platform().db(api_keys.find_active(token))
    return looked_up[token]


def known_credential(token: str) -> bool:
    """Whether ``token`` is a live officer's or operator's token or an active API key (of any municipality)."""
    if len(token) > 200:
        return False
    if api_keys.looks_like_key(token):
        return active_key(token) is not None
    return token_user(token) is not None


def officer_of(tenant: Tenant) -> Caller | None:
    """The officer behind the bearer token, refused (403) when they work for another tenant."""
    token = bearer_token()
    if token is None:
        return None
    if api_keys.looks_like_key(token):
        _key_refused_here(tenant, token)
    user = token_user(token)
    if user is None:
        raise ApiError(401, "unauthorized", "the bearer token is unknown or expired")
    if user.tenant_id != tenant.id:
        raise ApiError(403, "wrong_tenant", "this token belongs to another municipality")
    return Caller(user=user, roles=frozenset(platform().db(accounts.roles_of(user))))


def _key_refused_here(tenant: Tenant, token: str) -> None:
    """A valid key on a route that takes no key: 403 ``insufficient_scope`` (401 when it is not valid)."""
    key = active_key(token)
    if key is None:
        raise ApiError(401, "unauthorized", "the API key is unknown, revoked or expired")
    if key.tenant_id != tenant.id:
        raise ApiError(403, "wrong_tenant", "this API key belongs to another municipality")
    raise ApiError(
        403, "insufficient_scope", "this operation takes an officer's bearer token, not an API key"
    )


def require_scope(tenant: Tenant, scope: str) -> Caller | None:
    """An officer (bearer token) or an API key holding ``scope``; None when no bearer was given.

    A key acts for the municipality with the roles its services' workflows name (never ``admin``).
    """
    token = bearer_token()
    if token is None or not api_keys.looks_like_key(token):
        return officer_of(tenant)
    key = platform().db(api_keys.admit(active_key(token), tenant, scope))
    roles = frozenset(platform().catalog.roles) - NOT_FOR_KEYS
    return Caller(roles=roles, api_key=key)


def admin_of(tenant: Tenant, what_en: str, what_th: str) -> Caller:
    """The municipality's administrator behind the bearer token (never an API key).

    Raises :class:`ApiError` 401 without a token, 403 when the officer is not an administrator of
    ``tenant``; ``what_en`` and ``what_th`` complete the refusal ("only … manage webhooks").
    """
    caller = officer_of(tenant)
    if caller is None:
        raise ApiError(401, "unauthorized", "give an administrator's bearer token")
    if ADMIN_ROLE not in caller.roles:
        raise ApiError(
            403,
            "forbidden",
            f"only the municipality's administrators {what_en}",
            message_th=f"เฉพาะผู้ดูแลระบบของหน่วยงานเท่านั้นที่{what_th}",
        )
    return caller


TRACKING_HEADER = "X-Tracking-Token"


def caller_for(tenant: Tenant, scope: str | None = None) -> Caller:
    """An officer (bearer) or an applicant (tracking token); 401 when neither is given.

    The tracking token is taken from the ``X-Tracking-Token`` header only: one in the query
    string is refused (400) rather than ignored, since URLs end up in access logs and browser
    histories, and a client that silently lost its token would not notice why. With ``scope``,
    an API key holding it is taken too (see :func:`require_scope`).
    """
    if "tracking_token" in request.args:
        raise ApiError(
            400,
            "tracking_token_in_query",
            f"send the tracking token in the {TRACKING_HEADER} header, never in the URL",
        )
    officer = officer_of(tenant) if scope is None else require_scope(tenant, scope)
    if officer is not None:
        return officer
    tracking = request.headers.get(TRACKING_HEADER, "").strip()
    if tracking:
        return Caller(roles=frozenset({"applicant"}), tracking_token=tracking)
    raise ApiError(401, "unauthorized", "give an officer's bearer token or the applicant's tracking token")
