from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from programmes.commandline import programme_argument
from programmes.services import expected_caseload_set


class Command(BaseCommand):
    help = "Set a programme's expected non-spine and spine fragility fractures for one calendar year (KPI1/KPI2)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("year", type=int)
        parser.add_argument("--non-spine", type=int, required=True, dest="non_spine")
        parser.add_argument("--spine", type=int, required=True)

    def handle(self, *args, slug, year, non_spine, spine, **options):
        programme = programme_argument(slug)
        try:
            caseload = expected_caseload_set(programme=programme, year=year, non_spine=non_spine, spine=spine)
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            ) from None
        self.stdout.write(
            f"{programme.slug} {caseload.year}: expected {caseload.non_spine} non-spine, {caseload.spine} spine"
        )
