"""The recognition certificate (WeasyPrint, rendered by a worker) and its verification link."""

from __future__ import annotations

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.language import first_offered
from recognition.models import Recognition

logger = logging.getLogger(__name__)


def verification_url(recognition: Recognition) -> str:
    return settings.SITE_URL + reverse("recognition_verify", kwargs={"code": recognition.verification_code})


def certificate_html(recognition: Recognition) -> str:
    return render_to_string(
        "recognition/certificate.html",
        {"recognition": recognition, "programme": recognition.programme, "url": verification_url(recognition)},
    )


def certificate_pdf(recognition: Recognition, language: str) -> bytes:
    """The certificate as a reader downloads it: in their language, its verification link from the
    public address configured now (``SITE_URL``), so that a move of the registry never leaves a
    certificate pointing to the old one."""
    from weasyprint import HTML  # slow to import: only where a certificate is really rendered

    with translation.override(language):
        return HTML(string=certificate_html(recognition)).write_pdf()


def certificate_render(*, recognition_id: int) -> str:
    """Render and store the copy issued with the decision (the record of what was issued; downloads
    are rendered afresh by ``certificate_pdf``). Idempotent: a copy already stored is left alone."""
    recognition = Recognition.objects.all_programmes().select_related("programme").filter(pk=recognition_id).first()
    if recognition is None or recognition.certificate_pdf:
        return "skipped"
    pdf = certificate_pdf(recognition, first_offered(*recognition.programme.languages))
    Recognition.objects.all_programmes().filter(pk=recognition_id, certificate_pdf__isnull=True).update(
        certificate_pdf=pdf
    )
    return "ready"
