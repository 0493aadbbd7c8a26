"""Loading service definitions and the catalog from disk, with every problem reported at once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import jsonpointer
from engine.definitions import meta, schemas
from engine.definitions.bundle import SERVICE_FILES
from engine.definitions.checks import ServiceChecker, check_examples
from engine.definitions.locations import catalog_dir, examples_dir
from engine.definitions.model import Role, ServiceDefinition, ServiceSpec, UiSpec, WorkflowSpec
from engine.definitions.problems import DefinitionError, Problem, UnknownService
from engine.effects import Registry, default_registry

ROLES_FILE = "roles.json"


def version_key(version: str) -> tuple[int, ...]:
    """Semantic versions in their natural order (``1.10.0`` after ``1.9.0``)."""
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


@dataclass
class Catalog:
    """Every version of the services of a catalog, side by side, and the roles they may name.

    A service's newest version is what a municipality enabling it gets by default; submissions,
    drafts, fee accounts and issued documents keep the version they started with.
    """

    root: Path
    roles: dict[str, Role]
    versions: dict[str, dict[str, ServiceDefinition]] = field(default_factory=dict)

    def add(self, definition: ServiceDefinition) -> None:
        # Copy on write: request threads read the catalog while a refresh adds to it.
        versions = {**self.versions.get(definition.id, {}), definition.version: definition}
        self.versions = {**self.versions, definition.id: versions}

    def has(self, service_id: str, version: str) -> bool:
        return version in self.versions.get(service_id, {})

    def get(self, service_id: str, version: str | None = None) -> ServiceDefinition:
        """The service at ``version`` (its newest version when None).

        Raises :class:`UnknownService` when the catalog has no such service or version.
        """
        found = self.versions.get(service_id)
        if not found:
            raise UnknownService(service_id, sorted(self.versions))
        if version is None:
            return found[max(found, key=version_key)]
        try:
            return found[version]
        except KeyError:
            raise UnknownService(f"{service_id}@{version}", self.versions_of(service_id)) from None

    def versions_of(self, service_id: str) -> list[str]:
        """The versions of ``service_id``, oldest first."""
        return sorted(self.versions.get(service_id, {}), key=version_key)

    def newest(self, service_id: str) -> ServiceDefinition | None:
        """The newest version of ``service_id``; None when the catalog has no such service."""
        found = self.versions.get(service_id)
        return found[max(found, key=version_key)] if found else None

    def service_title(self, service_id: str, language: str = "th") -> str:
        """A service by its catalog title in ``language`` (its id when the catalog has no such service)."""
        definition = self.newest(service_id)
        return definition.service.title.get(language) if definition else service_id

    @property
    def services(self) -> dict[str, ServiceDefinition]:
        """The newest version of each service, by id."""
        return {service_id: self.get(service_id) for service_id in sorted(self.versions)}

    def every_version(self) -> Iterator[ServiceDefinition]:
        for service_id in sorted(self.versions):
            for version in self.versions_of(service_id):
                yield self.versions[service_id][version]

    def __iter__(self) -> Iterator[ServiceDefinition]:
        return iter(self.services.values())

    def __len__(self) -> int:
        return len(self.versions)

    def __bool__(self) -> bool:
        # A catalog with no service yet is still a catalog (``catalog or default`` must not replace it).
        return True


def read_json(path: Path, problems: list[Problem]) -> Any:
    """The parsed file, or None with a problem recorded when it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(path, "", "file is missing"))
    except json.JSONDecodeError as error:
        problems.append(
            Problem(path, "", f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
        )
    except UnicodeDecodeError:
        problems.append(Problem(path, "", "file is not UTF-8 text"))
    return None


def meta_problems(path: Path, document: Any, meta_id: str) -> list[Problem]:
    """One problem per place where ``document`` breaks its meta-schema, deepest cause first."""
    found = []
    for error in meta.validator(meta_id).iter_errors(document):
        while error.context:
            error = min(error.context, key=lambda e: -len(e.absolute_path))
        found.append(Problem(path, jsonpointer.join(error.absolute_path), _short(error.message)))
    return sorted(set(found))


def _short(message: str, limit: int = 240) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def load_roles(catalog_root: Path, problems: list[Problem]) -> dict[str, Role]:
    path = catalog_root / ROLES_FILE
    document = read_json(path, problems)
    if document is None:
        return {}
    found = meta_problems(path, document, meta.ROLES)
    problems.extend(found)
    if found:
        return {}
    return {name: Role.model_validate(role) for name, role in document["roles"].items()}


def load_service(
    folder: Path,
    roles: dict[str, Role],
    problems: list[Problem],
    *,
    effects: Registry | None = None,
    examples: Path | None = None,
    check_example_files: bool = True,
    authoring: bool = True,
) -> ServiceDefinition | None:
    """Parse and check one service folder; None (with problems recorded) when it is broken.

    ``authoring=False`` (a version published earlier) leaves out the wording rules that bind new
    versions only (see :class:`~engine.definitions.checks.ServiceChecker`)."""
    raw: dict[str, Any] = {}
    found: list[Problem] = []
    for name in SERVICE_FILES:
        path = folder / name
        document = read_json(path, found)
        if document is not None:
            found.extend(meta_problems(path, document, meta.META_FOR_FILE[name]))
            raw[name] = document
    if found:
        problems.extend(found)
        return None
    try:
        form = schemas.bundle(raw["form.json"])
    except schemas.UnknownSharedType as error:
        problems.append(Problem(folder / "form.json", _ref_pointer(raw["form.json"], error.name), str(error)))
        return None
    definition = ServiceDefinition(
        folder=folder,
        service=ServiceSpec.model_validate(raw["service.json"]),
        form=form,
        ui=UiSpec.model_validate(raw["ui.json"]),
        workflow=WorkflowSpec.from_json(raw["workflow.json"]),
    )
    found.extend(
        ServiceChecker(definition, roles, effects or default_registry(), authoring=authoring).problems()
    )
    if check_example_files and not found:
        examples_folder = folder / "examples"
        if not examples_folder.is_dir():
            examples_folder = (examples or examples_dir()) / definition.id
        found.extend(check_examples(definition, examples_folder))
    problems.extend(found)
    return None if found else definition


def _ref_pointer(form: Any, type_name: str) -> str:
    target = schemas.TYPES_PREFIX + type_name

    def walk(node: Any, path: list[str]) -> list[str] | None:
        if isinstance(node, dict):
            if node.get("$ref") == target:
                return [*path, "$ref"]
            items: Iterable[tuple[str, Any]] = node.items()
        elif isinstance(node, list):
            items = ((str(i), v) for i, v in enumerate(node))
        else:
            return None
        for key, value in items:
            hit = walk(value, [*path, key])
            if hit is not None:
                return hit
        return None

    return jsonpointer.join(walk(form, []) or [])


def is_service_folder(path: Path) -> bool:
    return (path / "service.json").is_file()


def find_catalog_root(path: Path) -> Path:
    """The folder holding roles.json at or above ``path`` (the catalog the service belongs to)."""
    for candidate in [path, *path.parents]:
        if (candidate / ROLES_FILE).is_file():
            return candidate
    return catalog_dir()


def check_path(
    path: Path,
    *,
    effects: Registry | None = None,
    examples: Path | None = None,
    check_example_files: bool = True,
) -> tuple[Catalog, list[Problem]]:
    """Check a catalog folder or a single service folder; returns what loaded and every problem."""
    problems: list[Problem] = []
    root = find_catalog_root(path.resolve())
    roles = load_roles(root, problems)
    catalog = Catalog(root=root, roles=roles)
    if is_service_folder(path):
        folders = [path]
    elif path.is_dir():
        folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
        if not folders:
            problems.append(Problem(path, "", "no service folders here"))
    else:
        problems.append(Problem(path, "", "no such catalog or service folder"))
        folders = []
    for folder in folders:
        definition = load_service(
            folder,
            roles,
            problems,
            effects=effects,
            examples=examples,
            check_example_files=check_example_files,
        )
        if definition is not None:
            catalog.add(definition)
    return catalog, problems


def load_catalog(
    path: Path | None = None, *, effects: Registry | None = None, examples: Path | None = None
) -> Catalog:
    """The catalog at ``path`` (default: the national catalog shipped with the platform).

    Example submissions are not re-validated here; ``thongthin check`` does that.
    Raises :class:`DefinitionError` listing every problem when any definition is broken.
    """
    catalog, problems = check_path(
        path or catalog_dir(), effects=effects, examples=examples, check_example_files=False
    )
    if problems:
        raise DefinitionError(problems)
    return catalog


def load_definition(
    service_id: str, catalog: Path | None = None, *, effects: Registry | None = None
) -> ServiceDefinition:
    """One service of the catalog, without loading (or being blocked by) the others.

    Raises :class:`UnknownService` when there is no such folder and :class:`DefinitionError`
    when the service is broken.
    """
    root = catalog or catalog_dir()
    folder = root / service_id
    if not is_service_folder(folder):
        known = sorted(p.name for p in root.iterdir() if is_service_folder(p)) if root.is_dir() else []
        raise UnknownService(service_id, known)
    problems: list[Problem] = []
    roles = load_roles(find_catalog_root(folder), problems)
    definition = load_service(folder, roles, problems, effects=effects, check_example_files=False)
    if problems or definition is None:
        raise DefinitionError(problems)
    return definition
