"""A municipality's officers as its administrator keeps them, and each officer's own notice settings.

The console pages and the API call the same functions: adding an officer, granting and
revoking roles, deactivating, reactivating, resetting a password, turning two-factor login
off, and where an officer is told of work. Refusals carry message keys of the back office's
catalogue (``admin.…``), per field, so each caller words them in its reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from engine.definitions import ServiceDefinition
from engine.services import accounts, desk, messages
from engine.services.errors import ServiceError, WeakPassword
from engine.services.roles import ADMIN_ROLE, NOT_FOR_OFFICERS
from engine.store.models import Tenant, User

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,79}")
MAX_DISPLAY_NAME = 200
MAX_EMAIL = 254
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,63}")
# What an administrator may do to an officer's account (the buttons of the officer's page).
ACCOUNT_ACTIONS = ("deactivate", "reactivate", "disable_totp", "reset_password")


@dataclass(frozen=True)
class Problem:
    field: str
    key: str  # a message key of the back office's catalogue


class OfficerInvalid(ServiceError):
    """Some answers are wrong (every problem listed, by field); nothing was changed."""

    code = "invalid_officer"
    http_status = 422

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.key}" for p in self.problems))


def grantable_roles(definitions: Iterable[ServiceDefinition], titles: Mapping[str, str]) -> list[str]:
    """``admin`` and the roles the enabled services' workflows name, ``admin`` first, then by title.

    ``titles`` gives a role's title in the reader's language (a role without one sorts by its name).
    """
    roles = desk.roles_named(definitions, NOT_FOR_OFFICERS) | {ADMIN_ROLE}
    return sorted(roles, key=lambda r: (r != ADMIN_ROLE, titles.get(r, r)))


def new_officer_problems(
    tenant: Tenant, username: str, display_name: str, password: str, *, taken: bool
) -> list[Problem]:
    """Why an officer cannot be added with these answers (empty when they can).

    ``taken`` says whether the username is in use in this municipality already.
    """
    found = []
    if not USERNAME.fullmatch(username):
        found.append(Problem("username", "admin.officers.error.username"))
    elif taken:
        found.append(Problem("username", "admin.officers.error.taken"))
    if not display_name or len(display_name) > MAX_DISPLAY_NAME:
        found.append(Problem("display_name", "admin.officers.error.name"))
    for reason in accounts.password_problems(password, username=username, tenant_slug=tenant.slug):
        found.append(Problem("password", f"admin.{reason}"))
    return found


async def add_officer(
    tenant: Tenant, username: str, display_name: str, password: str, roles: Collection[str]
) -> User:
    """A new officer of ``tenant`` holding ``roles`` (the caller keeps them to the grantable ones).

    ``username`` is taken as given (the callers lower-case it). Raises :class:`OfficerInvalid`.
    """
    taken = USERNAME.fullmatch(username) is not None and await desk.username_taken(tenant, username)
    problems = new_officer_problems(tenant, username, display_name, password, taken=taken)
    if problems:
        raise OfficerInvalid(problems)
    return await accounts.create_user(tenant, username, password, display_name, sorted(roles))


async def set_officer_roles(
    actor: User, user: User, wanted: Collection[str], grantable: Collection[str]
) -> tuple[set[str], set[str]]:
    """Grant and revoke so that ``user`` holds exactly ``wanted`` of the ``grantable`` roles.

    Returns (granted, revoked). Raises :class:`OfficerInvalid` when an administrator would take
    their own ``admin`` role away: nobody locks themselves (and perhaps the whole municipality)
    out of the console.
    """
    if user.id == actor.id and ADMIN_ROLE not in wanted:
        raise OfficerInvalid([Problem("roles", "admin.officers.error.own_admin")])
    return await desk.set_roles(user, wanted, grantable)


async def change_account(
    actor: User, user: User, action: str, *, password: str = "", address: str = ""
) -> str:
    """Deactivate, reactivate, turn two-factor login off or reset the password of ``user``.

    Returns the message key of what was done. Raises :class:`OfficerInvalid` for an administrator
    deactivating themselves or a weak password, and :class:`ValueError` for an action not in
    :data:`ACCOUNT_ACTIONS` (the callers offer only those).
    """
    if action not in ACCOUNT_ACTIONS:
        raise ValueError(f"no account action {action!r}")
    if action in ("deactivate", "reactivate"):
        if user.id == actor.id:
            raise OfficerInvalid([Problem("action", "admin.officers.error.own_account")])
        await accounts.set_active(user, action == "reactivate", actor=actor, address=address)
        return f"admin.officers.{action}d"
    if action == "disable_totp":
        await accounts.disable_totp(user, actor=actor, address=address)
        return "admin.officers.totp_disabled"
    try:
        await accounts.set_password(user, password, actor=actor, address=address)
    except WeakPassword as weak:
        raise OfficerInvalid([Problem("password", f"admin.{r}") for r in weak.reasons]) from None
    return "admin.officers.password_reset"


def notification_problems(email: str, digest: str) -> list[Problem]:
    """Why these notice settings cannot be kept (empty when they can); an empty e-mail is allowed."""
    found = []
    if email and (len(email) > MAX_EMAIL or not EMAIL.fullmatch(email)):
        found.append(Problem("email", "admin.notifications.error.email"))
    if digest not in messages.DIGEST_CHOICES:
        found.append(Problem("digest", "admin.notifications.error.digest"))
    return found


async def set_notifications(user: User, *, email: str, digest: str) -> None:
    """Where ``user`` is told of work, and whether they get the daily digest.

    Raises :class:`OfficerInvalid` (nothing stored).
    """
    problems = notification_problems(email, digest)
    if problems:
        raise OfficerInvalid(problems)
    await messages.set_officer_contact(user, email=email, digest=digest)
