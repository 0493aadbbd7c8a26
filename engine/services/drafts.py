"""Unfinished applications: saved server-side after every step, resumed with a secret link.

The citizen holds the draft's token (in a cookie and in the resume link); the store keeps
only its digest, like tracking tokens of submissions, so a copy of the database resumes
nobody's form. Every lookup is scoped to the tenant: a token of one municipality finds
nothing in another.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from engine import jsonpointer
from engine.definitions import ServiceDefinition
from engine.definitions.model import Step
from engine.forms import FieldError, widgets
from engine.forms.rules import (
    drop_empty_objects,
    page_fields,
    problems_by_step,
    prune_hidden,
    step_errors,
    too_many_files,
    visible_steps,
)
from engine.jsonpointer import remove_value, set_value
from engine.services import idempotency, secrets, submissions
from engine.services import uploads as uploads_service
from engine.services.errors import NotFound, ServiceError
from engine.services.uploads import StoredUpload
from engine.store.bounds import could_be_key
from engine.store.models import Attachment, Draft, Tenant

log = logging.getLogger(__name__)

# A draft nobody touched for this long is gone (it holds personal data; PDPA asks us not to hoard it).
DRAFT_LIFETIME = timedelta(days=30)
# Written into ``Draft.step`` while a submission of the draft is under way, so that a double
# click on "submit" cannot file the same application twice.
SUBMITTING = "__submitting__"
# No submission takes this long; a claim older than this belongs to a request that died.
SUBMIT_TIMEOUT = timedelta(minutes=2)
_SCOPE = "draft"


class DraftNotFound(NotFound):
    """No draft with that token in this tenant (or it expired); the two are not told apart."""

    code = "draft_not_found"

    def __init__(self) -> None:
        super().__init__("no such draft")


class StepNotFound(NotFound):
    """The form asks no such step, given the answers so far."""

    code = "step_not_found"

    def __init__(self, step_id: str) -> None:
        self.step_id = step_id
        super().__init__(f"the form asks no step {step_id!r} (given the answers so far)")


class DraftBeingSubmitted(ServiceError):
    """Another request is submitting this draft right now; nothing was changed."""

    http_status = 409
    code = "draft_being_submitted"

    def __init__(self) -> None:
        super().__init__("this draft is being submitted")


class StepRefused(ServiceError):
    """A step's answers were not stored: ``errors`` says what is wrong, field by field (Thai and English)."""

    http_status = 422
    code = "invalid_step"
    message_th = "คำตอบในขั้นตอนนี้ยังไม่ถูกต้อง ยังไม่ได้บันทึก"

    def __init__(self, step_id: str, errors: Sequence[FieldError]) -> None:
        self.step_id = step_id
        self.errors = list(errors)
        super().__init__(
            f"{len(self.errors)} problem(s) in the answers of step {step_id!r}; nothing was saved"
        )


# An answer sent for a field the step does not ask (a client's mistake: it would be lost silently).
NOT_ASKED = ("ขั้นตอนนี้ไม่ได้ถามข้อมูลนี้", "This step does not ask for this answer")


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> str:
    return secrets.digest(token, scope=_SCOPE)


async def create(tenant: Tenant, definition: ServiceDefinition, *, step: str = "") -> tuple[str, Draft]:
    """A new empty draft of ``definition`` in ``tenant``; returns the token (shown once) and the row."""
    token = secrets.new_token()
    draft = await Draft.create(
        tenant=tenant,
        token_hash=_digest(token),
        service_id=definition.id,
        service_version=definition.version,
        data={},
        step=step,
    )
    return token, draft


async def load(
    tenant: Tenant, token: str, *, service_id: str | None = None, now: datetime | None = None
) -> Draft:
    """The tenant's draft with this token (of ``service_id`` when given).

    Raises :class:`DraftNotFound` when there is none, it belongs to another tenant or
    service, or it was last saved more than :data:`DRAFT_LIFETIME` ago.
    """
    if not token:
        raise DraftNotFound()
    draft = await Draft.get_or_none(tenant=tenant, token_hash=_digest(token))
    if draft is None or (service_id is not None and draft.service_id != service_id):
        raise DraftNotFound()
    if draft.updated_at + DRAFT_LIFETIME < (now or _now()):
        raise DraftNotFound()
    return draft


