"""Correspondence (งานสารบรรณ) for officers: the letters in my hands, ลงรับ, drafting, เกษียน and ลงนาม,
search, the registers with จองเลข and the units' workload, the organisation's units, and keeping and
destroying letters (the yearly survey, the committee, the National Archives, legal hold).

Thin views: they read the form, call :mod:`engine.services.saraban` and render. Every rule (who may
open, route, sign or close a letter; what a letter must have) is the engine's; a refusal comes back
with its Thai text, per field where the engine names one, and the officer's answers are kept.
The only checks made here are those of reading the form (a date or a time that cannot be read).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from time import time as time_now
from typing import Any

from flask import Response, abort, g, redirect, render_template, request, session, url_for
from werkzeug.datastructures import FileStorage

from admin import admin_only, any_role, blueprint
from engine.saraban.errors import (
    FieldProblem,
    InvalidLetter,
    LetterFileRefused,
    LetterNotFound,
    NotAllowed,
    NumberNotReservable,
    RetentionRefused,
    SarabanError,
    SecrecyRefused,
    UnitNotFound,
)
from engine.saraban.numbering import calendar_year
from engine.saraban.settings import settings_of
from engine.saraban.vocabulary import (
    ACTIONS,
    BOOKS,
    CLASSIFIED,
    DELIVERY_STATES,
    ENTRY_STATES,
    INBOUND_STATES,
    KINDS,
    RETENTION_CLASSES,
    SECRECIES,
    STATUSES,
    URGENCIES,
)
from engine.services import desk
from engine.services.saraban import letters, numbers, organisation, registers, reports, retention, search
from engine.services.saraban.letters import Incoming, Outgoing
from engine.services.saraban.retention import DestructionListNotFound
from engine.store.bounds import max_length
from engine.store.models import DestructionList, Letter, OrgUnit, RegisterEntry, UnitMember, User
from engine.thaidate import ascii_digits
from engine.workflow.sla import BANGKOK
from renderers.back_office import ErrorItem, errors_by_field, flash_key
from renderers.inputs import parse_date
from renderers.web import current_language, download
from signing.errors import PkiError, SigningError, TimestampUnavailable
from thongthin.app import platform

CLERK = frozenset({organisation.CLERK})
# The roles a letter can be sent to as a role (the engine's titles name them on the letter).
TARGET_ROLES = tuple(letters.ROLE_TITLES_TH)
# Roles that work with letters even before the administrator puts them in a unit.
CORRESPONDENCE_ROLES = frozenset({*organisation.SIGNING_ROLES, organisation.ADMIN})
# Books a number can be reserved in: a receive number is only ever given by ลงรับ.
RESERVABLE = tuple(b for b in BOOKS if b not in ("receive", "secret_receive"))
YEARS_SHOWN = 6
# The nav link's "works in a unit" answer is read again after this long (a unit just joined shows soon).
NAV_CACHE_SECONDS = 300
NAV_SESSION_KEY = "saraban_in_unit"
# ด่วนภายใน given as a date only: the end of official hours that day.
DEFAULT_DUE_TIME = time(16, 30)
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?:\s*น\.?)?")
_BLANK_LINE = re.compile(r"\n\s*\n")
SEARCH_LIMIT = 50  # results shown; the service caps the query itself


# --- who is acting ------------------------------------------------------------------------------


def _actor() -> organisation.Actor:
    """The officer's roles and units for correspondence, read once per request."""
    if "saraban_actor" not in g:
        g.saraban_actor = platform().db(organisation.actor(g.tenant, g.user))
    actor: organisation.Actor = g.saraban_actor
    return actor


@blueprint.context_processor
def saraban_context() -> dict[str, Any]:
    def show_saraban() -> bool:
        """The nav link: for officers with a correspondence role or a place in a unit."""
        user = g.get("user")
        if user is None:
            return False
        if g.get("roles", frozenset()) & CORRESPONDENCE_ROLES:
            return True
        return _in_a_unit(user)

    return {"show_saraban": show_saraban}


def _in_a_unit(user: User) -> bool:
    """Whether the officer works in a unit, kept in the session for a while: every page of the
    back office draws the link, and each trip to the database waits behind the whole process's."""
    now = int(time_now())
    cached = session.get(NAV_SESSION_KEY)
    if (
        isinstance(cached, list)
        and len(cached) == 3
        and cached[0] == user.id
        and now - cached[2] < NAV_CACHE_SECONDS
    ):
        return bool(cached[1])
    member = bool(platform().db(UnitMember.exists(tenant_id=g.tenant.id, user_id=user.id)))
    session[NAV_SESSION_KEY] = [user.id, member, now]
    return member


# --- reading the forms --------------------------------------------------------------------------


def _field(name: str, limit: int = 4000) -> str:
    # Cut far above every engine limit: the engine names a too-long field, this only bounds memory.
    return request.form.get(name, "").replace("\r\n", "\n")[:limit]


def _read_date(raw: str, name: str, problems: list[ErrorItem]) -> date | None:
    """A date typed as 15/01/2569 (Buddhist Era), 15/01/2026 or 2026-01-15; Thai digits too."""
    raw = ascii_digits(raw).strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(parse_date(raw))
    except ValueError:
        problems.append(ErrorItem(name, key="saraban.error.date"))
        return None


def _read_due(date_raw: str, time_raw: str, problems: list[ErrorItem]) -> datetime | None:
    """ด่วนภายใน as a Bangkok moment, or None when no date is given."""
    day = _read_date(date_raw, "due_date", problems)
    time_raw = ascii_digits(time_raw).strip()
    if day is None:
        if time_raw and not any(p.target == "due_date" for p in problems):
            problems.append(ErrorItem("due_date", key="saraban.error.due_date_missing"))
        return None
    at = DEFAULT_DUE_TIME
    if time_raw:
        match = _TIME.fullmatch(time_raw)
        hour, minute = (int(match.group(1)), int(match.group(2))) if match else (99, 99)
        if hour > 23 or minute > 59:
            problems.append(ErrorItem("due_time", key="saraban.error.time"))
            return None
        at = time(hour, minute)
    return datetime.combine(day, at, tzinfo=BANGKOK)


