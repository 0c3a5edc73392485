import sys

from django.core.management.base import BaseCommand, CommandError

from patients.importer import ImportRejected, csv_rows, episodes_import
from programmes.csvio import CsvRejected
from programmes.models import Programme


class Command(BaseCommand):
    help = (
        "Import episodes from a CSV file (the export's format) into a programme: all or nothing, upserting by "
        "patient_ref and fracture_date. Errors go to stderr as 'row N, column C: message' and exit 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the programme's slug")
        parser.add_argument("file", help="CSV file, UTF-8, header row ('-' for standard input)")

    def handle(self, *args, slug, file, **options):
        programme = Programme.objects.filter(slug=slug).first()
        if programme is None:
            raise CommandError(f"no programme with slug '{slug}'")
        try:
            stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        try:
            counts = episodes_import(programme=programme, rows=csv_rows(stream), source="command")
        except (ImportRejected, CsvRejected) as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            self.stderr.write(f"{len(exc.errors)} error(s); nothing was imported.")
            sys.exit(1)
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        self.stdout.write(f"created {counts.created}, updated {counts.updated}, unchanged {counts.unchanged}")
