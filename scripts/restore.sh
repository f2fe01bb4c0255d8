#!/usr/bin/env bash
# Restore a backup of scripts/backup.sh into a fresh installation:
#   DATABASE_URL=postgresql://…/empty_db [STORAGE_BACKEND=… UPLOAD_ROOT=… S3_*=…] \
#     scripts/restore.sh SRC
#
# The database must exist and be empty, the evidence storage (folder or bucket)
# must exist; INSPECT_DATA_KEY must be the backed-up installation's key. Steps:
# check SHA256SUMS, pg_restore, copy the evidence in, then prove the result:
# `flask audit verify` (the hash chain is intact) and `flask evidence sweep
# --dry-run` (no row lacks its file). Each step's duration is printed.
set -euo pipefail
src=${1:?usage: scripts/restore.sh SRC}
root=$(cd "$(dirname "$0")/.." && pwd)
flask=${FLASK:-$root/.venv/bin/flask}
jobs=${RESTORE_JOBS:-2}

url=${DATABASE_URL:?DATABASE_URL must name the empty PostgreSQL database to restore into}
case "$url" in
  postgresql+psycopg://*) url="postgresql://${url#postgresql+psycopg://}" ;;
  postgres://*) url="postgresql://${url#postgres://}" ;;
  postgresql://*) ;;
  *) echo "restore.sh restores into PostgreSQL (DATABASE_URL=postgresql://…)" >&2; exit 1 ;;
esac
src=$(cd "$src" && pwd)
tables=$(psql "$url" -qAtc "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
if [ "$tables" != "0" ]; then
  echo "the target database is not empty ($tables tables): restore into a new one" >&2; exit 1
fi

step() {
  local name=$1 start end; shift
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  awk -v n="$name" -v s="$start" -v e="$end" 'BEGIN { printf "%-10s %8.2f s\n", n, e - s }' >&2
}
app() { (cd "$root" && "$flask" --app wsgi "$@"); }

step checksums bash -c 'cd "$1" && sha256sum --quiet --strict -c SHA256SUMS' _ "$src"
step database pg_restore --no-owner --no-acl --exit-on-error --jobs "$jobs" -d "$url" "$src/database.dump"
step evidence app evidence import --from "$src/evidence"
step audit app audit verify
step files app evidence sweep --dry-run
echo "restored from $src" >&2
