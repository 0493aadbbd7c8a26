"""Problems found in service definitions, reported as ``file:json-pointer: message``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ThongthinError


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in one file, located by a JSON pointer inside that file."""

    file: Path
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{display_path(self.file)}:{self.pointer}: {self.message}"


class DefinitionError(ThongthinError):
    """A service definition (or the catalog) is broken; ``problems`` says where and why."""

    http_status = 422

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in service definitions:\n{shown}{more}")


class UnknownService(ThongthinError):
    """No service with this id (and version) is in the catalog."""

    http_status = 404

    def __init__(self, service_id: str, known: list[str]):
        self.service_id = service_id
        self.known = known
        super().__init__(f"unknown service {service_id!r}; the catalog has: {', '.join(known) or 'nothing'}")
