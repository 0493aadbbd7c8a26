"""The national catalog in the database: published versions, immutable, read alike by every node.

``schemas/catalog/`` in the project is the national seed; :func:`publish_seed` publishes its
versions the database does not have yet (``thongthin db upgrade``). A version, once published,
never changes: publishing it again with other content is refused, so a submission that
pinned ``id@version`` reads the same definition to its end.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from engine.definitions import Catalog, Problem, ServiceDefinition
from engine.definitions.bundle import ServiceBundle, read_bundle
from engine.definitions.diff import diff, next_version
from engine.definitions.loader import is_service_folder, load_service, version_key
from engine.effects import Registry
from engine.services.errors import CatalogVersionConflict, CatalogVersionTooLow, DefinitionRefused
from engine.store.models import EnabledService, PublishedService, Submission
from engine.store.queries import flat

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


@dataclass(frozen=True)
class PublishedVersion:
    service_id: str
    version: str
    content_hash: str
    changelog: str
    published_by: str
    published_at: datetime
    new: bool  # False when this exact content was already published under this version

    @classmethod
    def of(cls, row: PublishedService, *, new: bool = False) -> PublishedVersion:
        return cls(
            row.service_id,
            row.version,
            row.content_hash,
            row.changelog,
            row.published_by,
            row.published_at,
            new,
        )


def bundle_of(row: PublishedService) -> ServiceBundle:
    return ServiceBundle(documents=dict(row.documents), files=dict(row.files or {}))


def checked_definition(
    bundle: ServiceBundle,
    catalog: Catalog,
    *,
    effects: Registry | None = None,
    source: Path | None = None,
    check_example_files: bool = True,
) -> tuple[ServiceDefinition | None, list[Problem]]:
    """Every ``thongthin check`` problem of ``bundle`` (files named relative to ``source``).

    The bundle is checked from a throw-away folder, so nothing unchecked reaches the cache.
    """
    problems: list[Problem] = []
    service_id = bundle.service_id
    if not _IDENTIFIER.match(service_id):
        problems.append(
            Problem(Path("service.json"), "/id", f"id {service_id!r} is not a lower-case identifier")
        )
        return None, _rebased(problems, None, source)
    with tempfile.TemporaryDirectory(prefix="thongthin-check-") as scratch:
        folder = Path(scratch) / service_id
        bundle.write(folder)
        definition = load_service(
            folder, catalog.roles, problems, effects=effects, check_example_files=check_example_files
        )
        return definition, _rebased(problems, folder, source)


def _rebased(problems: list[Problem], folder: Path | None, source: Path | None) -> list[Problem]:
    """Problems named by the file in ``source`` (or by the file's name in the service)."""
    out = []
    for problem in problems:
        file = problem.file
        if folder is not None and file.is_relative_to(folder):
            relative = file.relative_to(folder)
            file = (source / relative) if source is not None else relative
        out.append(Problem(file, problem.pointer, problem.message))
    return sorted(out)


async def publish(
    bundle: ServiceBundle,
    catalog: Catalog,
    cache: Path,
    *,
    changelog: str = "",
    published_by: str = "",
    effects: Registry | None = None,
    source: Path | None = None,
) -> PublishedVersion:
    """Check ``bundle`` and store it as a published version, then add it to ``catalog``.

    Publishing the same content under the same version again changes nothing (``new`` is False).
    Raises :class:`DefinitionRefused` listing every problem, and
    :class:`CatalogVersionConflict` when the version exists with other content.
    """
    if not _SEMVER.match(bundle.version):
        raise DefinitionRefused(
            [
                Problem(
                    Path("service.json"), "/version", f"version {bundle.version!r} is not MAJOR.MINOR.PATCH"
                )
            ]
        )
    existing = await PublishedService.get_or_none(service_id=bundle.service_id, version=bundle.version)
    if existing is not None:
        return _same_or_conflict(existing, bundle)
    definition, problems = checked_definition(bundle, catalog, effects=effects, source=source)
    if problems or definition is None:
        raise DefinitionRefused(problems)
    try:
        row = await PublishedService.create(
            service_id=bundle.service_id,
            version=bundle.version,
            content_hash=bundle.content_hash,
            documents=bundle.documents,
            files=bundle.files,
            changelog=changelog[:4000],
            published_by=published_by[:150],
        )
    except IntegrityError:  # published by another node at the same moment
        existing = await PublishedService.get(service_id=bundle.service_id, version=bundle.version)
        return _same_or_conflict(existing, bundle)
    _add(catalog, bundle, cache, effects)
    return PublishedVersion.of(row, new=True)


def _same_or_conflict(existing: PublishedService, bundle: ServiceBundle) -> PublishedVersion:
    if existing.content_hash != bundle.content_hash:
        raise CatalogVersionConflict(bundle.service_id, bundle.version)
    return PublishedVersion.of(existing)


def _add(catalog: Catalog, bundle: ServiceBundle, cache: Path, effects: Registry | None) -> ServiceDefinition:
    """Load a stored version into ``catalog`` from its folder in the cache.

    Raises :class:`DefinitionRefused` when a stored version no longer passes the checks
    (the engine changed under it); the operator must publish a fixed version.
    """
    folder = bundle.materialise(cache)
    problems: list[Problem] = []
    definition = load_service(
        folder, catalog.roles, problems, effects=effects, check_example_files=False, authoring=False
    )
    if problems or definition is None:
        raise DefinitionRefused(problems)
    catalog.add(definition)
    return definition


async def load_published(catalog: Catalog, cache: Path, *, effects: Registry | None = None) -> int:
    """Add to ``catalog`` the published versions it does not hold yet; returns how many."""
    keys = await PublishedService.all().values_list("id", "service_id", "version")
    missing = [row_id for row_id, service_id, version in keys if not catalog.has(service_id, version)]
    for row in await PublishedService.filter(id__in=missing):
        _add(catalog, bundle_of(row), cache, effects)
    return len(missing)


def seed_folders(root: Path) -> list[Path]:
    """The service folders of a catalog folder (or ``root`` itself when it is one)."""
    if is_service_folder(root):
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and is_service_folder(p))


