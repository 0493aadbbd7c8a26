"""Officers: argon2 password hashes, role grants per tenant, API tokens and optional TOTP."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.expressions import Q

from engine.services import secrets, throttle
from engine.services.errors import AuthenticationFailed, WeakPassword
from engine.store.bounds import could_be_key, max_length
from engine.store.models import AccountEvent, ApiToken, RoleGrant, Tenant, User
from engine.store.queries import flat

ARGON2_TIME_COST_ENV = "THONGTHIN_ARGON2_TIME_COST"
ARGON2_MEMORY_ENV = "THONGTHIN_ARGON2_MEMORY_KIB"


def password_hasher(environ: Mapping[str, str] = os.environ) -> PasswordHasher:
    """argon2id at the library's costs (RFC 9106's second recommendation: 3 passes over 64 MiB).

    ``THONGTHIN_ARGON2_TIME_COST`` (1 to 10) and ``THONGTHIN_ARGON2_MEMORY_KIB`` (64 to 1,048,576)
    lower them for a test suite, which hashes thousands of throw-away passwords; an installation
    leaves them unset. A hash made at other costs is redone at the next right login. Raises
    :class:`ValueError` naming the variable when a value is out of its range.
    """

    def cost(name: str, default: int, lowest: int, highest: int) -> int:
        raw = environ.get(name, "").strip()
        if not raw:
            return default
        if not raw.isdigit() or not lowest <= int(raw) <= highest:
            raise ValueError(f"{name} must be a whole number from {lowest} to {highest}, not {raw!r}")
        return int(raw)

    standard = PasswordHasher()
    return PasswordHasher(
        time_cost=cost(ARGON2_TIME_COST_ENV, standard.time_cost, 1, 10),
        memory_cost=cost(ARGON2_MEMORY_ENV, standard.memory_cost, 64, 1_048_576),
        parallelism=standard.parallelism,
    )


_hasher = password_hasher()
# Verifying against this keeps the time of a login with an unknown username like that of a wrong password.
_DUMMY_HASH = _hasher.hash("thongthin-no-such-user")
TOKEN_LIFETIME = timedelta(hours=8)
# Kinds of account events (AccountEvent.kind).
LOCKED = "locked"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
DEACTIVATED = "deactivated"
REACTIVATED = "reactivated"
TOTP_ENABLED = "totp_enabled"
TOTP_DISABLED = "totp_disabled"


MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a megabyte "password" is an attack
# zxcvbn's scale: 3 is "safely unguessable: moderate protection from offline slow-hash scenario".
MIN_PASSWORD_SCORE = 3


def password_problems(password: str, *, username: str = "", tenant_slug: str = "") -> list[str]:
    """Why ``password`` may not be used (message keys, empty when it may).

    Length first, then zxcvbn's estimate of how many guesses it takes, which knows common
    passwords, dictionary words, keyboard patterns, repeats and dates, and is told the
    username and municipality so a password built from them scores low.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return ["password.too_short"]
    if len(password) > MAX_PASSWORD_LENGTH:
        return ["password.too_long"]
    lowered = password.lower()
    if any(part and part.lower() in lowered for part in (username, tenant_slug)):
        return ["password.contains_name"]
    from zxcvbn import zxcvbn

    # zxcvbn's work grows with length; the first 100 characters decide its score anyway.
    if zxcvbn(password[:100], user_inputs=[username, tenant_slug])["score"] < MIN_PASSWORD_SCORE:
        return ["password.guessable"]
    return []


def check_new_password(
    password: str, user: User | None = None, *, username: str = "", tenant_slug: str = ""
) -> None:
    """Raises :class:`WeakPassword` unless ``password`` may be used."""
    problems = password_problems(
        password, username=user.username if user else username, tenant_slug=tenant_slug
    )
    if problems:
        raise WeakPassword(problems)


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
    return set(await flat(RoleGrant.filter(tenant_id=user.tenant_id, user=user), "role"))


def _login_limits(tenant_slug: str, username: str, address: str) -> list[tuple[throttle.Limit, str]]:
    account = f"{tenant_slug}/{username.strip().lower()}"
    return [
        (throttle.LOGIN, f"{account}@{address}"),
        (throttle.LOGIN_ADDRESS, address),
        (throttle.LOGIN_ACCOUNT, account),
    ]


async def authenticate(
    tenant_slug: str,
    username: str,
    password: str,
    totp_code: str | None = None,
    *,
    address: str = "",
    now: datetime | None = None,
) -> User:
    """The active officer of ``tenant_slug`` with these credentials.

    Raises :class:`AuthenticationFailed` (one message for an unknown municipality or user, a
    wrong password, a missing, wrong or already used two-factor code) and
    :class:`~engine.services.throttle.TooManyAttempts` before anything is checked when there
    were too many failures: for this username from ``address``, from ``address`` whatever the
    username, or for this username from anywhere (a shorter cool-down, so an attacker elsewhere
    cannot keep a real officer out for long). The first refusal of an account is recorded as
    an account event the officer and their administrators see.
    """
    limits = _login_limits(tenant_slug, username, address)
    refusals: list[throttle.TooManyAttempts] = []
    for limit, key in limits:  # every key counted, even when an earlier one refuses
        try:
            await throttle.take(limit, key, now=now)
        except throttle.TooManyAttempts as refusal:
            refusals.append(refusal)
    for refused in refusals:
        if refused.limit is throttle.LOGIN_ACCOUNT and refused.first_refusal:
            await _record_lockout(tenant_slug, username, address, refused, now=now)
    if refusals:
        raise max(refusals, key=lambda r: r.retry_after)
    user = None
    if could_be_key(tenant_slug, Tenant, "slug") and 0 < len(username) <= max_length(User, "username"):
        user = await User.get_or_none(tenant__slug=tenant_slug, username=username, active=True)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise AuthenticationFailed()
    if not verify_password(user.password_hash, password):
        raise AuthenticationFailed()
    if user.totp_secret and not await _use_totp_code(user, totp_code, now=now):
        raise AuthenticationFailed()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await user.save(update_fields=["password_hash"])
    for limit, key in limits:
        if limit is throttle.LOGIN_ADDRESS:
            # Only failures count against an address (forty officers behind one town-hall NAT log
            # in every morning), and one right password must not wipe a sprayer's count.
            await throttle.give_back(limit, key)
        else:
            await throttle.forget(limit, key)
    return user


