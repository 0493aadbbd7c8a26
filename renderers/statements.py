"""A bank statement's problems in the words of the import page, in Thai or English."""

from __future__ import annotations

from engine.services.statements import RowProblem
from renderers.web import translate


def problem_text(problem: RowProblem, language: str) -> str:
    """One problem of a statement file as the import page words it in ``language`` (``th`` or ``en``)."""
    key = f"admin.statement.problem.{problem.code}"
    missing = problem.code == "missing_column"
    column = translate(f"admin.statement.column.{problem.column}", language) if missing else problem.column
    text = translate(
        key, language, row=str(problem.row), column=column, value=problem.value, detail=problem.message
    )
    if text == key:  # a kind of problem without Thai words yet: the engine's own
        return str(problem)
    if problem.row and not missing:
        return translate(
            "admin.statement.problem.at", language, row=str(problem.row), column=problem.column, text=text
        )
    return text