def _lines(raw: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in raw.split("\n") if line.strip())


def _paragraphs(raw: str) -> tuple[str, ...]:
    """Paragraphs separated by a blank line; the lines of one paragraph are joined."""
    return tuple(" ".join(_lines(part)) for part in _BLANK_LINE.split(raw) if part.strip())


def _ids(values: Iterable[str]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(int(v) for v in values if v.isdigit()))


def _file(upload: FileStorage | None) -> bytes | None:
    if upload is None or not upload.filename:
        return None
    # One byte over the engine's limit is enough for it to refuse the file with its own message.
    return upload.read(letters.MAX_FILE_BYTES + 1) or None


def _problems(
    error: SarabanError, prefix: str = "", known: Iterable[str] = (), fallback: str = "form"
) -> list[ErrorItem]:
    """The engine's refusal as summary items linked to the fields it names (else to ``fallback``,
    the form itself)."""
    language = current_language()
    fields = set(known)
    found: tuple[FieldProblem, ...] = (
        error.problems
        if isinstance(error, InvalidLetter)
        else (FieldProblem(error.field, error.message, error.message_th),)
    )

    def target(name: str) -> str:
        return f"{prefix}{name}" if name in fields else fallback

    return [ErrorItem(target(p.field), text=p.text(language)) for p in found]


def _ordered(items: list[ErrorItem], fields: tuple[str, ...], prefix: str = "") -> list[ErrorItem]:
    """The summary in the order of the form's fields, as the officer reads it."""
    order = {f"{prefix}{name}": i for i, name in enumerate(fields)}
    return sorted(items, key=lambda item: order.get(item.target, len(order)))


def _status(error: Exception) -> int:
    return int(getattr(error, "http_status", 422))


# --- choices shown on the forms -----------------------------------------------------------------


def _terms(table: Mapping[str, Any]) -> list[tuple[str, str]]:
    language = current_language()
    return [(code, term.text(language)) for code, term in table.items()]


def _officers() -> list[User]:
    return platform().db(User.filter(tenant_id=g.tenant.id, active=True).order_by("display_name"))


def _units() -> list[OrgUnit]:
    return platform().db(organisation.units(g.tenant))


def _now() -> datetime:
    return datetime.now(UTC)


def _terms_context() -> dict[str, Any]:
    return {
        "kinds": _terms(KINDS),
        "urgencies": _terms(URGENCIES),
        "secrecies": _terms(SECRECIES),
        "actions": _terms(ACTIONS),
        "retention_classes": _terms(RETENTION_CLASSES),
        "term": _term_text,
    }


def _term_text(table: str, code: str) -> str:
    tables: dict[str, Mapping[str, Any]] = {
        "kind": KINDS,
        "urgency": URGENCIES,
        "secrecy": SECRECIES,
        "action": ACTIONS,
        "status": STATUSES,
        "book": BOOKS,
        "state": ENTRY_STATES,
        "retention": RETENTION_CLASSES,
        "delivery": DELIVERY_STATES,
        "inbound": INBOUND_STATES,
    }
    found = tables[table].get(code)
    return found.text(current_language()) if found else code


def _render(template: str, *, errors: list[ErrorItem], status: int = 200, **values: Any) -> Any:
    actor = _actor()
    shared = {"is_clerk": actor.is_clerk, "may_compose": actor.is_clerk or bool(actor.units)}
    return render_template(
        template, errors=errors, field_errors=errors_by_field(errors), **_terms_context(), **(shared | values)
    ), status


def _unit_name(unit: OrgUnit) -> str:
    return unit.name_en if current_language() == "en" and unit.name_en else unit.name_th


def _officer_name(user: User) -> str:
    return f"{user.display_name} ({user.position_th})" if user.position_th else user.display_name


# --- inbox --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    item: letters.InboxItem
    sla: desk.Sla


@blueprint.get("/saraban/")
def saraban_inbox() -> Any:
    """The letters in my hands, the most urgent due first, and my drafts."""
    actor = _actor()
    items = platform().db(letters.inbox(g.tenant, actor))
    drafts = platform().db(letters.drafts_of(g.tenant, actor))
    now = _now()
    held = [i for i in items if i.letter.status != "draft" or i.letter.created_by_id != actor.user.id]
    rows = [InboxRow(i, desk.sla_of(i.due_at, now)) for i in held]
    # Destruction lists waiting for my signature as a committee member (one list a year: few).
    to_approve = platform().db(retention.awaiting(g.tenant, actor))
    return _render(
        "admin/saraban_inbox.html",
        errors=[],
        rows=rows,
        drafts=drafts,
        to_approve=to_approve,
    )


# --- ลงรับ -------------------------------------------------------------------------------------

RECEIVE_FIELDS = (
    "file", "letter_number", "letter_date", "sender", "recipient", "subject", "urgency", "secrecy",
    "due_date", "due_time", "remark", "access",
)  # fmt: skip


def _receive_page(given: Mapping[str, Any], errors: list[ErrorItem], status: int = 200) -> Any:
    return _render(
        "admin/saraban_receive.html",
        errors=errors,
        status=status,
        given=given,
        officers=_officers(),
        max_mb=letters.MAX_FILE_BYTES // (1024 * 1024),
    )


@blueprint.get("/saraban/receive")
@any_role(CLERK)
def saraban_receive_form() -> Any:
    return _receive_page({"urgency": "normal", "secrecy": "normal", "access": ()}, [])


