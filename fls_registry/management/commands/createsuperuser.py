"""``createsuperuser``, with the grant recorded in the access log like every other grant of authority.

The first operator of an installation has no one to grant them the role: the command line is the
actor. This command replaces Django's (the ``fls_registry`` app is listed before ``auth``).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands.createsuperuser import Command as DjangoCommand
from django.db import transaction

from programmes.services import superuser_created


class Command(DjangoCommand):
    def handle(self, *args, **options):
        User = get_user_model()
        with transaction.atomic(using=options["database"]):
            before = set(User.objects.filter(is_superuser=True).values_list("pk", flat=True))
            super().handle(*args, **options)
            for user in User.objects.filter(is_superuser=True).exclude(pk__in=before):
                superuser_created(user=user)
