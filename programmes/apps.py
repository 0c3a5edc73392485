from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "programmes"
    verbose_name = _("Programmes")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from accounts.mfa import require_mfa_when
        from programmes.models import Membership

        require_mfa_when(_leads_a_programme)
        # A role granted, changed or removed: the next page asks again whether 2FA is required.
        post_save.connect(_forget_mfa_state, sender=Membership, dispatch_uid="mfa-state-membership-save")
        post_delete.connect(_forget_mfa_state, sender=Membership, dispatch_uid="mfa-state-membership-delete")


def _forget_mfa_state(sender, instance, **kwargs):
    from accounts.mfa import forget_mfa_state

    forget_mfa_state(instance.user_id)


def _leads_a_programme(user) -> bool:
    from programmes.models import Membership, Role

    return Membership.objects.filter(user_id=user.pk, role=Role.LEAD).exists()
