"""A real Celery worker process, against Redis, runs a task of the registry."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from fls_registry.celery import app as celery_app
from programmes.models import Invitation
from programmes.tasks import send_invitation_email
from tests.conftest import database_url_of

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.worker


@pytest.fixture
def worker(redis_url, tmp_path, transactional_db):
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fls_registry.settings",
        "DATABASE_URL": database_url_of(connection.settings_dict),
        "CELERY_BROKER_URL": redis_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "fls_registry",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            "default,kpis,email",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # The test process plays the web process of a deployment: a Celery client with the broker set.
    client = Celery("fls_registry", broker=redis_url, set_as_current=False)
    client.conf.update(task_serializer="json", task_routes=celery_app.conf.task_routes)
    try:
        yield process, mail_dir, client
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_real_worker_sends_the_invitation_email(worker, programme, lead):
    process, mail_dir, client = worker
    invitation = Invitation.objects.create(
        email="nurse@hospital.example",
        role="coordinator",
        programme=programme,
        invited_by=lead,
        token_hash=Invitation.hash_token("tok-123"),
    )
    client.send_task(send_invitation_email.name, args=[invitation.pk, "tok-123"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = list(mail_dir.glob("*.log")) if mail_dir.exists() else []
        if files:
            break
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.2)
    else:
        process.terminate()
        pytest.fail("the worker sent no e-mail within 60 s:\n" + process.communicate(timeout=20)[0])
    message = files[0].read_text()
    assert "To: nurse@hospital.example" in message
    assert "/invitations/tok-123/" in message
    assert "FLS Yaroslavl" in message
