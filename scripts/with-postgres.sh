#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL database:
#   scripts/with-postgres.sh pytest …
# Uses the server at PGHOST:PGPORT (default 127.0.0.1:5432) if one answers, else
# starts the local Debian cluster; on a machine without PostgreSQL it installs
# Debian's (apt, as root or with sudo) and starts a cluster of its own in a
# temporary folder on a free port, removed afterwards. Then it creates a fresh
# database, exports DATABASE_URL for the command, and drops the database.
# INSPECT_PG_THROWAWAY=1 always uses a cluster of its own.
set -euo pipefail
PGHOST=${PGHOST:-127.0.0.1}
explicit_port=${PGPORT:-}
PGPORT=${PGPORT:-5432}
export PGHOST PGPORT
throwaway=""

install_postgres() {
  echo "PostgreSQL is not installed; installing Debian's…" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_throwaway() {
  local initdb
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$initdb" ]; then
    install_postgres
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  fi
  local bin
  bin=$(dirname "$initdb")
  throwaway=$(mktemp -d /tmp/inspect-pg.XXXXXX)
  # PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$throwaway"
    as=(runuser -u postgres --)
  fi
  PGHOST=127.0.0.1
  PGPORT=${explicit_port:-$(free_port)}
  echo "Starting a throwaway PostgreSQL cluster in $throwaway on port $PGPORT…" >&2
  "${as[@]}" "$bin/initdb" -D "$throwaway/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$throwaway/data" -l "$throwaway/log" -w \
    -o "-h 127.0.0.1 -p $PGPORT -k $throwaway -c fsync=off" start >/dev/null
  PGUSER=postgres
}

stop_throwaway() {
  [ -n "$throwaway" ] || return 0
  local as=()
  [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")/pg_ctl" \
    -D "$throwaway/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$throwaway"
}

if [ -n "${INSPECT_PG_THROWAWAY:-}" ]; then
  start_throwaway
elif ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
  if [ -z "$explicit_port" ] && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql)" ]; then
    echo "PostgreSQL is not running; starting the local cluster…" >&2
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || start_throwaway
  else
    start_throwaway
  fi
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi
export PGHOST PGPORT

PGUSER=${PGUSER:-}
if [ -z "$PGUSER" ]; then
  for candidate in postgres root; do
    if psql -h "$PGHOST" -p "$PGPORT" -U "$candidate" -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
      PGUSER=$candidate; break
    fi
  done
fi
[ -n "$PGUSER" ] || { stop_throwaway; echo "Cannot connect to PostgreSQL as postgres or root." >&2; exit 1; }
export PGUSER

db="inspect_test_$(date +%s)_$$"
psql -d postgres -Atqc "CREATE DATABASE \"$db\" ENCODING 'UTF8' TEMPLATE template0" >/dev/null
cleanup() {
  psql -d postgres -Atqc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  stop_throwaway
}
trap cleanup EXIT
export DATABASE_URL="postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/$db"
export TEST_PG_ADMIN_URL="postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/postgres"
echo "Using PostgreSQL database $db" >&2
"$@"
