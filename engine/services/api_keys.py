"""API keys: a municipality's scoped credentials for machine clients, beside officers' bearer tokens.

The secret (``ttk_…``) is shown once when the key is made; only its SHA-256 digest is stored,
as for officers' tokens. A key is sent as ``Authorization: Bearer ttk_…``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from engine.services import secrets
from engine.services.errors import NotFound, ServiceError
from engine.store.models import ApiKey, Tenant, User

PREFIX = "ttk_"
SCOPES: tuple[str, ...] = (
    "submissions:read",
    "submissions:write",
    "inbox:read",
    "documents:read",
)
MAX_NAME = 80
# last_used_at is written at most this often per key, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


class ApiKeyError(ServiceError):
    """Something is wrong with an API key or with a request to manage one."""


class InvalidApiKeyRequest(ApiKeyError):
    code = "invalid_request"


class UnknownScope(InvalidApiKeyRequest):
    code = "unknown_scope"

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__(f"no scope {scope!r}; the scopes are {', '.join(SCOPES)}")


class ApiKeyNotFound(ApiKeyError, NotFound):
    code = "api_key_not_found"

    def __init__(self, key_id: int):
        self.key_id = key_id
        super().__init__(f"no API key {key_id}")


class ApiKeyRefused(ApiKeyError):
    """The key presented with a request does not let it through."""


class InvalidApiKey(ApiKeyRefused):
    http_status = 401
    code = "unauthorized"

    def __init__(self) -> None:
        super().__init__("the API key is unknown, revoked or expired")


class WrongTenant(ApiKeyRefused):
    http_status = 403
    code = "wrong_tenant"

    def __init__(self) -> None:
        super().__init__("this API key belongs to another municipality")


class InsufficientScope(ApiKeyRefused):
    http_status = 403
    code = "insufficient_scope"

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__(f"this API key lacks the scope {scope}")


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX)


def _scopes(given: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(given))
    for scope in chosen:
        if scope not in SCOPES:
            raise UnknownScope(scope)
    if not chosen:
        raise InvalidApiKeyRequest("give at least one scope")
    return [scope for scope in SCOPES if scope in chosen]


async def create(
    tenant: Tenant,
    name: str,
    scopes: Iterable[str],
    *,
    created_by: User | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its secret (shown once; only its digest is kept)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidApiKeyRequest(f"give the key a name of 1 to {MAX_NAME} characters")
    chosen = _scopes(scopes)
    if expires_at is not None and expires_at <= (now or datetime.now(UTC)):
        raise InvalidApiKeyRequest("expires_at must be in the future")
    secret = PREFIX + secrets.new_token(30)
    key = await ApiKey.create(
        tenant=tenant,
        name=name,
        key_hash=secrets.digest(secret),
        prefix=secret[: len(PREFIX) + 4],
        scopes=chosen,
        created_by=created_by,
        expires_at=expires_at,
    )
    return key, secret


async def list_keys(tenant: Tenant) -> list[ApiKey]:
    """The municipality's keys, newest first, revoked ones included."""
    return await ApiKey.filter(tenant_id=tenant.id).order_by("-created_at", "-id")


async def revoke(tenant: Tenant, key_id: int, *, now: datetime | None = None) -> ApiKey:
    """End a key at once; revoking a revoked key changes nothing."""
    key = await ApiKey.get_or_none(id=key_id, tenant_id=tenant.id)
    if key is None:
        raise ApiKeyNotFound(key_id)
    if key.revoked_at is None:
        key.revoked_at = now or datetime.now(UTC)
        await key.save(update_fields=["revoked_at"])
    return key


def is_active(key: ApiKey, now: datetime) -> bool:
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


async def find_active(secret: str, *, now: datetime | None = None) -> ApiKey | None:
    """The unrevoked, unexpired key behind ``secret``, of whichever municipality."""
    key = await ApiKey.get_or_none(key_hash=secrets.digest(secret))
    return key if key is not None and is_active(key, now or datetime.now(UTC)) else None


async def admit(key: ApiKey | None, tenant: Tenant, scope: str, *, now: datetime | None = None) -> ApiKey:
    """``key`` (as :func:`find_active` found it) if it may do ``scope`` at ``tenant``; records when
    it was last used.

    Raises :class:`UnknownScope`, :class:`InvalidApiKey` (``key`` None), :class:`WrongTenant` or
    :class:`InsufficientScope`.
    """
    if scope not in SCOPES:
        raise UnknownScope(scope)
    moment = now or datetime.now(UTC)
    if key is None:
        raise InvalidApiKey()
    if key.tenant_id != tenant.id:
        raise WrongTenant()
    if scope not in key.scopes:
        raise InsufficientScope(scope)
    if key.last_used_at is None or moment - key.last_used_at >= TOUCH_EVERY:
        key.last_used_at = moment
        await ApiKey.filter(id=key.id).update(last_used_at=moment)
    return key
