"""A data subject's requests (PDPA sections 30 and 33): a copy of everything held, and erasure.

The data protection officer finds the person by national ID. An export is a zip of every
application that names them (form data, workflow history, attached files) with a record of
who exported it; an erasure anonymises the applications whose retention has ended and says
for each other one why it is kept (still open, or kept by law until a date). Both are
recorded as a :class:`~engine.store.models.DataRequest`, with no personal data in the record.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.definitions import ServiceDefinition
from engine.forms.formats import is_thai_national_id
from engine.services import access_log, retention
from engine.services.errors import ServiceError
from engine.store.models import Attachment, AuditEntry, DataRequest, SubjectIndex, Submission, Tenant, User

DefinitionOf = Callable[[str, str], ServiceDefinition]
# A national ID as typed: 13 digits with dashes or spaces between the groups; nothing longer is one.
MAX_NATIONAL_ID_INPUT = 40


class InvalidNationalId(ServiceError):
    """What was given is not a valid 13-digit Thai national ID number (nothing was looked up)."""

    http_status = 422
    code = "invalid_national_id"
    field = "national_id"
    message_th = "กรุณากรอกเลขประจำตัวประชาชน 13 หลักให้ถูกต้อง"

    def __init__(self) -> None:
        super().__init__("Enter a valid 13-digit national ID number")


def subject_id(given: str) -> str:
    """The national ID in ``given`` (its digits, dashes and spaces dropped); raises :class:`InvalidNationalId`."""
    national_id = "".join(ch for ch in given[:MAX_NATIONAL_ID_INPUT] if ch.isdigit())
    if len(given) > MAX_NATIONAL_ID_INPUT or not is_thai_national_id(national_id):
        raise InvalidNationalId()
    return national_id


async def submissions_of(tenant: Tenant, national_id: str) -> list[Submission]:
    """The applications of ``tenant`` that name this person, oldest first."""
    ids = await SubjectIndex.filter(
        tenant_id=tenant.id, subject_hash=access_log.subject_hash(national_id)
    ).values_list("submission_id", flat=True)
    return list(await Submission.filter(tenant_id=tenant.id, id__in=list(ids)).order_by("id"))


async def export(
    tenant: Tenant, national_id: str, actor: User, *, blobs: Any, address: str = "", channel: str = "web"
) -> tuple[bytes, list[str]]:
    """A zip of everything held about the person, and the references in it; recorded and logged.

    Each application exported is an ``export`` look in the access log, on ``channel`` (``web`` for
    the console, ``api`` for the JSON API).
    """
    found = await submissions_of(tenant, national_id)
    buffer = io.BytesIO()
    summary: list[dict[str, Any]] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for submission in found:
            history = await AuditEntry.filter(tenant_id=tenant.id, submission_id=submission.id).order_by(
                "seq"
            )
            files = await Attachment.filter(tenant_id=tenant.id, submission_id=submission.id).order_by("id")
            summary.append(
                {
                    "reference": submission.reference,
                    "service_id": submission.service_id,
                    "submitted_at": submission.submitted_at.isoformat(),
                    "status": submission.state,
                    "data": submission.data,
                    "history": [
                        {"at": e.at.isoformat(), "action": e.action, "to": e.to_state, "by": e.actor_label}
                        for e in history
                    ],
                    "files": [f"{submission.reference}/{f.id}-{f.filename}" for f in files],
                }
            )
            for attachment in files:
                content = await asyncio.to_thread(blobs.get, attachment.blob_key)
                archive.writestr(f"{submission.reference}/{attachment.id}-{attachment.filename}", content)
            await access_log.record(submission, actor, access_log.EXPORT, address=address, channel=channel)
        archive.writestr(
            "applications.json",
            json.dumps({"applications": summary}, ensure_ascii=False, indent=2, default=str),
        )
    references = [s.reference for s in found]
    await DataRequest.create(
        tenant_id=tenant.id,
        kind="export",
        subject_hash=access_log.subject_hash(national_id),
        requested_by=actor,
        outcome={"references": references},
        at=datetime.now(UTC),
    )
    return buffer.getvalue(), references


@dataclass
class Erasure:
    """What an erasure does to a person's applications: before it (a plan) or after it (``done``)."""

    erased: list[str] = field(default_factory=list)
    kept_open: list[str] = field(default_factory=list)
    kept_until: dict[str, datetime] = field(default_factory=dict)  # reference -> end of retention
    done: bool = False


async def _sort_for_erasure(
    tenant: Tenant, national_id: str, definition_of: DefinitionOf, moment: datetime
) -> tuple[Erasure, list[Submission]]:
    """The plan (what goes, what stays and why) and the applications past retention to anonymise."""
    plan, due = Erasure(), []
    for submission in await submissions_of(tenant, national_id):
        definition = definition_of(submission.service_id, submission.service_version)
        if not submission.closed:
            plan.kept_open.append(submission.reference)
        elif retention.past_retention(submission, definition, moment):
            plan.erased.append(submission.reference)
            due.append(submission)
        else:
            plan.kept_until[submission.reference] = submission.state_entered_at + retention.retention_of(
                definition
            )
    return plan, due


async def erasure_plan(
    tenant: Tenant, national_id: str, *, definition_of: DefinitionOf, now: datetime | None = None
) -> Erasure:
    """What :func:`erase` would anonymise now and what it would keep, changing nothing.

    The officer reads it before confirming: an erasure cannot be undone.
    """
    plan, _ = await _sort_for_erasure(tenant, national_id, definition_of, now or datetime.now(UTC))
    return plan


async def erase(
    tenant: Tenant,
    national_id: str,
    actor: User,
    *,
    blobs: Any,
    definition_of: DefinitionOf,
    now: datetime | None = None,
) -> Erasure:
    """Anonymise the person's closed applications past retention; say why the others are kept."""
    moment = now or datetime.now(UTC)
    outcome, due = await _sort_for_erasure(tenant, national_id, definition_of, moment)
    for submission in due:
        await retention.anonymise(submission, blobs=blobs, now=moment)
    outcome.done = True
    await DataRequest.create(
        tenant_id=tenant.id,
        kind="erase",
        subject_hash=access_log.subject_hash(national_id),
        requested_by=actor,
        outcome={
            "erased": outcome.erased,
            "kept_open": outcome.kept_open,
            "kept_until": {k: v.isoformat() for k, v in outcome.kept_until.items()},
        },
        at=moment,
    )
    return outcome
