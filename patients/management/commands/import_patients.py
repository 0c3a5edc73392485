from django.core.management.base import BaseCommand

from patients.importer import csv_rows, episodes_import
from programmes.commandline import csv_argument, exit_rejected, programme_argument
from programmes.csvio import CsvRejected


class Command(BaseCommand):
    help = (
        "Import episodes from a CSV file (the export's format) into a programme: all or nothing, upserting by "
        "patient_ref and fracture_date. Errors go to stderr as 'row N, column C: message' and exit 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the programme's slug")
        parser.add_argument("file", help="CSV file, UTF-8, header row ('-' for standard input)")

    def handle(self, *args, slug, file, **options):
        programme = programme_argument(slug)
        with csv_argument(file) as stream:
            try:
                counts = episodes_import(programme=programme, rows=csv_rows(stream), source="command")
            except CsvRejected as exc:  # ImportRejected included
                exit_rejected(self, exc)
        self.stdout.write(f"created {counts.created}, updated {counts.updated}, unchanged {counts.unchanged}")
