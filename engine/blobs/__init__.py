"""Attachments and issued documents: a local folder by default, an S3 bucket in production.

:func:`blob_store_from_env` picks the store from the settings; every store follows the
:class:`BlobStore` protocol. :func:`check_upload` decides by content, not by file name,
whether a service takes an uploaded file.
"""

from engine.blobs.sniff import UploadRejected, check_upload, sniff_content_type
from engine.blobs.store import (
    BlobBackendError,
    BlobError,
    BlobNotFound,
    BlobStore,
    CopyableBlobStore,
    InvalidBlobKey,
    LocalBlobStore,
    OpenBlob,
    S3BlobStore,
    StoredBlob,
    blob_store_from_env,
    validate_key,
)

__all__ = [
    "BlobBackendError",
    "BlobError",
    "BlobNotFound",
    "BlobStore",
    "CopyableBlobStore",
    "InvalidBlobKey",
    "LocalBlobStore",
    "OpenBlob",
    "S3BlobStore",
    "StoredBlob",
    "UploadRejected",
    "blob_store_from_env",
    "check_upload",
    "sniff_content_type",
    "validate_key",
]