async def _use_totp_code(user: User, code: str | None, *, now: datetime | None = None) -> bool:
    """True when ``code`` is the officer's current (or adjacent) code and was never used before.

    The step is stored with a conditional UPDATE, so the same code sent twice at once passes once.
    """
    code = "".join((code or "").split())
    if not code.isdigit() or user.totp_secret is None:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    moment = now or datetime.now(UTC)
    for offset in (0, -1, 1):
        at = moment + timedelta(seconds=offset * totp.interval)
        if totp.verify(code, for_time=at, valid_window=0):
            step = totp.timecode(at)
            used = (
                await User.filter(id=user.id)
                .filter(Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step))
                .update(totp_last_step=step)
            )
            return used == 1
    return False


async def _record_lockout(
    tenant_slug: str, username: str, address: str, refused: throttle.TooManyAttempts, *, now: datetime | None
) -> None:
    user = None
    if could_be_key(tenant_slug, Tenant, "slug") and 0 < len(username) <= max_length(User, "username"):
        user = await User.get_or_none(tenant__slug=tenant_slug, username=username)
    if user is None:
        return
    await AccountEvent.create(
        tenant_id=user.tenant_id,
        user=user,
        kind=LOCKED,
        detail={"minutes": refused.minutes},
        address=address[:64],
        at=now or datetime.now(UTC),
    )


async def _end_sessions_and_tokens(user: User) -> None:
    from engine.store.models import WebSession

    await ApiToken.filter(user_id=user.id).delete()
    await WebSession.filter(user_id=user.id).delete()


async def record_event(user: User, kind: str, actor: User | None, address: str = "", **detail: Any) -> None:
    """Add to the account's history (shown to the officer's administrators)."""
    await AccountEvent.create(
        tenant_id=user.tenant_id,
        user=user,
        actor=actor,
        kind=kind,
        detail=detail,
        address=address[:64],
        at=datetime.now(UTC),
    )


async def set_password(user: User, password: str, *, actor: User | None, address: str = "") -> None:
    """A new password (the officer's own change, or an administrator's reset); raises :class:`WeakPassword`.

    Every session and API token of the officer ends: whoever knew the old password is out.
    """
    tenant = await Tenant.get(id=user.tenant_id)
    check_new_password(password, user, tenant_slug=tenant.slug)
    user.password_hash = hash_password(password)
    user.password_changed_at = datetime.now(UTC)
    await user.save(update_fields=["password_hash", "password_changed_at"])
    await _end_sessions_and_tokens(user)
    own = actor is None or actor.id == user.id
    await record_event(user, PASSWORD_CHANGED if own else PASSWORD_RESET, actor, address)


async def change_own_password(user: User, current: str, new: str, *, address: str = "") -> None:
    """Raises :class:`AuthenticationFailed` (the current password is wrong) or :class:`WeakPassword`."""
    if not verify_password(user.password_hash, current):
        raise AuthenticationFailed()
    await set_password(user, new, actor=user, address=address)


async def set_active(user: User, active: bool, *, actor: User, address: str = "") -> None:
    """Deactivate (every session and token ends at once) or reactivate an officer; recorded."""
    if user.active == active:
        return
    user.active = active
    await user.save(update_fields=["active"])
    if not active:
        await _end_sessions_and_tokens(user)
    await record_event(user, REACTIVATED if active else DEACTIVATED, actor, address)


async def disable_totp(user: User, *, actor: User, address: str = "") -> None:
    """Turn two-factor login off (a lost phone); the officer sets it up again after logging in."""
    if user.totp_secret is None:
        return
    user.totp_secret = None
    user.totp_last_step = None
    await user.save(update_fields=["totp_secret", "totp_last_step"])
    await record_event(user, TOTP_DISABLED, actor, address)


async def events_of(user: User, limit: int = 50) -> list[AccountEvent]:
    """What happened to an officer's account, newest first."""
    return (
        await AccountEvent.filter(tenant_id=user.tenant_id, user_id=user.id)
        .order_by("-at", "-id")
        .limit(limit)
        .prefetch_related("actor")
    )


async def unseen_lockouts(user: User) -> list[AccountEvent]:
    """Lockouts the officer was not shown yet; marks them shown."""
    found = await AccountEvent.filter(
        tenant_id=user.tenant_id, user_id=user.id, kind=LOCKED, seen_at__isnull=True
    ).order_by("at")
    if found:
        await AccountEvent.filter(id__in=[e.id for e in found]).update(seen_at=datetime.now(UTC))
    return found


async def revoke_token(token: str) -> bool:
    """End an API token (``DELETE /api/v1/auth/token``); False when it was unknown."""
    return await ApiToken.filter(token_hash=secrets.digest(token)).delete() > 0


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
