"""What the applicant is told of their application's history, and what they may do next.

Officers' inputs are theirs: only the answers a service's workflow marks ``to_applicant``
reach the applicant (the officer's question on a request for information, the reason of a
refusal at once; an answer drafted for approval only once the application is closed). The
applicant's own replies are always theirs to read back. The tracking page and the API's
tracking view both read this, so they never disagree on what a citizen sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.definitions import ServiceDefinition
from engine.definitions.model import Text, Transition, UiField
from engine.forms import widgets
from engine.store.models import AuditEntry

APPLICANT = "applicant"


@dataclass(frozen=True)
class Said:
    """One answer of an action, as the applicant may read it."""

    field: UiField
    value: Any

    @property
    def is_files(self) -> bool:
        return widgets.get(self.field.widget).files


@dataclass(frozen=True)
class HistoryItem:
    """One step of the application as the applicant sees it."""

    at: datetime
    action: str
    title: Text | None  # the action's title (None for the submission itself)
    to_state: str
    moved: bool
    by_applicant: bool
    said: tuple[Said, ...]


def _said(
    transition: Transition | None, given: dict[str, Any], *, everything: bool, closed: bool
) -> list[Said]:
    if transition is None:
        return []
    shown = []
    for ui in transition.input_ui:
        value = given.get(ui.pointer[1:])
        if value in (None, "", []):
            continue
        if everything or ui.to_applicant == "now" or (ui.to_applicant == "when_closed" and closed):
            shown.append(Said(ui, value))
    return shown


def history(definition: ServiceDefinition, entries: list[AuditEntry], *, closed: bool) -> list[HistoryItem]:
    """The steps the applicant sees, oldest first: moves between states and their own replies.

    An answer marked ``when_closed`` is shown from its latest action only (an answer sent
    back for revision and drafted again is shown once, as approved).
    """
    workflow = definition.workflow
    latest = {entry.action: entry.seq for entry in entries}
    items = []
    for entry in entries:
        by_applicant = entry.role == APPLICANT
        moved = entry.from_state != entry.to_state
        if not (moved or by_applicant) or entry.to_state not in workflow.states:
            continue
        transition = workflow.transition_named(entry.action, entry.from_state) if entry.from_state else None
        said = _said(
            transition,
            entry.input or {},
            everything=by_applicant,
            closed=closed and latest.get(entry.action) == entry.seq,
        )
        items.append(
            HistoryItem(
                at=entry.at,
                action=entry.action,
                title=transition.title if transition else None,
                to_state=entry.to_state,
                moved=moved,
                by_applicant=by_applicant,
                said=tuple(said),
            )
        )
    return items


def asks_confirmation(definition: ServiceDefinition, transition: Transition) -> bool:
    """An applicant's action that ends the application (withdrawing it) is confirmed first."""
    return definition.workflow.ends_matter(transition)
