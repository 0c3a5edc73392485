import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from accounts import clock
from clinical.kpi_sets import KPI_SETS
from kpis.engine import compute_for_programme
from programmes.commandline import programme_argument


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{name}: '{value}' is not a date in YYYY-MM-DD form") from None


class Command(BaseCommand):
    help = "Compute a programme's KPIs for a period (fracture dates within [start, end]) as of a date."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--start", required=True, help="first fracture date of the period, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last fracture date of the period, YYYY-MM-DD")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="the day the figures are for (default: the programme's today, in its time zone)",
        )
        parser.add_argument("--kpi-set", dest="kpi_set", choices=sorted(KPI_SETS), help="default: the programme's set")
        parser.add_argument("--json", action="store_true", help="print the machine-readable JSON (the default)")

    def handle(self, *args, slug, start, end, as_of=None, kpi_set=None, **options):
        programme = programme_argument(slug)
        start_day, end_day = _day(start, "start"), _day(end, "end")
        if end_day < start_day:
            raise CommandError(f"--end {end} is before --start {start}")
        as_of_day = _day(as_of, "as-of") if as_of else clock.today(programme)
        result = compute_for_programme(programme, start=start_day, end=end_day, as_of=as_of_day, kpi_set=kpi_set)
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
