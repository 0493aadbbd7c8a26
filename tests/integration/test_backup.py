"""Backups restored for real: SQLite + a folder, and PostgreSQL + S3 (an rclone server), into a
fresh database and a fresh store, compared row by row and byte by byte with the original.

The platform fixture makes these ``db`` tests, so the PostgreSQL pass runs them again. The ORM
stays bound to the session's database: the restored one is read with the drivers themselves, and
its audit chain is checked by ``thongthin audit verify`` in a process of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner

from engine.blobs import LocalBlobStore, S3BlobStore
from engine.services import access_log, accounts, submissions, tenants
from engine.services.effects import run_pending
from engine.store.models import Attachment, IssuedDocument, Submission
from signing.pki import DevPkiServer, Officer, ensure_dev_pki
from tests.conftest import example_files, read
from tests.platform_fixtures import postgres_database
from tests.s3server import start_s3_server, stop_s3_server
from tests.uploads import with_stored_files
from tests.walks import first_input, passable, paths_to
from thongthin.backup import (
    ArchiveDamaged,
    BackupError,
    ChecksumMismatch,
    Database,
    Incompatible,
    NotEmpty,
    backup,
    check,
    database_facts,
    restore,
)
from thongthin.cli import main
from thongthin.runners import runners_for

SERVICE = "food-premises-notification"
# The rows a restore must give back exactly, per tenant.
TENANT_TABLES = ("submission", "audit_entry", "access_log", "attachment", "issued_document", "app_user")


@pytest.fixture(scope="module")
def seeded(platform: Any) -> Iterator[dict[str, Any]]:
    """A town whose food-premises notification, with its uploaded files, was approved, its
    certificate issued and signed, and an officer's look at it written to the access log."""
    slug = f"b{uuid.uuid4().hex[:8]}"
    definition = platform.catalog.get(SERVICE)
    final = next(
        s for s, state in definition.workflow.states.items() if state.final and state.outcome == "approved"
    )
    data = read(example_files(SERVICE, "valid")[0])
    path = next(p for p in paths_to(definition, final) if passable(p, data, {"payment": "none"}))

    async def setup() -> dict[str, Any]:
        tenant = await tenants.ensure_tenant(
            slug,
            name_th="เทศบาลตำบลทดสอบสำรองข้อมูล",
            name_en="Backup Test",
            kind="municipality",
            province="เชียงใหม่",
            reference_prefix="BK",
            address_th="ตำบลแม่เหียะ อำเภอเมืองเชียงใหม่",
        )
        await tenants.enable_service(tenant, definition)
        roles = {r for t in definition.workflow.transitions for r in t.roles}
        roles |= {s.role for d in definition.service.documents for s in d.signers}
        users = {
            role: await accounts.create_user(tenant, f"{slug}.{role}", "pw-" + slug, f"สมศรี {role}", [role])
            for role in roles - {"applicant", "system"}
        }
        return {"tenant": tenant, "users": users}

    made = platform.db(setup())
    signers = [s for d in definition.service.documents for s in d.signers]
    officers = [
        Officer(slug, s.role, made["users"][s.role].display_name, "เทศบาลตำบลทดสอบสำรองข้อมูล") for s in signers
    ]
    server = DevPkiServer(port=0)
    pki = ensure_dev_pki(platform.settings.data_dir / "pki", officers, url=server.url)
    server.start(pki)

    async def walk() -> Submission:
        stored = await with_stored_files(platform, made["tenant"], definition, data)
        receipt = await submissions.submit(made["tenant"], definition, stored)
        for transition in path:
            for role in transition.roles:
                result = await submissions.transition(
                    made["tenant"],
                    definition,
                    receipt.reference,
                    transition.action,
                    {role},
                    input=first_input(transition),
                    actor=made["users"].get(role),
                )
                if result.fired:
                    break
        submission = await Submission.get(tenant=made["tenant"], reference=receipt.reference)
        officer = next(iter(made["users"].values()))
        await access_log.record(submission, officer, "view", address="192.0.2.7")
        return submission

    try:
        submission = platform.db(walk())
        platform.db(run_pending(runners_for(platform), limit=10_000))
        attachments = platform.db(Attachment.filter(submission=submission))
        documents = platform.db(IssuedDocument.filter(submission=submission, status="issued"))
        assert attachments and documents, "the seed has files and an issued certificate"
        yield {
            **made,
            "slug": slug,
            "submission": submission,
            "keys": [a.blob_key for a in attachments] + [d.blob_key for d in documents],
            "document_key": documents[0].blob_key,
        }
    finally:
        server.stop()


# --- the target: a fresh database and a fresh store of the backend under test --------------------