@blueprint.post("/saraban/receive")
@any_role(CLERK)
def saraban_receive() -> Any:
    """Register a letter that arrived (ลงรับ) and show it with its เลขทะเบียนรับ."""
    given: dict[str, Any] = {name: _field(name) for name in RECEIVE_FIELDS if name not in ("file", "access")}
    given["access"] = _ids(request.form.getlist("access"))
    problems: list[ErrorItem] = []
    incoming = Incoming(
        letter_number=given["letter_number"],
        letter_date=_read_date(given["letter_date"], "letter_date", problems),
        sender=given["sender"],
        recipient=given["recipient"],
        subject=given["subject"],
        urgency=given["urgency"],
        secrecy=given["secrecy"],
        due_at=_read_due(given["due_date"], given["due_time"], problems),
        remark=given["remark"],
        access=given["access"],
    )
    data = _file(request.files.get("file"))
    try:
        if problems:
            # A date could not be read: the engine's own findings join it, nothing is registered.
            letters.check_incoming(incoming)
            return _receive_page(given, problems, 422)
        letter = platform().db(letters.receive(g.tenant, _actor(), incoming, data, platform().saraban_files))
    except (InvalidLetter, SecrecyRefused, LetterFileRefused) as error:
        found = _ordered(problems + _problems(error, known=RECEIVE_FIELDS), RECEIVE_FIELDS)
        return _receive_page(given, found, _status(error))
    entry = _first_entry(letter.id)
    flash_key("saraban.receive.done", number=entry.number_text if entry else "", subject=letter.subject)
    return redirect(url_for("admin.saraban_letter", public_id=letter.public_id))


def _first_entry(letter_id: int) -> RegisterEntry | None:
    """The register row a letter got its number from (the engine returns the letter only)."""
    return platform().db(
        RegisterEntry.filter(tenant_id=g.tenant.id, letter_id=letter_id).order_by("id").first()
    )


# --- drafting ----------------------------------------------------------------------------------

COMPOSE_FIELDS = (
    "kind", "unit", "subject", "recipient", "to", "references", "enclosures", "body", "urgency", "due_date",
    "due_time", "secrecy", "circular", "signer_name", "signer_position",
)  # fmt: skip


def _own_units(actor: organisation.Actor) -> list[OrgUnit]:
    """The units an officer drafts for: their own, or every one for the registry."""
    return [u for u in _units() if u.active and (actor.is_clerk or u.code in actor.units)]


def _compose_page(given: Mapping[str, Any], errors: list[ErrorItem], status: int = 200) -> Any:
    actor = _actor()
    units = _own_units(actor)
    if not units:
        abort(403)  # no unit to draft for: the administrator has not placed this officer yet
    options = [(u.code, _unit_name(u)) for u in units]
    return _render("admin/saraban_compose.html", errors=errors, status=status, given=given, units=options)


@blueprint.get("/saraban/compose")
def saraban_compose_form() -> Any:
    actor = _actor()
    return _compose_page(
        {
            "kind": "external",
            "urgency": "normal",
            "secrecy": "normal",
            "unit": sorted(actor.units)[0] if len(actor.units) == 1 else "",
            "signer_name": "",
            "signer_position": "",
        },
        [],
    )


@blueprint.post("/saraban/compose")
def saraban_compose() -> Any:
    """Draft a letter from its kind's template; it gets its number only when it is signed."""
    given: dict[str, Any] = {name: _field(name) for name in COMPOSE_FIELDS if name != "circular"}
    given["circular"] = "circular" in request.form
    problems: list[ErrorItem] = []
    outgoing = Outgoing(
        kind=given["kind"],
        subject=given["subject"],
        recipient=given["recipient"],
        unit=given["unit"],
        body=_paragraphs(given["body"]),
        addressees=_lines(given["to"]),
        references=_lines(given["references"]),
        enclosures=_lines(given["enclosures"]),
        urgency=given["urgency"],
        due_at=_read_due(given["due_date"], given["due_time"], problems),
        secrecy=given["secrecy"],
        circular=given["circular"],
        signer_name=given["signer_name"],
        signer_position=given["signer_position"],
    )
    from renderers.saraban import SarabanPdfError

    try:
        if problems:
            letters.check_outgoing(outgoing)
            return _compose_page(given, problems, 422)
        letter = platform().db(letters.draft(g.tenant, _actor(), outgoing, platform().saraban_files))
    except (InvalidLetter, SecrecyRefused, UnitNotFound, NotAllowed) as error:
        if isinstance(error, NotAllowed):
            error.field = "unit"  # drafting for a unit not one's own: said next to the unit
        found = _ordered(problems + _problems(error, known=COMPOSE_FIELDS), COMPOSE_FIELDS)
        return _compose_page(given, found, _status(error))
    except SarabanPdfError:
        # A text the letter's form cannot hold (the letterhead or the ที่ line overflows).
        return _compose_page(given, [ErrorItem("subject", key="saraban.error.layout")], 422)
    flash_key("saraban.compose.done", subject=letter.subject)
    return redirect(url_for("admin.saraban_letter", public_id=letter.public_id))


# --- a letter -----------------------------------------------------------------------------------

# The column's width: a longer id names no letter, and the ORM refuses to even look it up.
PUBLIC_ID_MAX = max_length(Letter, "public_id")


def _letter_id(public_id: str) -> str:
    if len(public_id) > PUBLIC_ID_MAX:
        raise LetterNotFound(public_id[:PUBLIC_ID_MAX])
    return public_id


ROUTE_FIELDS = ("action", "target", "text", "typed_name")


@dataclass(frozen=True)
class Targets:
    """Where the endorse form can send the letter, grouped for the select."""

    units: list[tuple[str, str]]
    officers: list[tuple[str, str]]
    roles: list[tuple[str, str]]


