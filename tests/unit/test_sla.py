"""Deadlines: the legal maximum counts from submission, pauses while waiting for the applicant."""

from datetime import datetime, timedelta

import pytest

from engine.definitions.model import ServiceSpec, WorkflowSpec
from engine.workflow import StateEntry, sla_report
from engine.workflow.sla import BANGKOK, advance, counted

TEXT = {"th": "ก", "en": "a"}


def service(days: str = "calendar", legal: str = "P15D", target: str = "P10D") -> ServiceSpec:
    return ServiceSpec.model_validate(
        {
            "id": "s",
            "version": "1.0.0",
            "title": TEXT,
            "summary": TEXT,
            "category": "petition",
            "legal_basis": [{"title": TEXT}],
            "sla": {"legal_maximum": legal, "target": target, "days": days},
            "pdpa": {"purpose": TEXT, "lawful_basis": "public_task", "retention": "P5Y"},
        }
    )


WORKFLOW = WorkflowSpec.from_json(
    {
        "initial": "submitted",
        "states": {
            "submitted": {"title": TEXT, "applicant_message": TEXT, "assignees": ["clerk"], "sla": "P2D"},
            "needs_info": {
                "title": TEXT,
                "applicant_message": TEXT,
                "assignees": ["clerk"],
                "pauses_sla": True,
            },
            "review": {"title": TEXT, "applicant_message": TEXT, "assignees": ["clerk"]},
            "done": {"title": TEXT, "applicant_message": TEXT, "final": True, "outcome": "completed"},
        },
        "transitions": [
            {"action": "ask", "title": TEXT, "from": "submitted", "to": "needs_info", "roles": ["clerk"]},
            {"action": "answer", "title": TEXT, "from": "needs_info", "to": "review", "roles": ["applicant"]},
            {"action": "finish", "title": TEXT, "from": "review", "to": "done", "roles": ["clerk"]},
        ],
    }
)

# Monday 2 November 2026, 09:00 in Bangkok
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=BANGKOK)


def test_calendar_days_run_from_submission():
    report = sla_report(service(), WORKFLOW, [StateEntry("submitted", MONDAY)])
    assert report.due_at == MONDAY + timedelta(days=15)
    assert report.target_at == MONDAY + timedelta(days=10)
    assert report.state_due_at == MONDAY + timedelta(days=2)
    assert not report.paused and not report.closed


def test_time_waiting_for_the_applicant_does_not_count():
    history = [
        StateEntry("submitted", MONDAY),
        StateEntry("needs_info", MONDAY + timedelta(days=3)),
        StateEntry("review", MONDAY + timedelta(days=10)),  # the applicant took a week
    ]
    report = sla_report(service(), WORKFLOW, history)
    assert report.due_at == MONDAY + timedelta(days=15 + 7)
    assert report.remaining == timedelta(days=12)


def test_while_paused_there_is_no_deadline_but_the_time_left_is_kept():
    history = [StateEntry("submitted", MONDAY), StateEntry("needs_info", MONDAY + timedelta(days=4))]
    report = sla_report(service(), WORKFLOW, history)
    assert report.paused and report.due_at is None
    assert report.remaining == timedelta(days=11)


def test_working_days_skip_weekends():
    report = sla_report(service("working", "P5D", "P3D"), WORKFLOW, [StateEntry("submitted", MONDAY)])
    assert report.due_at == MONDAY + timedelta(days=7)  # five working days: next Monday
    assert report.target_at == MONDAY + timedelta(days=3)


def test_submitted_on_saturday_starts_counting_on_monday():
    saturday = datetime(2026, 11, 7, 15, 0, tzinfo=BANGKOK)
    assert advance(saturday, timedelta(days=1), working_days=True) == datetime(
        2026, 11, 10, 0, 0, tzinfo=BANGKOK
    )
    assert counted(saturday, saturday + timedelta(days=2), working_days=True) == timedelta(hours=15)


def test_closed_submissions_have_no_deadline():
    history = [
        StateEntry("submitted", MONDAY),
        StateEntry("needs_info", MONDAY),
        StateEntry("review", MONDAY),
        StateEntry("done", MONDAY + timedelta(days=20)),
    ]
    report = sla_report(service(), WORKFLOW, history)
    assert report.closed and report.due_at is None
    assert report.overdue(MONDAY + timedelta(days=30))  # it ended 5 days late


def test_overdue_and_due_soon():
    report = sla_report(service(), WORKFLOW, [StateEntry("submitted", MONDAY)])
    assert report.due_soon(MONDAY + timedelta(days=14))
    assert not report.due_soon(MONDAY + timedelta(days=5))
    assert report.overdue(MONDAY + timedelta(days=15, seconds=1))
    assert not report.overdue(MONDAY + timedelta(days=14))


def test_history_cannot_be_empty():
    with pytest.raises(ValueError):
        sla_report(service(), WORKFLOW, [])
