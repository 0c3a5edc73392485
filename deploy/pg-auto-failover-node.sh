#!/bin/sh
# One node of the `ha` profile (docker-compose.yml): the `monitor`, or a data `node`. Creates it on
# its first start, then runs it under pg_autoctl. Passwords come from the environment (scram-sha-256,
# TLS with self-signed certificates inside the compose network).
set -eu
role="$1"
if [ "$role" = monitor ]; then
  [ -f "$PGDATA/PG_VERSION" ] || pg_autoctl create monitor --pgdata "$PGDATA" --pgport 5432 \
    --hostname "$(hostname)" --auth scram-sha-256 --ssl-self-signed
  pg_autoctl run --pgdata "$PGDATA" &
  run=$!
  until psql -d pg_auto_failover -c "ALTER USER autoctl_node PASSWORD '$AUTOCTL_NODE_PASSWORD'" >/dev/null 2>&1; do sleep 1; done
  # A lost primary is gone, not slow: promote after 5 s instead of 30 (as tests/failover/cluster.py).
  psql -d pg_auto_failover -c "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 5000" \
    -c "SELECT pg_reload_conf()" >/dev/null
  wait "$run"
  exit $?
fi
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  pg_autoctl create postgres --pgdata "$PGDATA" --pgport 5432 --hostname "$(hostname)" --name "$(hostname)" \
    --dbname fls_registry --auth scram-sha-256 --ssl-self-signed --pg-hba-lan \
    --monitor "postgres://autoctl_node:${AUTOCTL_NODE_PASSWORD}@pg-monitor:5432/pg_auto_failover?sslmode=require"
  pg_autoctl config set --pgdata "$PGDATA" replication.password "$REPLICATION_PASSWORD"
fi
pg_autoctl run --pgdata "$PGDATA" &
run=$!
# On whichever node is primary: the two roles of docs/security.md (as deploy/postgres-init.sh does
# for the single server), idempotent; the standby receives them by replication.
until [ "$(psql -d fls_registry -tAc 'SELECT NOT pg_is_in_recovery()' 2>/dev/null || true)" = t ] \
   || [ "$(psql -d fls_registry -tAc 'SELECT pg_is_in_recovery()' 2>/dev/null || true)" = t ]; do sleep 2; done
psql -v ON_ERROR_STOP=1 -d fls_registry -v owner_password="$FLS_OWNER_PASSWORD" -v app_password="$FLS_APP_PASSWORD" \
  -v replication_password="$REPLICATION_PASSWORD" <<'SQL' >/dev/null 2>&1 || true
SELECT NOT pg_is_in_recovery() AS primary \gset
\if :primary
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fls_owner') AS missing \gset
\if :missing
CREATE ROLE fls_owner LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS PASSWORD :'owner_password';
CREATE ROLE fls_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD :'app_password';
ALTER USER pgautofailover_replicator PASSWORD :'replication_password';
ALTER DATABASE fls_registry OWNER TO fls_owner;
ALTER SCHEMA public OWNER TO fls_owner;
\endif
\endif
SQL
wait "$run"
