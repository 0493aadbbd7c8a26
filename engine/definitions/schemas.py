"""Navigating form schemas: bundling shared types and finding the schema behind a pointer."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from engine import jsonpointer
from engine.definitions import meta

TYPES_PREFIX = meta.TYPES + "#/$defs/"
_BRANCHES = ("allOf", "anyOf", "oneOf")
_CONDITIONAL = ("then", "else")


class UnknownSharedType(LookupError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"no shared type {name!r} in {meta.TYPES}")


def bundle(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` with every ``urn:thongthin:types`` reference copied into its ``$defs``.

    The bundled schema is self-contained, so any JSON Schema tool (and a data generator) can
    use it. Raises :class:`UnknownSharedType` for a reference to a type that does not exist.
    """
    bundled = copy.deepcopy(schema)
    defs: dict[str, Any] = bundled.setdefault("$defs", {})
    shared = meta.documents()[meta.TYPES]["$defs"]
    pending = list(_shared_refs(bundled))
    while pending:
        name = pending.pop()
        if name in defs:
            continue
        if name not in shared:
            raise UnknownSharedType(name)
        defs[name] = copy.deepcopy(shared[name])
        pending.extend(_local_refs(defs[name]))
    _rewrite_refs(bundled)
    if not defs:
        del bundled["$defs"]
    return bundled


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _shared_refs(node: Any) -> Iterator[str]:
    for sub in _walk(node):
        ref = sub.get("$ref")
        if isinstance(ref, str) and ref.startswith(TYPES_PREFIX):
            yield ref[len(TYPES_PREFIX) :]


def _local_refs(node: Any) -> Iterator[str]:
    for sub in _walk(node):
        ref = sub.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            yield ref[len("#/$defs/") :]


def _rewrite_refs(node: Any) -> None:
    for sub in _walk(node):
        ref = sub.get("$ref")
        if isinstance(ref, str) and ref.startswith(TYPES_PREFIX):
            sub["$ref"] = "#/$defs/" + ref[len(TYPES_PREFIX) :]


def deref(root: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` chains (``#/...``) from ``node`` inside ``root``."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        node = jsonpointer.resolve(root, node["$ref"][1:], None)
        seen += 1
        if seen > 32:
            return None
    return node


def alternatives(root: dict[str, Any], node: Any) -> Iterator[dict[str, Any]]:
    """``node`` and every schema that applies alongside it (allOf/anyOf/oneOf/then/else, refs)."""
    node = deref(root, node)
    if not isinstance(node, dict):
        return
    yield node
    for key in _BRANCHES:
        for branch in node.get(key, ()):
            yield from alternatives(root, branch)
    for key in _CONDITIONAL:
        if key in node:
            yield from alternatives(root, node[key])


def schemas_at(root: dict[str, Any], pointer: str) -> list[dict[str, Any]]:
    """Every subschema describing the value at ``pointer``; empty when the form has no such field.

    Array indices (or ``*``) step into ``items``/``prefixItems``.
    """
    current = list(alternatives(root, root))
    for segment in jsonpointer.split(pointer):
        found: list[dict[str, Any]] = []
        for node in current:
            properties = node.get("properties", {})
            if segment in properties:
                found.extend(alternatives(root, properties[segment]))
            if segment.isdigit() or segment == "*":
                prefix = node.get("prefixItems", [])
                if segment.isdigit() and int(segment) < len(prefix):
                    found.extend(alternatives(root, prefix[int(segment)]))
                elif "items" in node:
                    found.extend(alternatives(root, node["items"]))
        if not found:
            return []
        current = found
    return current


def types_of(nodes: list[dict[str, Any]]) -> set[str]:
    """The JSON types the subschemas allow (from ``type``, ``const`` or ``enum``)."""
    found: set[str] = set()
    for node in nodes:
        declared = node.get("type")
        if isinstance(declared, str):
            found.add(declared)
        elif isinstance(declared, list):
            found.update(declared)
        for value in ([node["const"]] if "const" in node else []) + list(node.get("enum", [])):
            found.add(_json_type(value))
    if "integer" in found:
        found.add("number")
    return found


def shared_types_of(root: dict[str, Any], nodes: list[dict[str, Any]]) -> set[str]:
    """The shared types (``thai-address``, ``geo-point``, …) among ``nodes`` of the bundled ``root``."""
    defs = root.get("$defs", {})
    shared = meta.documents()[meta.TYPES]["$defs"]
    # Bundling copies each shared type into $defs under its name; the nodes are those very objects.
    return {name for name in shared if any(defs.get(name) is node for node in nodes)}


def enum_of(nodes: list[dict[str, Any]]) -> list[Any] | None:
    """The allowed values when the subschemas restrict them with ``enum`` (or items' ``enum``)."""
    for node in nodes:
        if "enum" in node:
            return list(node["enum"])
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "array" if isinstance(value, list) else "object"


def required_pointers(root: dict[str, Any], node: Any = None, prefix: str = "") -> Iterator[str]:
    """Pointers of the fields that are always required (conditional branches excluded)."""
    node = deref(root, root if node is None else node)
    if not isinstance(node, dict):
        return
    required = set(node.get("required", ()))
    for branch in node.get("allOf", ()):
        branch = deref(root, branch)
        if isinstance(branch, dict) and "if" not in branch:
            required.update(branch.get("required", ()))
    for name, sub in node.get("properties", {}).items():
        if name in required:
            pointer = jsonpointer.child(prefix, name)
            yield pointer
            yield from required_pointers(root, sub, pointer)