async def save(
    draft: Draft,
    data: dict[str, Any],
    step: str,
    *,
    version: str | None = None,
    uploads: Sequence[StoredUpload] = (),
    blobs: Any = None,
    claim: Sequence[str] = (),
) -> Draft:
    """Store the answers so far and the step the citizen was on (``version``: the definition's),
    with the rows of the files uploaded on that page, in one transaction: the answers never
    list a file without its row, nor a file its row without the answers. When it fails the
    uploaded bytes are deleted (``blobs``) and the error propagates.

    ``claim``: IDs of files uploaded on their own (through the API) that the answers now
    list; they become the draft's, so they live as long as it does and go with it.
    """
    draft.data = data
    draft.step = step
    fields = ["data", "step", "updated_at"]
    if version is not None:
        draft.service_version = version
        fields.append("service_version")
    try:
        async with in_transaction() as connection:
            await uploads_service.record(uploads, draft=draft, connection=connection)
            if claim:
                await (
                    Attachment.filter(
                        tenant_id=draft.tenant_id, id__in=list(claim), submission_id=None, draft_id=None
                    )
                    .using_db(connection)
                    .update(draft_id=draft.id)
                )
            await draft.save(update_fields=fields, using_db=connection)
    except BaseException:
        if uploads and blobs is not None:
            await uploads_service.discard(uploads, blobs=blobs)
        raise
    return draft


async def claim_for_submission(draft: Draft, *, now: datetime | None = None) -> bool:
    """Mark the draft as being submitted; False when another request already did.

    The conditional update is atomic in the database, so of two simultaneous submits of one
    draft exactly one gets True. A claim older than :data:`SUBMIT_TIMEOUT` (its request
    died) can be taken over, so a crash never locks a citizen out of their draft.
    """
    moment = now or _now()
    updated = (
        await Draft.filter(id=draft.id, tenant_id=draft.tenant_id)
        .filter(Q(step__not=SUBMITTING) | Q(updated_at__lt=moment - SUBMIT_TIMEOUT))
        .update(step=SUBMITTING, updated_at=moment)
    )
    return bool(updated)


async def release(draft: Draft, step: str) -> None:
    """Undo :func:`claim_for_submission` after a submission that stored nothing."""
    await Draft.filter(id=draft.id, tenant_id=draft.tenant_id).update(step=step)


async def discard(tenant: Tenant, draft_id: int, *, blobs: Any = None) -> None:
    """Delete a draft of ``tenant``.

    Its uploads that no submission took (the citizen gave up, or the answer asking for them
    was dropped) go with it when ``blobs`` (the blob store) is given; uploads a submission
    owns stay. Raises :class:`~engine.blobs.BlobError` when the store fails to delete bytes
    (the rows are gone by then).
    """
    await _drop_unsubmitted_uploads(tenant.id, [draft_id], blobs)
    await Draft.filter(tenant=tenant, id=draft_id).delete()


async def purge_expired(*, now: datetime | None = None, blobs: Any = None) -> int:
    """Delete drafts not saved for :data:`DRAFT_LIFETIME` (with their unsubmitted uploads
    when ``blobs`` is given); returns how many drafts."""
    cutoff = (now or _now()) - DRAFT_LIFETIME
    expired = await Draft.filter(updated_at__lt=cutoff).values_list("id", "tenant_id")
    by_tenant: dict[int, list[int]] = {}
    for draft_id, tenant_id in expired:
        by_tenant.setdefault(tenant_id, []).append(draft_id)
    for tenant_id, draft_ids in by_tenant.items():
        await _drop_unsubmitted_uploads(tenant_id, draft_ids, blobs)
        await Draft.filter(tenant_id=tenant_id, id__in=draft_ids).delete()
    return len(expired)


async def _drop_unsubmitted_uploads(tenant_id: int, draft_ids: list[int], blobs: Any) -> None:
    if blobs is None or not draft_ids:
        return
    query = Attachment.filter(tenant_id=tenant_id, draft_id__in=draft_ids, submission_id=None)
    keys = await query.values_list("blob_key", flat=True)
    await query.delete()
    for key in keys:
        # The minio client blocks: never on the ORM's loop.
        await asyncio.to_thread(blobs.delete, key)


