"""Both blob stores behave the same: a local folder, and S3 through a real server (rclone)."""

from __future__ import annotations

import io
import itertools
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from minio import Minio

from engine.blobs import (
    BlobBackendError,
    BlobNotFound,
    BlobStore,
    CopyableBlobStore,
    InvalidBlobKey,
    LocalBlobStore,
    S3BlobStore,
    blob_store_from_env,
)
from tests.s3server import start_s3_server, stop_s3_server

KEY = "tenant/7f3c9a2e/attachments/01HZX5Q1B3"
ALL_BYTES = bytes(range(256)) * 4
FIVE_MB = 5 * 1024 * 1024


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    data_dir: Path

    def store(self, bucket: str) -> S3BlobStore:
        return S3BlobStore(self.endpoint, self.access_key, self.secret_key, bucket)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """``rclone serve s3`` for the whole session (the lead moves this into a conftest)."""
    tmp_dir = tmp_path_factory.mktemp("s3")
    endpoint, access_key, secret_key, process = start_s3_server(tmp_dir)
    try:
        yield S3Server(endpoint, access_key, secret_key, tmp_dir / "data")
    finally:
        stop_s3_server(process)


_bucket_numbers = itertools.count()


def fresh_bucket(name: str) -> str:
    """A bucket name no other test uses (S3 names: 3-63 of a-z, 0-9, '-')."""
    return f"t{os.getpid()}-{next(_bucket_numbers)}-{name}"[:63]


@pytest.fixture(params=["local", "s3"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], BlobStore]:
    """Makes a store of one kind; different names give stores that share nothing."""
    if request.param == "local":
        return lambda name: LocalBlobStore(tmp_path / name)
    server: S3Server = request.getfixturevalue("s3_server")
    return lambda name: server.store(fresh_bucket(name))


@pytest.fixture
def store(make_store: Callable[[str], BlobStore]) -> BlobStore:
    return make_store("main")


# --- the same behaviour on both ------------------------------------------------------------


def test_is_a_blob_store(store: BlobStore) -> None:
    assert isinstance(store, BlobStore)


def test_put_then_get_exists_and_size(store: BlobStore) -> None:
    assert not store.exists(KEY)
    store.put(KEY, b"%PDF-1.7 plan", "application/pdf")
    assert store.exists(KEY)
    assert store.get(KEY) == b"%PDF-1.7 plan"
    assert store.size(KEY) == len(b"%PDF-1.7 plan")


def test_missing_key_is_not_found(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound) as caught:
        store.get(KEY)
    assert caught.value.key == KEY
    with pytest.raises(BlobNotFound):
        store.size(KEY)
    assert not store.exists(KEY)


def test_a_folder_of_blobs_is_not_a_blob(store: BlobStore) -> None:
    store.put(KEY, b"x", "application/octet-stream")
    prefix = KEY.rsplit("/", 1)[0]
    assert not store.exists(prefix)
    with pytest.raises(BlobNotFound):
        store.get(prefix)


def test_delete(store: BlobStore) -> None:
    store.put(KEY, b"x", "text/plain")
    store.delete(KEY)
    assert not store.exists(KEY)
    with pytest.raises(BlobNotFound):
        store.get(KEY)
    store.delete(KEY)  # deleting again is not an error
    store.delete("tenant/never/was")


def test_overwrite_replaces_the_whole_blob(store: BlobStore) -> None:
    store.put(KEY, b"a much longer first version", "text/plain")
    store.put(KEY, b"short", "text/plain")
    assert store.get(KEY) == b"short"
    assert store.size(KEY) == 5


def test_binary_content_with_every_byte_value(store: BlobStore) -> None:
    store.put(KEY, ALL_BYTES, "application/octet-stream")
    assert store.get(KEY) == ALL_BYTES
    assert store.size(KEY) == 1024


def test_empty_blob(store: BlobStore) -> None:
    store.put(KEY, b"", "application/octet-stream")
    assert store.exists(KEY)
    assert store.get(KEY) == b""
    assert store.size(KEY) == 0


def test_five_megabyte_blob(store: BlobStore) -> None:
    # One byte over 5 MiB: the minio client uploads it in two parts (multipart upload).
    data = os.urandom(FIVE_MB + 1)
    store.put(KEY, data, "application/pdf")
    assert store.size(KEY) == FIVE_MB + 1
    assert store.get(KEY) == data


