"""Backups of a whole installation: the database and every blob, in one tar file with a manifest.

An archive (``thongthin backup DEST``) is an uncompressed POSIX tar file holding, in this order:

- ``database/thongthin.pgdump`` — ``pg_dump --format=custom`` of the PostgreSQL database, taken in
  one snapshot (the same one the row counts of the manifest are read in); or
  ``database/thongthin.sqlite3`` — a copy of the SQLite database made by sqlite3's online backup
  API, consistent even while the platform writes to it;
- ``blobs/<key>`` — every object of the blob store (a local folder or an S3 bucket), copied as a
  stream, one at a time;
- ``manifest.json`` — last, once every checksum is known: the format, when it was made, the
  platform's version, the database's kind, migrations and rows per table, and per object its key,
  size, content type and SHA-256.

The database is dumped before the blobs are listed, so every file the dump refers to is in the
archive unless it was deleted in between (retention, erasure); a file uploaded after the dump is
carried along and, never claimed, removed by the worker after a restore.

``thongthin restore SRC`` reads the manifest first and checks every member against it before it
touches anything, refuses a target that already holds data (unless forced), restores the database
(``pg_restore --clean --if-exists --no-owner`` or sqlite3's backup API) and the blobs into whatever
``DATABASE_URL`` and ``S3_*`` name, then counts rows and objects again. The database must be of the
kind the backup was made from; the blob store may be either kind.

Memory stays bounded by the size of one chunk of a blob, plus a few hundred bytes of metadata per
object (the manifest's list). Nothing here uses the ORM: the target database may be another one
than the running platform's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO, cast
from urllib.parse import parse_qs, unquote, urlsplit

from engine.blobs import BlobNotFound, CopyableBlobStore
from engine.errors import ThongthinError

FORMAT = "thongthin-backup/1"
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"postgres": "database/thongthin.pgdump", "sqlite": "database/thongthin.sqlite3"}
BLOBS = "blobs/"
CHUNK = 1024 * 1024
MIGRATIONS = Path(__file__).resolve().parent.parent / "engine" / "store" / "migrations"
MIGRATION_NAME = re.compile(r"\d{4}_\w+")


# --- errors ----------------------------------------------------------------------------------


class BackupError(ThongthinError):
    """A backup or a restore could not be made; the message says why."""


class ArchiveDamaged(BackupError):
    """The archive is not one ``thongthin backup`` wrote, or something in it is missing or changed."""


class ChecksumMismatch(ArchiveDamaged):
    """A member's bytes are not those the manifest recorded (``name``: the object's key, or the
    database member)."""

    def __init__(self, name: str, detail: str):
        self.name = name
        super().__init__(f"{name}: {detail}; the archive is damaged or was changed after it was made")


class Incompatible(BackupError):
    """The archive cannot go into this target: another kind of database, or migrations this code
    does not know (a backup of a newer platform)."""


class NotEmpty(BackupError):
    """The target database or blob store already holds data and the restore was not forced."""


class ToolFailed(BackupError):
    """``pg_dump`` or ``pg_restore`` is missing or failed (its message is included)."""


class RestoreIncomplete(BackupError):
    """After the restore, the target does not hold what the manifest says it should."""


# --- the database ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """The database a ``DATABASE_URL`` names, reached without the ORM."""

    url: str

    @property
    def kind(self) -> str:
        scheme = urlsplit(self.url).scheme
        if scheme in ("postgres", "postgresql"):
            return "postgres"
        if scheme == "sqlite":
            return "sqlite"
        raise BackupError(f"DATABASE_URL must start with sqlite:// or postgres://, not {scheme}://")

    # SQLite

    @property
    def sqlite_path(self) -> Path:
        parts = urlsplit(self.url)
        path = unquote(parts.netloc + parts.path)
        if path in ("", ":memory:", "/:memory:"):
            raise BackupError("an in-memory SQLite database cannot be backed up or restored")
        return Path(path)

    # PostgreSQL

    @property
    def _pg(self) -> dict[str, str]:
        parts = urlsplit(self.url)
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        values = {
            "host": parts.hostname or "",
            "port": str(parts.port or 5432),
            "user": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "database": unquote(parts.path.lstrip("/")),
            "sslmode": options.get("sslmode", "require" if options.get("ssl") in ("true", "1") else ""),
        }
        if not values["database"]:
            raise BackupError("DATABASE_URL names no database")
        return values

    def libpq_environment(self) -> dict[str, str]:
        """The environment for ``pg_dump``/``pg_restore``: the password never goes on a command line."""
        names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"}
        # The URL's parts win; libpq's own variables (PGPASSFILE, PGSSLROOTCERT …) still apply.
        environment = dict(os.environ) | {names[k]: v for k, v in self._pg.items() if k in names and v}
        if self._pg["sslmode"]:
            environment["PGSSLMODE"] = self._pg["sslmode"]
        return environment

    def conninfo(self) -> str:
        """``dbname='…'`` for ``--dbname`` (host, user and password come from the environment)."""
        name = self._pg["database"].replace("\\", "\\\\").replace("'", "\\'")
        return f"dbname='{name}'"

    async def connect(self) -> Any:
        import asyncpg

        pg = self._pg
        return await asyncpg.connect(
            host=pg["host"] or None,
            port=int(pg["port"]),
            user=pg["user"] or None,
            password=pg["password"] or None,
            database=pg["database"],
            ssl=pg["sslmode"] or None,
            timeout=10,
        )


@dataclass
class Facts:
    """What a database holds, as the manifest records it and a restore checks it."""

    migrations: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def migration(self) -> str:
        return self.migrations[-1] if self.migrations else ""

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _postgres_facts(connection: Any) -> Facts:
    tables = await connection.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
    )
    facts = Facts()
    for row in tables:
        schema, table = row["table_schema"], row["table_name"]
        name = table if schema == "public" else f"{schema}.{table}"
        facts.tables[name] = int(
            await connection.fetchval(f"SELECT count(*) FROM {_quote(schema)}.{_quote(table)}")
        )
    if "tortoise_migrations" in facts.tables:
        rows = await connection.fetch("SELECT name FROM tortoise_migrations WHERE app = 'models'")
        facts.migrations = sorted(row["name"] for row in rows)
    return facts


def _sqlite_facts(path: Path) -> Facts:
    facts = Facts()
    if not path.exists():
        return facts
    connection = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        for name in names:
            facts.tables[name] = int(connection.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0])
        if "tortoise_migrations" in facts.tables:
            rows = connection.execute("SELECT name FROM tortoise_migrations WHERE app = 'models'")
            facts.migrations = sorted(row[0] for row in rows)
    finally:
        connection.close()
    return facts


def database_facts(database: Database) -> Facts:
    """The tables (with their rows) and applied migrations of ``database`` now."""
    if database.kind == "sqlite":
        try:
            return _sqlite_facts(database.sqlite_path)
        except sqlite3.Error as error:
            raise BackupError(f"cannot read the SQLite database {database.sqlite_path}: {error}") from error

    async def read() -> Facts:
        connection = await database.connect()
        try:
            return await _postgres_facts(connection)
        finally:
            await connection.close()

    return _run(read())


def _run(coroutine: Any) -> Any:
    try:
        return asyncio.run(coroutine)
    except (OSError, TimeoutError) as error:
        raise BackupError(f"cannot reach the database: {error}") from error
    except Exception as error:
        if type(error).__module__.startswith("asyncpg"):
            raise BackupError(f"the database refused: {error}") from error
        raise


def known_migrations() -> list[str]:
    """The migrations this code carries (``engine/store/migrations``)."""
    return sorted(p.stem for p in MIGRATIONS.glob("*.py") if MIGRATION_NAME.fullmatch(p.stem))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolFailed(f"{name} is not installed (PostgreSQL's client programs, of the server's version)")
    return found


def _dump_postgres(database: Database, target: Path) -> Facts:
    """``pg_dump --format=custom`` into ``target``, in the snapshot the facts are read in."""
    command = [_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}"]

    async def dump() -> Facts:
        connection = await database.connect()
        try:
            async with connection.transaction(isolation="repeatable_read", readonly=True):
                snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
                facts = await _postgres_facts(connection)
                process = await asyncio.create_subprocess_exec(
                    *command,
                    f"--snapshot={snapshot}",
                    f"--dbname={database.conninfo()}",
                    env=database.libpq_environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                _, errors = await process.communicate()
                if process.returncode != 0:
                    raise ToolFailed(f"pg_dump failed: {errors.decode(errors='replace').strip()}")
                return facts
        finally:
            await connection.close()

    result: Facts = _run(dump())
    return result


def _copy_sqlite(database: Database, target: Path) -> Facts:
    """A consistent copy of the live SQLite database through sqlite3's online backup API."""
    path = database.sqlite_path
    if not path.is_file():
        raise BackupError(f"there is no SQLite database at {path}")
    source = sqlite3.connect(path)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        # The copy is a file on its own: no write-ahead log beside it.
        copy.execute("PRAGMA journal_mode = DELETE").fetchone()
    except sqlite3.Error as error:
        raise BackupError(f"cannot copy the SQLite database {path}: {error}") from error
    finally:
        copy.close()
        source.close()
    return _sqlite_facts(target)


