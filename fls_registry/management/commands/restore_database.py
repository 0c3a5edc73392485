from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fls_registry.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a pg_dump custom-format file into the configured database (its tables are replaced) or "
        "into --database (created if missing). One transaction: a failed restore changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--database", help="restore into this database instead of the configured one")

    def handle(self, *args, **options):
        try:
            target = restore(Path(options["file"]), options["database"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {options['file']} into {target}")
