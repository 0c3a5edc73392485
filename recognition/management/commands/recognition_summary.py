import json
import sys

from django.core.management.base import BaseCommand

from recognition.selectors import recognition_summary


class Command(BaseCommand):
    help = "Programmes with a valid Best Practice Recognition today, by level and by country."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print JSON (the only output format)")

    def handle(self, *args, **options):
        sys.stdout.write(json.dumps(recognition_summary()) + "\n")
