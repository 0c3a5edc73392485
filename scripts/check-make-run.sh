#!/usr/bin/env bash
# The README's first command, checked as a newcomer runs it: `make run` with nothing set must
# install, migrate, load the demo and serve it. Starts it on a spare port, waits until the home
# page and the login page answer and the map lists a demo programme, then stops it.
# Usage: scripts/check-make-run.sh [seconds to wait, default 300]
set -euo pipefail
cd "$(dirname "$0")/.."
WAIT="${1:-300}"
PORT="${CHECK_RUN_PORT:-8765}"
LOG="$(mktemp)"

# A job started with & has Ctrl-C ignored; give it back, so that stopping it is a person's Ctrl-C
# (the embedded PostgreSQL stops with the last process that used it).
setsid env -u DATABASE_URL -u DATABASE_ADMIN_URL -u DATABASE_OWNER_URL -u REDIS_URL \
  -u CELERY_BROKER_URL -u CACHE_URL python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' make run PORT="$PORT" >"$LOG" 2>&1 &
RUN_PID=$!
stop() {
  kill -INT -- "-$RUN_PID" 2>/dev/null || true
  wait "$RUN_PID" 2>/dev/null || true
  for _wait in $(seq 20); do  # runserver's child finishes its Ctrl-C after make has gone
    pgrep -g "$RUN_PID" >/dev/null || return 0
    sleep 0.5
  done
  kill -KILL -- "-$RUN_PID" 2>/dev/null || true
}
trap stop EXIT

if python3 - "$PORT" "$WAIT" "$RUN_PID" <<'PY'; then
import os, sys, time, urllib.request

port, wait, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
base = f"http://127.0.0.1:{port}"

def get(path):
    with urllib.request.urlopen(base + path, timeout=30) as answer:
        return answer.status, answer.read().decode()

deadline = time.monotonic() + wait
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("make run stopped before it served")
    try:
        status, _ = get("/")
    except OSError:
        time.sleep(1)
        continue
    if get("/accounts/login/")[0] == 200 and "FLS Milano Niguarda" in get("/map/")[1]:
        print(f"make run serves the demo on port {port}")
        sys.exit(0)
    sys.exit(f"make run answers on port {port} but the map lists no demo programme")
sys.exit(f"make run did not answer on port {port} within {wait:.0f} s")
PY
  exit 0
fi
tail -n 40 "$LOG" >&2
exit 1
