"""What several ``thongthin`` commands share: reading JSON files and definitions, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from engine.definitions import DefinitionError, load_catalog, load_definition


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such file") from None
    except json.JSONDecodeError as error:
        raise click.ClickException(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None


def _service(service_id: str) -> Any:
    try:
        return load_definition(service_id)
    except DefinitionError as error:
        raise click.ClickException(str(error)) from None


def _catalog() -> Any:
    try:
        return load_catalog()
    except DefinitionError as error:
        raise click.ClickException(str(error)) from None
