"""The meta-schemas of the definition language and the shared data types, as one registry."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema_specifications import REGISTRY as SPECIFICATIONS
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
        if "$schema" in document:  # the schemas; the glossary lives here too but is data
            found[document["$id"]] = document
    return found


# Where ui.json's meta-schema lists the widgets (its built-in ones, for people and editors).
WIDGET_ENUM = ("$defs", "field", "properties", "widget", "enum")


def widget_enum() -> list[str]:
    """The widgets ui.json's meta-schema lists."""
    node: Any = documents()[UI]
    for key in WIDGET_ENUM:
        node = node[key]
    return list(node)


@cache
def _registry(widgets: tuple[str, ...]) -> Registry:
    found = dict(documents())
    ui = copy.deepcopy(found[UI])
    node = ui
    for key in WIDGET_ENUM[:-1]:
        node = node[key]
    node[WIDGET_ENUM[-1]] = list(widgets)
    found[UI] = ui
    # Crawled once here and combined with the JSON Schema dialects: otherwise every $dynamicRef of the
    # 2020-12 meta-schema (a form's schema is checked against it) crawls the registry anew, which made
    # reading seven forms take four seconds.
    ours = Registry().with_resources(
        (uri, Resource.from_contents(document)) for uri, document in found.items()
    )
    return ours.combine(SPECIFICATIONS).crawl()


@cache
def _validator(meta_id: str, widgets: tuple[str, ...]) -> Draft202012Validator:
    registry = _registry(widgets)
    return Draft202012Validator(registry.contents(meta_id), registry=registry)


def validator(meta_id: str) -> Draft202012Validator:
    """A validator of definition files against the meta-schema ``meta_id``.

    A field may name any registered widget, and no other: the meta-schema's list gives the
    order of the built-in ones in messages, those registered later follow.
    """
    from engine.forms.widgets import registry  # on use: loading the widgets loads this package

    listed = widget_enum()
    registered = registry.names()
    widgets = [name for name in listed if name in registered]
    widgets += [name for name in registered if name not in listed]
    return _validator(meta_id, tuple(widgets))


def shared_type(name: str) -> dict[str, Any]:
    """The schema of a shared data type, e.g. ``geo-point``."""
    return documents()[TYPES]["$defs"][name]
