"""Where attachments and issued documents live: a local folder (the default) or an S3 bucket.

Both stores speak the same small :class:`BlobStore` protocol and follow the same rules, so
the rest of the platform never knows which one it has:

- a key is a relative, slash-separated path of ``[A-Za-z0-9/_.-]`` such as
  ``tenant/<tenant_id>/attachments/<id>`` (see :func:`validate_key`);
- ``put`` replaces a blob whole or not at all;
- ``get`` and ``size`` of a missing key raise :class:`BlobNotFound`; ``delete`` of a missing
  key does nothing;
- a failure of the disk, the network or the S3 server raises :class:`BlobBackendError`.

Both are synchronous and blocking: call them from request threads or worker threads, never
from the ORM's event loop.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast, runtime_checkable
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from engine.errors import ThongthinError

MAX_KEY_LENGTH = 1024  # S3's limit on object names, in bytes (our keys are ASCII)
# File systems allow 255 bytes per name; the rest is room for the temporary files of a write.
MAX_SEGMENT_LENGTH = 200
_KEY_CHARACTERS = re.compile(r"[A-Za-z0-9/_.-]+")
_S3_SETTINGS = ("S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET")
# Bytes read or written at a time when a blob is copied as a stream (backups, restores).
CHUNK = 1024 * 1024
UNKNOWN_TYPE = "application/octet-stream"


# --- errors ----------------------------------------------------------------------------------


class BlobError(ThongthinError):
    """Base class of the blob store's errors."""


