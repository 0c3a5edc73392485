import json
import os
import subprocess
import sys
from pathlib import Path

from fls_registry.health import broker_state

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_database_up_and_eager_tasks(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True, "state": "up"},
        "broker": {"ok": True, "state": "eager"},
    }


def test_broker_state_up_against_real_redis(redis_url):
    assert broker_state(redis_url) == {"ok": True, "state": "up"}


def test_broker_state_down_when_nothing_listens():
    state = broker_state("redis://127.0.0.1:1/0", timeout=0.5)
    assert (state["ok"], state["state"]) == (False, "down")


def test_healthz_answers_503_when_the_database_is_down():
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz'); print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing",
        "DJANGO_SETTINGS_MODULE": "fls_registry.settings",
        "DATABASE_CONNECT_TIMEOUT": "2",
    }
    env.pop("CELERY_BROKER_URL", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["status"] == "down"
    assert answer["body"]["database"]["state"] == "down"


def test_healthz_answers_probes_by_ip_address_outside_allowed_hosts(db, client):
    response = client.get("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    assert response.json()["database"]["state"] == "up"


def test_healthz_carries_the_security_headers(db, client):
    response = client.get("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
