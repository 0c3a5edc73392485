from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "programmes"
    verbose_name = _("Programmes")

    def ready(self):
        from accounts.mfa import require_mfa_when
        from programmes.models import Membership

        require_mfa_when(_leads_a_programme, depends_on=Membership)


def _leads_a_programme(user) -> bool:
    from programmes.models import Membership, Role

    return Membership.objects.filter(user_id=user.pk, role=Role.LEAD).exists()
