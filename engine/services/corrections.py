"""The applicant corrects the answers an office's request reopens (an action's ``reopens`` steps).

The tracking page's correction form and the API's ``…/corrections/{action}`` both find the
action, read the reopened steps and check the corrected answers here, so they refuse the same
answers with the same per-field messages. The action itself then goes through
:func:`engine.services.submissions.transition`, which checks the whole form again in its
transaction; nothing changes on the application before that succeeds.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from engine import jsonpointer
from engine.definitions import ServiceDefinition
from engine.definitions.model import Step, Transition
from engine.forms import FieldError, widgets
from engine.forms.rules import drop_empty_objects, page_fields, prune_hidden, step_errors, too_many_files
from engine.services import applicant, submissions
from engine.services.drafts import NOT_ASKED
from engine.services.errors import ServiceError, SubmissionInvalid
from engine.services.submissions import TransitionResult
from engine.store.models import Submission, Tenant

ROLES = frozenset({applicant.APPLICANT})
_MISSING = object()


class CorrectionNotOffered(ServiceError):
    """The applicant has no such action now, or it reopens no step of the form; nothing changed."""

    http_status = 409
    code = "action_not_available"

    def __init__(self, action: str):
        self.action = action
        super().__init__(f"the applicant cannot correct the answers with {action!r} now")


class CorrectionRefused(SubmissionInvalid):
    """The corrected answers have problems (per field, in Thai and English); nothing was stored."""

    code = "correction_invalid"


async def offered(definition: ServiceDefinition, submission: Submission, action: str) -> Transition:
    """The applicant's ``action`` from the application's current state, if it reopens steps.

    Raises :class:`CorrectionNotOffered` otherwise (another role's action, a state moved on).
    """
    available = await submissions.actions_for(definition, submission, ROLES)
    found = next((t for t in available if t.action == action), None)
    if found is None or not found.reopens:
        raise CorrectionNotOffered(action)
    return found


def reopened_steps(definition: ServiceDefinition, transition: Transition) -> list[Step]:
    """The form's steps the action reopens, in the form's order."""
    return [step for step in definition.ui.steps if step.id in transition.reopens]


def answers_of(definition: ServiceDefinition, transition: Transition, data: Any) -> dict[str, Any]:
    """The current answers of the reopened steps, in the form's shape (what the correction form shows)."""
    shown: dict[str, Any] = {}
    for step in reopened_steps(definition, transition):
        for ui_field in page_fields(step, data):
            value = jsonpointer.resolve(data, ui_field.pointer, _MISSING)
            if value is not _MISSING:
                jsonpointer.set_value(shown, ui_field.pointer, copy.deepcopy(value))
    return shown


def take(
    definition: ServiceDefinition, transition: Transition, data: Any, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    """``data`` with the reopened steps' answers replaced by ``answers`` (sent whole, in the form's
    shape: a field left out is an answer taken back), hidden answers dropped; and an error for
    each answer the reopened steps do not ask and each field given more files than it takes."""
    merged = copy.deepcopy(data) if isinstance(data, dict) else {}
    rest = copy.deepcopy(dict(answers))
    refused: list[FieldError] = []
    for step in reopened_steps(definition, transition):
        for ui_field in page_fields(step, merged):
            value = jsonpointer.resolve(answers, ui_field.pointer, _MISSING)
            if value is _MISSING:
                jsonpointer.remove_value(merged, ui_field.pointer)
                continue
            jsonpointer.set_value(merged, ui_field.pointer, copy.deepcopy(value))
            jsonpointer.remove_value(rest, ui_field.pointer)
            spec = definition.service.attachment(ui_field.attachment) if ui_field.attachment else None
            files = widgets.get(ui_field.widget).files and isinstance(value, list)
            if files and spec is not None and len(value) > spec.max_files:
                refused.append(too_many_files(ui_field.pointer, spec))
    drop_empty_objects(merged)
    drop_empty_objects(rest)
    not_asked = [FieldError(pointer, *NOT_ASKED, "not_asked") for pointer in _leaves(rest)] if rest else []
    return prune_hidden(definition, merged), [*not_asked, *refused]


def problems(definition: ServiceDefinition, transition: Transition, data: Any) -> list[FieldError]:
    """The problems with the reopened steps' answers in ``data``, as the portal's steps show them."""
    return [e for step in reopened_steps(definition, transition) for e in step_errors(definition, step, data)]


async def correct(
    tenant: Tenant,
    definition: ServiceDefinition,
    submission: Submission,
    action: str,
    answers: Mapping[str, Any],
    *,
    input: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> TransitionResult:
    """Take the applicant's ``action`` with the reopened steps' answers corrected to ``answers``.

    Raises :class:`CorrectionNotOffered`, :class:`CorrectionRefused` (nothing stored) and what
    :func:`engine.services.submissions.transition` raises (the workflow's errors on ``input``,
    ``StaleSubmission``, ``SubmissionInvalid`` from the whole form's check).
    """
    transition = await offered(definition, submission, action)
    working, refused = take(definition, transition, submission.data, answers)
    errors = [*refused, *problems(definition, transition, working)]
    if errors:
        raise CorrectionRefused(errors)
    return await submissions.transition(
        tenant,
        definition,
        submission.reference,
        action,
        ROLES,
        input=input or {},
        corrected=working,
        expected_version=expected_version,
    )


def _leaves(node: Any, pointer: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [
            leaf for key, value in node.items() for leaf in _leaves(value, jsonpointer.child(pointer, key))
        ]
    return [pointer or "/"]
