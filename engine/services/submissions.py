"""Submitting, tracking and moving submissions through their workflow.

Each use case is one database transaction: a submission is stored whole (with its reference
number, first history entry and deadlines) or not at all; a transition updates the
submission only if nobody changed it since it was read (optimistic locking), appends to the
audit log and queues its effects in the same transaction, so they run after the commit.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine import jsonpointer
from engine.definitions import Catalog, ServiceDefinition
from engine.definitions.model import Text, Transition
from engine.forms import data_roles, widgets
from engine.forms.errors import FieldError
from engine.forms.rules import check_whole
from engine.services import access_log, dashboard, idempotency, secrets, webhooks
from engine.services.errors import (
    CorrectionNotAllowed,
    StaleSubmission,
    SubmissionInvalid,
    SubmissionNotFound,
)
from engine.store.bounds import could_be_key
from engine.store.counters import next_number
from engine.store.models import Attachment, AuditEntry, Bill, EffectJob, Submission, Tenant, User
from engine.thaidate import buddhist_year
from engine.workflow import Outcome, StateEntry, Vote, available_actions, sla_report, take_action
from engine.workflow.sla import BANGKOK

CONTACT_ROLES = ("phone", "national_id")
# The first step of every application's history: no transition of the workflow, so named here.
SUBMIT_ACTION = "submit"
SUBMITTED = Text(th="ยื่นคำขอ", en="Submitted")


@dataclass(frozen=True)
class Receipt:
    """What the applicant gets back: the reference, where it stands, and the secret to track it."""

    reference: str
    status: str
    tracking_token: str
    replayed: bool = False  # the first answer to the same Idempotency-Key, given again

    def as_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "status": self.status, "tracking_token": self.tracking_token}

    @classmethod
    def replay(cls, answer: idempotency.Answer) -> Receipt:
        body = answer.body
        return cls(body["reference"], body["status"], body["tracking_token"], replayed=True)


@dataclass(frozen=True)
class TransitionResult:
    reference: str
    status: str
    version: int
    fired: bool
    votes: tuple[Vote, ...] = ()
    effects: tuple[str, ...] = field(default_factory=tuple)


def now_utc() -> datetime:
    return datetime.now(UTC)


def contact_values(definition: ServiceDefinition, data: Any) -> list[str]:
    """The applicant's phone number and national ID (their data roles): what tracking by phone or ID matches."""
    return [v for role in CONTACT_ROLES if (v := data_roles.text_of(definition, data, role))]


def national_ids(definition: ServiceDefinition, data: Any) -> list[str]:
    """The national ID numbers given in ``data`` (by the fields whose widget asks for one)."""
    found = []
    for ui_field in definition.ui.fields():
        if "national_id" in widgets.get(ui_field.widget).roles:
            value = jsonpointer.resolve(data, ui_field.pointer, None)
            if isinstance(value, str) and value:
                found.append(value)
    return found


def attachment_entries(definition: ServiceDefinition, data: Any) -> list[tuple[str, dict[str, Any]]]:
    """(pointer, entry) of every file the data lists, e.g. ``("/attachments/plans/0", {...})``."""
    return _file_entries(
        data, [a.field for a in definition.service.form_attachments() if a.field is not None]
    )


def input_file_entries(transition: Transition, input: Any) -> list[tuple[str, dict[str, Any]]]:
    """(pointer, entry) of every file an action's input lists, e.g. ``("/documents/0", {...})``."""
    return _file_entries(input, [f.pointer for f in transition.input_ui if widgets.get(f.widget).files])


def _file_entries(data: Any, pointers: list[str]) -> list[tuple[str, dict[str, Any]]]:
    entries = []
    for pointer in pointers:
        files = jsonpointer.resolve(data, pointer, None)
        for index, item in enumerate(files if isinstance(files, list) else []):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                entries.append((f"{pointer}/{index}", item))
    return entries


# The applicant's receipt by SMS, e-mail and on the tracking page, with the reference and a link.
RECEIVED = {
    "th": "หน่วยงานได้รับคำขอของท่านแล้ว โปรดเก็บเลขที่คำขอนี้ไว้เพื่อติดตามสถานะ",
    "en": "We have received your application. Keep its reference to follow it.",
}

