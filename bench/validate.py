"""Validations per second of the largest catalog form: the engine against raw jsonschema.

Both sides validate the same bundled schema with the same format checker; the engine adds
its cache lookup, the date context of age rules and turning errors into citizen messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

from bench.timing import interleaved, result
from engine.definitions import ServiceDefinition, load_catalog
from engine.definitions.locations import examples_dir
from engine.forms import validate_submission
from engine.forms.formats import FORMAT_CHECKER


def largest(definitions: list[ServiceDefinition]) -> ServiceDefinition:
    return max(definitions, key=lambda d: len(json.dumps(d.form)))


def examples(definition: ServiceDefinition, kind: str) -> list[Any]:
    folder = examples_dir() / definition.id
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob(f"{kind}-*.json"))]


def run(seconds: float = 3.0, echo: Callable[[str], None] = print) -> dict[str, Any]:
    definition = largest(list(load_catalog()))
    valid, invalid = examples(definition, "valid"), examples(definition, "invalid")
    raw = Draft202012Validator(definition.form, format_checker=FORMAT_CHECKER)
    echo(f"largest form: {definition.key} ({len(json.dumps(definition.form))} bytes of schema)")
    echo(f"{len(valid)} valid and {len(invalid)} invalid example submissions, {seconds:.1f}s per side")

    def engine_valid() -> None:
        for data in valid:
            validate_submission(definition, data)

    def raw_valid() -> None:
        for data in valid:
            list(raw.iter_errors(data))

    def engine_invalid() -> None:
        for data in invalid:
            validate_submission(definition, data)

    def raw_invalid() -> None:
        for data in invalid:
            list(raw.iter_errors(data))

    rates = interleaved({"engine": engine_valid, "raw": raw_valid}, seconds)
    bad = interleaved({"engine": engine_invalid, "raw": raw_invalid}, seconds / 2)
    value, baseline = rates["engine"] * len(valid), rates["raw"] * len(valid)
    echo(f"valid:   engine {value:,.0f}/s   raw jsonschema {baseline:,.0f}/s")
    bad_value, bad_baseline = bad["engine"] * len(invalid), bad["raw"] * len(invalid)
    echo(
        f"invalid: engine {bad_value:,.0f}/s   raw jsonschema {bad_baseline:,.0f}/s (engine also writes messages)"
    )
    return result(
        "validate",
        value,
        baseline,
        "validations/s",
        service=definition.key,
        invalid_value=round(bad_value, 1),
        invalid_baseline=round(bad_baseline, 1),
        invalid_ratio=round(bad_value / bad_baseline, 3),
    )
