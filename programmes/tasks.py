"""Thin Celery wrappers: ids in, one service call, JSON only."""

from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

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
    language = (invitation.programme.languages[:1] or ["en"])[0] if invitation.programme else "en"
    with translation.override(language):
        context = {"invitation": invitation, "url": invitation_url(token)}
        subject = _("Invitation to the FLS registry")
        body = render_to_string("programmes/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])
    return "sent"
