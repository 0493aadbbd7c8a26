"""Walking a service's workflow from its definition alone: the paths to each final state."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from engine.definitions import ServiceDefinition
from engine.definitions.model import Transition
from engine.workflow.interpreter import guard_holds

DEFAULT_CONTEXTS: tuple[dict[str, Any], ...] = ({"payment": "paid"}, {"payment": "none"}, {})


def contexts_for(transition: Transition) -> list[dict[str, Any]]:
    """Contexts to try for a transition's guard: the guard's own examples first."""
    examples = transition.guard.get("examples", []) if isinstance(transition.guard, dict) else []
    return [e.get("context", {}) for e in examples] + list(DEFAULT_CONTEXTS)


def paths_to(definition: ServiceDefinition, final: str, limit: int = 50) -> Iterator[list[Transition]]:
    """Loop-free paths from the initial state to ``final``, shortest first."""
    workflow = definition.workflow
    queue: deque[tuple[str, list[Transition]]] = deque([(workflow.initial, [])])
    found = 0
    while queue and found < limit:
        state, path = queue.popleft()
        if state == final:
            found += 1
            yield path
            continue
        visited = {workflow.initial, *(t.to for t in path)}
        for transition in workflow.transitions_from(state):
            if transition.to not in visited or transition.to == final:
                queue.append((transition.to, [*path, transition]))


def first_input(transition: Transition) -> dict[str, Any] | None:
    return transition.input["examples"][0] if transition.input else None


def passable(path: list[Transition], data: Any, context: dict[str, Any]) -> bool:
    """Whether every guard on ``path`` holds for ``data`` in ``context``."""
    return all(guard_holds(t, data, context, first_input(t) or {}) for t in path)
