import time

from allauth.mfa import app_settings as mfa_settings
from django.core.management.base import BaseCommand

from programmes import demo as programme_demo


class Command(BaseCommand):
    help = "Print the demo accounts' two-factor code of the moment (demo data only: the key is published)."

    def handle(self, *args, **options):
        period = mfa_settings.TOTP_PERIOD
        left = period - int(time.time()) % period
        self.stdout.write(f"{programme_demo.demo_code()}  (valid for {left} s more, and the next {period} s)")
