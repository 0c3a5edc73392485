"""``migrate`` as the tables' owner (``DATABASE_OWNER_URL``), then the application role's grants.

The application connects as a role that may read and write rows but owns nothing; only this
command (and backups, restores) connect as the owner.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate

from fls_registry.dbroles import as_owner, grant_application


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        alias = options["database"]
        with as_owner(alias) as connection:
            super().handle(*args, **options)
            app = settings.DATABASE_APP_ROLE
            if app and app != connection.settings_dict.get("USER"):
                with connection.cursor() as cursor:
                    grant_application(cursor, app)
