"""A pg_auto_failover formation on this machine: a monitor, a primary and a standby, each its own
PostgreSQL 15 (Debian's ``postgresql-15-auto-failover`` and ``pg-auto-failover-cli``), run by
``pg_autoctl`` as the ``postgres`` system user (PostgreSQL refuses to run as root).

The monitor is tuned to decide quickly (a node is unhealthy after 5 s without an answer), so that
the test's "saves succeed again within 30 s" measures the registry, not a cautious default. Writes
are synchronous to the standby: the primary's ``synchronous_standby_names`` names it (checked)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RUN_AS = "postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(*command: str, **kwargs) -> list[str]:
    prefix = ["runuser", "-u", RUN_AS, "--"] if os.geteuid() == 0 else []
    return [*prefix, *command]


@dataclass
class Node:
    name: str
    pgdata: Path
    port: int
    process: subprocess.Popen | None = None

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def postmaster_pid(self) -> int:
        return int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])


@dataclass
class Formation:
    root: Path
    database: str
    monitor: Node = None
    nodes: list[Node] = field(default_factory=list)
    env: dict = field(default_factory=dict)

    @classmethod
    def build(cls, database: str = "fls_registry") -> Formation:
        if not shutil.which("pg_autoctl") or not (PG_BIN / "pg_ctl").exists():
            raise RuntimeError(
                "pg_autoctl or PostgreSQL 15 is missing: apt-get install postgresql-15-auto-failover pg-auto-failover-cli"
            )
        root = Path(tempfile.mkdtemp(prefix="fls-failover-"))
        shutil.chown(root, RUN_AS, RUN_AS)
        formation = cls(root=root, database=database)
        formation.env = {**os.environ, "PG_CONFIG": str(PG_BIN / "pg_config"), "PATH": f"{PG_BIN}:{os.environ['PATH']}",
                         "XDG_CONFIG_HOME": str(root / "config"), "XDG_DATA_HOME": str(root / "share"),
                         "HOME": str(root)}  # fmt: skip
        formation._monitor()
        for name in ("node1", "node2"):
            formation._node(name)
        formation.wait_for(lambda states: sorted(states.values()) == ["primary", "secondary"], 300)
        return formation

    def _run(self, node: Node, *arguments: str) -> subprocess.Popen:
        log = open(self.root / f"{node.name}.log", "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(
            as_postgres("pg_autoctl", *arguments),
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            start_new_session=True,  # its own process group: the keeper and the PostgreSQL it runs
        )

    def _monitor(self) -> None:
        self.monitor = Node("monitor", self.root / "monitor", free_port())
        self.monitor.process = self._run(
            self.monitor, "create", "monitor", "--pgdata", str(self.monitor.pgdata), "--pgport", str(self.monitor.port),
            "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--run",
        )  # fmt: skip
        self._wait_ready(self.monitor, "pg_auto_failover")
        with psycopg.connect(self.monitor.url("pg_auto_failover"), autocommit=True) as monitor:
            for setting, value in (
                ("pgautofailover.health_check_period", "1000"),
                ("pgautofailover.health_check_timeout", "1000"),
                ("pgautofailover.health_check_max_retries", "1"),
                ("pgautofailover.health_check_retry_delay", "500"),
                ("pgautofailover.node_considered_unhealthy_timeout", "5000"),
                # How long the monitor waits for a lost primary to demote itself before promoting
                # the standby (30 s by default): the primary here is gone, killed.
                ("pgautofailover.primary_demote_timeout", "5000"),
            ):
                monitor.execute(f"ALTER SYSTEM SET {setting} = {value}")  # noqa: S608 - fixed values
            monitor.execute("SELECT pg_reload_conf()")

    def _node(self, name: str) -> Node:
        node = Node(name, self.root / name, free_port())
        node.process = self._run(
            node, "create", "postgres", "--pgdata", str(node.pgdata), "--pgport", str(node.port),
            "--hostname", "127.0.0.1", "--name", name, "--dbname", self.database, "--auth", "trust", "--no-ssl",
            "--monitor", self.monitor.url("pg_auto_failover", "autoctl_node"), "--run",
        )  # fmt: skip
        self.nodes.append(node)
        if len(self.nodes) == 1:
            self.wait_for(lambda states: states.get(name) in ("single", "primary"), 300)
        return node

    def _wait_ready(self, node: Node, database: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                psycopg.connect(node.url(database), connect_timeout=1).close()
                return
            except psycopg.Error:
                time.sleep(0.5)
        raise RuntimeError(f"{node.name} did not start: {(self.root / f'{node.name}.log').read_text()[-3000:]}")

    def states(self) -> dict[str, str]:
        try:
            with psycopg.connect(self.monitor.url("pg_auto_failover"), connect_timeout=2) as monitor:
                rows = monitor.execute("SELECT nodename, reportedstate FROM pgautofailover.node").fetchall()
        except psycopg.Error:
            return {}
        return dict(rows)

    def wait_for(self, condition, timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        states = {}
        while time.monotonic() < deadline:
            states = self.states()
            if condition(states):
                return states
            time.sleep(0.5)
        raise RuntimeError(f"the formation did not reach the state asked for: {states}")

    def primary(self) -> Node:
        states = self.states()
        return next(node for node in self.nodes if states.get(node.name) in ("primary", "single", "wait_primary"))

    def multi_host_url(self, user: str, database: str | None = None) -> str:
        hosts = ",".join("127.0.0.1" for _ in self.nodes)
        ports = ",".join(str(node.port) for node in self.nodes)
        return (
            f"postgres://{user}@/{database or self.database}?host={hosts}&port={ports}&target_session_attrs=read-write"
        )

    def kill_primary(self) -> Node:
        """SIGKILL the primary's postmaster, and its keeper (else the keeper starts it again at once
        and nothing fails over): the machine the primary ran on is gone."""
        node = self.primary()
        os.kill(node.postmaster_pid(), signal.SIGKILL)  # the postmaster first, mid-load
        os.killpg(node.process.pid, signal.SIGKILL)  # then its keeper, which would start it again
        return node

    def destroy(self) -> None:
        for node in [*self.nodes, self.monitor]:
            if node and node.process and node.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.process.pid, signal.SIGTERM)
        subprocess.run(["pkill", "-KILL", "-f", str(self.root)], check=False)
        time.sleep(1)
        shutil.rmtree(self.root, ignore_errors=True)