def _targets(classified: bool, role_title: Callable[[str], str]) -> Targets:
    officers = [(f"user:{u.id}", _officer_name(u)) for u in _officers()]
    if classified:
        # The engine sends a classified letter to named officers only.
        return Targets([], officers, [])
    units = [(f"unit:{u.code}", _unit_name(u)) for u in _units() if u.active]
    roles = [(f"role:{r}", role_title(r)) for r in TARGET_ROLES]
    return Targets(units, officers, roles)


def _role_title(role: str) -> str:
    spec = platform().catalog.roles.get(role)
    return spec.title.get(current_language()) if spec else letters.ROLE_TITLES_TH.get(role, role)


def _letter_page(
    public_id: str,
    *,
    errors: list[ErrorItem] | None = None,
    given: Mapping[str, Any] | None = None,
    status: int = 200,
) -> Any:
    from admin.saraban_exchange_views import letter_exchange  # registered after this module

    actor = _actor()
    page = platform().db(letters.page(g.tenant, actor, public_id))
    letter = page.letter
    classified = letter.secrecy in CLASSIFIED
    settings = settings_of(g.tenant.settings)
    listed = {u.id for u in page.access}
    # The time the step in hand gives, as the inbox reckons it: the latest routed step's, else the letter's.
    routed = [s for s in page.steps if s.due_at is not None]
    due_at = routed[-1].due_at if routed else letter.due_at
    return _render(
        "admin/saraban_letter.html",
        errors=errors or [],
        status=status,
        page=page,
        letter=letter,
        steps=page.steps,
        given=given or {},
        classified=classified,
        typed_name=settings.typed_name_signing,
        targets=_targets(classified, _role_title) if page.may_route else None,
        grant_options=[
            (str(u.id), _officer_name(u))
            for u in (_officers() if actor.is_clerk and classified else [])
            if u.id not in listed
        ],
        due_at=due_at,
        sla=desk.sla_of(due_at, _now()) if letter.status not in ("closed", "destroyed") else None,
        hold=_hold_of(page.trail) if letter.legal_hold else None,
        **letter_exchange(letter, actor),
    )


def _hold_of(trail: Iterable[Any]) -> Any:
    """The audit entry that put the letter on hold (its reason, who and when), from the registry's trail."""
    holds = [e for e in trail if e.event == "legal_hold" and (e.detail or {}).get("hold")]
    return holds[-1] if holds else None


@blueprint.get("/saraban/letters/<public_id>")
def saraban_letter(public_id: str) -> Any:
    """The letter's facts, its PDF, the endorsements so far and what I may do with it now."""
    public_id = _letter_id(public_id)
    return _letter_page(public_id)


@blueprint.get("/saraban/letters/<public_id>/pdf")
def saraban_letter_pdf(public_id: str) -> Any:
    """The letter as it stands, shown in the browser (a classified copy carries the viewer's name)."""
    public_id = _letter_id(public_id)
    letter, data = platform().db(letters.pdf(g.tenant, _actor(), public_id, platform().saraban_files))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{letter.public_id}.pdf"'
    # Official correspondence, and a classified copy names its viewer: never kept by a cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _version() -> int:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _signing_refused(error: SigningError | PkiError, anchor: str) -> tuple[list[ErrorItem], int]:
    """A signature that could not be made: no usable key (409), or a service down for now (503)."""
    key = (
        "saraban.error.signing_retry"
        if getattr(error, "retryable", False) or isinstance(error, TimestampUnavailable)
        else "saraban.error.signing_key"
    )
    return [ErrorItem(anchor, key=key)], 503 if getattr(error, "retryable", False) else 409


def _refused(
    public_id: str, error: Exception, prefix: str, known: tuple[str, ...], given: Mapping[str, Any]
) -> Any:
    """The letter's page again with the refusal where it belongs and the officer's answers kept."""
    anchor = prefix.rstrip("-")
    if isinstance(error, SigningError | PkiError):
        items, status = _signing_refused(error, anchor)
    elif isinstance(error, SarabanError):
        items = _ordered(_problems(error, prefix, known, anchor), known, prefix)
        status = _status(error)
    else:
        raise error
    return _letter_page(public_id, errors=items, given=given, status=status)


@blueprint.post("/saraban/letters/<public_id>/route")
def saraban_route(public_id: str) -> Any:
    """One endorsement step (เกษียน / สั่งการ), signed, and the letter goes on to its target."""
    public_id = _letter_id(public_id)
    target = _field("target", 200)
    kind, _, value = target.partition(":")
    action, text, typed = _field("action", 40), _field("text"), "typed_name" in request.form
    given = {"action": action, "target": target, "text": text, "typed_name": typed}
    try:
        platform().db(
            letters.route(
                g.tenant, _actor(), public_id, platform().saraban_files,
                version=_version(), action=action, text=text,
                target_kind=kind if kind in ("unit", "user", "role") else "", target=value, typed_name=typed,
            )
        )  # fmt: skip
    except (SarabanError, SigningError, PkiError) as error:
        return _refused(public_id, error, "route-", ROUTE_FIELDS, given)
    flash_key("saraban.route.done")
    return redirect(url_for("admin.saraban_letter", public_id=public_id))


@blueprint.post("/saraban/letters/<public_id>/sign")
def saraban_sign(public_id: str) -> Any:
    """Sign a drafted letter: its send number and date are printed, then the signature covers them."""
    public_id = _letter_id(public_id)
    typed = "typed_name" in request.form
    try:
        letter = platform().db(
            letters.sign(
                g.tenant, _actor(), public_id, platform().saraban_files, version=_version(), typed_name=typed
            )
        )
    except (SarabanError, SigningError, PkiError) as error:
        return _refused(public_id, error, "sign-", ("typed_name",), {"typed_name": typed})
    flash_key("saraban.sign.done", number=letter.letter_number)
    return redirect(url_for("admin.saraban_letter", public_id=public_id))


