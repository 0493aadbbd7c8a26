"""Status machines: role-guarded transitions with inputs, guards, parallel approval, SLA and effects."""

from engine.workflow.errors import (
    ActionNotAvailable,
    AlreadyVoted,
    GuardFailed,
    InvalidInput,
    NotPermitted,
    UnknownAction,
    UnknownState,
    WorkflowError,
)
from engine.workflow.interpreter import Outcome, Vote, available_actions, find_transition, take_action
from engine.workflow.sla import SlaReport, StateEntry, sla_report

__all__ = [
    "ActionNotAvailable",
    "AlreadyVoted",
    "GuardFailed",
    "InvalidInput",
    "NotPermitted",
    "Outcome",
    "SlaReport",
    "StateEntry",
    "UnknownAction",
    "UnknownState",
    "Vote",
    "WorkflowError",
    "available_actions",
    "find_transition",
    "sla_report",
    "take_action",
]