def _restore_postgres(database: Database, dump: Path) -> None:
    command = [
        _tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        # Grants name roles of the source's cluster, which the target's may not have.
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={database.conninfo()}",
        str(dump),
    ]
    finished = subprocess.run(
        command,
        env=database.libpq_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if finished.returncode != 0:
        raise ToolFailed(f"pg_restore failed: {finished.stderr.decode(errors='replace').strip()}")


def _restore_sqlite(database: Database, copy: Path) -> None:
    path = database.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    try:
        check = source.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise ArchiveDamaged(f"{DATABASE_MEMBERS['sqlite']}: SQLite finds it damaged: {check}")
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupError(f"cannot restore the SQLite database into {path}: {error}") from error
    finally:
        source.close()


# --- streams ---------------------------------------------------------------------------------


class _Hashing:
    """A read-only stream that counts and hashes what is read through it."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        """``size`` bytes (all when negative), fewer only at the end of the stream: tarfile
        takes a short read for the end of the data."""
        data = self._stream.read(size)
        while size > 0 and data and len(data) < size:
            more = self._stream.read(size - len(data))
            if not more:
                break
            data += more
        self.digest.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    return info


# --- backup ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    kind: str
    migration: str
    tables: int
    rows: int
    objects: int
    bytes: int
    skipped: int  # objects deleted between the listing and their copy


def platform_version() -> str:
    try:
        return importlib.metadata.version("thongthin")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        from thongthin import __version__

        return __version__


def backup(destination: Path, database: Database, blobs: CopyableBlobStore) -> BackupSummary:
    """Write the archive of ``database`` and ``blobs`` to ``destination`` (a new file).

    The archive is written beside it as ``DEST.partial`` and renamed when complete, readable by
    its owner only (it holds every citizen's data). Raises :class:`BackupError` (the destination
    exists, the database cannot be read, ``pg_dump`` fails) or the blob store's
    :class:`engine.blobs.BlobError`.
    """
    destination = Path(destination)
    if destination.exists():
        raise BackupError(f"{destination} exists already; name a new file")
    kind = database.kind
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".thongthin-backup-") as scratch:
        work = Path(scratch)
        dump = work / Path(DATABASE_MEMBERS[kind]).name
        facts = _dump_postgres(database, dump) if kind == "postgres" else _copy_sqlite(database, dump)
        dump_sha, dump_size = _hash_file(dump)
        objects = work / "objects.json"  # the manifest's list, one entry a line, not held in memory
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                with tarfile.open(fileobj=file, mode="w", format=tarfile.PAX_FORMAT) as archive:
                    with dump.open("rb") as stream:
                        archive.addfile(_member(DATABASE_MEMBERS[kind], dump_size), stream)
                    dump.unlink()
                    count, total, skipped = _add_blobs(archive, blobs, objects)
                    header = {
                        "format": FORMAT,
                        "created": datetime.now(UTC).isoformat(timespec="seconds"),
                        "platform_version": platform_version(),
                        "database": {
                            "kind": kind,
                            "member": DATABASE_MEMBERS[kind],
                            "size": dump_size,
                            "sha256": dump_sha,
                            "migration": facts.migration,
                            "migrations": facts.migrations,
                            "tables": facts.tables,
                        },
                        "blobs": {"store": type(blobs).__name__, "count": count, "bytes": total},
                    }
                    manifest = _write_manifest(work / MANIFEST, header, objects)
                    with manifest.open("rb") as stream:
                        archive.addfile(_member(MANIFEST, manifest.stat().st_size), stream)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, destination)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
    return BackupSummary(
        path=destination,
        kind=kind,
        migration=facts.migration,
        tables=len(facts.tables),
        rows=facts.rows,
        objects=count,
        bytes=total,
        skipped=skipped,
    )


def _add_blobs(archive: tarfile.TarFile, blobs: CopyableBlobStore, objects: Path) -> tuple[int, int, int]:
    """Stream every blob into ``archive`` and its manifest entry into ``objects`` (JSON, an entry a
    line, each but the first after a comma); returns how many were added, their bytes, and how
    many were deleted between the listing and their copy."""
    count = total = skipped = 0
    with objects.open("w", encoding="utf-8") as listing:
        for stored in blobs.listing():
            try:
                with blobs.open(stored.key) as blob:
                    reading = _Hashing(blob.stream)
                    archive.addfile(_member(BLOBS + blob.key, blob.size), reading)
            except BlobNotFound:
                skipped += 1  # deleted since the listing (retention, an unclaimed upload)
                continue
            entry = {
                "key": blob.key,
                "size": blob.size,
                "sha256": reading.hexdigest(),
                "content_type": blob.content_type,
            }
            listing.write(("," if count else "") + json.dumps(entry, ensure_ascii=False) + "\n")
            count += 1
            total += blob.size
    return count, total, skipped


def _write_manifest(path: Path, header: dict[str, Any], objects: Path) -> Path:
    """``header`` with the list of ``objects`` as its last field, copied a line at a time."""
    with path.open("w", encoding="utf-8") as out:
        text = json.dumps(header, ensure_ascii=False, indent=1)
        out.write(text[: text.rindex("}")].rstrip() + ',\n "objects": [\n')
        with objects.open(encoding="utf-8") as lines:
            shutil.copyfileobj(lines, out)
        out.write("]\n}\n")
    return path


# --- reading an archive ----------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """The manifest of an archive whose every member was checked against it."""

    data: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.data["database"]["kind"])

    @property
    def migrations(self) -> list[str]:
        return list(self.data["database"]["migrations"])

    @property
    def migration(self) -> str:
        return str(self.data["database"]["migration"])

    @property
    def tables(self) -> dict[str, int]:
        return dict(self.data["database"]["tables"])

    @property
    def objects(self) -> list[dict[str, Any]]:
        return list(self.data["objects"])

    @property
    def created(self) -> str:
        return str(self.data["created"])


def _read_manifest(archive: tarfile.TarFile, source: Path) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST)
    except KeyError:
        raise ArchiveDamaged(f"{source}: no {MANIFEST}; not a complete thongthin backup") from None
    try:
        stream = archive.extractfile(member)
        if stream is None:
            raise ArchiveDamaged(f"{source}: {MANIFEST} is not a file")
        data = json.loads(stream.read().decode("utf-8"))
    except (tarfile.TarError, OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveDamaged(f"{source}: {MANIFEST} cannot be read: {error}") from error
    problems = _manifest_problems(data)
    if problems:
        raise ArchiveDamaged(f"{source}: {MANIFEST} is not a thongthin backup manifest: {problems}")
    return dict(data)


def _manifest_problems(data: Any) -> str:
    if not isinstance(data, dict):
        return "not an object"
    if data.get("format") != FORMAT:
        return f"format {data.get('format')!r}, expected {FORMAT!r}"
    database, blobs, objects = data.get("database"), data.get("blobs"), data.get("objects")
    if not isinstance(database, dict) or database.get("kind") not in DATABASE_MEMBERS:
        return "database.kind"
    if database.get("member") != DATABASE_MEMBERS[database["kind"]]:
        return "database.member"
    for name, kind in (("size", int), ("sha256", str), ("migration", str), ("migrations", list)):
        if not isinstance(database.get(name), kind):
            return f"database.{name}"
    tables = database.get("tables")
    if not isinstance(tables, dict) or not all(isinstance(v, int) for v in tables.values()):
        return "database.tables"
    if not isinstance(blobs, dict) or not isinstance(blobs.get("count"), int):
        return "blobs.count"
    if not isinstance(objects, list) or len(objects) != blobs["count"]:
        return "objects (their number differs from blobs.count)"
    for index, entry in enumerate(objects):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("key"), str)
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("content_type"), str)
        ):
            return f"objects[{index}]"
    return ""


def _check_member(archive: tarfile.TarFile, member: tarfile.TarInfo, name: str, size: int, sha: str) -> None:
    if member.size != size:
        raise ChecksumMismatch(name, f"{member.size} bytes in the archive, {size} in the manifest")
    try:
        stream = archive.extractfile(member)
        if stream is None:
            raise ArchiveDamaged(f"{member.name} is not a file")
        reading = _Hashing(stream)
        while reading.read(CHUNK):
            pass
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ArchiveDamaged(f"{name}: cannot be read from the archive: {error}") from error
    if reading.size != size:
        raise ChecksumMismatch(name, f"only {reading.size} of {size} bytes are in the archive")
    if reading.hexdigest() != sha:
        raise ChecksumMismatch(name, "its SHA-256 differs from the manifest's")


@contextlib.contextmanager
def open_archive(source: Path) -> Iterator[tuple[tarfile.TarFile, Manifest]]:
    """The archive, once its manifest is read and every member checked against it.

    Raises :class:`ArchiveDamaged` (:class:`ChecksumMismatch` naming the object whose bytes
    differ) when anything is missing, extra, truncated or changed.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    try:
        archive = tarfile.open(source, mode="r:")  # noqa: SIM115 (closed below)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ArchiveDamaged(f"{source}: not a readable tar archive: {error}") from error
    with archive:
        try:
            members = archive.getmembers()
        except (tarfile.TarError, OSError, EOFError) as error:
            raise ArchiveDamaged(f"{source}: cannot be read to the end: {error}") from error
        data = _read_manifest(archive, source)
        expected = {entry["key"]: entry for entry in data["objects"]}
        if len(expected) != len(data["objects"]):
            raise ArchiveDamaged(f"{source}: {MANIFEST} lists an object twice")
        database = data["database"]
        seen: set[str] = set()
        found_database = False
        for member in members:
            if member.name == MANIFEST:
                continue
            if not member.isfile():
                raise ArchiveDamaged(f"{source}: {member.name} is not a file")
            if member.name == database["member"]:
                _check_member(archive, member, member.name, database["size"], database["sha256"])
                found_database = True
            elif member.name.startswith(BLOBS) and member.name[len(BLOBS) :] in expected:
                key = member.name[len(BLOBS) :]
                if key in seen:
                    raise ArchiveDamaged(f"{source}: object {key} is in the archive twice")
                entry = expected[key]
                _check_member(archive, member, key, entry["size"], entry["sha256"])
                seen.add(key)
            else:
                raise ArchiveDamaged(f"{source}: {member.name} is not listed in the manifest")
        if not found_database:
            raise ArchiveDamaged(f"{source}: the database ({database['member']}) is missing")
        missing = [key for key in expected if key not in seen]
        if missing:
            raise ArchiveDamaged(
                f"{source}: object {missing[0]} is listed in the manifest but missing from the archive"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            )
        yield archive, Manifest(data)


def check(source: Path) -> Manifest:
    """Check ``source`` against its manifest without restoring anything."""
    with open_archive(source) as (_, manifest):
        return manifest


# --- restore ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreSummary:
    kind: str
    migration: str
    tables: int
    rows: int
    objects: int
    bytes: int
    removed: int  # objects of the target that the backup did not have (forced restores only)
    pending_migrations: list[str]  # migrations this code has that the backup had not applied


def _first_object(blobs: CopyableBlobStore) -> str | None:
    for stored in blobs.listing():
        return stored.key
    return None


def restore(
    source: Path, database: Database, blobs: CopyableBlobStore, *, force: bool = False
) -> RestoreSummary:
    """Restore the archive ``source`` into ``database`` and ``blobs``.

    Checks the whole archive first, then that the target can take it: the same kind of database,
    no migration this code does not know, and an empty database and blob store (``force``
    replaces what they hold: the database's tables are dropped and restored, and objects the
    backup does not have are deleted). Afterwards the rows of every table and every object are
    counted against the manifest. Stop the web processes and workers first.

    Raises :class:`ArchiveDamaged` (:class:`ChecksumMismatch`), :class:`Incompatible`,
    :class:`NotEmpty`, :class:`ToolFailed`, :class:`RestoreIncomplete` or the blob store's
    :class:`engine.blobs.BlobError`.
    """
    with open_archive(source) as (archive, manifest):
        if manifest.kind != database.kind:
            raise Incompatible(
                f"the backup holds a {manifest.kind} database, but DATABASE_URL names a {database.kind} one; "
                f"restore it into {manifest.kind}"
            )
        known = known_migrations()
        unknown = [name for name in manifest.migrations if name not in known]
        if unknown:
            raise Incompatible(
                f"the backup's database has migrations this platform ({platform_version()}) does not know: "
                f"{', '.join(unknown)}; restore it with the version that made it "
                f"({manifest.data.get('platform_version')}) or a newer one"
            )
        before = database_facts(database)
        if before.tables and not force:
            raise NotEmpty(
                f"the target database already has {len(before.tables)} tables ({before.rows} rows); "
                "restore into a freshly created database, or use --force to replace its content"
            )
        extra = sorted(set(before.tables) - set(manifest.tables))
        if extra:
            raise Incompatible(
                f"the target database has tables the backup does not ({', '.join(extra[:5])}"
                f"{', …' if len(extra) > 5 else ''}); restore into a freshly created database"
            )
        occupant = _first_object(blobs)
        if occupant is not None and not force:
            raise NotEmpty(
                f"the target blob store is not empty (it holds {occupant}, among others); "
                "restore into an empty bucket or folder, or use --force to replace its content"
            )
        _restore_database(archive, manifest, database, source)
        total = 0
        entries = {BLOBS + entry["key"]: entry for entry in manifest.objects}
        for member in archive.getmembers():  # in the archive's order (getmember() would search each)
            entry = entries.get(member.name)
            if entry is None:
                continue
            stream = archive.extractfile(member)
            assert stream is not None  # open_archive checked every member is a file
            reading = _Hashing(stream)
            blobs.put_stream(entry["key"], cast(BinaryIO, reading), entry["size"], entry["content_type"])
            if reading.size != entry["size"] or reading.hexdigest() != entry["sha256"]:
                raise ChecksumMismatch(entry["key"], "changed while it was being restored")
            total += entry["size"]
        removed = _verify_blobs(manifest, blobs, remove_extra=force)
        after = database_facts(database)
        if after.tables != manifest.tables or after.migrations != manifest.migrations:
            differences = [
                f"{name}: {after.tables.get(name)} rows, not {rows}"
                for name, rows in manifest.tables.items()
                if after.tables.get(name) != rows
            ]
            raise RestoreIncomplete(
                "the restored database differs from the backup: "
                + ("; ".join(differences[:5]) or "its migrations differ")
            )
        return RestoreSummary(
            kind=manifest.kind,
            migration=manifest.migration,
            tables=len(after.tables),
            rows=after.rows,
            objects=len(manifest.objects),
            bytes=total,
            removed=removed,
            pending_migrations=[name for name in known if name not in manifest.migrations],
        )


def _restore_database(archive: tarfile.TarFile, manifest: Manifest, database: Database, source: Path) -> None:
    member = archive.getmember(manifest.data["database"]["member"])
    # The dump is unpacked beside the SQLite target, or beside the archive (a dump can be larger
    # than a small /tmp) when that folder can be written to.
    folder: Path | None
    if database.kind == "sqlite":
        folder = database.sqlite_path.parent
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = source.parent if os.access(source.parent, os.W_OK) else None
    with tempfile.TemporaryDirectory(dir=folder, prefix=".thongthin-restore-") as scratch:
        copy = Path(scratch) / Path(member.name).name
        stream = archive.extractfile(member)
        assert stream is not None
        with copy.open("wb") as file:
            shutil.copyfileobj(stream, file, CHUNK)
        if database.kind == "postgres":
            _restore_postgres(database, copy)
        else:
            _restore_sqlite(database, copy)


def _verify_blobs(manifest: Manifest, blobs: CopyableBlobStore, *, remove_extra: bool) -> int:
    """Every object of the manifest is in the target with its size; returns how many others were
    removed (``remove_extra``) — without it, any other object is an error."""
    sizes = {entry["key"]: entry["size"] for entry in manifest.objects}
    found = 0
    extra: list[str] = []
    for stored in blobs.listing():
        size = sizes.get(stored.key)
        if size is None:
            extra.append(stored.key)
        elif size != stored.size:
            raise RestoreIncomplete(f"{stored.key}: {stored.size} bytes in the target, {size} in the backup")
        else:
            found += 1
    if extra and not remove_extra:
        raise RestoreIncomplete(f"the target blob store holds {len(extra)} objects the backup does not")
    for key in extra:
        blobs.delete(key)
    if found != len(sizes):
        raise RestoreIncomplete(f"the target blob store holds {found} of the backup's {len(sizes)} objects")
    return len(extra)