# --- one step at a time, whoever fills it in (the portal's pages, the API) ----------------------


def step_of(definition: ServiceDefinition, data: Any, step_id: str) -> Step:
    """The step ``step_id`` if the form asks it given ``data``; raises :class:`StepNotFound`."""
    found = next((s for s in visible_steps(definition, data) if s.id == step_id), None)
    if found is None:
        raise StepNotFound(step_id)
    return found


@dataclass(frozen=True)
class StepSaved:
    """What became of one step's answers: stored or not, and the step's problems (empty: complete)."""

    draft: Draft
    saved: bool
    errors: list[FieldError]


async def save_step(
    draft: Draft,
    definition: ServiceDefinition,
    step: Step,
    data: dict[str, Any],
    *,
    uploads: Sequence[StoredUpload] = (),
    blobs: Any = None,
    keep_invalid: bool = True,
    claim: Sequence[str] = (),
) -> StepSaved:
    """Store the answers after a step (``data``: all of them, the step's included) and check that step.

    Answers of steps and fields no longer asked are dropped first. With ``keep_invalid`` the
    answers are stored even when the step has problems (what was typed is never lost: the
    portal's pages show it again with the messages); without, a step with problems stores
    nothing (its uploaded files' bytes are deleted).
    """
    data = prune_hidden(definition, data)
    errors = step_errors(definition, step, data)
    if errors and not keep_invalid:
        if uploads and blobs is not None:
            await uploads_service.discard(uploads, blobs=blobs)
        return StepSaved(draft, False, errors)
    await save(draft, data, step.id, version=definition.version, uploads=uploads, blobs=blobs, claim=claim)
    return StepSaved(draft, True, errors)


