from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "programmes"
    verbose_name = _("Programmes")

    def ready(self):
        from accounts.mfa import require_mfa_when
        from programmes.authority import needs_two_factors
        from programmes.labels import register_programme_kinds
        from programmes.models import Membership

        # The two-factor rule is the resolver's (programmes.authority.TWO_FACTOR_ROLES): global roles
        # and a programme's lead; the answer is forgotten when a membership changes.
        require_mfa_when(needs_two_factors, depends_on=Membership)
        register_programme_kinds()