class Target:
    def __init__(self, database: Database, blobs: Any, environment: dict[str, str]):
        self.database, self.blobs, self.environment = database, blobs, environment


@pytest.fixture
def fresh_target(backend: str, tmp_path: Path) -> Iterator[Any]:
    """Makes empty targets: a new SQLite file and folder, or a new PostgreSQL database and a bucket
    on an S3 server of its own."""
    cleanup: list[Any] = []
    server: list[tuple[str, str, str]] = []
    made = iter(range(100))

    def make() -> Target:
        number = next(made)
        folder = tmp_path / f"target{number}"
        folder.mkdir()
        environment = {"THONGTHIN_DATA": str(folder), "SECRET_KEY": "test-secret"}
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'thongthin.sqlite3'}"
            blobs: Any = LocalBlobStore(folder / "blobs")
        else:
            databases = postgres_database()
            url = next(databases)
            cleanup.append(lambda: next(databases, None))
            if not server:
                endpoint, key, secret, process = start_s3_server(tmp_path / "s3")
                cleanup.append(lambda: stop_s3_server(process))
                server.append((endpoint, key, secret))
            endpoint, key, secret = server[0]
            bucket = f"restored-{number}"
            blobs = S3BlobStore(endpoint, key, secret, bucket)
            environment |= {"S3_ENDPOINT": endpoint, "S3_ACCESS_KEY": key, "S3_SECRET_KEY": secret}
            environment["S3_BUCKET"] = bucket
        environment["DATABASE_URL"] = url
        return Target(Database(url), blobs, environment)

    yield make
    for step in reversed(cleanup):
        step()


def source_environment(platform: Any) -> dict[str, str]:
    """The session platform's settings as environment variables (what `thongthin backup` reads)."""
    environment = {
        "DATABASE_URL": platform.settings.database_url,
        "THONGTHIN_DATA": str(platform.settings.data_dir),
        "SECRET_KEY": platform.settings.secret_key,
    }
    if isinstance(platform.blobs, S3BlobStore):
        credentials = platform.blobs._client._provider.retrieve()  # the fixture keeps no copy of them
        environment |= {
            "S3_ENDPOINT": platform.blobs.endpoint,
            "S3_ACCESS_KEY": credentials.access_key,
            "S3_SECRET_KEY": credentials.secret_key,
            "S3_BUCKET": platform.blobs.bucket,
        }
    return environment


# --- reading a database without the ORM ------------------------------------------------------------


