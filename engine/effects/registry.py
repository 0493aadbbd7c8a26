"""The registry of effect types (modelled on Open Forms' plugin registries).

One :class:`EffectType` per kind of queued work: the schema of its parameters, its cross-check
against the service that asks for it, and its retry policy. An installation binds the code
that runs each type with :meth:`Registry.implement`; ``thongthin check`` fails when a type has
no implementation, and the effects queue reads the policy from here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from engine import jsonpointer
from engine.errors import ThongthinError

if TYPE_CHECKING:
    from engine.definitions.model import ServiceDefinition
    from engine.store.models import EffectJob, Submission

    # A runner gets the job and its submission (``None`` for jobs of a bill, such as receipts).
    Runner = Callable[[EffectJob, Submission | None], Awaitable[None]]
else:
    Runner = Callable[..., Awaitable[None]]

# What an installation registers for a type: given the installation, the coroutine that runs it.
RunnerFactory = Callable[[Any], Runner]

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


class MissingImplementation(EffectError):
    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(f"no implementation is registered for the effect type(s) {', '.join(names)}")


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failed job is tried again, and how long the queue waits in between.

    A job that raises an error whose ``retryable`` attribute is False (a broken definition,
    a document the signer refuses) fails at once: trying again cannot help.
    """

    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """``first_delay``, then twice as long each time (capped at ``max_delay``)."""
        return min(self.first_delay * 2 ** max(attempts - 1, 0), self.max_delay)

    def gives_up(self, attempts: int, error: BaseException) -> bool:
        return attempts >= self.max_attempts or getattr(error, "retryable", True) is False


@dataclass(frozen=True)
class EffectType:
    """One kind of queued work: its name, the schema of its parameters, its cross-check, its retries.

    ``internal`` types are queued by the platform itself (a billing run, a receipt); a workflow
    may not ask for them.
    """

    name: str
    description: str
    params_schema: dict[str, Any]
    cross_check: CrossCheck | None = None
    retry: RetryPolicy = RetryPolicy()
    internal: bool = False

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
    """Effect types by name, and the installation's implementation of each."""

    types: dict[str, EffectType] = field(default_factory=dict)
    implementations: dict[str, RunnerFactory] = field(default_factory=dict)

    def implement(self, name: str) -> Callable[[RunnerFactory], RunnerFactory]:
        """Register (as a decorator) what runs ``name``; raises :class:`UnknownEffect`."""
        self.get(name)

        def add(factory: RunnerFactory) -> RunnerFactory:
            self.implementations[name] = factory
            return factory

        return add

    def missing_implementations(self) -> list[str]:
        return sorted(set(self.types) - set(self.implementations))

    def runners(self, installation: Any) -> dict[str, tuple[Runner, RetryPolicy]]:
        """Every type's runner built for ``installation``, with its retry policy.

        Raises :class:`MissingImplementation` when a type has none.
        """
        missing = self.missing_implementations()
        if missing:
            raise MissingImplementation(missing)
        return {
            name: (factory(installation), self.types[name].retry)
            for name, factory in self.implementations.items()
        }

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

    def workflow_names(self) -> list[str]:
        """The types a workflow may ask for."""
        return sorted(name for name, effect in self.types.items() if not effect.internal)


def default_registry() -> Registry:
    """The built-in effect types."""
    from engine.effects import builtin

    registry = Registry()
    for effect in builtin.BUILTIN:
        registry.register(effect)
    return registry
