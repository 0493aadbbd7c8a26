"""Need to know: which applications an officer may open.

An officer sees an application when one of their roles has work in its service (the
workflow names it as an assignee or on a transition, or the service's documents name it as
a signer), or when they hold a role the catalog marks ``all_services`` (the administrator,
the records officer). Anything else is answered as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from engine.definitions import ServiceDefinition
from engine.definitions.model import Role


def roles_with_work(definition: ServiceDefinition) -> frozenset[str]:
    """The roles ``definition`` gives something to do: assignees, transition roles, signers."""
    named: set[str] = set()
    for state in definition.workflow.states.values():
        named.update(state.assignees)
    for transition in definition.workflow.transitions:
        named.update(transition.roles)
    for document in definition.service.documents:
        named.update(signer.role for signer in document.signers)
    return frozenset(named)


def sees_service(
    definition: ServiceDefinition, roles: Collection[str], catalog_roles: Mapping[str, Role]
) -> bool:
    """True when an officer holding ``roles`` needs to read applications of ``definition``."""
    held = set(roles)
    if any(catalog_roles[r].all_services for r in held if r in catalog_roles):
        return True
    return bool(held & roles_with_work(definition))
