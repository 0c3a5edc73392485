from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils import timezone

from casefinding import demo as casefinding_demo
from kpis.services import results_recompute
from mentorship import demo as mentorship_demo
from network import demo as network_demo
from patients import demo as patient_demo
from programmes import demo as programme_demo
from programmes import rls
from recognition import demo as recognition_demo


class Command(BaseCommand):
    help = "Load (or refresh) the demo data: programmes, people of every role, settings. Idempotent."

    def handle(self, *args, **options):
        with rls.all_programmes(rls.Reason.DEMO_DATA):  # several programmes at once
            self.load()
        # Outside the cross-programme path: a job runs in its own programme's scope.
        job = patient_demo.load_import_job()
        if job:
            self.stdout.write(f"Import job: {job}")

    def load(self):
        logins = programme_demo.load()
        for slug, counts in patient_demo.load().items():
            self.stdout.write(f"Episodes of {slug}: {counts}")
        for line in casefinding_demo.load(timezone.localdate()):
            self.stdout.write(f"Case finding: {line}")
        stored = results_recompute()
        self.stdout.write(f"KPI figures stored: {stored} (programme x period)")
        # The demo's own notifications (reviewers assigned, decisions) are not worth printing.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for line in recognition_demo.load():
                self.stdout.write(f"Recognition of {line}")
            for line in mentorship_demo.load():
                self.stdout.write(f"Mentorship: {line}")
            for line in network_demo.load():
                self.stdout.write(f"Public face: {line}")
        with_mfa = set(programme_demo.demo_authenticators())
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Log in at http://127.0.0.1:8000/accounts/login/"))
        self.stdout.write(f"Every demo account has the password: {programme_demo.DEMO_PASSWORD}")
        width = max(len(email) for email, _ in logins)
        for email, what in logins:
            mark = "*" if email in with_mfa else " "
            self.stdout.write(f" {mark}{email.ljust(width)}  {what}")
        self.stdout.write(
            "* two-factor authentication (required for leads, reviewers, IOF staff and the administrator): "
            f"add the key {programme_demo.DEMO_TOTP_SECRET} to an authenticator app, "
            "or run `make demo-code` for the code of the moment."
        )
