"""The officers' desk: the inbox of work waiting for my roles, attachments, officers of a tenant.

Every query here is scoped by ``tenant_id``: an officer of one municipality never reaches
another's rows, whatever ids or reference numbers they type. A submission waits for an
officer when the assignees of its current state (in its service's workflow) include one of
the officer's roles.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import pyotp
from tortoise.expressions import Case, Q, When

from engine.definitions import ServiceDefinition
from engine.services import access_log, accounts, comments, documents, messages, privacy, submissions
from engine.services.errors import NotFound, SubmissionNotFound
from engine.services.tenants import get_tenant
from engine.store.models import Attachment, RoleGrant, SubjectIndex, Submission, Tenant, User
from engine.store.queries import COUNT_ROWS

DUE_SOON = timedelta(days=2)
# The light columns of an inbox row: the form data stays in the database until the detail page.
_INBOX_COLUMNS = ("reference", "service_id", "state", "submitted_at", "due_at", "state_due_at", "version")


class Sla(StrEnum):
    """Where a submission stands against its legal deadline."""

    OVERDUE = "overdue"
    SOON = "soon"  # due within DUE_SOON
    ON_TIME = "on_time"  # later, or no running deadline (the clock is paused)


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"

    def __init__(self, attachment_id: str):
        self.attachment_id = attachment_id
        super().__init__(f"no attachment {attachment_id!r}")


class OfficerNotFound(NotFound):
    code = "officer_not_found"

    def __init__(self, user_id: int):
        self.user_id = user_id
        super().__init__(f"no officer {user_id!r}")


@dataclass(frozen=True)
class InboxFilter:
    """What the officer narrowed the inbox to; None means any."""

    service_id: str | None = None
    state: str | None = None
    # A reference (or part of one), a national ID (13 digits, dashes or not), or part of a name.
    search: str | None = None
    sla: Sla | None = None


@dataclass(frozen=True)
class InboxItem:
    reference: str
    service_id: str
    state: str
    submitted_at: datetime
    due_at: datetime | None
    state_due_at: datetime | None
    version: int
    sla: Sla


@dataclass(frozen=True)
class Inbox:
    """One page of the inbox and, per filter, how many items each choice would show.

    Each count applies the other two filters, so picking a choice shows exactly that many.
    """

    items: list[InboxItem]
    total: int  # items matching all filters (all pages)
    waiting: int  # items waiting for my roles, unfiltered
    by_service: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    by_sla: dict[Sla, int] = field(default_factory=dict)


def sla_of(due_at: datetime | None, now: datetime, within: timedelta = DUE_SOON) -> Sla:
    """Overdue once the legal deadline passed, due soon within ``within`` of it, else on time."""
    if due_at is None:
        return Sla.ON_TIME
    if due_at <= now:
        return Sla.OVERDUE
    if due_at - now <= within:
        return Sla.SOON
    return Sla.ON_TIME


def assigned_states(definition: ServiceDefinition, roles: Collection[str]) -> list[str]:
    """The open states of ``definition`` whose assignees include one of ``roles``."""
    return [
        name
        for name, state in definition.workflow.states.items()
        if not state.final and set(state.assignees) & set(roles)
    ]


def states_waiting_for(
    definitions: Iterable[ServiceDefinition], roles: Collection[str]
) -> dict[str, list[str]]:
    """Service id -> the open states, in any published version, whose assignees include one of ``roles``.

    Versions of one service are merged, so the inbox asks the database one condition per service.
    """
    found: dict[str, set[str]] = {}
    for definition in definitions:
        if states := assigned_states(definition, roles):
            found.setdefault(definition.id, set()).update(states)
    return {service: sorted(states) for service, states in sorted(found.items())}


def _inbox_query(tenant: Tenant, definitions: Iterable[ServiceDefinition], roles: Collection[str]) -> Any:
    conditions = [
        Q(service_id=service, state__in=states)
        for service, states in states_waiting_for(definitions, roles).items()
    ]
    if not conditions:
        return None
    return Submission.filter(tenant_id=tenant.id, closed=False).filter(Q(*conditions, join_type="OR"))


MAX_SEARCH = 100
# Fields that hold a person's or a business's name, as the catalog's forms call them.
_NAME_KEYS = frozenset({"name", "trade_name", "business_name", "company_name", "contact_name"})
_PERSON_PARTS = ("prefix", "first_name", "middle_name", "last_name")
# Officers type Thai digits too (๒๕๖๙-๐๐๐๑๒๓): they mean the same numbers.
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_NATIONAL_ID = re.compile(r"[\d\s-]+")
# A reference (MH-2569-000123) whole or in part, dashes or spaces optional: prefix, year, number.
_REFERENCE = re.compile(r"(\d{1,6})|(?:([A-Z]{1,6})[\s-]*)?(\d{4})(?:[\s-]*(\d{1,6}))?")


def _compact(text: str) -> str:
    """``text`` as names are compared: no spaces (Thai names are often typed without them), case folded."""
    return "".join(text.split()).casefold()


def _names(value: Any) -> Iterator[str]:
    """The names in an application's answers, compacted: each person's prefix, given and family
    names as one ("นายสมชายใจดี", so "สมชาย ใจดี" and "นายสมชาย" both match), and business names."""
    if isinstance(value, dict):
        parts = [value.get(key) for key in _PERSON_PARTS]
        if value.get("first_name") or value.get("last_name"):
            yield _compact("".join(part for part in parts if isinstance(part, str)))
        for key, item in value.items():
            if key in _NAME_KEYS and isinstance(item, str):
                yield _compact(item)
            elif isinstance(item, dict | list):
                yield from _names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _names(item)


def search_terms(text: str) -> tuple[str, str] | None:
    """What ``text`` searches for: ("national_id", 13 digits), ("reference", part of a reference
    as stored) or ("name", compacted); None when there is nothing to search."""
    wanted = text.strip()[:MAX_SEARCH].translate(_THAI_DIGITS)
    if not wanted:
        return None
    digits = "".join(c for c in wanted if c.isdigit())
    if len(digits) == 13 and _NATIONAL_ID.fullmatch(wanted):
        return "national_id", digits
    found = _REFERENCE.fullmatch(wanted.upper())
    if found:
        tail, prefix, year, number = found.groups()
        if tail is not None:
            return "reference", tail
        return "reference", "-".join(part for part in (prefix, year, number) if part)
    return "name", _compact(wanted)


async def _searched(query: Any, tenant: Tenant, text: str) -> Any:
    """``query`` narrowed to what ``text`` names.

    A national ID goes through the subject index (its keyed hash: no ID is kept in clear to search);
    a reference is matched in SQL. A name is looked for in the answers of the applications ``query``
    already bounds (this tenant's open work for the officer's roles): names are kept only inside the
    form data, in no column of their own, and a JSON text search does not work alike on SQLite
    (stored with \\u escapes) and PostgreSQL (JSONB).
    """
    terms = search_terms(text)
    if terms is None:
        return query
    kind, needle = terms
    if kind == "national_id":
        ids = await SubjectIndex.filter(
            tenant_id=tenant.id, subject_hash=access_log.subject_hash(needle)
        ).values_list("submission_id", flat=True)
        return query.filter(id__in=list(ids))
    if kind == "reference":
        return query.filter(reference__contains=needle)
    rows = await query.values("id", "data")
    return query.filter(
        id__in=[row["id"] for row in rows if any(needle in name for name in _names(row["data"]))]
    )


# Work without a running deadline: listed after all dated work, and counted as on time.
_UNDATED = "undated"


def _sla_condition(sla: Sla, now: datetime) -> Q:
    """The rows whose deadline stands as ``sla`` at ``now`` (the SQL form of :func:`sla_of`)."""
    soon = now + DUE_SOON
    if sla is Sla.OVERDUE:
        return Q(due_at__lte=now)
    if sla is Sla.SOON:
        return Q(due_at__gt=now, due_at__lte=soon)
    return Q(Q(due_at__isnull=True), Q(due_at__gt=soon), join_type="OR")


@dataclass(frozen=True)
class _Group:
    service_id: str
    state: str
    deadline: str  # an Sla value, or _UNDATED
    count: int

    @property
    def sla(self) -> Sla:
        return Sla.ON_TIME if self.deadline == _UNDATED else Sla(self.deadline)


async def _groups(query: Any, now: datetime) -> list[_Group]:
    """How many rows of ``query`` there are per service, state and deadline standing: one grouped query,
    so the counts cost the same whether an office has a hundred open applications or tens of thousands."""
    deadline = Case(
        When(due_at__isnull=True, then=_UNDATED),
        When(due_at__lte=now, then=Sla.OVERDUE.value),
        When(due_at__lte=now + DUE_SOON, then=Sla.SOON.value),
        default=Sla.ON_TIME.value,
    )
    rows = (
        await query.annotate(deadline=deadline, n=COUNT_ROWS)
        .group_by("service_id", "state", "deadline")
        .values("service_id", "state", "deadline", "n")
    )
    return [_Group(row["service_id"], row["state"], row["deadline"], row["n"]) for row in rows]


async def _page(query: Any, *, dated: int, offset: int, limit: int, now: datetime) -> list[InboxItem]:
    """Rows ``offset`` .. ``offset + limit`` of ``query``, most urgent first: dated work by deadline,
    then work without a running deadline; the oldest first among equals.

    Two ordered queries rather than one, because SQLite and PostgreSQL sort NULLs at opposite ends.
    """
    rows: list[dict[str, Any]] = []
    if offset < dated:
        rows += (
            await query.filter(due_at__isnull=False)
            .order_by("due_at", "submitted_at", "reference")
            .offset(offset)
            .limit(limit)
            .values(*_INBOX_COLUMNS)
        )
    if len(rows) < limit:
        rows += (
            await query.filter(due_at__isnull=True)
            .order_by("submitted_at", "reference")
            .offset(max(0, offset - dated))
            .limit(limit - len(rows))
            .values(*_INBOX_COLUMNS)
        )
    return [InboxItem(**row, sla=sla_of(row["due_at"], now)) for row in rows]


async def inbox(
    tenant: Tenant,
    definitions: Iterable[ServiceDefinition],
    roles: Collection[str],
    chosen: InboxFilter | None = None,
    *,
    now: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Inbox:
    """The submissions of ``tenant`` waiting for ``roles``, filtered, most urgent first.

    ``definitions`` are the workflows to read assignees from (normally the whole catalog,
    so work of a service the tenant stopped offering still shows). The counts per filter
    come from one grouped query and the page from an ordered, limited one: a city with
    tens of thousands of open applications reads a page of them, never all.
    """
    chosen = chosen or InboxFilter()
    moment = now or datetime.now(UTC)
    waiting_for_me = _inbox_query(tenant, definitions, roles)
    if waiting_for_me is None:
        return Inbox(items=[], total=0, waiting=0, by_sla={kind: 0 for kind in Sla})
    query = await _searched(waiting_for_me, tenant, chosen.search) if chosen.search else waiting_for_me
    groups = await _groups(query, moment)
    # A search narrows what is listed and counted per filter, not how much work is waiting.
    waiting = sum(g.count for g in groups) if query is waiting_for_me else await waiting_for_me.count()

    def keep(group: _Group, *, service: bool = True, state: bool = True, sla: bool = True) -> bool:
        return (
            (not service or chosen.service_id is None or group.service_id == chosen.service_id)
            and (not state or chosen.state is None or group.state == chosen.state)
            and (not sla or chosen.sla is None or group.sla == chosen.sla)
        )

    def tally(key: Any, **ignoring: bool) -> Counter[Any]:
        counts: Counter[Any] = Counter()
        for group in groups:
            if keep(group, **ignoring):
                counts[key(group)] += group.count
        return counts

    matching = [g for g in groups if keep(g)]
    listed = query
    if chosen.service_id is not None:
        listed = listed.filter(service_id=chosen.service_id)
    if chosen.state is not None:
        listed = listed.filter(state=chosen.state)
    if chosen.sla is not None:
        listed = listed.filter(_sla_condition(chosen.sla, moment))
    by_sla = tally(lambda g: g.sla, sla=False)
    return Inbox(
        items=await _page(
            listed,
            dated=sum(g.count for g in matching if g.deadline != _UNDATED),
            offset=offset,
            limit=limit,
            now=moment,
        ),
        total=sum(g.count for g in matching),
        waiting=waiting,
        by_service=dict(tally(lambda g: g.service_id, service=False)),
        by_state=dict(tally(lambda g: g.state, state=False)),
        by_sla={kind: by_sla.get(kind, 0) for kind in Sla},
    )


async def attachments_of(submission: Submission) -> list[Attachment]:
    """The files uploaded with ``submission``, oldest first."""
    return await Attachment.filter(tenant_id=submission.tenant_id, submission_id=submission.id).order_by(
        "created_at", "id"
    )


async def attachment(tenant: Tenant, attachment_id: str) -> Attachment:
    """An attachment of a submission of ``tenant``; raises :class:`AttachmentNotFound`.

    Files still on a draft (not yet submitted) are the citizen's, not the office's.
    """
    found = await Attachment.get_or_none(tenant_id=tenant.id, id=attachment_id, submission_id__isnull=False)
    if found is None:
        raise AttachmentNotFound(attachment_id)
    return found


# --- officers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Officer:
    user: User
    roles: frozenset[str]


async def officers(tenant: Tenant) -> list[Officer]:
    """Every user of ``tenant`` with the roles granted to them, by username."""
    users = await User.filter(tenant_id=tenant.id).order_by("username")
    grants: dict[int, set[str]] = {}
    for user_id, role in await RoleGrant.filter(tenant_id=tenant.id).values_list("user_id", "role"):
        grants.setdefault(user_id, set()).add(role)
    return [Officer(user, frozenset(grants.get(user.id, ()))) for user in users]


async def officer(tenant: Tenant, user_id: int, *, active_only: bool = False) -> User:
    """A user of ``tenant``; raises :class:`OfficerNotFound` (also for another tenant's user)."""
    filters: dict[str, Any] = {"tenant_id": tenant.id, "id": user_id}
    if active_only:
        filters["active"] = True
    found = await User.get_or_none(**filters)
    if found is None:
        raise OfficerNotFound(user_id)
    return found


async def username_taken(tenant: Tenant, username: str) -> bool:
    """Usernames are unique per municipality: another's officers are neither seen nor told apart."""
    return await User.exists(tenant_id=tenant.id, username=username)


async def set_roles(
    user: User, wanted: Collection[str], allowed: Collection[str]
) -> tuple[set[str], set[str]]:
    """Grant and revoke so that ``user`` holds exactly ``wanted`` among the ``allowed`` roles.

    Roles outside ``allowed`` are left as they are. Returns (granted, revoked).
    """
    held = await accounts.roles_of(user)
    managed = set(allowed)
    target = set(wanted) & managed
    granted, revoked = target - held, (held & managed) - target
    for role in sorted(granted):
        await accounts.grant_role(user, role)
    for role in sorted(revoked):
        await accounts.revoke_role(user, role)
    return granted, revoked


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (from a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


async def confirm_totp(user: User, secret: str, code: str, *, now: datetime | None = None) -> bool:
    """Turn on two-factor login with ``secret`` once the user proved their app shows ``code``.

    Returns False (and changes nothing) when the code does not match: turning it on before
    the app is set up would lock the officer out.
    """
    code = "".join(code.split())
    if not code.isdigit() or not pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1):
        return False
    user.totp_secret = secret
    await user.save(update_fields=["totp_secret"])
    await accounts.record_event(user, accounts.TOTP_ENABLED, user)
    return True


def roles_named(definitions: Iterable[ServiceDefinition], not_for_officers: Collection[str]) -> set[str]:
    """The roles the workflows of ``definitions`` name (transitions and assignees)."""
    found: set[str] = set()
    for definition in definitions:
        for transition in definition.workflow.transitions:
            found.update(transition.roles)
        for state in definition.workflow.states.values():
            found.update(state.assignees)
    return found - set(not_for_officers)


# --- read models: one call per officers' page ----------------------------------------------------


@dataclass(frozen=True)
class OnDuty:
    """Who is asking, for every page of the officers' desk: the municipality, and the signed-in
    officer with their roles (``None`` and none when nobody is signed in, or the account was
    deactivated meanwhile)."""

    tenant: Tenant
    user: User | None
    roles: frozenset[str]


async def on_duty(tenant_slug: str, user_id: int | None) -> OnDuty:
    """The tenant, and the active officer ``user_id`` of it with their roles, in one call.

    Raises :class:`TenantNotFound`. An officer of another municipality is not found here.
    """
    tenant = await get_tenant(tenant_slug)
    if user_id is None:
        return OnDuty(tenant, None, frozenset())
    user = await User.get_or_none(tenant_id=tenant.id, id=user_id, active=True)
    if user is None:
        return OnDuty(tenant, None, frozenset())
    return OnDuty(tenant, user, frozenset(await accounts.roles_of(user)))


@dataclass(frozen=True)
class SubmissionPage:
    """Everything the officer's page of one application shows, read in one call."""

    submission: Submission
    definition: ServiceDefinition
    actions: list[Any]  # the transitions these roles may take now
    files: list[Attachment]
    issued: list[Any]  # IssuedDocument
    history: list[Any]  # AuditEntry, oldest first
    deliveries: list[Any]  # Delivery, oldest first
    comments: list[Any] = field(default_factory=list)  # SubmissionComment, oldest first


async def submission_page(
    duty: OnDuty,
    reference: str,
    catalog: Any,
    *,
    viewed_from: str | None = None,
) -> SubmissionPage:
    """The application ``reference`` as this officer may see it, with its files, issued documents,
    history, deliveries, officers' comments and the actions open to them; ``viewed_from`` (the
    client's address) records the look in the access log.

    Raises :class:`SubmissionNotFound` when the tenant has no such application or the officer's
    roles have no need to know it, and :class:`UnknownService` for a version published since
    ``catalog`` was read (read the catalog again and retry).
    """
    found = await submissions.find(duty.tenant, reference)
    definition = catalog.get(found.service_id, found.service_version)
    if not privacy.sees_service(definition, duty.roles, catalog.roles):
        raise SubmissionNotFound(found.reference)
    if viewed_from is not None:
        await access_log.record(found, duty.user, access_log.VIEW, address=viewed_from)
    return SubmissionPage(
        submission=found,
        definition=definition,
        actions=await submissions.actions_for(definition, found, duty.roles),
        files=await attachments_of(found),
        issued=await documents.of_submission(found),
        history=await submissions.history(found),
        deliveries=await messages.deliveries_of(found),
        comments=await comments.of_submission(found),
    )
