"""A real Celery worker process, against Redis, runs a task of the registry."""

import pytest
from celery import Celery

from fls_registry.celery import app as celery_app
from programmes.models import Invitation
from programmes.tasks import send_invitation_email

pytestmark = pytest.mark.worker


def test_a_real_worker_sends_the_invitation_email(
    celery_worker_process, task_events, redis_url, tmp_path, programme, lead
):
    process, log = celery_worker_process
    mail_dir = tmp_path / "mail"
    # The test process plays the web process of a deployment: a Celery client with the broker set.
    client = Celery("fls_registry", broker=redis_url, set_as_current=False)
    client.conf.update(task_serializer="json", task_routes=celery_app.conf.task_routes)
    invitation = Invitation.objects.create(
        email="nurse@hospital.example",
        role="coordinator",
        programme=programme,
        invited_by=lead,
        token_hash=Invitation.hash_token("tok-123"),
    )
    client.send_task(send_invitation_email.name, args=[invitation.pk, "tok-123"])
    # The worker reports the task's end as an event once the message file is closed.
    assert task_events.wait_for(lambda: task_events.count("succeeded", send_invitation_email.name) == 1, 60), (
        "the worker sent no e-mail within 60 s:\n" + log.read_text()
    )
    assert process.poll() is None, log.read_text()
    (message_file,) = mail_dir.glob("*.log")
    message = message_file.read_text()
    assert "To: nurse@hospital.example" in message
    assert "/invitations/tok-123/" in message
    assert "FLS Yaroslavl" in message
