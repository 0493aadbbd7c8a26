"""The meta-schemas of the definition language and the shared data types, as one registry."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from engine.definitions.locations import meta_dir

SERVICE = "urn:thongthin:meta:service"
FORM = "urn:thongthin:meta:form"
UI = "urn:thongthin:meta:ui"
WORKFLOW = "urn:thongthin:meta:workflow"
ROLES = "urn:thongthin:meta:roles"
TYPES = "urn:thongthin:types"

META_FOR_FILE = {
    "service.json": SERVICE,
    "form.json": FORM,
    "ui.json": UI,
    "workflow.json": WORKFLOW,
    "roles.json": ROLES,
}


@cache
def documents() -> dict[str, dict[str, Any]]:
    """Every meta document by its ``$id``."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(meta_dir().glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        found[document["$id"]] = document
    return found


@cache
def registry() -> Registry:
    return Registry().with_resources(
        (uri, Resource.from_contents(document)) for uri, document in documents().items()
    )


@cache
def validator(meta_id: str) -> Draft202012Validator:
    """A validator of definition files against the meta-schema ``meta_id``."""
    return Draft202012Validator(documents()[meta_id], registry=registry())


def shared_type(name: str) -> dict[str, Any]:
    """The schema of a shared data type, e.g. ``geo-point``."""
    return documents()[TYPES]["$defs"][name]
