"""``thongthin backup DEST`` and ``thongthin restore SRC``: the database and every blob in one tar file.

The archive's layout and the checks are in :mod:`thongthin.backup`. Both commands take the
database from ``DATABASE_URL`` and the blob store from ``S3_*`` (or the data folder), exactly as
the platform does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from engine.blobs import BlobError, CopyableBlobStore, blob_store_from_env
from thongthin.backup import BackupError, Database, backup, check, restore
from thongthin.cli import main
from thongthin.settings import Settings

_DATA = click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    help="Data folder (default: $THONGTHIN_DATA or ./var).",
)


def _target(data_dir: Path | None) -> tuple[Database, CopyableBlobStore]:
    settings = Settings.from_env(data_dir=data_dir)
    blobs: Any = blob_store_from_env(settings.environ, settings.data_dir)
    if not isinstance(blobs, CopyableBlobStore):
        raise click.ClickException(f"the blob store {blobs!r} cannot be listed and copied")
    return Database(settings.database_url), blobs


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


@main.command("backup")
@click.argument("destination", metavar="DEST", type=click.Path(path_type=Path))
@_DATA
def backup_command(destination: Path, data_dir: Path | None) -> None:
    """Write the database and every blob to DEST, a new tar file with a manifest of checksums.

    PostgreSQL is dumped with pg_dump (custom format) in one snapshot, SQLite copied with its
    online backup API; blobs are streamed from the folder or S3 bucket one at a time. The platform
    may keep running. The last line printed is the archive's path.
    """
    try:
        database, blobs = _target(data_dir)
        summary = backup(destination, database, blobs)
    except (BackupError, BlobError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"database: {summary.kind}, migration {summary.migration or '(none)'}, "
        f"{summary.tables} tables, {summary.rows:,} rows",
        err=True,
    )
    click.echo(f"blobs: {summary.objects:,} objects, {_megabytes(summary.bytes)}", err=True)
    if summary.skipped:
        click.echo(f"blobs: {summary.skipped} deleted while the backup ran, left out", err=True)
    click.echo(str(summary.path))


@main.command("restore")
@click.argument("source", metavar="SRC", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace what the target database and blob store hold.")
@click.option("--check", "check_only", is_flag=True, help="Only check the archive against its manifest.")
@_DATA
def restore_command(source: Path, force: bool, check_only: bool, data_dir: Path | None) -> None:
    """Restore SRC (made by `thongthin backup`) into DATABASE_URL and the blob store of S3_*.

    Every member is checked against the manifest first; a damaged or changed archive is refused,
    naming what differs. The target must be the same kind of database as the backup's and hold
    nothing, unless --force. Stop the web processes and workers first; afterwards run
    `thongthin db upgrade` if this version has migrations the backup did not.
    """
    try:
        if check_only:
            manifest = check(source)
            click.echo(
                f"{source}: intact; made {manifest.created}, {manifest.kind} database at migration "
                f"{manifest.migration or '(none)'}, {len(manifest.objects):,} objects"
            )
            return
        database, blobs = _target(data_dir)
        summary = restore(source, database, blobs, force=force)
    except (BackupError, BlobError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"database: {summary.kind}, migration {summary.migration or '(none)'}, "
        f"{summary.tables} tables, {summary.rows:,} rows restored",
        err=True,
    )
    click.echo(f"blobs: {summary.objects:,} objects, {_megabytes(summary.bytes)} restored", err=True)
    if summary.removed:
        click.echo(f"blobs: {summary.removed} objects the backup did not have were removed", err=True)
    if summary.pending_migrations:
        click.echo(
            f"this version has {len(summary.pending_migrations)} newer migration(s): run `thongthin db upgrade`",
            err=True,
        )
    click.echo(f"restored {source}")
