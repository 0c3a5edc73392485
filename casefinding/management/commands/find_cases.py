import json
import sys

from django.core.management.base import BaseCommand

from casefinding.readers import FORMATS, Unreadable
from casefinding.services import cases_find
from programmes.commandline import csv_argument, programme_argument


class Command(BaseCommand):
    help = (
        "Read a hospital feed (CSV, a FHIR R4 Bundle or HL7 v2 messages) and propose its case-finding candidates "
        "to a programme's inbox. A file that cannot be read stores nothing: 'record N: message' on stderr, exit 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the programme's slug")
        parser.add_argument("file", help="the feed's file ('-' for standard input)")
        parser.add_argument("--format", choices=FORMATS, help="the feed's format (default: detected from the content)")
        parser.add_argument("--json", action="store_true", help="print the counts as one JSON object")

    def handle(self, *args, slug, file, format=None, json=False, **options):  # noqa: A002 - the option's name
        programme = programme_argument(slug)
        with csv_argument(file) as stream:
            try:  # a file is streamed (CSV, HL7 v2); standard input is read whole
                content = stream if hasattr(stream, "peek") else stream.read()
                counts = cases_find(programme=programme, content=content, fmt=format, via="command")
            except Unreadable as exc:
                self.stderr.write(str(exc))
                self.stderr.write("nothing was stored.")
                sys.exit(1)
        result = counts.as_dict()
        if json:
            self.stdout.write(_dumps(result))
            return
        excluded = ", ".join(f"{reason} {n}" for reason, n in result["excluded"].items()) or "none"
        self.stdout.write(
            f"{result['records']} records ({counts.format}): {result['candidates']} candidates, "
            f"{result['duplicates']} duplicates, {result['unchanged']} unchanged; excluded: {excluded}"
        )


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
