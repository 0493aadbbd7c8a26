"""Service definitions: loading, checking against the meta-schemas and across files."""

from engine.definitions.loader import Catalog, check_path, load_catalog, load_definition
from engine.definitions.model import ServiceDefinition
from engine.definitions.problems import DefinitionError, Problem, UnknownService

__all__ = [
    "Catalog",
    "DefinitionError",
    "Problem",
    "ServiceDefinition",
    "UnknownService",
    "check_path",
    "load_catalog",
    "load_definition",
]