@blueprint.post("/saraban/letters/<public_id>/close")
def saraban_close(public_id: str) -> Any:
    """The work on the letter is done: it is kept for its retention class's term."""
    public_id = _letter_id(public_id)
    retention = _field("retention_class", 40)
    try:
        platform().db(
            letters.close(
                g.tenant,
                _actor(),
                public_id,
                version=_version(),
                retention_class=retention,
                files=platform().saraban_files,
            )
        )
    except SarabanError as error:
        return _refused(public_id, error, "close-", ("retention_class",), {"retention_class": retention})
    flash_key("saraban.close.done")
    return redirect(url_for("admin.saraban_letter", public_id=public_id))


@blueprint.post("/saraban/letters/<public_id>/access")
@any_role(CLERK)
def saraban_grant(public_id: str) -> Any:
    """Name one more officer who may open a classified letter."""
    public_id = _letter_id(public_id)
    raw = _field("user", 20)
    try:
        if not raw.isdigit():
            raise InvalidLetter("choose an officer", th="กรุณาเลือกเจ้าหน้าที่", field="user")
        platform().db(letters.grant_access(g.tenant, _actor(), public_id, int(raw)))
    except SarabanError as error:
        return _refused(public_id, error, "grant-", ("user",), {"user": raw})
    flash_key("saraban.grant.done")
    return redirect(url_for("admin.saraban_letter", public_id=public_id))


# --- registers and จองเลข ------------------------------------------------------------------------


def _book_and_year(book: str | None, year: str | None) -> tuple[str, int]:
    current = calendar_year(_now())
    chosen = book if book in BOOKS else "receive"
    return chosen, int(year) if year and year.isdigit() and 2500 < int(year) < 3000 else current


def _registers_page(
    book: str,
    year: int,
    errors: list[ErrorItem] | None = None,
    given: Mapping[str, Any] | None = None,
    status: int = 200,
) -> Any:
    register = platform().db(registers.register(g.tenant, _actor(), book, year))
    current = calendar_year(_now())
    years = sorted({*range(current - YEARS_SHOWN + 1, current + 1), year}, reverse=True)
    # Every book's reservations of the year, whichever book is shown: they are what the clerk
    # hands out and cancels (register() above has just lapsed the expired ones).
    reserved = [
        entry
        for each in RESERVABLE
        for entry in platform().db(numbers.current(g.tenant, each, year))
        if entry.state == "reserved"
    ]
    return _render(
        "admin/saraban_registers.html",
        errors=errors or [],
        status=status,
        register=register,
        book=book,
        year=year,
        years=years,
        books=_terms(BOOKS),
        reservable=[(b, BOOKS[b].text(current_language())) for b in RESERVABLE],
        reserved=reserved,
        given=given or {"book": book if book in RESERVABLE else "send"},
        workload=platform().db(reports.workload(g.tenant)),
    )


@blueprint.get("/saraban/registers")
@any_role(CLERK)
def saraban_registers() -> Any:
    """A book of the year as the regulation lays it out, its downloads, and จองเลข."""
    book, year = _book_and_year(request.args.get("book"), request.args.get("year"))
    return _registers_page(book, year)


@blueprint.get("/saraban/registers/<book>/<int:year>.csv")
@any_role(CLERK)
def saraban_register_csv(book: str, year: int) -> Any:
    from renderers.saraban import register_csv

    register = platform().db(registers.register(g.tenant, _actor(), book, year))
    content = register_csv(book, register.rows).encode("utf-8")
    return download(content, f"register-{book}-{year}.csv", "text/csv; charset=utf-8")


@blueprint.get("/saraban/registers/<book>/<int:year>.pdf")
@any_role(CLERK)
def saraban_register_pdf(book: str, year: int) -> Any:
    register = platform().db(registers.register(g.tenant, _actor(), book, year))
    thai = settings_of(g.tenant.settings).thai_numerals
    content = platform().saraban_files.tools.render_register(
        book, year, g.tenant.name_th, register.rows, thai_numerals=thai
    )
    return download(content, f"register-{book}-{year}.pdf", "application/pdf")


@blueprint.post("/saraban/registers/reserve")
@any_role(CLERK)
def saraban_reserve() -> Any:
    """จองเลข: the next number of a book, held for the time the municipality set."""
    book, year = _book_and_year(_field("book", 40), _field("year", 8))
    given = {"book": book, "subject": _field("subject")}
    try:
        entry = platform().db(numbers.reserve(g.tenant, _actor(), book, subject=given["subject"]))
    except (InvalidLetter, NumberNotReservable) as error:
        items = _problems(error, "reserve-", ("book", "subject"), "reserve")
        return _registers_page(book, year, items, given, _status(error))
    flash_key("saraban.reserve.done", number=entry.number_text)
    return redirect(url_for("admin.saraban_registers", book=entry.book, year=entry.year))


@blueprint.post("/saraban/registers/cancel")
@any_role(CLERK)
def saraban_cancel() -> Any:
    """Cancel a reserved number: it stays in the book marked ยกเลิก."""
    book, year = _book_and_year(_field("book", 40), _field("year", 8))
    raw = _field("entry", 20)
    reason = _field("reason")
    try:
        entry = platform().db(
            numbers.cancel(g.tenant, _actor(), int(raw) if raw.isdigit() else -1, reason=reason)
        )
    except (InvalidLetter, NumberNotReservable) as error:
        target = f"cancel-{raw}" if raw.isdigit() else "reserved"
        items = [ErrorItem(target, text=p.text) for p in _problems(error)]
        return _registers_page(book, year, items, {"cancel": raw, "reason": reason}, _status(error))
    flash_key("saraban.cancel.done", number=entry.number_text)
    return redirect(url_for("admin.saraban_registers", book=entry.book, year=entry.year))


# --- units (role admin) -------------------------------------------------------------------------

