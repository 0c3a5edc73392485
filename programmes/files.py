"""Uploaded files in PostgreSQL: a Django storage whose files are rows of ``StoredFile``.

Why (docs/architecture.md, "Files"): the registry's files are small (evidence at most
``RECOGNITION_EVIDENCE_MAX_BYTES``, resources at most ``NETWORK_RESOURCE_MAX_BYTES``, both ≤ 20 MB),
few (a programme's application holds a dozen), and belong to rows. Kept in the database, a file is
written in the same transaction as its row (a rolled-back upload leaves nothing behind, a deleted row
takes its file with it), any web host reads it without a shared disk, and a database backup holds
it. Each file carries its SHA-256; reading checks it, so a damaged file is an error, not a download.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible


class DamagedFile(Exception):
    """A stored file's content no longer matches the checksum it was stored with."""


@deconstructible
class DatabaseStorage(Storage):
    """Files as rows of ``programmes.StoredFile``; no URL serves them (the checked views do)."""

    def _model(self):
        from programmes.models import StoredFile

        return StoredFile

    def _save(self, name, content):
        if hasattr(content, "seek"):
            content.seek(0)
        data = b"".join(content.chunks()) if hasattr(content, "chunks") else content.read()
        self._model().objects.create(name=name, content=data, size=len(data), sha256=hashlib.sha256(data).hexdigest())
        return name

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode:
            raise SuspiciousFileOperation("stored files are written through save(), not opened for writing")
        row = self._model().objects.filter(name=name).values_list("content", "sha256").first()
        if row is None:
            raise FileNotFoundError(name)
        data = bytes(row[0])
        if hashlib.sha256(data).hexdigest() != row[1]:
            raise DamagedFile(f"{name}: its content does not match its SHA-256")
        return ContentFile(data, name=name)

    def exists(self, name):
        return self._model().objects.filter(name=name).exists()

    def delete(self, name):
        self._model().objects.filter(name=name).delete()

    def size(self, name):
        size = self._model().objects.filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(name)
        return size

    def url(self, name):
        raise ValueError("stored files have no public URL: the checked download views serve them")


def database_storage() -> DatabaseStorage:
    return DatabaseStorage()
