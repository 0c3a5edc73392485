import json
import sys

from django.core.management.base import BaseCommand

from programmes.commandline import csv_argument
from programmes.csvio import CsvRejected
from recognition.scores_csv import read_scores
from recognition.scoring import levels_for
from recognition.selectors import current_thresholds


class Command(BaseCommand):
    help = (
        "Compute domain and overall recognition levels from a CSV of scores (domain,standard,score), "
        "with the rule the applications use."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file with the header domain,standard,score ('-' for standard input)")
        parser.add_argument("--json", action="store_true", help="print JSON (the only output format)")

    def handle(self, *args, file, **options):
        with csv_argument(file) as stream:
            try:
                scores = read_scores(stream)
            except CsvRejected as exc:
                for error in exc.errors:
                    self.stderr.write(str(error))
                sys.exit(1)
        result = levels_for(scores, current_thresholds())
        sys.stdout.write(json.dumps(result.as_dict()) + "\n")
