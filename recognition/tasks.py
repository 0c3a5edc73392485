"""Thin Celery wrappers: ids in, one service call, JSON only; e-mails retried with backoff."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.language import language_of
from accounts.models import User
from programmes.inputs import one_line
from recognition.models import Application

EMAIL_RETRY = {
    "autoretry_for": (OSError, smtplib.SMTPException),
    "retry_backoff": True,
    "retry_kwargs": {"max_retries": 6},
    "soft_time_limit": 60,
    "time_limit": 90,
}
# Work on the database: retried while it is unreachable (a restart, a failover).
DATABASE_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_kwargs": {"max_retries": 5},
    "soft_time_limit": 120,
    "time_limit": 180,
}
SUBJECTS = {
    "submitted": _("Recognition application submitted: {programme}"),
    "reviewer_assigned": _("A recognition application to review: {programme}"),
    "reviews_complete": _("Both reviews are in: {programme}"),
    "changes_requested": _("Changes requested on your recognition application"),
    "decided": _("Decision on your recognition application"),
    "expiry_reminder": _("Your Best Practice Recognition expires on {valid_until}"),
}


@shared_task(name="recognition.send_recognition_email", **EMAIL_RETRY)
def send_recognition_email(application_id: int, event: str, user_ids: list[int], extra: dict | None = None) -> int:
    """One message per person concerned by a step of an application."""
    from recognition.certificate import verification_url

    application = Application.objects.all_programmes().select_related("programme").filter(pk=application_id).first()
    if application is None or event not in SUBJECTS:
        return 0
    extra = extra or {}
    recognition = getattr(application, "recognition", None) if event in ("decided", "expiry_reminder") else None
    context = {
        "application": application,
        "programme": application.programme,
        "event": event,
        "extra": extra,
        "site_url": settings.SITE_URL,
        "verify_url": verification_url(recognition) if recognition else "",
    }
    sent = 0
    for user in User.objects.filter(pk__in=user_ids, is_active=True):
        with translation.override(language_of(user, *application.programme.languages)):
            subject = str(SUBJECTS[event]).format(programme=application.programme.name, **extra)
            body = render_to_string("recognition/email/step.txt", {**context, "user": user})
        send_mail(one_line(subject), body, None, [user.email])
        sent += 1
    return sent


@shared_task(name="recognition.render_certificate", **DATABASE_RETRY)
def render_certificate(recognition_id: int) -> str:
    from recognition.certificate import certificate_render

    return certificate_render(recognition_id=recognition_id)


@shared_task(name="recognition.send_expiry_reminders", **DATABASE_RETRY)
def send_expiry_reminders() -> int:
    from recognition.services import expiry_reminders_send

    return expiry_reminders_send()