def rows(database: Database, table: str, tenant_id: int) -> list[tuple[Any, ...]]:
    """Every row of ``table`` of one tenant, ordered by id, as the driver returns them."""
    column = "id" if table == "tenant" else "tenant_id"
    query = f'SELECT * FROM "{table}" WHERE {column} = {int(tenant_id)} ORDER BY id'
    if database.kind == "sqlite":
        connection = sqlite3.connect(database.sqlite_path)
        try:
            return [tuple(row) for row in connection.execute(query)]
        finally:
            connection.close()

    async def fetch() -> list[tuple[Any, ...]]:
        connection = await asyncpg.connect(database.url)
        try:
            return [tuple(record.values()) for record in await connection.fetch(query)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


def assert_same_tenant_data(source: Database, target: Database, tenant_id: int) -> None:
    for table in ("tenant", *TENANT_TABLES):
        original = rows(source, table, tenant_id)
        assert original, f"the seed wrote {table}"
        assert rows(target, table, tenant_id) == original, table


def thongthin(*arguments: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, with ``environment`` over a clean one."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "DATABASE_URL", "THONGTHIN_"))}
    return subprocess.run(
        [str(Path(sys.executable).parent / "thongthin"), *arguments],
        env=keep | environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# --- the tests -------------------------------------------------------------------------------------


def test_a_backup_restores_into_a_fresh_database_and_store(
    platform: Any, seeded: dict[str, Any], fresh_target: Any, tmp_path: Path
) -> None:
    source = Database(platform.settings.database_url)
    archive = tmp_path / "backup.tar"
    made = backup(archive, source, platform.blobs)
    assert archive.stat().st_mode & 0o777 == 0o600, "the archive holds personal data"
    assert made.kind == ("sqlite" if source.kind == "sqlite" else "postgres")
    assert made.migration == database_facts(source).migration and made.migration.startswith("00")
    manifest = check(archive)
    listed = {entry["key"]: entry for entry in manifest.objects}
    for key in seeded["keys"]:
        assert listed[key]["sha256"] == hashlib.sha256(platform.blobs.get(key)).hexdigest()
    assert manifest.data["blobs"]["count"] == len(listed) == made.objects

    target = fresh_target()
    restored = restore(archive, target.database, target.blobs)
    assert (restored.objects, restored.migration) == (made.objects, made.migration)
    assert_same_tenant_data(source, target.database, seeded["tenant"].id)
    assert database_facts(target.database).tables == manifest.tables
    for key in seeded["keys"]:
        assert target.blobs.get(key) == platform.blobs.get(key), key
    assert target.blobs.get(seeded["document_key"]).startswith(b"%PDF")
    assert sorted((b.key, b.size) for b in target.blobs.listing()) == sorted(
        (e["key"], e["size"]) for e in manifest.objects
    )
    if isinstance(target.blobs, S3BlobStore):  # the content type travels with the object
        for key in seeded["keys"]:
            with target.blobs.open(key) as copied:
                assert copied.content_type == listed[key]["content_type"]


def test_a_changed_object_is_refused_by_name_and_nothing_is_restored(
    platform: Any, seeded: dict[str, Any], fresh_target: Any, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar"
    backup(archive, Database(platform.settings.database_url), platform.blobs)
    key = seeded["keys"][0]
    with tarfile.open(archive) as reading:
        offset = reading.getmember("blobs/" + key).offset_data
    with archive.open("r+b") as file:  # one byte of the attachment, the tar itself intact
        file.seek(offset + 3)
        byte = file.read(1)
        file.seek(offset + 3)
        file.write(bytes([byte[0] ^ 0xFF]))
    target = fresh_target()
    with pytest.raises(ChecksumMismatch) as refused:
        restore(archive, target.database, target.blobs)
    assert refused.value.name == key and key in str(refused.value)
    assert database_facts(target.database).tables == {}
    assert list(target.blobs.listing()) == []

    cut = tmp_path / "cut.tar"  # a copy that stopped half-way
    with archive.open("rb") as whole, cut.open("wb") as part:
        part.write(whole.read(archive.stat().st_size // 2))
    with pytest.raises(ArchiveDamaged):
        check(cut)
    (tmp_path / "not.tar").write_bytes(b"hello")
    with pytest.raises(ArchiveDamaged, match="not a readable tar archive"):
        check(tmp_path / "not.tar")


def test_a_target_that_holds_data_is_refused_unless_forced(
    platform: Any, seeded: dict[str, Any], fresh_target: Any, tmp_path: Path
) -> None:
    source = Database(platform.settings.database_url)
    archive = tmp_path / "backup.tar"
    backup(archive, source, platform.blobs)
    before = database_facts(source)
    with pytest.raises(NotEmpty, match="already has"):
        restore(archive, source, platform.blobs)  # the running platform itself
    assert database_facts(source) == before

    target = fresh_target()
    restore(archive, target.database, target.blobs)
    target.blobs.put("stray/object", b"not in the backup", "text/plain")
    with pytest.raises(NotEmpty):
        restore(archive, target.database, target.blobs)
    empty_database = fresh_target()
    with pytest.raises(NotEmpty, match="blob store is not empty"):
        restore(archive, empty_database.database, target.blobs)
    assert database_facts(empty_database.database).tables == {}

    restored = restore(archive, target.database, target.blobs, force=True)
    assert restored.removed == 1 and not target.blobs.exists("stray/object")
    assert_same_tenant_data(source, target.database, seeded["tenant"].id)


def test_a_backup_of_another_database_kind_is_refused(
    platform: Any, seeded: dict[str, Any], tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar"
    backup(archive, Database(platform.settings.database_url), platform.blobs)
    other = (
        Database("postgres://postgres@127.0.0.1:5432/nowhere")
        if platform.settings.database_url.startswith("sqlite")
        else Database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    )
    with pytest.raises(Incompatible, match="restore it into"):
        restore(archive, other, LocalBlobStore(tmp_path / "other-blobs"))
    with pytest.raises(BackupError, match="exists already"):
        backup(archive, Database(platform.settings.database_url), platform.blobs)


def test_the_commands_back_up_and_restore_and_the_audit_chain_holds(
    platform: Any, seeded: dict[str, Any], fresh_target: Any, tmp_path: Path
) -> None:
    runner = CliRunner()
    archive = tmp_path / "cli" / "backup.tar"
    made = runner.invoke(main, ["backup", str(archive)], env=source_environment(platform))
    assert made.exit_code == 0, made.output
    assert made.stdout.strip().splitlines()[-1] == str(archive)
    checked = runner.invoke(main, ["restore", "--check", str(archive)])
    assert checked.exit_code == 0 and "intact" in checked.stdout, checked.output

    target = fresh_target()
    done = runner.invoke(main, ["restore", str(archive)], env=target.environment)
    assert done.exit_code == 0, done.output
    assert "restored" in done.stdout
    again = runner.invoke(main, ["restore", str(archive)], env=target.environment)
    assert again.exit_code == 1 and "--force" in again.output

    # The restored installation runs: its own process reads the access log's chain to the same head.
    head = platform.db(access_log.verify(seeded["tenant"])).head
    verified = thongthin("audit", "verify", seeded["slug"], environment=target.environment)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip().splitlines()[-1] == head
    assert "chain intact" in verified.stderr

    damaged = tmp_path / "damaged.tar"
    shutil.copy(archive, damaged)
    with tarfile.open(damaged) as reading:
        member = reading.getmember("manifest.json")
    with damaged.open("r+b") as file:
        file.seek(member.offset_data)
        file.write(b"[")
    refused = runner.invoke(main, ["restore", "--check", str(damaged)])
    assert refused.exit_code == 1 and "manifest.json" in refused.output


# --- without the platform: a small SQLite database made here (SQLite pass only) -------------------


def small_database(path: Path, migrations: list[str]) -> Database:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE tortoise_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT)")
        connection.executemany(
            "INSERT INTO tortoise_migrations (app, name) VALUES ('models', ?)", [(m,) for m in migrations]
        )
        connection.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
        connection.execute("INSERT INTO note (text) VALUES ('สวัสดี')")
    connection.close()
    return Database(f"sqlite:///{path}")


@pytest.fixture(params=["folder", "s3"])
def store_pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """A source and an empty target store of one kind."""
    if request.param == "folder":
        yield LocalBlobStore(tmp_path / "source-blobs"), LocalBlobStore(tmp_path / "target-blobs")
        return
    endpoint, key, secret, process = start_s3_server(tmp_path / "s3")
    try:
        yield S3BlobStore(endpoint, key, secret, "source"), S3BlobStore(endpoint, key, secret, "target")
    finally:
        stop_s3_server(process)


def test_blobs_are_streamed_in_bounded_memory(tmp_path: Path, store_pair: tuple[Any, Any]) -> None:
    import tracemalloc

    source, target = store_pair
    big = tmp_path / "big"
    with big.open("wb") as file:  # 48 MB, written and uploaded a chunk at a time
        for _ in range(48):
            file.write(os.urandom(1_000_000))
    with big.open("rb") as stream:
        source.put_stream("tenant/1/attachments/big", stream, big.stat().st_size, "application/pdf")
    source.put("tenant/1/attachments/small", b"%PDF-1.4 small", "application/pdf")
    migrations = ["0001_initial"]
    archive = tmp_path / "backup.tar"
    tracemalloc.start()
    try:
        backup(archive, small_database(tmp_path / "source.sqlite3", migrations), source)
        made_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        restored = restore(archive, Database(f"sqlite:///{tmp_path / 'target.sqlite3'}"), target)
        restore_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert restored.objects == 2 and restored.bytes == 48_000_000 + 14
    # A chunk at a time; an S3 upload holds a 5 MiB part and its copies (about 16 MB whatever the size).
    assert made_peak < 24_000_000 and restore_peak < 24_000_000, (made_peak, restore_peak)
    digest = hashlib.sha256()
    with target.open("tenant/1/attachments/big") as copied:
        while chunk := copied.stream.read(1_000_000):
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(big.read_bytes()).hexdigest()


def test_a_backup_with_migrations_this_version_lacks_is_refused(tmp_path: Path) -> None:
    source = small_database(tmp_path / "source.sqlite3", ["0001_initial", "9999_from_the_future"])
    archive = tmp_path / "backup.tar"
    backup(archive, source, LocalBlobStore(tmp_path / "blobs"))
    assert check(archive).migration == "9999_from_the_future"
    target = Database(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    with pytest.raises(Incompatible, match="9999_from_the_future"):
        restore(archive, target, LocalBlobStore(tmp_path / "target-blobs"))
    assert not (tmp_path / "target.sqlite3").exists() or database_facts(target).tables == {}


def test_an_older_backup_restores_and_asks_for_an_upgrade(tmp_path: Path) -> None:
    source = small_database(tmp_path / "source.sqlite3", ["0001_initial"])
    archive = tmp_path / "backup.tar"
    backup(archive, source, LocalBlobStore(tmp_path / "blobs"))
    target = Database(f"sqlite:///{tmp_path / 'target' / 'thongthin.sqlite3'}")
    restored = restore(archive, target, LocalBlobStore(tmp_path / "target-blobs"))
    assert restored.objects == 0 and "0002_notifications" in restored.pending_migrations
    connection = sqlite3.connect(target.sqlite_path)
    try:
        assert connection.execute("SELECT text FROM note").fetchall() == [("สวัสดี",)]
    finally:
        connection.close()