def test_listing_open_and_put_stream_copy_a_store(make_store: Callable[[str], BlobStore]) -> None:
    """What backups need: every blob listed with its size, read and written as streams."""
    source, target = make_store("source"), make_store("target")
    assert isinstance(source, CopyableBlobStore) and isinstance(target, CopyableBlobStore)
    assert list(source.listing()) == []
    big = os.urandom(FIVE_MB + 12345)  # a multipart upload on S3
    blobs = {"a/b/scan.pdf": b"%PDF-1.4 x", "a/c": ALL_BYTES, "big/one": big, "empty": b""}
    for key, data in blobs.items():
        source.put(key, data, "application/pdf")
    listed = list(source.listing())
    assert sorted((item.key, item.size) for item in listed) == sorted((k, len(v)) for k, v in blobs.items())
    for item in listed:
        with source.open(item.key) as blob:
            assert blob.size == item.size and blob.content_type
            target.put_stream(item.key, blob.stream, blob.size, blob.content_type)
    assert {key: target.get(key) for key in blobs} == blobs
    with source.open("a/b/scan.pdf") as blob:
        assert blob.content_type == "application/pdf"
    with pytest.raises(BlobNotFound):
        source.open("no/such").__enter__()


def test_put_stream_refuses_a_short_stream(make_store: Callable[[str], BlobStore]) -> None:
    store = make_store("short")
    assert isinstance(store, CopyableBlobStore)
    store.put(KEY, b"old", "text/plain")
    with pytest.raises(BlobBackendError):
        store.put_stream(KEY, io.BytesIO(b"12345"), 10, "text/plain")
    assert store.get(KEY) == b"old"


def test_local_listing_leaves_out_temporary_files(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put(KEY, b"x", "text/plain")
    (tmp_path / "tenant" / ".01HZX5Q1B3~abc.tmp").write_bytes(b"half")
    assert [(item.key, item.size) for item in store.listing()] == [(KEY, 1)]


def test_keys_are_independent(store: BlobStore) -> None:
    keys = [f"tenant/{tenant}/attachments/{n}" for tenant in ("a", "b") for n in ("1", "1.pdf", "2")]
    for key in keys:
        store.put(key, key.encode(), "text/plain")
    store.delete("tenant/a/attachments/1")
    assert [store.exists(key) for key in keys] == [False, True, True, True, True, True]
    assert store.get("tenant/b/attachments/1") == b"tenant/b/attachments/1"


INVALID_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "tenant/../../outside",
    "tenant/a..b",
    "tenant//a",
    "tenant/a/",
    "tenant/./a",
    ".",
    "tenant/a b",
    "tenant\\a",
    "tenant/ไฟล์",
    "tenant/a?b",
    "tenant/a%2Fb",
    "tenant/a~tmp",
    "tenant/a\x00b",
    "tenant/a\nb",
    "tenant/" + "k" * 201,
    "/".join(["k" * 200] * 6),
]


@pytest.mark.parametrize("key", INVALID_KEYS)
def test_invalid_keys_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidBlobKey):
        store.put(key, b"x", "text/plain")
    for operation in (store.get, store.exists, store.delete, store.size):
        with pytest.raises(InvalidBlobKey):
            operation(key)


def test_longest_key_is_accepted(store: BlobStore) -> None:
    key = "/".join(["k" * 200] * 5) + "/" + "k" * 19
    assert len(key) == 1024
    store.put(key, b"x", "text/plain")
    assert store.get(key) == b"x"


def test_two_stores_do_not_see_each_others_keys(make_store: Callable[[str], BlobStore]) -> None:
    first, second = make_store("first"), make_store("second")
    first.put(KEY, b"first", "text/plain")
    assert not second.exists(KEY)
    with pytest.raises(BlobNotFound):
        second.get(KEY)
    second.put(KEY, b"second", "text/plain")
    second.delete(KEY)
    assert first.get(KEY) == b"first"


# --- the local folder ----------------------------------------------------------------------