class BlobNotFound(BlobError, LookupError):
    """No blob is stored under the key."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"no blob is stored under {key!r}")


class InvalidBlobKey(BlobError, ValueError):
    """The key is not a relative path of ``[A-Za-z0-9/_.-]`` (see :func:`validate_key`)."""

    def __init__(self, key: str, reason: str):
        self.key = key
        self.reason = reason
        super().__init__(f"invalid blob key {key!r}: {reason}")


class BlobBackendError(BlobError):
    """The storage behind the store failed or is misconfigured (disk, network, S3 server)."""


# --- the protocol ----------------------------------------------------------------------------


@runtime_checkable
class BlobStore(Protocol):
    """Bytes under keys. Every method raises :class:`InvalidBlobKey` for a malformed key and
    :class:`BlobBackendError` when the storage itself fails."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing whatever was there, all at once."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; raises :class:`BlobNotFound` when there are none."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob under ``key``; deleting a missing key is not an error."""
        ...

    def size(self, key: str) -> int:
        """The length in bytes of the blob under ``key``; raises :class:`BlobNotFound`."""
        ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is a valid blob key, else raise :class:`InvalidBlobKey`.

    A valid key is 1 to 1024 characters of ``A-Z a-z 0-9 / _ . -``, is relative (no leading
    ``/``), has no empty segment (``a//b``, a trailing ``/``), no ``.`` segment, no ``..``
    anywhere and no segment longer than 200 characters, so that it names the same file on
    every store (S3 servers backed by a file system included) and can never leave the store's
    folder.
    """
    if not isinstance(key, str) or not key:
        raise InvalidBlobKey(str(key), "a key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidBlobKey(key, f"a key has at most {MAX_KEY_LENGTH} characters")
    if not _KEY_CHARACTERS.fullmatch(key):
        raise InvalidBlobKey(key, "only A-Z, a-z, 0-9, '/', '_', '.' and '-' are allowed")
    if key.startswith("/"):
        raise InvalidBlobKey(key, "a key is relative; it must not start with '/'")
    if ".." in key:
        raise InvalidBlobKey(key, "a key must not contain '..'")
    segments = key.split("/")
    if "" in segments:
        raise InvalidBlobKey(key, "a key must not have empty segments ('//' or a trailing '/')")
    if "." in segments:
        raise InvalidBlobKey(key, "a key must not have '.' segments")
    if any(len(segment) > MAX_SEGMENT_LENGTH for segment in segments):
        raise InvalidBlobKey(key, f"a key's segments have at most {MAX_SEGMENT_LENGTH} characters")
    return key


@dataclass(frozen=True)
class StoredBlob:
    """One blob as a listing names it: its key and length in bytes."""

    key: str
    size: int


@dataclass(frozen=True)
class OpenBlob:
    """A blob being read as a stream: ``stream.read(n)`` gives its bytes, ``size`` of them in all."""

    key: str
    size: int
    content_type: str
    stream: BinaryIO


@runtime_checkable
class CopyableBlobStore(BlobStore, Protocol):
    """A store whose whole content can be listed and copied a blob at a time, in bounded memory
    (what ``thongthin backup`` and ``restore`` need; both stores here are one)."""

    def listing(self) -> Iterator[StoredBlob]:
        """Every blob stored, by key; files or objects that are not valid keys are left out."""
        ...

    def open(self, key: str) -> contextlib.AbstractContextManager[OpenBlob]:
        """The blob under ``key`` as a stream; raises :class:`BlobNotFound`."""
        ...

    def put_stream(self, key: str, stream: BinaryIO, length: int, content_type: str) -> None:
        """Store ``length`` bytes read from ``stream`` under ``key``, all at once, like ``put``."""
        ...


# --- a local folder --------------------------------------------------------------------------


class LocalBlobStore:
    """Blobs as files under ``root``: the key ``a/b/c`` is the file ``root/a/b/c``.

    Writes go to a temporary file in the target folder, are flushed to disk, then renamed
    over the target (``os.replace``), so a reader sees the old blob or the new one, never a
    part. Files are created readable by the owner only (attachments hold personal data).
    The folder is created on the first ``put``.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write ``data`` to the key's file atomically; ``content_type`` is not kept.

        Raises :class:`InvalidBlobKey`, or :class:`BlobBackendError` when the file cannot be
        written (the previous blob, if any, is then left as it was).
        """
        self.put_stream(key, io.BytesIO(data), len(data), content_type)

    def get(self, key: str) -> bytes:
        """The key's bytes; raises :class:`InvalidBlobKey`, :class:`BlobNotFound` or
        :class:`BlobBackendError` (unreadable file)."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(key) from None
        except OSError as exc:
            raise BlobBackendError(f"cannot read blob {key!r} from {path}: {exc}") from exc

    def exists(self, key: str) -> bool:
        """Whether the key's file exists; raises :class:`InvalidBlobKey`."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the key's file if there is one; raises :class:`InvalidBlobKey`, or
        :class:`BlobBackendError` when the file exists but cannot be removed."""
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return
        except OSError as exc:
            raise BlobBackendError(f"cannot delete blob {key!r} at {path}: {exc}") from exc

    def check(self) -> None:
        """Raises :class:`BlobBackendError` unless blobs can be written: the folder (or, before the
        first blob, the nearest folder above it) is a writable directory."""
        folder = self.root
        while not folder.exists() and folder.parent != folder:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise BlobBackendError(
                f"blob folder {self.root} cannot be written ({folder} is not a writable folder)"
            )

    def size(self, key: str) -> int:
        """The file's length in bytes; raises :class:`InvalidBlobKey`, :class:`BlobNotFound`
        or :class:`BlobBackendError`."""
        path = self._path(key)
        try:
            status = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFound(key) from None
        except OSError as exc:
            raise BlobBackendError(f"cannot read blob {key!r} at {path}: {exc}") from exc
        if not stat.S_ISREG(status.st_mode):
            raise BlobNotFound(key)
        return status.st_size

    def listing(self) -> Iterator[StoredBlob]:
        """Every blob file under the folder, folders and files in name order; temporary files
        of a write in progress and anything else that is not a valid key are left out."""
        if not self.root.is_dir():
            return
        for folder, folders, files in os.walk(self.root):
            folders.sort()
            relative = Path(folder).relative_to(self.root)
            for name in sorted(files):
                key = "/".join((*relative.parts, name))
                try:
                    validate_key(key)
                    status = os.stat(Path(folder, name), follow_symlinks=False)
                except (InvalidBlobKey, OSError):
                    continue
                if stat.S_ISREG(status.st_mode):
                    yield StoredBlob(key, status.st_size)

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[OpenBlob]:
        """The key's file opened for reading. A folder keeps no content type: it is read from
        the first bytes (PDF, JPEG, PNG, ...), else ``application/octet-stream``.

        Raises :class:`InvalidBlobKey`, :class:`BlobNotFound` or :class:`BlobBackendError`.
        """
        from engine.blobs.sniff import sniff_content_type

        path = self._path(key)
        try:
            file = path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(key) from None
        except OSError as exc:
            raise BlobBackendError(f"cannot read blob {key!r} from {path}: {exc}") from exc
        with file:
            try:
                # The open file stays the blob it was, even if a write replaces the name meanwhile.
                size = os.fstat(file.fileno()).st_size
                content_type = sniff_content_type(file.read(64)) or UNKNOWN_TYPE
                file.seek(0)
            except OSError as exc:
                raise BlobBackendError(f"cannot read blob {key!r} from {path}: {exc}") from exc
            yield OpenBlob(key, size, content_type, file)

    def put_stream(self, key: str, stream: BinaryIO, length: int, content_type: str) -> None:
        """Write ``length`` bytes of ``stream`` to the key's file atomically, a chunk at a time.

        Raises :class:`InvalidBlobKey`, or :class:`BlobBackendError` when the file cannot be
        written or the stream ends early (the previous blob, if any, is then left as it was).
        """
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # '~' cannot appear in a key, so a temporary file never collides with a blob.
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}~", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as file:
                    written = _copy(stream, file, length)
                    if written != length:
                        raise BlobBackendError(
                            f"blob {key!r}: the stream ended after {written} of {length} bytes"
                        )
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            raise BlobBackendError(f"cannot write blob {key!r} to {path}: {exc}") from exc


