"""Side effects a transition asks for, declared in workflow.json and run after the commit.

Each effect type is registered with the schema of its parameters and a cross-check against
the service that uses it; the web platform and the document pipeline register the code that
runs them. A definition naming an unregistered effect is reported by ``thongthin check``.
"""

from engine.effects.registry import EffectCall, EffectType, Registry, default_registry

__all__ = ["EffectCall", "EffectType", "Registry", "default_registry"]
