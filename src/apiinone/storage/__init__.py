"""Blob storage for results and uploads: a local directory, or S3-compatible."""

from apiinone.storage.base import BlobStore
from apiinone.storage.local import LocalBlobStore

__all__ = ["BlobStore", "LocalBlobStore"]