def _copy(source: BinaryIO, target: BinaryIO, length: int) -> int:
    """Copy at most ``length`` bytes, :data:`CHUNK` at a time; returns how many were copied."""
    copied = 0
    while copied < length:
        chunk = source.read(min(CHUNK, length - copied))
        if not chunk:
            break
        target.write(chunk)
        copied += len(chunk)
    return copied


# --- S3 (MinIO, rclone, AWS, ...) ------------------------------------------------------------

# What the minio client and urllib3 raise when the server or the network fails.
_S3_FAILURES: tuple[type[Exception], ...] = (MinioException, urllib3.exceptions.HTTPError, OSError)


def _split_endpoint(endpoint: str) -> tuple[str, bool | None]:
    """``host:port`` and whether the endpoint names TLS (``None`` when it has no scheme)."""
    text = endpoint.strip()
    if "://" not in text:
        host = text.rstrip("/")
        if not host or "/" in host:
            raise BlobBackendError(f"S3 endpoint {endpoint!r} must be host:port or http(s)://host:port")
        return host, None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise BlobBackendError(f"S3 endpoint {endpoint!r} must be host:port or http(s)://host:port")
    if parts.query or parts.fragment:
        raise BlobBackendError(f"S3 endpoint {endpoint!r} must not have a query or a fragment")
    return parts.netloc, parts.scheme == "https"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, S3Error):
        detail = f"{exc.code}: {exc.message}"
        if exc.code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            detail += " (check S3_ACCESS_KEY and S3_SECRET_KEY)"
        return detail
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        if isinstance(exc.reason, urllib3.exceptions.ResponseError):
            return f"the server kept failing ({exc.reason})"
        return f"cannot reach the server ({exc.reason})"
    return f"{type(exc).__name__}: {exc}"