UNIT_FIELDS = ("code", "name_th", "name_en", "letter_suffix", "parent", "phone")


def _units_page(
    errors: list[ErrorItem] | None = None, given: Mapping[str, Any] | None = None, status: int = 200
) -> Any:
    units = _units()
    members = {u.code: platform().db(organisation.members(g.tenant, u.code)) for u in units}
    heads = set(
        platform().db(UnitMember.filter(tenant_id=g.tenant.id, head=True).values_list("unit_id", "user_id"))
    )
    return _render(
        "admin/saraban_units.html",
        errors=errors or [],
        status=status,
        units=units,
        members=members,
        heads=heads,
        parent_options=[(u.code, _unit_name(u)) for u in units if u.code != (given or {}).get("code")],
        unit_options=[(u.code, _unit_name(u)) for u in units],
        officer_options=[(str(u.id), _officer_name(u)) for u in _officers()],
        given=given or {},
        settings=(given or {}).get("settings") or _settings_given(),
    )


SETTING_FIELDS = ("letter_code", "numbers_per_unit", "typed_name_signing", "reservation_hours")


def _settings_given() -> dict[str, Any]:
    current = settings_of(g.tenant.settings)
    return {
        "letter_code": current.letter_code,
        "numbers_per_unit": current.numbers_per_unit,
        "typed_name_signing": current.typed_name_signing,
        "reservation_hours": f"{current.reservation_hours:g}",
    }


@blueprint.post("/saraban/settings")
@admin_only
def saraban_put_settings() -> Any:
    """The municipality's letter code and how its books and signatures work."""
    given: dict[str, Any] = {
        "letter_code": _field("letter_code", 40),
        "numbers_per_unit": "numbers_per_unit" in request.form,
        "typed_name_signing": "typed_name_signing" in request.form,
        "reservation_hours": _field("reservation_hours", 10).strip(),
    }
    hours = ascii_digits(given["reservation_hours"])
    if not hours.replace(".", "", 1).isdigit() or not 0 < float(hours) <= 24 * 30:
        item = ErrorItem("settings-reservation_hours", key="saraban.settings.hours_invalid")
        return _units_page([item], {"settings": given}, 422)
    try:
        platform().db(
            organisation.put_settings(g.tenant, _actor(), {**given, "reservation_hours": float(hours)})
        )
    except InvalidLetter as error:
        items = _ordered(
            _problems(error, "settings-", SETTING_FIELDS, "settings"), SETTING_FIELDS, "settings-"
        )
        return _units_page(items, {"settings": given}, _status(error))
    flash_key("saraban.settings.saved")
    return redirect(url_for("admin.saraban_units"))


@blueprint.get("/saraban/units")
@admin_only
def saraban_units() -> Any:
    """The municipality's units (สำนัก / กอง), their letter suffixes and who works in each."""
    editing = request.args.get("edit", "")
    given: dict[str, Any] = {}
    if editing:
        found = next((u for u in _units() if u.code == editing), None)
        if found is None:
            abort(404)
        parent = next((u.code for u in _units() if u.id == found.parent_id), "")
        given = {
            "code": found.code, "name_th": found.name_th, "name_en": found.name_en,
            "letter_suffix": found.letter_suffix, "parent": parent, "phone": found.phone, "editing": True,
        }  # fmt: skip
    return _units_page(given=given)


@blueprint.post("/saraban/units")
@admin_only
def saraban_put_unit() -> Any:
    given: dict[str, Any] = {name: _field(name, 300) for name in UNIT_FIELDS}
    given["editing"] = "editing" in request.form
    try:
        unit = platform().db(
            organisation.put_unit(
                g.tenant, given["code"].strip(), given["name_th"], name_en=given["name_en"],
                letter_suffix=given["letter_suffix"], parent=given["parent"] or None, phone=given["phone"],
            )
        )  # fmt: skip
    except (InvalidLetter, UnitNotFound) as error:
        if isinstance(error, UnitNotFound):
            error.field = "parent"
        items = _ordered(_problems(error, "unit-", UNIT_FIELDS, "unit"), UNIT_FIELDS, "unit-")
        return _units_page(items, given, _status(error) if not isinstance(error, UnitNotFound) else 422)
    flash_key("saraban.units.saved", name=unit.name_th)
    return redirect(url_for("admin.saraban_units"))


@blueprint.post("/saraban/units/members")
@admin_only
def saraban_add_member() -> Any:
    code, user, head = _field("unit", 40), _field("user", 20), "head" in request.form
    given = {"member_unit": code, "member_user": user, "member_head": head}
    try:
        platform().db(organisation.add_member(g.tenant, code, int(user) if user.isdigit() else -1, head=head))
    except (InvalidLetter, UnitNotFound) as error:
        target = "member-unit" if isinstance(error, UnitNotFound) else "member-user"
        items = [ErrorItem(target, text=p.text) for p in _problems(error)]
        return _units_page(items, given, 422)
    flash_key("saraban.units.member_added")
    return redirect(url_for("admin.saraban_units"))


@blueprint.post("/saraban/letters/<public_id>/hold")
@any_role(CLERK)
def saraban_hold(public_id: str) -> Any:
    """Put a letter on legal hold (it is never listed for destruction nor destroyed), or release it."""
    public_id = _letter_id(public_id)
    hold, reason = _field("hold", 8) == "true", _field("reason", 600)
    try:
        platform().db(retention.set_hold(g.tenant, _actor(), public_id, hold, reason))
    except (InvalidLetter, RetentionRefused) as error:
        return _refused(public_id, error, "hold-", ("reason",), {"hold_reason": reason})
    flash_key("saraban.hold.done" if hold else "saraban.hold.released")
    return redirect(url_for("admin.saraban_letter", public_id=public_id))


# --- search -------------------------------------------------------------------------------------


