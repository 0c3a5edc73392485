from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from allauth.mfa.models import Authenticator
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in

        from accounts.language import on_log_in
        from accounts.mfa import forget_on_change

        user_logged_in.connect(on_log_in, dispatch_uid="accounts-pages-language")

        # Who must use 2FA, and whether they have, changes with these rows (accounts.mfa caches it).
        forget_on_change(Authenticator)
        forget_on_change(get_user_model(), user_id_of=lambda user: user.pk)
