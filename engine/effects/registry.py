"""The registry of effect types (modelled on Open Forms' plugin registries)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from engine import jsonpointer
from engine.errors import ThongthinError

if TYPE_CHECKING:
    from engine.definitions.model import ServiceDefinition

# A cross-check yields (pointer relative to the effect, message) for each problem it finds.
CrossCheck = Callable[[dict[str, Any], "ServiceDefinition"], Iterable[tuple[str, str]]]


class EffectError(ThongthinError):
    """Base class of errors about effects."""


class UnknownEffect(EffectError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"no effect type {name!r} is registered")


class DuplicateEffect(EffectError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"effect type {name!r} is registered twice")


@dataclass(frozen=True)
class EffectType:
    """One kind of side effect: its name, the schema of its parameters and its cross-check."""

    name: str
    description: str
    params_schema: dict[str, Any]
    cross_check: CrossCheck | None = None

    def problems(self, params: dict[str, Any], definition: ServiceDefinition) -> Iterator[tuple[str, str]]:
        """(pointer relative to the effect, message) for each mistake in ``params``."""
        schema = {"type": "object", **self.params_schema}
        for error in Draft202012Validator(schema).iter_errors(params):
            yield jsonpointer.join(error.absolute_path), error.message
        if self.cross_check is not None and Draft202012Validator(schema).is_valid(params):
            yield from self.cross_check(params, definition)


@dataclass(frozen=True)
class EffectCall:
    """An effect a transition produced, to be run after the transition is stored."""

    type: str
    params: dict[str, Any]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> EffectCall:
        return cls(raw["type"], {k: v for k, v in raw.items() if k != "type"})


@dataclass
class Registry:
    """Effect types by name."""

    types: dict[str, EffectType] = field(default_factory=dict)

    def register(self, effect: EffectType) -> EffectType:
        """Add ``effect``; raises :class:`DuplicateEffect` when the name is taken."""
        if effect.name in self.types:
            raise DuplicateEffect(effect.name)
        self.types[effect.name] = effect
        return effect

    def get(self, name: str) -> EffectType:
        """Raises :class:`UnknownEffect` for a name nobody registered."""
        try:
            return self.types[name]
        except KeyError:
            raise UnknownEffect(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self.types

    def names(self) -> list[str]:
        return sorted(self.types)


def default_registry() -> Registry:
    """The built-in effect types."""
    from engine.effects import builtin

    registry = Registry()
    for effect in builtin.BUILTIN:
        registry.register(effect)
    return registry
