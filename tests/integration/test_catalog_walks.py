"""Every catalog service, driven by its definition alone: examples, walks to every end, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from engine.definitions import Catalog, ServiceDefinition, check_path
from engine.definitions.model import Transition
from engine.forms import validate_submission
from engine.workflow import (
    ActionNotAvailable,
    AlreadyVoted,
    GuardFailed,
    InvalidInput,
    NotPermitted,
    UnknownAction,
    take_action,
)
from engine.workflow.interpreter import guard_holds
from tests.conftest import CATALOG, REQUIRED_SERVICES, SERVICE_IDS, example_files, read
from tests.walks import contexts_for, paths_to


def test_the_catalog_checks_clean():
    catalog, problems = check_path(CATALOG)
    assert [str(p) for p in problems] == []
    assert set(catalog.services) >= REQUIRED_SERVICES


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_valid_examples_validate(catalog: Catalog, service_id: str):
    files = example_files(service_id, "valid")
    assert len(files) >= 2
    for path in files:
        assert validate_submission(catalog.get(service_id), read(path)) == [], path.name


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_each_invalid_example_is_broken_in_exactly_one_way(catalog: Catalog, service_id: str):
    files = example_files(service_id, "invalid")
    assert len(files) >= 3
    for path in files:
        errors = validate_submission(catalog.get(service_id), read(path))
        assert len(errors) == 1, f"{path.name}: {[e.as_dict() for e in errors]}"
        [error] = errors
        assert error.pointer.startswith("/"), path.name
        assert error.message_th and error.message_en
        assert error.message_th != error.message_en


def walk(definition: ServiceDefinition, path: list[Transition], data: Any) -> str | None:
    """Take every transition of ``path`` with ``data``; the end state, or None when a guard blocks."""
    workflow = definition.workflow
    state = workflow.initial
    for transition in path:
        context = next((c for c in contexts_for(transition) if guard_holds(transition, data, c)), None)
        if context is None:
            return None
        given = transition.input["examples"][0] if transition.input else None
        votes: tuple = ()
        for role in transition.roles:
            outcome = take_action(
                workflow,
                state,
                transition.action,
                {role},
                input=given,
                data=data,
                context=context,
                votes=votes,
            )
            votes = outcome.votes
            if outcome.fired:
                break
        assert outcome.fired, f"{transition.action}: all roles voted but the transition did not fire"
        assert outcome.state == transition.to
        state = outcome.state
    return state


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_every_final_state_is_reached_by_a_walk(catalog: Catalog, service_id: str):
    definition = catalog.get(service_id)
    examples = [read(p) for p in example_files(service_id, "valid")]
    for final in definition.workflow.final_states():
        reached = any(
            walk(definition, path, data) == final for path in paths_to(definition, final) for data in examples
        )
        assert reached, f"no walk with the valid examples reaches {final!r}"


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_roles_that_may_not_act_are_refused(catalog: Catalog, service_id: str):
    definition = catalog.get(service_id)
    data = read(example_files(service_id, "valid")[0])
    for transition in definition.workflow.transitions:
        outsiders = set(catalog.roles) - set(transition.roles)
        with pytest.raises(NotPermitted) as refused:
            take_action(
                definition.workflow,
                transition.from_[0],
                transition.action,
                outsiders,
                input=transition.input["examples"][0] if transition.input else None,
                data=data,
                context={"payment": "paid"},
            )
        assert refused.value.allowed == list(transition.roles)


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_missing_input_is_refused_with_pointer_errors(catalog: Catalog, service_id: str):
    definition = catalog.get(service_id)
    with_required_input = [t for t in definition.workflow.transitions if t.input and t.input.get("required")]
    for transition in with_required_input:
        with pytest.raises(InvalidInput) as refused:
            take_action(
                definition.workflow, transition.from_[0], transition.action, set(transition.roles), input={}
            )
        pointers = {e.pointer for e in refused.value.errors}
        assert pointers == {"/" + name for name in transition.input["required"]}
        assert all(e.message_th and e.message_en for e in refused.value.errors)


def test_some_services_require_input_on_refusal(catalog: Catalog):
    # Rejecting without a reason must be impossible somewhere, or the input checks above test nothing.
    assert any(
        t.input and t.input.get("required")
        for d in catalog
        for t in d.workflow.transitions
        if "reject" in t.action
    )


@pytest.mark.parametrize("service_id", SERVICE_IDS)
def test_actions_outside_their_state_are_refused(catalog: Catalog, service_id: str):
    workflow = catalog.get(service_id).workflow
    with pytest.raises(UnknownAction):
        take_action(workflow, workflow.initial, "no-such-action", {"admin"})
    final = workflow.final_states()[0]
    transition = workflow.transitions[0]
    with pytest.raises(ActionNotAvailable) as refused:
        take_action(workflow, final, transition.action, set(transition.roles))
    assert refused.value.available == []


def test_parallel_approval_waits_for_every_role(catalog: Catalog):
    quorum = [(d, t) for d in catalog for t in d.workflow.transitions if t.quorum and t.quorum.mode != "any"]
    assert quorum, "the catalog should use parallel approval somewhere"
    definition, transition = quorum[0]
    given = transition.input["examples"][0] if transition.input else None
    first = take_action(
        definition.workflow, transition.from_[0], transition.action, {transition.roles[0]}, input=given
    )
    assert not first.fired and first.state == transition.from_[0] and first.effects == ()
    with pytest.raises(AlreadyVoted):
        take_action(
            definition.workflow,
            transition.from_[0],
            transition.action,
            {transition.roles[0]},
            input=given,
            votes=first.votes,
        )
    votes = first.votes
    for role in transition.roles[1:]:
        outcome = take_action(
            definition.workflow, transition.from_[0], transition.action, {role}, input=given, votes=votes
        )
        votes = outcome.votes
    assert outcome.fired and outcome.state == transition.to


def test_guards_refuse_with_the_definition_message(catalog: Catalog):
    guarded = [(d, t) for d in catalog for t in d.workflow.transitions if t.guard and t.guard_message]
    assert guarded, "the catalog should guard some transition"
    for definition, transition in guarded:
        blocked = next(
            (
                (data, ctx)
                for data in [read(p) for p in example_files(definition.id, "valid")] + [{}]
                for ctx in [{"payment": "none"}, {}]
                if not guard_holds(transition, data, ctx)
            ),
            None,
        )
        if blocked is None:
            continue
        with pytest.raises(GuardFailed) as refused:
            take_action(
                definition.workflow,
                transition.from_[0],
                transition.action,
                set(transition.roles),
                input=transition.input["examples"][0] if transition.input else None,
                data=blocked[0],
                context=blocked[1],
            )
        assert refused.value.message_th == transition.guard_message.th
        return
    pytest.fail("no guard could be made to refuse with the examples")
