#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL database:
#   scripts/with-postgres.sh pytest …
# Starts the local cluster if it is not running, creates a fresh database, exports
# DATABASE_URL for the command, and drops the database afterwards.
set -euo pipefail
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
export PGHOST PGPORT

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
  echo "PostgreSQL is not running; starting the local cluster…" >&2
  if [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  else
    echo "No local PostgreSQL found. Install it (apt-get install postgresql) or set PGHOST." >&2
    exit 1
  fi
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi

PGUSER=${PGUSER:-}
if [ -z "$PGUSER" ]; then
  for candidate in postgres root; do
    if psql -h "$PGHOST" -p "$PGPORT" -U "$candidate" -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
      PGUSER=$candidate; break
    fi
  done
fi
[ -n "$PGUSER" ] || { echo "Cannot connect to PostgreSQL as postgres or root." >&2; exit 1; }
export PGUSER

db="inspect_test_$(date +%s)_$$"
psql -d postgres -Atqc "CREATE DATABASE \"$db\" ENCODING 'UTF8' TEMPLATE template0" >/dev/null
cleanup() {
  psql -d postgres -Atqc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
export DATABASE_URL="postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/$db"
export TEST_PG_ADMIN_URL="postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/postgres"
echo "Using PostgreSQL database $db" >&2
"$@"
