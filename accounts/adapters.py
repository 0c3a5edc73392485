from allauth.account.adapter import DefaultAccountAdapter


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """There is no open sign-up: people join by invitation (see programmes.services)."""

    def is_open_for_signup(self, request):
        return False