MISSING_FILE = (
    "ไม่พบไฟล์นี้ในระบบ กรุณาแนบไฟล์อีกครั้ง",
    "This file was not uploaded, or is already part of another application; upload it again",
)


async def _files_on_record(
    tenant: Tenant, entries: list[tuple[str, dict[str, Any]]], data: Any, connection: Any = None
) -> tuple[Any, list[str]]:
    """``data`` with each file of ``entries`` described as stored, and the files' IDs.

    Raises :class:`SubmissionInvalid` for a file this tenant never received, or that another
    submission already owns: an application only points at files its applicant uploaded.
    """
    if not entries:
        return data, []
    ids = [entry["id"] for _, entry in entries]
    stored = {
        a.id: a
        for a in await Attachment.filter(tenant=tenant, id__in=ids, submission_id=None).using_db(connection)
    }
    missing = [
        FieldError(pointer, *MISSING_FILE, "attachment")
        for pointer, entry in entries
        if entry["id"] not in stored
    ]
    if missing:
        raise SubmissionInvalid(missing)
    recorded = copy.deepcopy(data)
    for pointer, entry in entries:
        row = stored[entry["id"]]
        parent, _, index = pointer.rpartition("/")
        jsonpointer.resolve(recorded, parent)[int(index)] = {
            "id": row.id,
            "filename": row.filename,
            "content_type": row.content_type,
            "size": row.size,
            "sha256": row.sha256,
        }
    return recorded, ids


async def _claim_files(
    tenant: Tenant,
    submission_id: int,
    ids: list[str],
    entries: list[tuple[str, dict[str, Any]]],
    connection: Any,
) -> None:
    """Make the files ``ids`` the submission's; raises :class:`SubmissionInvalid` if one was taken.

    Only files nobody's submission owns yet: an ID copied from elsewhere cannot move a file.
    Counted, since another submission (or the clean-up of unused uploads) may have taken a
    file since it was checked: then the caller's transaction stores nothing.
    """
    if not ids:
        return
    claimed = await (
        Attachment.filter(tenant=tenant, id__in=ids, submission_id=None)
        .using_db(connection)
        .update(submission_id=submission_id)
    )
    if claimed != len(set(ids)):
        owned = set(
            await Attachment.filter(tenant=tenant, id__in=ids, submission_id=submission_id)
            .using_db(connection)
            .values_list("id", flat=True)
        )
        raise SubmissionInvalid(
            [
                FieldError(pointer, *MISSING_FILE, "attachment")
                for pointer, entry in entries
                if entry["id"] not in owned
            ]
        )


_MISSING = object()


