import sys

from django.core.management.base import BaseCommand, CommandError

from programmes.csvio import CsvRejected
from programmes.services import programme_import


class Command(BaseCommand):
    help = (
        "Create or update programmes from a CSV file (columns: slug, name, institution, country, city, latitude, "
        "longitude, languages, care_setting, status). All or nothing: any bad row and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, header row required ('-' for standard input)")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        try:
            counts = programme_import(stream=stream)
        except CsvRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            self.stderr.write(f"{len(exc.errors)} error(s); nothing was imported.")
            sys.exit(1)
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        self.stdout.write(f"created {counts.created}, updated {counts.updated}, unchanged {counts.unchanged}")
