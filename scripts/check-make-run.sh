#!/usr/bin/env bash
# The README's first command, checked as a newcomer runs it: `make run` with nothing set must
# install, migrate, load the demo and serve it. Starts it on a spare port, waits until the home
# page answers with the demo's figures and a demo person can reach the login page, then stops it.
# Usage: scripts/check-make-run.sh [seconds to wait, default 300]
set -euo pipefail
cd "$(dirname "$0")/.."
WAIT="${1:-300}"
PORT="${CHECK_RUN_PORT:-8765}"
LOG="$(mktemp)"

setsid env -u DATABASE_URL -u DATABASE_ADMIN_URL -u DATABASE_OWNER_URL -u REDIS_URL \
  -u CELERY_BROKER_URL -u CACHE_URL make run PORT="$PORT" >"$LOG" 2>&1 &
RUN_PID=$!
stop() {
  kill -TERM -- "-$RUN_PID" 2>/dev/null || true
  wait "$RUN_PID" 2>/dev/null || true
}
trap stop EXIT

for _second in $(seq "$WAIT"); do
  if ! kill -0 "$RUN_PID" 2>/dev/null; then
    echo "make run stopped before it served:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  if home="$(curl -fsS "http://127.0.0.1:$PORT/" 2>/dev/null)"; then
    if grep -q "Milano" <<<"$home" && curl -fsS "http://127.0.0.1:$PORT/accounts/login/" >/dev/null \
      && curl -fsS "http://127.0.0.1:$PORT/map/" | grep -q "FLS Milano Niguarda"; then
      echo "make run serves the demo on port $PORT after ${_second} s"
      exit 0
    fi
    echo "make run answers on port $PORT but without the demo data:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  sleep 1
done
echo "make run did not answer on port $PORT within $WAIT s:" >&2
tail -n 40 "$LOG" >&2
exit 1