class S3BlobStore:
    """Blobs as objects of one bucket of an S3-compatible server, through the ``minio`` client.

    ``endpoint`` is ``host:port`` (then ``secure`` says whether to use TLS) or
    ``http://host:port`` / ``https://host:port`` (the scheme decides). The bucket is created
    when it does not exist yet. The constructor talks to the server and raises
    :class:`BlobBackendError` when it cannot be reached, refuses the credentials, or the bucket
    name is invalid. TLS certificates are checked against the system's trust store (or
    ``SSL_CERT_FILE``).
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str = "us-east-1",
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
    ):
        host, scheme_is_tls = _split_endpoint(endpoint)
        self.secure = secure if scheme_is_tls is None else scheme_is_tls
        self.endpoint = f"{'https' if self.secure else 'http'}://{host}"
        self.bucket = bucket
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or None,
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
        )
        # Keyword arguments only: minio 7.2.19 and 8 accept nothing else.
        try:
            self._client = Minio(
                endpoint=host,
                access_key=access_key,
                secret_key=secret_key,
                secure=self.secure,
                region=region,
                http_client=http,
            )
        except ValueError as exc:
            raise BlobBackendError(f"invalid S3 endpoint {endpoint!r}: {exc}") from exc
        self._ensure_bucket()

    def __repr__(self) -> str:
        return f"S3BlobStore({self.endpoint!r}, bucket={self.bucket!r})"

    def _error(self, doing: str, exc: BaseException) -> BlobBackendError:
        return BlobBackendError(
            f"S3 {doing} failed (bucket {self.bucket!r} at {self.endpoint}): {_describe(exc)}"
        )

    def _ensure_bucket(self) -> None:
        try:
            if self._client.bucket_exists(bucket_name=self.bucket):
                return
        except ValueError as exc:
            raise BlobBackendError(f"invalid S3 bucket name {self.bucket!r}: {exc}") from exc
        except _S3_FAILURES as exc:
            raise self._error("check of the bucket", exc) from exc
        try:
            self._client.make_bucket(bucket_name=self.bucket)
        except ValueError as exc:
            raise BlobBackendError(f"invalid S3 bucket name {self.bucket!r}: {exc}") from exc
        except _S3_FAILURES as exc:
            # Another worker may have created it in the meantime.
            with contextlib.suppress(*_S3_FAILURES):
                if self._client.bucket_exists(bucket_name=self.bucket):
                    return
            raise self._error("creation of the bucket", exc) from exc

    def _surely_missing(self, key: str) -> bool:
        """Whether a HEAD request says the key is missing (any failure counts as "not sure")."""
        try:
            self._client.stat_object(bucket_name=self.bucket, object_name=key)
        except S3Error as exc:
            return exc.code == "NoSuchKey"
        except _S3_FAILURES:
            return False
        return False

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Upload ``data`` as the object ``key`` with ``content_type`` (a multipart upload from
        5 MiB on; S3 makes the new object visible only once it is complete).

        Raises :class:`InvalidBlobKey` or :class:`BlobBackendError`.
        """
        validate_key(key)
        try:
            self._client.put_object(
                bucket_name=self.bucket,
                object_name=key,
                data=io.BytesIO(data),
                length=len(data),
                content_type=content_type,
            )
        except _S3_FAILURES as exc:
            raise self._error(f"upload of {key!r}", exc) from exc

    def _get_object(self, key: str) -> Any:
        """The server's answer to a GET of ``key``, its body unread; raises :class:`InvalidBlobKey`,
        :class:`BlobNotFound` or :class:`BlobBackendError`."""
        validate_key(key)
        try:
            return self._client.get_object(bucket_name=self.bucket, object_name=key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise BlobNotFound(key) from None
            raise self._error(f"download of {key!r}", exc) from exc
        except _S3_FAILURES as exc:
            # Servers that send their XML errors as text/xml (rclone) leave minio unable to
            # read the error code of a GET; a HEAD request tells a missing key apart.
            if self._surely_missing(key):
                raise BlobNotFound(key) from None
            raise self._error(f"download of {key!r}", exc) from exc

    def get(self, key: str) -> bytes:
        """Download the object ``key``; raises :class:`InvalidBlobKey`, :class:`BlobNotFound`
        or :class:`BlobBackendError`."""
        response = self._get_object(key)
        try:
            return response.read()
        except _S3_FAILURES as exc:
            raise self._error(f"download of {key!r}", exc) from exc
        finally:
            response.close()
            response.release_conn()

    def exists(self, key: str) -> bool:
        """Whether the object ``key`` exists; raises :class:`InvalidBlobKey` or
        :class:`BlobBackendError`."""
        validate_key(key)
        try:
            self._client.stat_object(bucket_name=self.bucket, object_name=key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                return False
            raise self._error(f"lookup of {key!r}", exc) from exc
        except _S3_FAILURES as exc:
            raise self._error(f"lookup of {key!r}", exc) from exc
        return True

    def delete(self, key: str) -> None:
        """Remove the object ``key`` (nothing happens when it is missing); raises
        :class:`InvalidBlobKey` or :class:`BlobBackendError`."""
        validate_key(key)
        try:
            self._client.remove_object(bucket_name=self.bucket, object_name=key)
        except S3Error as exc:
            if exc.code != "NoSuchKey":
                raise self._error(f"deletion of {key!r}", exc) from exc
        except _S3_FAILURES as exc:
            if not self._surely_missing(key):
                raise self._error(f"deletion of {key!r}", exc) from exc

    def check(self) -> None:
        """Raises :class:`BlobBackendError` unless the server answers and the bucket exists."""
        try:
            found = self._client.bucket_exists(bucket_name=self.bucket)
        except _S3_FAILURES as exc:
            raise self._error("check of the bucket", exc) from exc
        if not found:
            raise BlobBackendError(f"S3 bucket {self.bucket!r} at {self.endpoint} does not exist")

    def size(self, key: str) -> int:
        """The object's length in bytes; raises :class:`InvalidBlobKey`, :class:`BlobNotFound`
        or :class:`BlobBackendError`."""
        validate_key(key)
        try:
            info = self._client.stat_object(bucket_name=self.bucket, object_name=key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise BlobNotFound(key) from None
            raise self._error(f"lookup of {key!r}", exc) from exc
        except _S3_FAILURES as exc:
            raise self._error(f"lookup of {key!r}", exc) from exc
        if info.size is None:
            raise BlobBackendError(f"S3 server at {self.endpoint} did not say the size of {key!r}")
        return int(info.size)

    def listing(self) -> Iterator[StoredBlob]:
        """Every object of the bucket, in key order, a page of 1,000 at a time; objects whose
        names are not valid keys are left out. Raises :class:`BlobBackendError`."""
        try:
            for item in self._client.list_objects(bucket_name=self.bucket, recursive=True):
                key = item.object_name
                if item.is_dir or key is None:
                    continue
                try:
                    validate_key(key)
                except InvalidBlobKey:
                    continue
                yield StoredBlob(key, int(item.size or 0))
        except _S3_FAILURES as exc:
            raise self._error("listing of the bucket", exc) from exc

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[OpenBlob]:
        """The object as a stream straight from the server, with its content type.

        Raises :class:`InvalidBlobKey`, :class:`BlobNotFound` or :class:`BlobBackendError`
        (reading the stream may raise it too).
        """
        response = self._get_object(key)
        try:
            length = response.headers.get("Content-Length")
            if length is None or not length.isdigit():
                raise BlobBackendError(f"S3 server at {self.endpoint} did not say the size of {key!r}")
            content_type = response.headers.get("Content-Type") or UNKNOWN_TYPE
            yield OpenBlob(key, int(length), content_type, cast(BinaryIO, _Reading(self, key, response)))
        finally:
            response.close()
            response.release_conn()

    def put_stream(self, key: str, stream: BinaryIO, length: int, content_type: str) -> None:
        """Upload ``length`` bytes of ``stream`` as the object ``key`` (multipart from 5 MiB on,
        a part in memory at a time). Raises :class:`InvalidBlobKey` or :class:`BlobBackendError`."""
        validate_key(key)
        try:
            self._client.put_object(
                bucket_name=self.bucket,
                object_name=key,
                data=stream,
                length=length,
                content_type=content_type,
                num_parallel_uploads=1,
            )
        except _S3_FAILURES as exc:
            raise self._error(f"upload of {key!r}", exc) from exc
        except ValueError as exc:  # the stream ended before ``length`` bytes
            raise BlobBackendError(f"upload of {key!r}: {exc}") from exc


class _Reading(io.RawIOBase):
    """An S3 download as a file object whose failures are :class:`BlobBackendError`."""

    def __init__(self, store: S3BlobStore, key: str, response: urllib3.BaseHTTPResponse):
        super().__init__()
        self._store, self._key, self._response = store, key, response

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._response.read(None if size is None or size < 0 else size)
        except _S3_FAILURES as exc:
            raise self._store._error(f"download of {self._key!r}", exc) from exc

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --- configuration ---------------------------------------------------------------------------


def blob_store_from_env(environ: Mapping[str, str], data_dir: Path) -> BlobStore:
    """The store the settings ask for.

    With ``S3_ENDPOINT`` (``host:port``, ``http://host:port`` or ``https://host:port``),
    ``S3_ACCESS_KEY``, ``S3_SECRET_KEY`` and ``S3_BUCKET`` all set: an :class:`S3BlobStore`
    (region ``S3_REGION``, default ``us-east-1``). With none of them: a
    :class:`LocalBlobStore` in ``data_dir / "blobs"``. With only some of them: raises
    :class:`BlobBackendError` naming the missing ones, rather than quietly keeping citizens'
    files on the local disk. The S3 store's constructor may raise :class:`BlobBackendError`
    too (server unreachable, credentials refused).
    """
    values = {name: (environ.get(name) or "").strip() for name in _S3_SETTINGS}
    given = [name for name in _S3_SETTINGS if values[name]]
    if not given:
        return LocalBlobStore(Path(data_dir) / "blobs")
    missing = [name for name in _S3_SETTINGS if not values[name]]
    if missing:
        raise BlobBackendError(
            f"S3 storage is only partly configured: {', '.join(given)} set but {', '.join(missing)} "
            f"missing; set all four, or none to keep files in {Path(data_dir) / 'blobs'}"
        )
    return S3BlobStore(
        endpoint=values["S3_ENDPOINT"],
        access_key=values["S3_ACCESS_KEY"],
        secret_key=values["S3_SECRET_KEY"],
        bucket=values["S3_BUCKET"],
        region=(environ.get("S3_REGION") or "").strip() or "us-east-1",
    )