@blueprint.get("/saraban/search")
def saraban_search() -> Any:
    """Letters by the words of their subject, parties, numbers, text and PDF: only those I may open."""
    asked = "q" in request.args
    q = request.args.get("q", "")[: search.MAX_QUERY]
    errors: list[ErrorItem] = []
    found: list[Letter] = []
    if asked and not q.strip():
        errors.append(ErrorItem("q", key="saraban.search.empty"))
    elif q.strip():
        found = platform().db(search.search(g.tenant, _actor(), q, limit=SEARCH_LIMIT))
    return _render(
        "admin/saraban_search.html",
        errors=errors,
        q=q,
        searched=bool(q.strip()),
        found=found,
        limit=SEARCH_LIMIT,
    )


# --- keeping and destroying letters (role saraban_clerk; the committee its list) --------------

LIST_STATUSES = ("draft", "approved", "archives", "destroyed")
# A database integer: a larger id names no list (and the ORM must not be asked).
MAX_ID = 2**31 - 1


def _year(raw: str, name: str, problems: list[ErrorItem]) -> int | None:
    """A Buddhist-Era year typed as 2568 (Thai digits too, "พ.ศ." allowed)."""
    text = ascii_digits(raw).replace("พ.ศ.", "").strip()
    if text.isdigit() and 2400 < int(text) < 3000:
        return int(text)
    problems.append(ErrorItem(name, key="saraban.error.year"))
    return None


def _visible_list(list_id: int) -> DestructionList:
    """The list, for the registry, an administrator or a member of its committee; 404 for anyone else."""
    if list_id > MAX_ID:
        abort(404)
    found: DestructionList = platform().db(retention.readable_list(g.tenant, _actor(), list_id))
    return found


def _my_seat(found: DestructionList) -> dict[str, Any] | None:
    user_id = _actor().user.id
    return next((seat for seat in found.committee or [] if int(seat["user"]) == user_id), None)


def _retention_page(
    errors: list[ErrorItem] | None = None, given: Mapping[str, Any] | None = None, status: int = 200
) -> Any:
    current = calendar_year(_now())
    return _render(
        "admin/saraban_retention.html",
        errors=errors or [],
        status=status,
        lists=platform().db(retention.lists(g.tenant)),
        given=given or {"year": str(current - 1), "handover_year": str(current)},
    )


@blueprint.get("/saraban/retention")
@any_role(CLERK)
def saraban_retention() -> Any:
    """The destruction lists by year, the yearly survey and the 20-year handover list."""
    return _retention_page()


@blueprint.post("/saraban/retention/survey")
@any_role(CLERK)
def saraban_survey() -> Any:
    """สำรวจหนังสือครบอายุการเก็บ: the year's บัญชีหนังสือขอทำลาย (made once; the same list after)."""
    raw = _field("year", 20)
    problems: list[ErrorItem] = []
    year = _year(raw, "survey-year", problems)
    given = {"year": raw, "handover_year": str(calendar_year(_now()))}
    if year is None:
        return _retention_page(problems, given, 422)
    try:
        made = platform().db(retention.survey(g.tenant, _actor(), year, platform().saraban_files))
    except RetentionRefused as error:
        return _retention_page(_problems(error, "survey-", ("year",), "survey"), given, _status(error))
    if made is None:
        flash_key("saraban.retention.survey_none", year=str(year))
        return redirect(url_for("admin.saraban_retention"))
    flash_key("saraban.retention.survey_done", year=str(year), count=str(len(made.items or [])))
    return redirect(url_for("admin.saraban_retention_list", list_id=made.id))


@blueprint.get("/saraban/retention/handover")
@any_role(CLERK)
def saraban_handover_form() -> Any:
    """The handover form (GET): on to the year's PDF, or the page again with the year refused."""
    raw = request.args.get("year", "")[:20]
    problems: list[ErrorItem] = []
    year = _year(raw, "handover-year", problems)
    if year is None:
        return _retention_page(problems, {"year": str(calendar_year(_now()) - 1), "handover_year": raw}, 422)
    return redirect(url_for("admin.saraban_handover_pdf", year=year))


@blueprint.get("/saraban/retention/handover/<int:year>.pdf")
@any_role(CLERK)
def saraban_handover_pdf(year: int) -> Any:
    """บัญชีส่งมอบหนังสือครบ 20 ปี (แบบที่ 21) of the year: the letters kept permanently, 20 years old."""
    if not 2400 < year < 3000:
        abort(404)
    made = platform().db(retention.handover_list(g.tenant, _actor(), year, platform().saraban_files))
    return download(made.pdf, f"handover-{year}.pdf", "application/pdf")


@dataclass(frozen=True)
class ListRow:
    """One letter on a list as the page shows it."""

    index: int
    item: Mapping[str, Any]
    kept_by: list[str]


def _list_page(
    found: DestructionList,
    errors: list[ErrorItem] | None = None,
    given: Mapping[str, Any] | None = None,
    status: int = 200,
    template: str = "admin/saraban_retention_list.html",
) -> Any:
    actor = _actor()
    names = {int(seat["user"]): str(seat["name"]) for seat in found.committee or []}
    rows = [
        ListRow(index, item, [names.get(int(u), "") for u in item.get("kept_by", [])])
        for index, item in enumerate(found.items or [], start=1)
    ]
    seat = _my_seat(found)
    committee = list(found.committee or [])
    chair = next((str(s["user"]) for s in committee if s.get("chair")), "")
    return _render(
        template,
        errors=errors or [],
        status=status,
        found=found,
        rows=rows,
        committee=committee,
        signed=sum(1 for s in committee if s.get("approved_at")),
        may_appoint=actor.is_clerk
        and found.status == "draft"
        and not any(s.get("approved_at") for s in committee),
        may_approve=found.status == "draft" and seat is not None and not seat.get("approved_at"),
        officer_options=[(str(u.id), _officer_name(u)) for u in _officers()] if actor.is_clerk else [],
        given=given
        or {"chair": chair, "members": tuple(str(s["user"]) for s in committee if not s.get("chair"))},
    )


