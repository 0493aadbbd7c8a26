"""Officers' internal comments on an application: notes between colleagues, never the applicant's.

Only an officer who needs to know the application (see :mod:`engine.services.privacy`) reads or
writes its comments; anyone else is answered as if the application did not exist. Nothing here
is reached from the portal or from the applicant's answers of the API: the applicant's own view
(:mod:`engine.services.applicant`) never reads this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.forms.errors import FieldError
from engine.services import privacy, submissions
from engine.services.errors import ServiceError, SubmissionNotFound
from engine.store.models import Submission, SubmissionComment

if TYPE_CHECKING:  # the desk's page reads the comments through this module
    from engine.services.desk import OnDuty

MAX_BODY = 4000  # characters: a page of notes; longer material belongs in a letter or a file
# Written by hand, one at a time: an application with a thousand notes is a mistake or an attack,
# and the desk page lists them all.
MAX_PER_SUBMISSION = 1000
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
BODY_POINTER = "/body"

# Control characters other than tab and line breaks: PostgreSQL cannot store NUL in text, and the
# others only hide what a note says.
_CONTROLS = {c: None for c in range(32) if c not in (9, 10)} | {127: None}


class CommentInvalid(ServiceError):
    """The comment cannot be saved as written; ``errors`` says why, per field, in Thai and English."""

    http_status = 422
    code = "invalid_comment"

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(e.message_en for e in errors))


class TooManyComments(ServiceError):
    """The application already holds :data:`MAX_PER_SUBMISSION` comments."""

    http_status = 409
    code = "too_many_comments"
    message_th = f"คำขอนี้มีความเห็นครบ {MAX_PER_SUBMISSION:,} รายการแล้ว จึงบันทึกความเห็นเพิ่มไม่ได้"

    def __init__(self) -> None:
        super().__init__(
            f"this application already has {MAX_PER_SUBMISSION:,} comments; no more can be added"
        )


def cleaned(text: str) -> str:
    """``text`` as it is stored: line breaks as ``\\n``, without control characters, trimmed.

    Raises :class:`CommentInvalid` when nothing is left or it is longer than :data:`MAX_BODY`.
    """
    body = text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS).strip()
    if not body:
        raise CommentInvalid(
            [
                FieldError(
                    BODY_POINTER,
                    "กรุณาเขียนความเห็นก่อนบันทึก",
                    "Write the comment before saving it",
                    "required",
                )
            ]
        )
    if len(body) > MAX_BODY:
        raise CommentInvalid(
            [
                FieldError(
                    BODY_POINTER,
                    f"ความเห็นยาวได้ไม่เกิน {MAX_BODY:,} ตัวอักษร ความเห็นนี้มี {len(body):,} ตัวอักษร",
                    f"A comment can be at most {MAX_BODY:,} characters long; this one has {len(body):,}",
                    "maxLength",
                )
            ]
        )
    return body


async def _seen(duty: OnDuty, reference: str, catalog: Any) -> Submission:
    """The application ``reference`` when ``duty``'s roles need to know it.

    Raises :class:`SubmissionNotFound` otherwise (as if it did not exist), and
    :class:`UnknownService` for a version published since ``catalog`` was read.
    """
    found = await submissions.find(duty.tenant, reference)
    definition = catalog.get(found.service_id, found.service_version)
    if not privacy.sees_service(definition, duty.roles, catalog.roles):
        raise SubmissionNotFound(found.reference)
    return found


async def of_submission(
    submission: Submission, *, after: int = 0, limit: int | None = None
) -> list[SubmissionComment]:
    """The comments on ``submission`` after the comment id ``after``, oldest first.

    Reads without a need-to-know check: for callers that already made it (the desk page).
    """
    query = SubmissionComment.filter(
        tenant_id=submission.tenant_id, submission_id=submission.id, id__gt=after
    ).order_by("id")
    return await (query.limit(limit) if limit is not None else query)


@dataclass(frozen=True)
class CommentPage:
    """Comments on one application, oldest first, and the id to read on after (None at the end)."""

    submission: Submission
    comments: list[SubmissionComment]
    next_after: int | None


async def listed(
    duty: OnDuty, reference: str, catalog: Any, *, after: int = 0, limit: int = DEFAULT_LIMIT
) -> CommentPage:
    """A page of the comments on ``reference`` for an officer who needs to know it.

    Raises :class:`SubmissionNotFound` (no such application, or none these roles see) and
    :class:`UnknownService` (read the catalog again and retry).
    """
    found = await _seen(duty, reference, catalog)
    limit = max(1, min(limit, MAX_LIMIT))
    rows = await of_submission(found, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return CommentPage(found, rows, rows[-1].id if more else None)


def _key_label(key_name: str | None) -> str:
    return f"API · {key_name}" if key_name else "API"


async def add(
    duty: OnDuty, reference: str, text: str, catalog: Any, *, key_name: str | None = None
) -> SubmissionComment:
    """Save ``text`` as a comment on ``reference`` by the officer on duty (or the API key ``key_name``).

    Raises :class:`CommentInvalid` (empty or too long), :class:`TooManyComments`,
    :class:`SubmissionNotFound` (no such application, or none these roles see) and
    :class:`UnknownService` (read the catalog again and retry).
    """
    # Need to know first: a refusal of the text must not tell apart references the officer may not see.
    found = await _seen(duty, reference, catalog)
    body = cleaned(text)
    if await SubmissionComment.filter(tenant_id=found.tenant_id, submission_id=found.id).count() >= (
        MAX_PER_SUBMISSION
    ):
        raise TooManyComments()
    label = duty.user.display_name if duty.user is not None else _key_label(key_name)
    return await SubmissionComment.create(
        tenant_id=found.tenant_id,
        submission_id=found.id,
        author_id=duty.user.id if duty.user else None,
        author_label=label[:200],
        body=body,
    )
