import time

from django.core.management.base import BaseCommand

from programmes import demo as programme_demo


class Command(BaseCommand):
    help = "Print the demo accounts' two-factor code of the moment (demo data only: the key is published)."

    def handle(self, *args, **options):
        left = 30 - int(time.time()) % 30
        self.stdout.write(f"{programme_demo.demo_code()}  (valid for {left} s more, and the next 30 s)")
