#!/usr/bin/env bash
# Debian packages `make test-failover` needs: PostgreSQL 15 with pg_auto_failover (the extension and
# pg_autoctl). Installs only what is missing; says what to install when it cannot.
set -eu
missing=()
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || missing+=(postgresql-15)
dpkg -s postgresql-15-auto-failover >/dev/null 2>&1 || missing+=(postgresql-15-auto-failover)
command -v pg_autoctl >/dev/null 2>&1 || missing+=(pg-auto-failover-cli)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "Missing packages (${missing[*]}); run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
