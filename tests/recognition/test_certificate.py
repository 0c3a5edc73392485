"""The certificate PDF and the public verification page; reminders before expiry, once each."""

import re
import shutil
import subprocess
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from recognition import services, tasks
from recognition.certificate import certificate_render
from recognition.models import Recognition
from tests.recognition.conftest import score_all


@pytest.fixture
def recognition(under_review, reviewers, iof_staff, lead):
    for reviewer in reviewers:
        score_all(under_review, reviewer, lambda s, d: 3)
    services.application_decide(application=under_review, actor=iof_staff)
    return Recognition.objects.for_programme(under_review.programme).get()


def test_the_certificate_names_programme_institution_level_dates_and_the_verification_url(recognition, tmp_path):
    assert certificate_render(recognition_id=recognition.pk) == "ready"
    assert certificate_render(recognition_id=recognition.pk) == "skipped"  # idempotent
    recognition.refresh_from_db()
    path = tmp_path / "certificate.pdf"
    path.write_bytes(bytes(recognition.certificate_pdf))
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed")
    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split()
    )
    for expected in (
        "FLS Yaroslavl",
        "General Hospital",
        "GOLD",  # the level, set in capitals
        recognition.decided_at.strftime("%Y-%m-%d"),
        recognition.valid_until.isoformat(),
        f"/verify/{recognition.verification_code}/",
    ):
        assert expected in text, expected


def test_the_lead_downloads_the_certificate_and_another_programme_cannot(
    recognition, lead, other_programme, make_member, login
):
    certificate_render(recognition_id=recognition.pk)
    url = f"/p/{recognition.programme.slug}/recognition/{recognition.application_id}/certificate.pdf"
    response = login(lead).get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"].startswith("attachment;")
    assert login(make_member(other_programme, "lead")).get(url).status_code == 404


def test_a_downloaded_certificate_is_in_the_readers_language_and_links_to_todays_public_address(
    recognition, lead, login, settings, tmp_path
):
    """The copy issued with the decision keeps the address of that moment; a download is rendered
    afresh: the verification link from the SITE_URL configured now, the words in the reader's."""
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed")
    settings.SITE_URL = "http://127.0.0.1:8000"
    certificate_render(recognition_id=recognition.pk)
    settings.SITE_URL = "https://registry.example.org"
    url = f"/p/{recognition.programme.slug}/recognition/{recognition.application_id}/certificate.pdf"
    client = login(lead)
    texts = {}
    for language in ("en", "ru"):
        path = tmp_path / f"certificate-{language}.pdf"
        path.write_bytes(client.get(url, headers={"accept-language": language}).content)
        texts[language] = " ".join(
            subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split()
        )
    for text in texts.values():
        assert f"https://registry.example.org/verify/{recognition.verification_code}/" in text
        assert "127.0.0.1" not in text
    assert "Certificate of Best Practice Recognition" in texts["en"]
    assert "Сертификат" in texts["ru"] and "Certificate of Best Practice" not in texts["ru"]
    # One page, filled: the level in its middle, the dates and the link at its foot.
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(tmp_path / "certificate-en.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    page_height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', boxes).group(1))
    assert boxes.count("<page ") == 1

    def height_of(word: str) -> float:
        return float(re.search(r'yMin="([\d.]+)"[^>]*>' + re.escape(word) + "<", boxes).group(1)) / page_height

    assert 0.35 < height_of("GOLD") < 0.75
    assert height_of("valid") > 0.75


def test_verification_says_valid_expired_or_revoked(recognition, iof_staff, login):
    url = f"/verify/{recognition.verification_code}/"
    page = login(None).get(url)
    assert page.status_code == 200
    assert "Genuine and current." in page.content.decode()
    assert "FLS Yaroslavl" in page.content.decode()
    later = timezone.now() + timedelta(days=3 * 366 + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert "Genuine, but expired." in login(None).get(url).content.decode()
    services.recognition_revoke(recognition=recognition, actor=iof_staff, reason="Service closed")
    assert "Revoked" in login(None).get(url).content.decode()


@pytest.mark.parametrize("code", ["not-a-real-code", "x" * 41])
def test_an_unknown_code_is_not_genuine(db, login, code):
    response = login(None).get(f"/verify/{code}/")
    assert response.status_code == 404
    assert "not genuine" in response.content.decode()


def test_verification_codes_are_unguessable(recognition):
    from recognition.models import new_verification_code

    assert len(recognition.verification_code) >= 24  # 18 random bytes: 144 bits
    assert len({new_verification_code() for _ in range(1000)}) == 1000


def test_reminders_go_out_90_and_30_days_before_expiry_once_each(recognition, lead, django_capture_on_commit_callbacks):
    def run_beat_on(day):
        moment = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()).replace(hour=7))
        with (
            mock.patch("django.utils.timezone.now", return_value=moment),
            django_capture_on_commit_callbacks(execute=True),
        ):
            outcome = tasks.send_expiry_reminders.apply()
        # .result, not .get(): get() consults Celery's process-wide "inside a task" flag, which
        # eager tasks run by the live server's threads in other tests may leave set.
        assert outcome.successful(), outcome.traceback
        return outcome.result

    expiry = recognition.valid_until
    mail.outbox.clear()
    assert run_beat_on(expiry - timedelta(days=91)) == 0
    assert run_beat_on(expiry - timedelta(days=90)) == 1
    assert run_beat_on(expiry - timedelta(days=90)) == 0  # beat ran twice
    assert run_beat_on(expiry - timedelta(days=60)) == 0
    assert run_beat_on(expiry - timedelta(days=30)) == 1
    assert run_beat_on(expiry - timedelta(days=29)) == 0
    reminders = [m for m in mail.outbox if "expires" in m.subject]
    assert [m.to for m in reminders] == [[lead.email], [lead.email]]
    assert "(90 days)" in reminders[0].body and "(30 days)" in reminders[1].body


def test_a_revoked_recognition_gets_no_reminder(recognition, iof_staff):
    services.recognition_revoke(recognition=recognition, actor=iof_staff, reason="Closed")
    assert services.expiry_reminders_send(today=recognition.valid_until - timedelta(days=30)) == 0


def test_recognition_summary_counts_valid_recognitions_by_level_and_country(recognition, capsys, iof_staff):
    import json

    from django.core.management import call_command

    call_command("recognition_summary", "--json")
    summary = json.loads(capsys.readouterr().out)
    assert summary["recognised"] == 1
    assert summary["by_level"] == {"gold": 1, "silver": 0, "bronze": 0}
    assert summary["by_country"] == [{"country": "RU", "gold": 1, "silver": 0, "bronze": 0}]
    services.recognition_revoke(recognition=recognition, actor=iof_staff, reason="Closed")
    call_command("recognition_summary", "--json")
    assert json.loads(capsys.readouterr().out)["recognised"] == 0
