"""JSON Pointer (RFC 6901) helpers shared by definitions, forms and workflows: reading, writing, removing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

_MISSING = object()


def escape(segment: str | int) -> str:
    return str(segment).replace("~", "~0").replace("/", "~1")


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def join(segments: Iterable[str | int]) -> str:
    """The pointer of a path, e.g. ``("a", 0, "b")`` -> ``/a/0/b``; the empty path is ``""``."""
    return "".join("/" + escape(s) for s in segments)


def split(pointer: str) -> list[str]:
    """The unescaped segments of a pointer; ``""`` has none."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [unescape(s) for s in pointer[1:].split("/")]


def child(pointer: str, segment: str | int) -> str:
    return pointer + "/" + escape(segment)


def resolve(document: Any, pointer: str | Sequence[str], default: Any = _MISSING) -> Any:
    """The value at ``pointer`` in ``document``; ``default`` (or KeyError) when it is absent."""
    node = document
    for segment in split(pointer) if isinstance(pointer, str) else pointer:
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        elif default is _MISSING:
            raise KeyError(pointer)
        else:
            return default
    return node


def set_value(data: dict[str, Any], pointer: str, value: Any) -> None:
    """Put ``value`` at ``pointer``, creating the objects on the way."""
    segments = split(pointer)
    node: Any = data
    for segment in segments[:-1]:
        if isinstance(node, list) and segment.isdigit():
            node = node[int(segment)]
            continue
        if not isinstance(node.get(segment), dict):
            node[segment] = {}
        node = node[segment]
    if isinstance(node, list):
        node[int(segments[-1])] = value
    else:
        node[segments[-1]] = value


def remove_value(data: Any, pointer: str) -> bool:
    """Remove the member at ``pointer`` of an object; False when there was none."""
    segments = split(pointer)
    parent = resolve(data, segments[:-1], None)
    if isinstance(parent, dict) and segments and segments[-1] in parent:
        del parent[segments[-1]]
        return True
    return False