def _leaves(node: Any, pointer: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [
            leaf for key, value in node.items() for leaf in _leaves(value, jsonpointer.child(pointer, key))
        ]
    return [pointer or "/"]


def take_answers(
    definition: ServiceDefinition, step: Step, data: Any, answers: Any
) -> tuple[dict[str, Any], list[FieldError]]:
    """``data`` with the answers of ``step``'s fields replaced by those in ``answers`` (a document of
    the form's shape: a field left out is an answer taken back); and an error for each answer
    in ``answers`` that the step does not ask."""
    merged = copy.deepcopy(data) if isinstance(data, dict) else {}
    rest = copy.deepcopy(answers) if isinstance(answers, dict) else {}
    missing = object()
    for ui_field in page_fields(step, merged):
        value = jsonpointer.resolve(answers, ui_field.pointer, missing)
        if value is missing:
            remove_value(merged, ui_field.pointer)
        else:
            set_value(merged, ui_field.pointer, copy.deepcopy(value))
            remove_value(rest, ui_field.pointer)
    drop_empty_objects(merged)
    drop_empty_objects(rest)
    not_asked = [FieldError(pointer, *NOT_ASKED, "not_asked") for pointer in _leaves(rest)] if rest else []
    return merged, not_asked


async def _step_files(
    tenant: Tenant, definition: ServiceDefinition, step: Step, draft: Draft, data: dict[str, Any]
) -> tuple[list[str], list[FieldError]]:
    """The files the step's answers list that still need claiming for the draft, and the problems:
    more files than a field takes, or a file this municipality never received for this draft
    (uploaded elsewhere, already part of an application). Descriptions are rewritten as stored."""
    claim: list[str] = []
    problems: list[FieldError] = []
    for ui_field in page_fields(step, data):
        if not widgets.get(ui_field.widget).files:
            continue
        files = jsonpointer.resolve(data, ui_field.pointer, None)
        if not isinstance(files, list):
            continue
        spec = definition.service.attachment(ui_field.attachment) if ui_field.attachment else None
        if spec is not None and len(files) > spec.max_files:
            problems.append(too_many_files(ui_field.pointer, spec))
            continue
        ids = [f["id"] for f in files if isinstance(f, dict) and could_be_key(f.get("id"), Attachment, "id")]
        rows = {
            a.id: a
            for a in await Attachment.filter(tenant=tenant, id__in=ids, submission_id=None).filter(
                Q(draft_id=None) | Q(draft_id=draft.id)
            )
        }
        for index, item in enumerate(files):
            row = rows.get(str(item.get("id"))) if isinstance(item, dict) else None
            if row is None:
                problems.append(
                    FieldError(f"{ui_field.pointer}/{index}", *submissions.MISSING_FILE, "attachment")
                )
                continue
            files[index] = uploads_service.describe(row)
            if row.draft_id is None:
                claim.append(row.id)
    return claim, problems


async def answer_step(
    tenant: Tenant,
    draft: Draft,
    definition: ServiceDefinition,
    step_id: str,
    answers: Any,
    *,
    keep_invalid: bool = False,
) -> StepSaved:
    """Store the answers of one step sent whole (by a program: files uploaded on their own first).

    ``answers`` holds the step's answers in the form's shape; the draft's other answers stay
    as they were. The step is checked with the same rules and messages as the portal's page.
    Raises :class:`StepNotFound` (a step not asked), :class:`DraftBeingSubmitted`, and
    :class:`StepRefused` (nothing stored) for answers the step does not ask, files that are
    not the applicant's, and, unless ``keep_invalid``, any problem with the step's answers.
    """
    if draft.step == SUBMITTING and draft.updated_at + SUBMIT_TIMEOUT > _now():
        raise DraftBeingSubmitted()
    current = draft.data if isinstance(draft.data, dict) else {}
    step = step_of(definition, current, step_id)
    merged, not_asked = take_answers(definition, step, current, answers)
    claim, file_problems = await _step_files(tenant, definition, step, draft, merged)
    if not_asked or file_problems:
        raise StepRefused(step.id, [*not_asked, *file_problems])
    saved = await save_step(draft, definition, step, merged, keep_invalid=keep_invalid, claim=claim)
    if not saved.saved:
        raise StepRefused(step.id, saved.errors)
    return saved


@dataclass(frozen=True)
class StepProgress:
    step: Step
    complete: bool


@dataclass(frozen=True)
class Progress:
    """Where a draft stands: each step asked and whether its answers are complete, the first step
    still to answer (None: ready to submit), and problems no step asks about."""

    steps: list[StepProgress]
    next_step: Step | None
    unplaced: list[FieldError]

    @property
    def ready(self) -> bool:
        return self.next_step is None and not self.unplaced


def progress(definition: ServiceDefinition, data: Any) -> Progress:
    """What the check-your-answers page tells of a draft's answers."""
    pruned = prune_hidden(definition, data)
    incomplete, unplaced = problems_by_step(definition, pruned)
    wrong = {step.id for step in incomplete}
    steps = [StepProgress(step, step.id not in wrong) for step in visible_steps(definition, pruned)]
    following = next((s.step for s in steps if not s.complete), None)
    return Progress(steps, following, unplaced)


async def submit(
    tenant: Tenant,
    draft: Draft,
    definition: ServiceDefinition,
    *,
    blobs: Any = None,
    keyed: idempotency.Keyed | None = None,
) -> submissions.Receipt:
    """File the draft as an application, once, and delete the draft.

    Raises :class:`DraftBeingSubmitted` while another request submits it (a double click),
    and what :func:`engine.services.submissions.submit` raises (the draft stays, as it was).
    Once stored, a failure to delete the draft is only logged: the application is filed.
    With ``keyed`` (an ``Idempotency-Key``), a copy sent while the first is at work waits for
    the first's receipt and gets it back instead (see :mod:`engine.services.idempotency`).
    """
    if keyed is not None and (first := await idempotency.earlier(tenant.id, keyed)) is not None:
        return submissions.Receipt.replay(first)
    data = prune_hidden(definition, draft.data)
    resume_step = draft.step if draft.step != SUBMITTING else ""
    if not await claim_for_submission(draft):
        if keyed is not None and (first := await idempotency.winner(tenant.id, keyed)) is not None:
            return submissions.Receipt.replay(first)
        raise DraftBeingSubmitted()
    try:
        receipt = await submissions.submit(tenant, definition, data, keyed=keyed)
    except BaseException:
        try:
            await release(draft, resume_step)
        except Exception:
            log.exception("could not release draft %s", draft.id)
        raise
    try:
        await discard(tenant, draft.id, blobs=blobs)
    except Exception:
        log.exception("submission %s stored but its draft %s was not deleted", receipt.reference, draft.id)
    return receipt
