"""The primary dies mid-load (SIGKILL) and no acknowledged save is lost.

A pg_auto_failover formation (monitor, primary, synchronous standby: tests/failover/cluster.py)
holds the registry's database; gunicorn serves the registry on it through a multi-host URL
(``target_session_attrs=read-write``). Twenty coordinators log in and save episodes through the real
forms. Mid-load, the primary's postmaster and its keeper are killed. Then:

- every save that got its success answer (the redirect to the saved episode) is in the promoted
  database;
- saves succeed again within 30 s of the kill;
- a save that failed showed the 503 page, which keeps what the person typed and offers to send it
  again (nothing silently lost).

Run by ``make test-failover`` (about three minutes; not in ``make test``: see docs/architecture.md,
"A primary that can fail").
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
import requests

from tests.failover.cluster import Formation, free_port

pytestmark = pytest.mark.failover

ROOT = Path(__file__).resolve().parents[2]
COORDINATORS = 20
PASSWORD = "failover-test-2026"
BEFORE_KILL_SECONDS = 8
AFTER_KILL_SECONDS = 40
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def formation():
    built = Formation.build()
    yield built
    built.destroy()


def manage(env: dict, *arguments: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        **kwargs,
    )  # fmt: skip


@pytest.fixture(scope="module")
def registry(formation):
    """The registry migrated on the formation, twenty coordinators, and gunicorn serving it."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "DATABASE_", "REDIS_"))}
    primary = formation.primary()
    setup_env = {**base_env, "DATABASE_ADMIN_URL": primary.url(), "DATABASE_NAME": formation.database}
    manage(setup_env, "migrate", "-v0")
    manage(
        setup_env, "shell", "-c",
        "from programmes.models import Programme, Membership\n"
        "from accounts.models import User\n"
        "from allauth.account.models import EmailAddress\n"
        "p, _ = Programme.objects.get_or_create(slug='failover', defaults={'name': 'Failover FLS', 'country': 'GB'})\n"
        f"for n in range({COORDINATORS}):\n"
        f"    u = User.objects.create_user(email=f'c{{n}}@failover.example', password='{PASSWORD}')\n"
        "    EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)\n"
        "    Membership.objects.create(user=u, programme=p, role='coordinator')\n",
    )  # fmt: skip
    port = free_port()
    env = {
        **base_env,
        "DATABASE_URL": formation.multi_host_url("fls_app"),
        "DATABASE_OWNER_URL": formation.multi_host_url("fls_owner"),
        "DATABASE_CONNECT_TIMEOUT": "3",
        "DATABASE_CONN_MAX_AGE": "0",
        "DJANGO_DEBUG": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "fls_registry.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "--threads", "4", "--timeout", "60", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(formation.root / "gunicorn.log", "wb"),  # noqa: SIM115
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                break
        except requests.RequestException:  # not up yet, or up and still busy starting
            time.sleep(0.2)
    yield base
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
    artifacts = ROOT / "test-artifacts" / "failover"
    artifacts.mkdir(parents=True, exist_ok=True)
    for log in formation.root.glob("*.log"):
        (artifacts / log.name).write_bytes(log.read_bytes())


class Coordinator(threading.Thread):
    """One coordinator saving episodes, one after another, until told to stop."""

    def __init__(self, number: int, base: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.number, self.base, self.stop = number, base, stop
        self.session = requests.Session()
        self.acknowledged: list[str] = []  # patient references whose save got its success answer
        self.failed: list[tuple[str, int, str]] = []  # (reference, status, page)
        self.successes_at: list[float] = []  # when each acknowledged save was sent
        self.logged_in = False

    def token(self, path: str) -> str:
        page = self.session.get(self.base + path, timeout=10)
        return CSRF.search(page.text).group(1)

    def log_in(self) -> None:
        for _attempt in range(10):  # twenty log-ins at once on a busy machine: a slow one is tried again
            token = self.token("/accounts/login/")
            answer = self.session.post(
                self.base + "/accounts/login/",
                data={"login": f"c{self.number}@failover.example", "password": PASSWORD, "csrfmiddlewaretoken": token},
                headers={"Referer": self.base + "/accounts/login/"},
                timeout=30,
            )
            if answer.status_code == 200 and "/accounts/login/" not in answer.url:
                self.logged_in = True
                return
            time.sleep(1)

    def run(self) -> None:
        self.log_in()
        form = "/p/failover/episodes/new/"
        fracture = date.today() - timedelta(days=30)
        n = 0
        while not self.stop.is_set():
            n += 1
            ref = f"FO-{self.number:02d}-{n:04d}"
            try:
                token = self.token(form)
            except (requests.RequestException, AttributeError):
                time.sleep(0.3)  # the form page itself met the failover: ask again
                continue
            values = {"patient_ref": ref, "sex": "female", "birth_date": "1945-03-01",
                      "fracture_date": fracture.isoformat(), "fracture_site": "wrist", "csrfmiddlewaretoken": token}  # fmt: skip
            sent = time.monotonic()
            try:
                answer = self.session.post(
                    self.base + form,
                    data=values,
                    headers={"Referer": self.base + form},
                    timeout=15,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                self.failed.append((ref, 0, str(exc)))
                continue
            if answer.status_code == 302 and "/episodes/" in answer.headers.get("Location", ""):
                self.acknowledged.append(ref)
                self.successes_at.append(sent)
            else:
                self.failed.append((ref, answer.status_code, answer.text))
            time.sleep(0.1)


def test_the_primary_dies_mid_load_and_no_acknowledged_save_is_lost(formation, registry):
    stop = threading.Event()
    coordinators = [Coordinator(n, registry, stop) for n in range(COORDINATORS)]
    for coordinator in coordinators:
        coordinator.start()
    time.sleep(BEFORE_KILL_SECONDS)
    killed = formation.kill_primary()
    killed_at = time.monotonic()
    time.sleep(AFTER_KILL_SECONDS)
    stop.set()
    for coordinator in coordinators:
        coordinator.join(timeout=30)

    states = formation.wait_for(lambda s: s.get(killed.name) != "primary" and "primary" in s.values() or
                                "wait_primary" in s.values(), 30)  # fmt: skip
    promoted = next(node for node in formation.nodes if node is not killed)
    acknowledged = [ref for c in coordinators for ref in c.acknowledged]
    before = [
        ref for c in coordinators for ref, at in zip(c.acknowledged, c.successes_at, strict=True) if at < killed_at
    ]
    after = sorted(at for c in coordinators for at in c.successes_at if at > killed_at)  # sent after the kill
    assert all(c.logged_in for c in coordinators), "a coordinator could not log in"
    assert before, "no save went through before the kill: the load did not run"
    assert after, f"no save succeeded after the kill (formation: {states})"
    # The first save sent after the kill that succeeded (a save sent just before it may still be answered).
    back = next((at for at in after if at > killed_at + 0.5), after[0]) - killed_at
    assert back < 30, f"saves came back {back:.1f} s after the kill"

    with psycopg.connect(promoted.url(formation.database), options="-c fls.all_programmes=maintenance") as database:
        stored = {row[0] for row in database.execute("SELECT patient_ref FROM patients_patient")}
    lost = set(acknowledged) - stored
    assert not lost, f"{len(lost)} acknowledged saves are missing from the promoted database: {sorted(lost)[:10]}"

    failed = [f for c in coordinators for f in c.failed]
    for ref, status, page in failed:
        if status == 0:
            continue  # the connection itself was cut (the request never got an answer to show)
        assert status == 503, (ref, status, page[:300])
        assert "Temporarily unavailable" in page and ref in page and "Send again" in page, (ref, page[:500])
    print(
        f"\n{len(acknowledged)} saves acknowledged ({len(before)} before the kill), all in the promoted database; "
        f"{len(failed)} failed during the failover, each on the 503 page with its entries kept; "
        f"saves back {back:.1f} s after the kill (the first save sent after it that succeeded)"
    )