def test_local_blob_is_a_private_file_at_the_key(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put(KEY, b"data", "application/pdf")
    path = tmp_path / "blobs" / KEY
    assert path.read_bytes() == b"data"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_local_failed_write_keeps_the_old_blob(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalBlobStore(tmp_path)
    store.put(KEY, b"old", "text/plain")

    def broken_replace(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(BlobBackendError, match="No space left"):
        store.put(KEY, b"new", "text/plain")
    monkeypatch.undo()
    assert store.get(KEY) == b"old"
    assert [p.name for p in (tmp_path / KEY).parent.iterdir()] == [KEY.rsplit("/", 1)[1]]


def test_local_key_under_a_blob_is_a_backend_error(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("tenant/a", b"a file", "text/plain")
    with pytest.raises(BlobBackendError):
        store.put("tenant/a/b", b"x", "text/plain")
    assert not store.exists("tenant/a/b")
    with pytest.raises(BlobNotFound):
        store.get("tenant/a/b")


# --- S3 -------------------------------------------------------------------------------------


def test_s3_keeps_the_content_type(s3_server: S3Server) -> None:
    bucket = fresh_bucket("ctype")
    s3_server.store(bucket).put(KEY, b"%PDF-1.7", "application/pdf")
    client = Minio(
        endpoint=s3_server.endpoint.removeprefix("http://"),
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        secure=False,
        region="us-east-1",
    )
    assert client.stat_object(bucket_name=bucket, object_name=KEY).content_type == "application/pdf"
    client.put_object(bucket_name=bucket, object_name="outside/put", data=io.BytesIO(b"raw"), length=3)
    assert s3_server.store(bucket).get("outside/put") == b"raw"


def test_s3_creates_the_bucket_once_and_reuses_it(s3_server: S3Server) -> None:
    bucket = fresh_bucket("reuse")
    s3_server.store(bucket).put(KEY, b"kept", "text/plain")
    assert (s3_server.data_dir / bucket / KEY).read_bytes() == b"kept"
    assert s3_server.store(bucket).get(KEY) == b"kept"


def test_s3_wrong_secret_is_a_backend_error(s3_server: S3Server) -> None:
    with pytest.raises(BlobBackendError, match="S3_SECRET_KEY"):
        S3BlobStore(s3_server.endpoint, s3_server.access_key, "wrong-secret", fresh_bucket("auth"))


def test_s3_invalid_bucket_name_is_a_backend_error(s3_server: S3Server) -> None:
    with pytest.raises(BlobBackendError, match="bucket name"):
        s3_server.store("Not_A_Bucket")


def test_s3_unreachable_server_is_a_backend_error_soon() -> None:
    started = time.monotonic()
    with pytest.raises(BlobBackendError, match="cannot reach"):
        S3BlobStore("127.0.0.1:9", "key", "secret", "bucket")  # the discard port: nobody listens
    assert time.monotonic() - started < 10


# --- configuration --------------------------------------------------------------------------


def s3_environ(server: S3Server, **overrides: str) -> dict[str, str]:
    environ = {
        "S3_ENDPOINT": server.endpoint,
        "S3_ACCESS_KEY": server.access_key,
        "S3_SECRET_KEY": server.secret_key,
        "S3_BUCKET": fresh_bucket("env"),
        "HOME": "/nowhere",
    }
    environ.update(overrides)
    return environ


def test_env_without_s3_settings_is_a_local_folder(tmp_path: Path) -> None:
    store = blob_store_from_env({"HOME": "/nowhere", "S3_ENDPOINT": " "}, tmp_path)
    assert isinstance(store, LocalBlobStore)
    store.put(KEY, b"x", "text/plain")
    assert (tmp_path / "blobs" / KEY).read_bytes() == b"x"


@pytest.mark.parametrize("form", ["url", "host:port", "url with slash"])
def test_env_with_s3_settings_is_s3(s3_server: S3Server, form: str) -> None:
    host = s3_server.endpoint.removeprefix("http://")
    endpoint = {"url": s3_server.endpoint, "host:port": host, "url with slash": s3_server.endpoint + "/"}[
        form
    ]
    store = blob_store_from_env(s3_environ(s3_server, S3_ENDPOINT=endpoint), Path("/nonexistent"))
    assert isinstance(store, S3BlobStore)
    assert not store.secure
    store.put(KEY, b"x", "text/plain")
    assert store.get(KEY) == b"x"


def test_env_https_endpoint_speaks_tls(s3_server: S3Server) -> None:
    https = s3_server.endpoint.replace("http://", "https://")
    with pytest.raises(BlobBackendError, match="https://") as caught:
        blob_store_from_env(s3_environ(s3_server, S3_ENDPOINT=https), Path("/nonexistent"))
    assert "SSL" in str(caught.value)  # a TLS handshake with a plain-HTTP server fails


def test_env_partly_configured_s3_is_an_error(tmp_path: Path) -> None:
    environ = {"S3_ENDPOINT": "http://127.0.0.1:9000", "S3_BUCKET": "files"}
    with pytest.raises(BlobBackendError, match="S3_ACCESS_KEY, S3_SECRET_KEY missing"):
        blob_store_from_env(environ, tmp_path)
    assert not (tmp_path / "blobs").exists()


@pytest.mark.parametrize("endpoint", ["ftp://host:21", "http://host:9000/path", "host:9000/path"])
def test_env_malformed_endpoint_is_an_error(endpoint: str) -> None:
    environ = {"S3_ENDPOINT": endpoint, "S3_ACCESS_KEY": "k", "S3_SECRET_KEY": "s", "S3_BUCKET": "files"}
    with pytest.raises(BlobBackendError, match="host:port"):
        blob_store_from_env(environ, Path("/nonexistent"))
