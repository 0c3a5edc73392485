from django.core.management.base import BaseCommand

from programmes.commandline import csv_argument, exit_rejected
from programmes.csvio import CsvRejected
from programmes.services import programme_import


class Command(BaseCommand):
    help = (
        "Create or update programmes from a CSV file (columns: slug, name, institution, country, city, latitude, "
        "longitude, languages, care_setting, status, kpi_set, time_zone). All or nothing: any bad row and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, header row required ('-' for standard input)")

    def handle(self, *args, **options):
        with csv_argument(options["file"]) as stream:
            try:
                counts = programme_import(stream=stream)
            except CsvRejected as exc:
                exit_rejected(self, exc)
        self.stdout.write(f"created {counts.created}, updated {counts.updated}, unchanged {counts.unchanged}")
