"""PostgreSQL restarted while the app runs: requests fail cleanly with a 503 page, then the app
recovers by itself, without being restarted.

The app runs in its own process (the development server, production settings for errors) and
reaches PostgreSQL through a small TCP relay; stopping the relay (and cutting every open
connection) is the database going away, starting it again is the database coming back."""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from tests.fls_registry.test_settings import ROOT

pytestmark = pytest.mark.faults


class Relay:
    """A TCP relay from a local port to PostgreSQL that can be stopped and started again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = self._free_port()
        self.connections: list[socket.socket] = []
        self.listener = None

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(50)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self):
        for sock in (self.listener, *self.connections):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept() and cuts the streams
            sock.close()
        self.connections.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            upstream = self._connect_upstream()
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _connect_upstream(self) -> socket.socket:
        host, port = self.target
        if host.startswith("/"):  # a Unix socket directory (the embedded PostgreSQL)
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(f"{host}/.s.PGSQL.{port}")
            return upstream
        return socket.create_connection(self.target)

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):  # shutdown, not only close: another thread may be in recv()
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - a local test server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def app_through_relay(transactional_db, programme):
    config = settings.DATABASES["default"]
    relay = Relay((config["HOST"] or "127.0.0.1", int(config["PORT"] or 5432)))
    relay.start()
    port = Relay._free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DATABASE_URL=f"postgres://{config['USER']}@127.0.0.1:{relay.port}/{config['NAME']}",
        DJANGO_DEBUG="false",
        DATABASE_CONNECT_TIMEOUT="2",
    )
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if get(base + "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
        if server.poll() is not None:
            pytest.fail(f"the app did not start (relay to {relay.target}): " + server.stderr.read().decode()[-3000:])
    try:
        yield base, relay
    finally:
        server.terminate()
        server.wait(timeout=10)
        relay.stop()
        wait_for_other_sessions_to_end()


def wait_for_other_sessions_to_end(seconds: float = 10):
    """PostgreSQL ends a cut session a moment later; the test database is dropped only without any."""
    from django.db import connection

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.1)


def test_a_database_restart_gives_a_503_page_then_the_app_recovers(app_through_relay):
    base, relay = app_through_relay
    status, page = get(base + "/resources/")
    assert status == 200, page[:500]

    relay.stop()  # PostgreSQL goes away, open connections are cut
    status, page = get(base + "/resources/")
    assert status == 503
    assert "database cannot be reached" in page
    assert "Traceback" not in page
    status, body = get(base + "/api/v1/public/summary?fresh=1")
    assert status in (200, 503)  # served from the cache, or a clean 503

    relay.start()  # PostgreSQL is back: the same app process answers again
    for _ in range(20):
        status, page = get(base + "/resources/")
        if status == 200:
            break
        time.sleep(0.5)
    assert status == 200
