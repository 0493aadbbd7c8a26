"""Why a transition was refused."""

from __future__ import annotations

from collections.abc import Sequence

from engine.errors import ThongthinError
from engine.forms.errors import FieldError


class WorkflowError(ThongthinError):
    """Base class: the requested action cannot be taken."""

    http_status = 422

    code = "workflow_error"


class UnknownState(WorkflowError):
    code = "unknown_state"

    def __init__(self, state: str):
        self.state = state
        super().__init__(f"the workflow has no state {state!r}")


class UnknownAction(WorkflowError):
    """No transition with this action exists anywhere in the workflow."""

    http_status = 422

    code = "unknown_action"

    def __init__(self, action: str):
        self.action = action
        super().__init__(f"the workflow has no action {action!r}")


class ActionNotAvailable(WorkflowError):
    """The action exists, but not from the submission's current state."""

    http_status = 409

    code = "wrong_state"

    def __init__(self, action: str, state: str, available: Sequence[str]):
        self.action = action
        self.state = state
        self.available = list(available)
        super().__init__(
            f"action {action!r} cannot be taken in state {state!r}; available: {', '.join(available) or 'none'}"
        )


class NotPermitted(WorkflowError):
    """None of the actor's roles may take this action."""

    http_status = 403

    code = "forbidden"

    def __init__(self, action: str, allowed: Sequence[str], held: Sequence[str]):
        self.action = action
        self.allowed = list(allowed)
        self.held = list(held)
        super().__init__(f"action {action!r} needs one of the roles {', '.join(allowed)}")


class InvalidInput(WorkflowError):
    """The actor's input does not match the transition's input schema."""

    http_status = 422

    code = "invalid_input"

    def __init__(self, action: str, errors: Sequence[FieldError]):
        self.action = action
        self.errors = list(errors)
        super().__init__(
            f"invalid input for {action!r}: " + "; ".join(f"{e.pointer}: {e.message_en}" for e in errors)
        )


class GuardFailed(WorkflowError):
    """The transition's guard does not hold for this submission now."""

    http_status = 409

    code = "guard_failed"

    def __init__(self, action: str, message_th: str, message_en: str):
        self.action = action
        self.message_th = message_th
        self.message_en = message_en
        super().__init__(f"action {action!r} is not possible now: {message_en}")


class AlreadyVoted(WorkflowError):
    """The actor's role has already given its vote in this round of parallel approval."""

    http_status = 409

    code = "already_voted"

    def __init__(self, action: str, role: str):
        self.action = action
        self.role = role
        super().__init__(f"the role {role!r} has already voted on {action!r}")
