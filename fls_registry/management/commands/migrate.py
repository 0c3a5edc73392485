"""``migrate`` as the tables' owner (``DATABASE_OWNER_URL``), then the application role's grants.

The application connects as a role that may read and write rows but owns nothing; only this
command (and backups, restores) connect as the owner. It also stores the key that signs the
cross-programme path where only the owner reads it (programmes/rls.py).
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate

from fls_registry.dbroles import as_owner, grant_application
from programmes import rls


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        alias = options["database"]
        with as_owner(alias) as connection:
            super().handle(*args, **options)
            app = settings.DATABASE_APP_ROLE
            with connection.cursor() as cursor:
                rls.store_key(cursor)  # the key that signs the cross-programme path
                if app and app != connection.settings_dict.get("USER"):
                    grant_application(cursor, app)
