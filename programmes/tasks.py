"""Thin Celery wrappers: ids in, one service call, JSON only."""

from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.language import language_of
from accounts.models import User
from programmes.models import Invitation
from programmes.services import invitation_url


@shared_task(
    name="programmes.send_invitation_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
    soft_time_limit=60,
    time_limit=90,
)
def send_invitation_email(invitation_id: int, token: str) -> str:
    """Send the invitation link. The token is only in the message: the database keeps its hash."""
    invitation = Invitation.objects.select_related("programme", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_pending:
        return "skipped"
    # The invited person may already have an account (and a chosen language); else the programme's.
    person = User.objects.filter(email=invitation.email.strip().lower()).first()
    with translation.override(language_of(person, *(invitation.programme.languages if invitation.programme else []))):
        context = {"invitation": invitation, "url": invitation_url(token)}
        subject = _("Invitation to the FLS registry")
        body = render_to_string("programmes/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])
    return "sent"