def apply_corrections(
    definition: ServiceDefinition, steps: Collection[str], data: Any, corrected: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """``data`` with the answers of the reopened ``steps`` taken from ``corrected``; and the
    pointers that changed. Answers of other steps are never touched, whatever ``corrected`` says."""
    result = copy.deepcopy(data) if isinstance(data, dict) else {}
    changed = []
    for step in definition.ui.steps:
        if step.id not in steps:
            continue
        for ui_field in step.fields:
            before = jsonpointer.resolve(result, ui_field.pointer, _MISSING)
            after = jsonpointer.resolve(corrected, ui_field.pointer, _MISSING)
            if before == after:
                continue
            parent_pointer, _, last = ui_field.pointer.rpartition("/")
            parent = jsonpointer.resolve(result, parent_pointer, None) if parent_pointer else result
            if after is _MISSING:
                if isinstance(parent, dict):
                    parent.pop(jsonpointer.unescape(last), None)
            else:
                if not isinstance(parent, dict):
                    parent = result
                    for part in parent_pointer.split("/")[1:]:
                        parent = parent.setdefault(jsonpointer.unescape(part), {})
                parent[jsonpointer.unescape(last)] = copy.deepcopy(after)
            changed.append(ui_field.pointer)
    return result, changed


async def _corrected(
    tenant: Tenant,
    definition: ServiceDefinition,
    submission: Submission,
    transition: Transition,
    corrected: Mapping[str, Any],
    connection: Any,
) -> dict[str, Any]:
    """The corrected answers, checked whole, their new files recorded; raises SubmissionInvalid."""
    data, changed = apply_corrections(definition, transition.reopens, submission.data, corrected)
    if not changed:
        return {"data": submission.data, "changed": []}
    data, errors = check_whole(definition, data)
    if errors:
        raise SubmissionInvalid(errors)
    owned = set(
        await Attachment.filter(tenant=tenant, submission_id=submission.id)
        .using_db(connection)
        .values_list("id", flat=True)
    )
    fresh = [
        (pointer, entry)
        for pointer, entry in attachment_entries(definition, data)
        if entry["id"] not in owned
    ]
    data, ids = await _files_on_record(tenant, fresh, data, connection)
    await _claim_files(tenant, submission.id, ids, fresh, connection)
    return {"data": data, "changed": changed}


def format_reference(prefix: str, year_be: int, number: int) -> str:
    return f"{prefix}-{year_be}-{number:06d}"


def _deadlines(
    definition: ServiceDefinition, history: list[StateEntry]
) -> tuple[datetime | None, datetime | None]:
    report = sla_report(definition.service, definition.workflow, history)
    return report.due_at, report.state_due_at


async def submit(
    tenant: Tenant,
    definition: ServiceDefinition,
    data: Any,
    *,
    now: datetime | None = None,
    keyed: idempotency.Keyed | None = None,
) -> Receipt:
    """Validate and store a new submission; raises :class:`SubmissionInvalid` (nothing stored).

    Answers to steps and fields the form does not ask, given the other answers, are dropped
    first (see :mod:`engine.forms.rules`), whichever entry point sent them. Files the data
    lists must have been uploaded to this tenant first (see :mod:`engine.services.uploads`);
    the stored data describes them as they were received.

    With ``keyed`` (an ``Idempotency-Key``), the receipt is stored in the same transaction and
    a repeat of the request gets it back (``replayed``) with nothing stored twice; raises
    :class:`~engine.services.idempotency.KeyReused` for the key used with another body.
    """
    if keyed is not None and (first := await idempotency.earlier(tenant.id, keyed)) is not None:
        return Receipt.replay(first)
    try:
        return await _store(tenant, definition, data, now=now, keyed=keyed)
    except (IntegrityError, SubmissionInvalid):
        # A concurrent copy of the same keyed request committed first: ours rolled back whole
        # (or found the files already claimed by the copy's application).
        if keyed is None or (first := await idempotency.earlier(tenant.id, keyed)) is None:
            raise
        return Receipt.replay(first)


async def _store(
    tenant: Tenant,
    definition: ServiceDefinition,
    data: Any,
    *,
    now: datetime | None,
    keyed: idempotency.Keyed | None,
) -> Receipt:
    data, errors = check_whole(definition, data)
    if errors:
        raise SubmissionInvalid(errors)
    data, ids = await _files_on_record(tenant, attachment_entries(definition, data), data)
    moment = now or now_utc()
    token = secrets.new_tracking_code()
    initial = definition.workflow.initial
    async with in_transaction() as connection:
        year_be = buddhist_year(moment.astimezone(BANGKOK).date())
        number = await next_number(connection, "reference_counter", tenant.id, year_be)
        reference = format_reference(tenant.reference_prefix, year_be, number)
        due_at, state_due_at = _deadlines(definition, [StateEntry(initial, moment)])
        submission = await Submission.create(
            tenant=tenant,
            reference=reference,
            service_id=definition.id,
            service_version=definition.version,
            data=data,
            state=initial,
            version=1,
            votes=[],
            contact_hashes=[secrets.digest(v, scope=reference) for v in contact_values(definition, data)],
            tracking_token_hash=secrets.digest(token, scope=reference),
            submitted_at=moment,
            state_entered_at=moment,
            due_at=due_at,
            state_due_at=state_due_at,
            using_db=connection,
        )
        await access_log.index_subjects(submission, national_ids(definition, data), connection, new=True)
        await AuditEntry.create(
            tenant=tenant,
            submission=submission,
            seq=1,
            action=SUBMIT_ACTION,
            from_state=None,
            to_state=initial,
            role="applicant",
            actor_label="applicant",
            at=moment,
            using_db=connection,
        )
        await _claim_files(tenant, submission.id, ids, attachment_entries(definition, data), connection)
        await EffectJob.create(
            tenant=tenant,
            submission=submission,
            type="notify",
            params={"to": "applicant", "purpose": "received", "message": RECEIVED},
            run_after=moment,
            using_db=connection,
        )
        await webhooks.announce(
            tenant,
            "submission.created",
            definition.id,
            {
                "reference": reference,
                "service": definition.id,
                "service_version": definition.version,
                "state": initial,
                "submitted_at": moment.isoformat(),
                "due_at": due_at.isoformat() if due_at else None,
            },
            connection=connection,
            now=moment,
        )
        receipt = Receipt(reference, initial, token)
        if keyed is not None:
            await idempotency.remember(connection, tenant.id, keyed, 201, receipt.as_dict())
    return receipt


async def submit_to(
    tenant_slug: str,
    service_id: str,
    data: Any,
    catalog: Catalog,
    *,
    now: datetime | None = None,
    keyed: idempotency.Keyed | None = None,
) -> Receipt:
    """:func:`submit` to the version of ``service_id`` the municipality offers, found in one query.

    Raises :class:`TenantNotFound`, :class:`ServiceNotEnabled`, :class:`UnknownService` (a
    version published since ``catalog`` was read) and what :func:`submit` raises.
    """
    from engine.services.tenants import offered

    enabled = await offered(tenant_slug, service_id)
    definition = catalog.get(enabled.service_id, enabled.version)
    return await submit(enabled.tenant, definition, data, now=now, keyed=keyed)


async def find(tenant: Tenant, reference: str) -> Submission:
    """A submission of ``tenant``; raises :class:`SubmissionNotFound`.

    For officers and the system: applicants prove their tracking token through
    :mod:`engine.services.tracking`.
    """
    found = None
    if could_be_key(reference, Submission, "reference"):
        found = await Submission.get_or_none(tenant=tenant, reference=reference)
    if found is None:
        raise SubmissionNotFound(reference)
    return found


async def history(submission: Submission, connection: Any = None) -> list[AuditEntry]:
    query = AuditEntry.filter(tenant_id=submission.tenant_id, submission=submission).order_by("seq")
    return await (query.using_db(connection) if connection is not None else query)


def state_entries(entries: list[AuditEntry]) -> list[StateEntry]:
    """The state changes of a history (votes that did not move the submission left out)."""
    return [StateEntry(e.to_state, e.at) for e in entries if e.from_state != e.to_state]


async def payment_status(submission: Submission, connection: Any = None) -> str:
    """The submission's one-off fees: ``none`` (no bill), ``paid`` (every bill settled) or ``unpaid``."""
    statuses = (
        await Bill.filter(tenant_id=submission.tenant_id, submission_id=submission.id, account_id=None)
        .exclude(status="cancelled")
        .using_db(connection)
        .values_list("status", flat=True)
    )
    if not statuses:
        return "none"
    return "paid" if all(status == "paid" for status in statuses) else "unpaid"


# Final outcomes after which an application's unpaid fees are no longer owed.
FEES_LAPSE = frozenset({"rejected", "withdrawn", "cancelled"})


def context_of(submission: Submission, payment: str = "none") -> dict[str, Any]:
    """What guards may look at besides the data: the state and the payment status."""
    return {"payment": payment, "state": submission.state}


def votes_of(submission: Submission) -> tuple[Vote, ...]:
    return tuple(Vote(v["action"], v["role"], v.get("actor")) for v in submission.votes or [])


async def actions_for(
    definition: ServiceDefinition, submission: Submission, roles: Collection[str]
) -> list[Any]:
    return available_actions(
        definition.workflow,
        submission.state,
        roles,
        data=submission.data,
        context=context_of(submission, await payment_status(submission)),
        votes=votes_of(submission),
    )


async def transition(
    tenant: Tenant,
    definition: ServiceDefinition,
    reference: str,
    action: str,
    roles: Collection[str],
    *,
    input: Mapping[str, Any] | None = None,
    actor: User | None = None,
    expected_version: int | None = None,
    corrected: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> TransitionResult:
    """Take ``action`` on a submission as an actor holding ``roles``.

    ``corrected`` (the form's answers as the applicant corrected them) goes with an action
    that ``reopens`` form steps: those steps' answers are replaced, the whole form is checked
    again, new files are recorded, all in the action's transaction.

    Raises :class:`SubmissionNotFound`, :class:`StaleSubmission` (someone changed it first,
    or ``expected_version`` is not current), the workflow errors of
    :func:`engine.workflow.take_action`, :class:`CorrectionNotAllowed` and
    :class:`SubmissionInvalid` (a correction that does not validate; nothing stored).
    """
    moment = now or now_utc()
    async with in_transaction() as connection:
        submission = (
            await Submission.filter(tenant=tenant, reference=reference).using_db(connection).get_or_none()
        )
        if submission is None:
            raise SubmissionNotFound(reference)
        if expected_version is not None and expected_version != submission.version:
            raise StaleSubmission(reference, expected_version, submission.version)
        outcome: Outcome = take_action(
            definition.workflow,
            submission.state,
            action,
            roles,
            input=input,
            data=submission.data,
            context=context_of(submission, await payment_status(submission, connection)),
            votes=votes_of(submission),
            actor=str(actor.id) if actor else None,
        )
        given = dict(outcome.input)
        taken = definition.workflow.transition_named(action, submission.state)
        files = input_file_entries(taken, given) if taken else []
        given, file_ids = await _files_on_record(tenant, files, given, connection)
        await _claim_files(tenant, submission.id, file_ids, files, connection)
        corrections: dict[str, Any] = {}
        if corrected is not None:
            if taken is None or not taken.reopens:
                raise CorrectionNotAllowed(action)
            corrections = await _corrected(tenant, definition, submission, taken, corrected, connection)
            if corrections.get("changed"):
                given["corrected"] = corrections["changed"]
        version = submission.version + 1
        changes: dict[str, Any] = {
            "version": version,
            "votes": [{"action": v.action, "role": v.role, "actor": v.actor} for v in outcome.votes],
        }
        if corrections.get("changed"):
            changes["data"] = corrections["data"]
            changes["contact_hashes"] = [
                secrets.digest(v, scope=reference) for v in contact_values(definition, corrections["data"])
            ]
            await access_log.index_subjects(
                submission, national_ids(definition, corrections["data"]), connection
            )
        if outcome.fired:
            entries = [
                *state_entries(await history(submission, connection)),
                StateEntry(outcome.state, moment),
            ]
            due_at, state_due_at = _deadlines(definition, entries)
            changes.update(
                state=outcome.state,
                state_entered_at=moment,
                due_at=due_at,
                state_due_at=state_due_at,
                closed=definition.workflow.states[outcome.state].final,
            )
            if changes["closed"]:
                changes["sla_verdict"] = dashboard.verdict(definition, outcome.state, entries)
        updated = (
            await Submission.filter(id=submission.id, version=submission.version)
            .using_db(connection)
            .update(**changes)
        )
        if not updated:
            current = await Submission.filter(id=submission.id).using_db(connection).get()
            raise StaleSubmission(reference, submission.version, current.version)
        if changes.get("closed") and definition.workflow.states[outcome.state].outcome in FEES_LAPSE:
            # A withdrawn or refused application owes nothing more: its unpaid fees are cancelled
            # (a payment that still arrives is held for an officer to refund). An approved one
            # keeps them: its fee may be settled by an effect of the very transition that closed it.
            await (
                Bill.filter(tenant=tenant, submission_id=submission.id, account_id=None, status="unpaid")
                .using_db(connection)
                .update(status="cancelled")
            )
        entry = await AuditEntry.create(
            tenant=tenant,
            submission=submission,
            seq=version,
            action=action,
            from_state=submission.state,
            to_state=outcome.state,
            actor=actor,
            actor_label=actor.display_name if actor else outcome.role,
            role=outcome.role,
            input=given,
            at=moment,
            using_db=connection,
        )
        for effect in outcome.effects:
            await EffectJob.create(
                tenant=tenant,
                submission=submission,
                audit=entry,
                type=effect.type,
                params=effect.params,
                run_after=moment,
                using_db=connection,
            )
        if outcome.fired:
            await webhooks.announce(
                tenant,
                "submission.transitioned",
                submission.service_id,
                {
                    "reference": reference,
                    "service": submission.service_id,
                    "action": action,
                    "from_state": submission.state,
                    "to_state": outcome.state,
                    "role": outcome.role,
                    "version": version,
                    "at": moment.isoformat(),
                },
                connection=connection,
                now=moment,
            )
    return TransitionResult(
        reference,
        outcome.state,
        version,
        outcome.fired,
        outcome.votes,
        tuple(e.type for e in outcome.effects),
    )