@blueprint.get("/saraban/retention/<int:list_id>")
def saraban_retention_list(list_id: int) -> Any:
    """A บัญชีหนังสือขอทำลาย: its letters, its committee, and the next step in the regulation's order."""
    return _list_page(_visible_list(list_id))


@blueprint.get("/saraban/retention/<int:list_id>/pdf")
def saraban_retention_pdf(list_id: int) -> Any:
    """The list as it stands (แบบที่ 25), with the committee's signatures so far."""
    found = _visible_list(list_id)
    data = platform().saraban_files.blobs.get(found.blob_key)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="destruction-{found.year}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _list_refused(found: DestructionList, error: Exception, anchor: str, **kwargs: Any) -> Any:
    """The list's page again with the refusal at its form (or field) and the answers kept."""
    if isinstance(error, DestructionListNotFound):
        raise error
    if isinstance(error, SigningError | PkiError):
        items, status = _signing_refused(error, anchor)
    elif isinstance(error, SarabanError):
        known = kwargs.pop("known", ())
        items = _ordered(_problems(error, f"{anchor}-", known, anchor), known, f"{anchor}-")
        status = _status(error)
    else:
        raise error
    return _list_page(platform().db(retention.get_list(g.tenant, found.id)), items, status=status, **kwargs)


@blueprint.post("/saraban/retention/<int:list_id>/committee")
@any_role(CLERK)
def saraban_appoint(list_id: int) -> Any:
    """แต่งตั้งคณะกรรมการทำลายหนังสือ: a chair and the members; the list is printed again with their names."""
    found = _visible_list(list_id)
    chair = _field("chair", 20)
    members = _ids(request.form.getlist("members")[:100])
    given = {"chair": chair, "members": tuple(str(m) for m in members)}
    try:
        if not chair.isdigit():
            raise InvalidLetter("choose the chair", th="กรุณาเลือกประธานกรรมการ", field="chair")
        platform().db(
            retention.appoint(
                g.tenant, _actor(), found.id, platform().saraban_files, chair=int(chair), members=members
            )
        )
    except SarabanError as error:
        return _list_refused(found, error, "committee", known=("chair", "members"), given=given)
    flash_key("saraban.retention.appointed")
    return redirect(url_for("admin.saraban_retention_list", list_id=found.id))


@blueprint.post("/saraban/retention/<int:list_id>/approve")
def saraban_approve(list_id: int) -> Any:
    """A committee member signs the list, keeping the letters they tick."""
    found = _visible_list(list_id)
    keep = [p[:PUBLIC_ID_MAX] for p in request.form.getlist("keep")[:2000]]
    try:
        platform().db(
            retention.approve(
                g.tenant, _actor(), found.id, platform().saraban_files,
                decisions=dict.fromkeys(keep, "keep"),
            )
        )  # fmt: skip
    except (SarabanError, SigningError, PkiError) as error:
        return _list_refused(found, error, "approve", given={"keep": tuple(keep)})
    flash_key("saraban.retention.approved")
    return redirect(url_for("admin.saraban_retention_list", list_id=found.id))


@blueprint.post("/saraban/retention/<int:list_id>/archives")
@any_role(CLERK)
def saraban_archives_sent(list_id: int) -> Any:
    """The approved list went to the National Archives (กองจดหมายเหตุแห่งชาติ)."""
    found = _visible_list(list_id)
    try:
        platform().db(retention.send_to_archives(g.tenant, _actor(), found.id))
    except SarabanError as error:
        return _list_refused(found, error, "archives")
    flash_key("saraban.retention.archives_sent")
    return redirect(url_for("admin.saraban_retention_list", list_id=found.id))


@blueprint.post("/saraban/retention/<int:list_id>/reply")
@any_role(CLERK)
def saraban_archives_reply(list_id: int) -> Any:
    """The National Archives' answer; the letters it asks for are kept permanently."""
    found = _visible_list(list_id)
    text = _field("text")
    objected = tuple(p[:PUBLIC_ID_MAX] for p in request.form.getlist("objected")[:2000])
    try:
        platform().db(retention.archives_reply(g.tenant, _actor(), found.id, text, objected=objected))
    except SarabanError as error:
        given = {"text": text, "objected": objected}
        return _list_refused(found, error, "reply", known=("text", "objected"), given=given)
    flash_key("saraban.retention.reply_done")
    return redirect(url_for("admin.saraban_retention_list", list_id=found.id))


@blueprint.get("/saraban/retention/<int:list_id>/destroy")
@any_role(CLERK)
def saraban_destroy_confirm(list_id: int) -> Any:
    """What destroying the list will do, and the button that does it."""
    found = _visible_list(list_id)
    if found.status != "archives":
        return redirect(url_for("admin.saraban_retention_list", list_id=found.id))
    return _list_page(found, template="admin/saraban_retention_destroy.html")


@blueprint.post("/saraban/retention/<int:list_id>/destroy")
@any_role(CLERK)
def saraban_destroy(list_id: int) -> Any:
    """Destroy the listed letters: their files are deleted; their rows stay, marked ทำลายแล้ว."""
    found = _visible_list(list_id)
    if request.form.get("confirm") != "yes":
        return redirect(url_for("admin.saraban_destroy_confirm", list_id=found.id))
    try:
        done = platform().db(retention.destroy(g.tenant, _actor(), found.id, platform().saraban_files))
    except SarabanError as error:
        return _list_refused(found, error, "destroy")
    count = sum(1 for item in done.items or [] if item.get("outcome") == "destroyed")
    flash_key("saraban.retention.destroyed", count=str(count))
    return redirect(url_for("admin.saraban_retention_list", list_id=found.id))
