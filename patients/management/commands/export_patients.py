import sys

from django.core.management.base import BaseCommand, CommandError

from accounts import clock
from patients import selectors
from patients.exports import EXPORT_COLUMNS, episode_rows
from programmes import rls
from programmes.commandline import programme_argument
from programmes.csvio import write_csv
from programmes.models import AccessEvent
from programmes.services import access_event_record


class Command(BaseCommand):
    help = "Export a programme's episodes as CSV in the import format (export -> import changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the programme's slug")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, slug, output=None, **options):
        programme = programme_argument(slug)
        with rls.programme_scope(programme.pk):
            self.export(programme, output)

    def export(self, programme, output):
        episodes = selectors.episode_list(programme, today=clock.today(programme), sort="fracture_date")
        try:
            target = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"{output}: {exc.strerror}") from None
        count = -1
        try:
            for count, line in enumerate(write_csv(episode_rows(episodes), EXPORT_COLUMNS)):  # noqa: B007
                target.write(line)
        finally:
            if output:
                target.close()
        access_event_record(
            programme=programme, actor=None, action=AccessEvent.Action.EXPORTED, source="command", episodes=count
        )
        if output:
            self.stderr.write(f"{count} episodes written to {output}")