async def publish_seed(
    root: Path,
    catalog: Catalog,
    cache: Path,
    *,
    examples: Path | None = None,
    effects: Registry | None = None,
) -> list[PublishedVersion]:
    """Publish every version of the seed at ``root`` that the database does not have yet.

    Raises :class:`DefinitionRefused` (every problem of every folder) and
    :class:`CatalogVersionConflict` when a seed folder changed without a new version number.
    """
    published = []
    for folder in seed_folders(root):
        problems: list[Problem] = []
        bundle = read_bundle(folder, problems, examples=(examples / folder.name) if examples else None)
        if bundle is None:
            raise DefinitionRefused(problems)
        _check_version_number(catalog, folder, bundle, effects)
        published.append(
            await publish(
                bundle,
                catalog,
                cache,
                changelog="national seed",
                published_by="seed",
                effects=effects,
                source=folder,
            )
        )
    return published


def _check_version_number(
    catalog: Catalog, folder: Path, bundle: ServiceBundle, effects: Registry | None
) -> None:
    """Raises :class:`CatalogVersionTooLow` when a new seed version is numbered lower than its
    changes since the version before it call for (see :func:`engine.definitions.diff.diff`)."""
    if catalog.has(bundle.service_id, bundle.version):
        return
    earlier = [
        v for v in catalog.versions_of(bundle.service_id) if version_key(v) < version_key(bundle.version)
    ]
    if not earlier:
        return
    problems: list[Problem] = []
    new = load_service(folder, catalog.roles, problems, effects=effects, check_example_files=False)
    if new is None:
        return  # publishing refuses it with its problems
    previous = earlier[-1]
    changes = diff(catalog.get(bundle.service_id, previous), new)
    wanted = next_version(previous, changes.bump)
    if version_key(bundle.version) < version_key(wanted):
        reasons = "; ".join(
            f"{c.kind} {c.area} {c.name}{f' ({c.detail})' if c.detail else ''}"
            for c in changes.changes
            if c.bump == changes.bump
        )
        raise CatalogVersionTooLow(bundle.service_id, bundle.version, previous, wanted, reasons[:500])


async def export(service_id: str, version: str | None, folder: Path) -> PublishedVersion:
    """Write a published version (the newest when ``version`` is None) as a service folder.

    Raises :class:`engine.definitions.UnknownService`.
    """
    row = await find_version(service_id, version)
    bundle_of(row).write(folder)
    return PublishedVersion.of(row)


async def find_version(service_id: str, version: str | None = None) -> PublishedService:
    """Raises :class:`engine.definitions.UnknownService`."""
    from engine.definitions import UnknownService

    rows = await PublishedService.filter(service_id=service_id)
    if version is not None:
        rows = [r for r in rows if r.version == version]
    if not rows:
        known = await flat(PublishedService.all().distinct(), "service_id")
        name = f"{service_id}@{version}" if version else service_id
        raise UnknownService(name, sorted(set(known)))
    return max(rows, key=lambda r: version_key(r.version))


@dataclass(frozen=True)
class VersionUse:
    """Who uses one published version: the municipalities pinned to it and its open work."""

    version: PublishedVersion
    tenants: int
    open_submissions: int


async def catalog_overview(service_ids: Iterable[str] | None = None) -> dict[str, list[VersionUse]]:
    """Every published version by service, oldest first, with the tenants and open work on it."""
    query = PublishedService.all()
    if service_ids is not None:
        query = query.filter(service_id__in=list(service_ids))
    rows = await query.only(
        "id", "service_id", "version", "content_hash", "changelog", "published_by", "published_at"
    )
    pinned = {
        (service_id, version): count
        for service_id, version, count in await EnabledService.filter(enabled=True)
        .annotate(n=Count("id"))
        .group_by("service_id", "version")
        .values_list("service_id", "version", "n")
    }
    open_work = {
        (service_id, version): count
        for service_id, version, count in await Submission.filter(closed=False)
        .annotate(n=Count("id"))
        .group_by("service_id", "service_version")
        .values_list("service_id", "service_version", "n")
    }
    overview: dict[str, list[VersionUse]] = {}
    for row in sorted(rows, key=lambda r: (r.service_id, version_key(r.version))):
        key = (row.service_id, row.version)
        overview.setdefault(row.service_id, []).append(
            VersionUse(PublishedVersion.of(row), pinned.get(key, 0), open_work.get(key, 0))
        )
    return overview
