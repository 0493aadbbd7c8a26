"""``thongthin catalog``: the published versions in the database, publishing, export, enabling."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from engine.definitions.locations import examples_dir


@contextmanager
def _platform() -> Iterator[Any]:
    """The platform of ``DATABASE_URL``/``THONGTHIN_DATA``; a clear error when it is not set up."""
    from tortoise.exceptions import OperationalError

    from thongthin.platform import Platform
    from thongthin.settings import Settings

    platform = Platform.create(Settings.from_env())
    try:
        yield platform
    except OperationalError as error:
        raise click.ClickException(
            f"the database is not set up ({error}); run `thongthin db upgrade`"
        ) from None
    finally:
        platform.runtime.close()


def _split_version(name: str) -> tuple[str, str | None]:
    service_id, _, version = name.partition("@")
    return service_id, version or None


@click.group()
def catalog() -> None:
    """The national catalog: every published version of every service, in the database."""


@catalog.command("list")
@click.option("--lang", type=click.Choice(["th", "en"]), default="th", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def catalog_list(lang: str, as_json: bool) -> None:
    """Every service with its published versions, the municipalities on each and their open work."""
    from engine.services.catalog import catalog_overview

    with _platform() as platform:
        overview = platform.db(catalog_overview())
        rows = []
        for service_id, versions in overview.items():
            newest = platform.definition(service_id)
            rows.append(
                {
                    "id": service_id,
                    "title": newest.service.title.get(lang),
                    "category": newest.service.category,
                    "legal_maximum": newest.service.sla.legal_maximum,
                    "version": newest.version,
                    "versions": [
                        {
                            "version": use.version.version,
                            "published_at": use.version.published_at.isoformat(),
                            "published_by": use.version.published_by,
                            "changelog": use.version.changelog,
                            "content_hash": use.version.content_hash,
                            "tenants": use.tenants,
                            "open_submissions": use.open_submissions,
                        }
                        for use in versions
                    ],
                }
            )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max((len(r["id"]) for r in rows), default=10)
    for r in rows:
        versions = ", ".join(
            f"{v['version']} ({v['tenants']} tenant(s), {v['open_submissions']} open)" for v in r["versions"]
        )
        click.echo(f"{r['id']:<{width}}  {r['category']:<12} {r['title']}")
        click.echo(f"{'':<{width}}  {versions}")


@catalog.command("publish")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--changelog", default="", help="What changed, for the municipalities that upgrade.")
@click.option("--by", "published_by", default="", help="Who publishes (recorded with the version).")
def catalog_publish(paths: tuple[Path, ...], changelog: str, published_by: str) -> None:
    """Check service folders and publish each as a new version (same content again: no change).

    Exit status 1 with one `file:/pointer: message` line per problem, and nothing published
    from that folder, when a folder does not pass `thongthin check` or reuses a version number
    with other content.
    """
    from engine.definitions import Problem
    from engine.definitions.bundle import read_bundle
    from engine.services.catalog import publish, seed_folders
    from engine.services.errors import CatalogVersionConflict, DefinitionRefused

    failed = False
    with _platform() as platform:
        for path in paths:
            for folder in seed_folders(path):
                problems: list[Problem] = []
                bundle = read_bundle(folder, problems, examples=examples_dir() / folder.name)
                try:
                    if bundle is None:
                        raise DefinitionRefused(problems)
                    result = platform.db(
                        publish(
                            bundle,
                            platform.catalog,
                            platform.catalog_cache,
                            changelog=changelog,
                            published_by=published_by,
                            source=folder,
                        )
                    )
                except DefinitionRefused as error:
                    failed = True
                    for problem in error.problems:
                        click.echo(str(problem))
                    continue
                except CatalogVersionConflict as error:
                    failed = True
                    click.echo(f"{folder / 'service.json'}:/version: {error}")
                    continue
                state = "published" if result.new else "already published"
                click.echo(
                    f"{state} {result.service_id} {result.version} ({result.content_hash[:12]})", err=True
                )
    if failed:
        raise SystemExit(1)


@catalog.command("export")
@click.argument("name", metavar="ID[@VERSION]")
@click.argument("folder", type=click.Path(path_type=Path))
def catalog_export(name: str, folder: Path) -> None:
    """Write a published version (the newest by default) as a service folder FOLDER."""
    from engine.services.catalog import export

    if folder.exists() and any(folder.iterdir()):
        raise click.ClickException(f"{folder} is not empty")
    service_id, version = _split_version(name)
    with _platform() as platform:
        result = platform.db(export(service_id, version, folder))
    click.echo(f"exported {result.service_id} {result.version} to {folder}", err=True)


@catalog.command("diff")
@click.argument("service_id")
@click.argument("old_version")
@click.argument("new_version")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
def catalog_diff(service_id: str, old_version: str, new_version: str, as_json: bool) -> None:
    """What changed between two published versions, and the version number the change calls for."""
    from engine.definitions.diff import diff

    with _platform() as platform:
        found = diff(
            platform.definition(service_id, old_version), platform.definition(service_id, new_version)
        )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "id": service_id,
                    "from": old_version,
                    "to": new_version,
                    "bump": found.bump,
                    "suggested_version": found.suggested_version(),
                    "changes": [vars(c) for c in found.changes],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for change in found.changes:
        click.echo(
            f"{change.bump:<5}  {change.area:<10} {change.kind:<7} {change.name}  {change.detail}".rstrip()
        )
    click.echo(f"{found.bump} change: {old_version} → {found.suggested_version()} suggested", err=True)


@catalog.command("enable")
@click.argument("tenant_slug", metavar="TENANT")
@click.argument("name", metavar="ID[@VERSION]")
def catalog_enable(tenant_slug: str, name: str) -> None:
    """Offer a service in a municipality at VERSION (the newest by default), or move it there.

    Applications already submitted, drafts and fee accounts stay on the version they began with.
    """
    from engine.services import tenants

    service_id, version = _split_version(name)
    with _platform() as platform:
        definition = platform.definition(service_id, version)
        tenant = platform.db(tenants.get_tenant(tenant_slug))
        change = platform.db(tenants.enable_version(tenant, definition))
    click.echo(
        f"{tenant_slug}: {service_id} {change.previous or '-'} → {change.enabled.version}; "
        f"{change.open_on_previous} open application(s) stay on {change.previous or '-'}",
        err=True,
    )
