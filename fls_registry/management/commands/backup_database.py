from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fls_registry.backup import BackupError, backup


class Command(BaseCommand):
    help = "Dump the database with pg_dump (custom format) to --output (default: backups/fls-<time>.dump)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="where to write the dump")

    def handle(self, *args, **options):
        default = Path(settings.BASE_DIR) / "backups" / f"fls-{datetime.now():%Y%m%d-%H%M%S}.dump"
        path = Path(options["output"] or default)
        try:
            backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{path} ({path.stat().st_size:,} bytes; uploaded files included: they are in the database)")
