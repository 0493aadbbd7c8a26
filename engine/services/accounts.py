"""Officers: argon2 password hashes, role grants per tenant, API tokens and optional TOTP."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.services import secrets, throttle
from engine.services.errors import AuthenticationFailed
from engine.store.models import ApiToken, RoleGrant, Tenant, User

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown username like that of a wrong password.
_DUMMY_HASH = _hasher.hash("thongthin-no-such-user")
TOKEN_LIFETIME = timedelta(hours=8)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_user(
    tenant: Tenant,
    username: str,
    password: str,
    display_name: str,
    roles: Iterable[str] = (),
    *,
    position_th: str = "",
) -> User:
    user = await User.create(
        tenant=tenant,
        username=username,
        password_hash=hash_password(password),
        display_name=display_name,
        position_th=position_th,
    )
    for role in roles:
        await grant_role(user, role)
    return user


async def grant_role(user: User, role: str) -> None:
    await RoleGrant.get_or_create(tenant_id=user.tenant_id, user=user, role=role)


async def revoke_role(user: User, role: str) -> None:
    await RoleGrant.filter(tenant_id=user.tenant_id, user=user, role=role).delete()


async def roles_of(user: User) -> set[str]:
    return set(await RoleGrant.filter(tenant_id=user.tenant_id, user=user).values_list("role", flat=True))


async def authenticate(username: str, password: str, totp_code: str | None = None) -> User:
    """The active user with these credentials; raises :class:`AuthenticationFailed`.

    Users with two-factor authentication also need the current TOTP code. After
    :data:`engine.services.throttle.LOGIN` failures for a username it raises
    :class:`~engine.services.throttle.TooManyAttempts` until the window ends, even for the
    right password.
    """
    key = username.strip().lower()
    await throttle.take(throttle.LOGIN, key)
    user = await User.get_or_none(username=username, active=True)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise AuthenticationFailed()
    if not verify_password(user.password_hash, password):
        raise AuthenticationFailed()
    if user.totp_secret and not (
        totp_code and pyotp.TOTP(user.totp_secret).verify(totp_code, valid_window=1)
    ):
        raise AuthenticationFailed("a valid two-factor code is required")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await user.save(update_fields=["password_hash"])
    await throttle.forget(throttle.LOGIN, key)
    return user


async def enable_totp(user: User) -> str:
    """Turn on two-factor authentication; returns the secret to put in an authenticator app."""
    user.totp_secret = pyotp.random_base32()
    await user.save(update_fields=["totp_secret"])
    return user.totp_secret


async def issue_token(user: User, *, now: datetime | None = None) -> str:
    """A new bearer token for ``user`` (shown once; only its digest is stored)."""
    token = secrets.new_token()
    moment = now or datetime.now(UTC)
    await ApiToken.create(
        tenant_id=user.tenant_id,
        user=user,
        token_hash=secrets.digest(token),
        expires_at=moment + TOKEN_LIFETIME,
    )
    return token


async def user_for_token(token: str, *, now: datetime | None = None) -> User | None:
    found = await ApiToken.get_or_none(token_hash=secrets.digest(token)).prefetch_related("user")
    if found is None or found.expires_at <= (now or datetime.now(UTC)) or not found.user.active:
        return None
    return found.user
