"""Uploaded files live in PostgreSQL (programmes/files.py): written with their row, checked when
read, and moved over from the disk of an earlier version by a command that can run twice."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction

from programmes.files import DamagedFile, DatabaseStorage
from programmes.models import StoredFile

pytestmark = pytest.mark.django_db


def test_a_file_is_saved_read_and_deleted():
    storage = DatabaseStorage()
    name = storage.save("evidence/2026/12/a.pdf", ContentFile(b"%PDF-1.4 x"))
    assert storage.exists(name) and storage.size(name) == 10
    assert storage.open(name).read() == b"%PDF-1.4 x"
    assert storage.save("evidence/2026/12/a.pdf", ContentFile(b"second")) != name  # never overwritten
    storage.delete(name)
    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.open(name)


def test_a_rolled_back_upload_leaves_no_file():
    storage = DatabaseStorage()
    with pytest.raises(RuntimeError), transaction.atomic():
        storage.save("evidence/b.pdf", ContentFile(b"%PDF"))
        raise RuntimeError("the row's save failed")
    assert not StoredFile.objects.exists()


def test_a_damaged_file_is_an_error_not_a_download():
    storage = DatabaseStorage()
    name = storage.save("evidence/c.pdf", ContentFile(b"%PDF-1.4 original"))
    StoredFile.objects.filter(name=name).update(content=b"%PDF-1.4 changed!")
    with pytest.raises(DamagedFile):
        storage.open(name)


def test_files_of_an_earlier_version_move_from_the_disk_once(settings, tmp_path, draft_evidence):
    evidence, content = draft_evidence
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    on_disk = settings.PRIVATE_FILES_ROOT / evidence.file.name
    on_disk.parent.mkdir(parents=True)
    on_disk.write_bytes(content)
    StoredFile.objects.filter(name=evidence.file.name).delete()  # as an earlier version left it

    def move() -> str:
        out = io.StringIO()
        call_command("move_files_to_database", stdout=out, stderr=io.StringIO())
        return out.getvalue().strip()

    assert move() == "moved 1, already in the database 0, missing on disk 0"
    assert move() == "moved 0, already in the database 1, missing on disk 0"
    assert evidence.file.open("rb").read() == content


@pytest.fixture
def draft_evidence(programme, lead, start_application):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recognition import services

    application = start_application(programme, lead)
    content = b"%PDF-1.4 the FLS protocol"
    evidence = services.evidence_add(
        application=application, actor=lead, standard=5, domain="organisation",
        upload=SimpleUploadedFile("protocol.pdf", content),
    )  # fmt: skip
    return evidence, content
