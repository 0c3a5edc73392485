from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from allauth.mfa.models import Authenticator
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from accounts import mfa

        def forget(sender, instance, **kwargs):
            mfa.forget_mfa_state(instance.pk if sender is get_user_model() else instance.user_id)

        for model in (Authenticator, get_user_model()):
            post_save.connect(forget, sender=model, dispatch_uid=f"mfa-state-{model.__name__}-save")
            post_delete.connect(forget, sender=model, dispatch_uid=f"mfa-state-{model.__name__}-delete")
