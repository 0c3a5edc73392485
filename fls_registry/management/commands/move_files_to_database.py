from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import transaction

from network.models import Resource
from programmes.files import DatabaseStorage
from programmes.models import StoredFile
from recognition.models import EvidenceFile, PrivateStorage


class Command(BaseCommand):
    help = (
        "Move the evidence and resource files an earlier version kept under PRIVATE_FILES_ROOT into PostgreSQL, "
        "under the same names. Safe to run again: a file already moved is counted, not moved twice."
    )

    def handle(self, *args, **options):
        disk, database = PrivateStorage(), DatabaseStorage()
        moved = already = missing = 0
        names = [
            *EvidenceFile.objects.exclude(file="").values_list("file", flat=True),
            *Resource.objects.exclude(file="").values_list("file", flat=True),
        ]
        stored = set(StoredFile.objects.filter(name__in=names).values_list("name", flat=True))
        for name in names:
            if name in stored:
                already += 1
            elif not disk.exists(name):
                missing += 1
                self.stderr.write(f"missing on disk: {disk.path(name)}")
            else:
                with disk.open(name, "rb") as handle, transaction.atomic():
                    database._save(name, File(handle, name=name))  # the same name: the rows keep pointing at it
                stored.add(name)
                moved += 1
        self.stdout.write(f"moved {moved}, already in the database {already}, missing on disk {missing}")
