"""No shared disk between web hosts: evidence uploaded through one web process is downloaded
through another that runs elsewhere (another working directory, another PRIVATE_FILES_ROOT), then
from a backup restored into a new database, through a third."""

import os
import subprocess
import sys
import time

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import database_url_of, sign_in
from tests.fls_registry.test_backup import target  # noqa: F401 - fixture
from tests.fls_registry.test_database_restart import Relay
from tests.fls_registry.test_settings import ROOT

pytestmark = pytest.mark.faults

PDF = b"%PDF-1.4\n% the programme's FLS protocol, signed\n" + bytes(range(256)) * 40


def start_web(tmp_path, name: str, database_url: str):
    """A web process of its own: its own working directory and private files root, nothing shared."""
    home = tmp_path / name
    (home / "private").mkdir(parents=True)
    port = Relay._free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "PRIVATE_"))}
    env.update(DATABASE_URL=database_url, DJANGO_DEBUG="false", PRIVATE_FILES_ROOT=str(home / "private"))
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return process, base, home
        except requests.RequestException:  # not up yet, or up and still busy starting
            time.sleep(0.2)
    process.kill()
    raise AssertionError(process.stderr.read().decode()[-3000:])


def stop(process):
    process.terminate()
    process.wait(timeout=10)


def test_evidence_uploaded_on_one_host_is_downloaded_on_another_and_from_a_restored_backup(
    transactional_db,
    programme,
    lead,
    start_application,
    tmp_path,
    target,  # noqa: F811
):
    from django.core.management import call_command

    from recognition.models import EvidenceFile

    application = start_application(programme, lead)
    client = Client()
    sign_in(client, lead)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    url = database_url_of(settings.DATABASES["default"])
    first, first_url, first_home = start_web(tmp_path, "host-a", url)
    second, second_url, second_home = start_web(tmp_path, "host-b", url)
    try:
        browser = requests.Session()
        browser.cookies.update(cookies)
        page = browser.get(first_url + reverse("recognition:application", args=[programme.slug, application.pk]))
        assert page.status_code == 200
        upload = browser.post(
            first_url + reverse("recognition:evidence_add", args=[programme.slug, application.pk]),
            data={"pair": "5-organisation", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            files={"file": ("protocol.pdf", PDF, "application/pdf")},
            headers={"Referer": first_url + "/"},
            allow_redirects=False,
        )
        assert upload.status_code == 302, upload.text[:2000]
        evidence = EvidenceFile.objects.get(application=application)
        download = second_url + reverse("recognition:evidence", args=[evidence.pk])
        got = browser.get(download)
        assert (got.status_code, got.content) == (200, PDF)
        assert not any(path.is_file() for home in (first_home, second_home) for path in home.rglob("*"))
    finally:
        stop(first)
        stop(second)

    dump = tmp_path / "backup.dump"
    call_command("backup_database", "--output", str(dump))
    call_command("restore_database", str(dump), "--database", target)
    restored_url = database_url_of({**settings.DATABASES["default"], "NAME": target})
    third, third_url, _home = start_web(tmp_path, "host-c", restored_url)
    try:
        got = browser.get(third_url + reverse("recognition:evidence", args=[evidence.pk]))
        assert (got.status_code, got.content) == (200, PDF)
    finally:
        stop(third)
