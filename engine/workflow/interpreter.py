"""The status machine interpreter: a pure function from a request to a new state and effects.

Nothing here touches storage: the caller loads the submission (state, data, votes of the
current round of parallel approval), calls :func:`take_action`, stores the :class:`Outcome`
and runs its effects after the commit.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from engine.definitions.model import Transition, WorkflowSpec
from engine.effects import EffectCall
from engine.forms import CompiledForm, compile_schema
from engine.forms.errors import FieldError
from engine.workflow.errors import (
    ActionNotAvailable,
    AlreadyVoted,
    GuardFailed,
    InvalidInput,
    NotPermitted,
    UnknownAction,
    UnknownState,
)

_NO_INPUT = FieldError("", "ขั้นตอนนี้ไม่ต้องระบุข้อมูลเพิ่มเติม", "This action takes no input", "additionalProperties")
_DEFAULT_GUARD = ("ยังไม่สามารถดำเนินการขั้นตอนนี้ได้", "This action is not possible yet")


@dataclass(frozen=True)
class Vote:
    """One role's approval in a round of parallel approval."""

    action: str
    role: str
    actor: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What taking an action did: the state it leads to and the effects to run after commit.

    When the action was a vote that did not complete its quorum, ``fired`` is False, the
    state is unchanged, ``effects`` is empty and ``votes`` holds the round so far.
    """

    action: str
    from_state: str
    state: str
    role: str
    fired: bool
    input: Mapping[str, Any] = field(default_factory=dict)
    effects: tuple[EffectCall, ...] = ()
    votes: tuple[Vote, ...] = ()


@lru_cache(maxsize=512)
def _compiled_input(schema_json: str) -> CompiledForm:
    return compile_schema(json.loads(schema_json))


@lru_cache(maxsize=512)
def _compiled_guard(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def _key(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False)


def guard_holds(transition: Transition, data: Any, context: Mapping[str, Any], input: Any = None) -> bool:
    """Whether ``transition``'s guard (a schema over data, context and input) holds."""
    if transition.guard is None:
        return True
    document = {"data": data, "context": dict(context), "input": input if input is not None else {}}
    return _compiled_guard(_key(transition.guard)).is_valid(document)


def input_errors(transition: Transition, input: Any) -> list[FieldError]:
    """The problems with an actor's input to ``transition``; empty when it is acceptable."""
    if transition.input is None:
        return [] if not input else [_NO_INPUT]
    return _compiled_input(_key(transition.input)).errors(input if input is not None else {})


def find_transition(workflow: WorkflowSpec, state: str, action: str) -> Transition:
    """The transition ``action`` from ``state``.

    Raises :class:`UnknownState`, :class:`UnknownAction` or :class:`ActionNotAvailable`.
    """
    if state not in workflow.states:
        raise UnknownState(state)
    if not any(t.action == action for t in workflow.transitions):
        raise UnknownAction(action)
    for transition in workflow.transitions_from(state):
        if transition.action == action:
            return transition
    raise ActionNotAvailable(action, state, [t.action for t in workflow.transitions_from(state)])


def available_actions(
    workflow: WorkflowSpec,
    state: str,
    roles: Collection[str],
    *,
    data: Any = None,
    context: Mapping[str, Any] | None = None,
    votes: Sequence[Vote] = (),
) -> list[Transition]:
    """The transitions an actor holding ``roles`` may take now (guards and votes considered)."""
    if state not in workflow.states:
        raise UnknownState(state)
    found = []
    for transition in workflow.transitions_from(state):
        acting = [r for r in transition.roles if r in roles]
        if not acting or not guard_holds(transition, data, context or {}):
            continue
        if transition.quorum is not None and not _unvoted_roles(transition, acting, votes):
            continue
        found.append(transition)
    return found


def _unvoted_roles(transition: Transition, acting: Sequence[str], votes: Sequence[Vote]) -> list[str]:
    voted = {v.role for v in votes if v.action == transition.action}
    return [r for r in acting if r not in voted]


def take_action(
    workflow: WorkflowSpec,
    state: str,
    action: str,
    roles: Collection[str],
    *,
    input: Mapping[str, Any] | None = None,
    data: Any = None,
    context: Mapping[str, Any] | None = None,
    votes: Sequence[Vote] = (),
    actor: str | None = None,
) -> Outcome:
    """Take ``action`` on a submission in ``state`` as an actor holding ``roles``.

    ``votes`` are the votes already cast in the current state (empty after every state change).
    Raises :class:`UnknownState`, :class:`UnknownAction`, :class:`ActionNotAvailable`,
    :class:`NotPermitted`, :class:`InvalidInput`, :class:`GuardFailed` or :class:`AlreadyVoted`.
    """
    transition = find_transition(workflow, state, action)
    acting = [r for r in transition.roles if r in roles]
    if not acting:
        raise NotPermitted(action, transition.roles, sorted(roles))
    errors = input_errors(transition, input)
    if errors:
        raise InvalidInput(action, errors)
    given = dict(input or {})
    if not guard_holds(transition, data, context or {}, given):
        message = transition.guard_message
        th, en = (message.th, message.en) if message else _DEFAULT_GUARD
        raise GuardFailed(action, th, en)
    if transition.quorum is None:
        return _fire(transition, state, acting[0], given)
    unvoted = _unvoted_roles(transition, acting, votes)
    if not unvoted:
        raise AlreadyVoted(action, acting[0])
    round_votes = (*(v for v in votes if v.action == action), Vote(action, unvoted[0], actor))
    if len({v.role for v in round_votes}) >= transition.quorum.needed(transition.roles):
        return _fire(transition, state, unvoted[0], given)
    return Outcome(action, state, state, unvoted[0], fired=False, input=given, votes=round_votes)


def _fire(transition: Transition, state: str, role: str, given: Mapping[str, Any]) -> Outcome:
    return Outcome(
        action=transition.action,
        from_state=state,
        state=transition.to,
        role=role,
        fired=True,
        input=given,
        effects=tuple(EffectCall.from_json(e) for e in transition.effects),
    )
