#!/usr/bin/env bash
# Back up one installation into a new folder:   scripts/backup.sh DEST
#
# DEST gets
#   database.dump               pg_dump, custom format (pg_restore reads it)
#   evidence/                   every evidence file, encrypted as stored (local or S3)
#   recovery-public-keys.csv    the offices' recovery keys, public halves only
#   MANIFEST                    when, which schema revision, how many files
#   SHA256SUMS                  of all the above (restore.sh checks them first)
# and each step's duration is printed (docs/operations.md § Backup and restore).
#
# It reads the app's own environment (DATABASE_URL, STORAGE_BACKEND, UPLOAD_ROOT,
# S3_*), so run it where the scheduler runs. The database is dumped before the
# evidence is copied: files are written before their rows commit and the sweep only
# removes files no row needs, so every row in the dump finds its file.
# It never copies INSPECT_DATA_KEY or SECRET_KEY: keep those offline, apart.
set -euo pipefail
dest=${1:?usage: scripts/backup.sh DEST}
root=$(cd "$(dirname "$0")/.." && pwd)
flask=${FLASK:-$root/.venv/bin/flask}

url=${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database}
case "$url" in
  postgresql+psycopg://*) url="postgresql://${url#postgresql+psycopg://}" ;;
  postgres://*) url="postgresql://${url#postgres://}" ;;
  postgresql://*) ;;
  *) echo "backup.sh backs up PostgreSQL (DATABASE_URL=postgresql://…)" >&2; exit 1 ;;
esac
if [ -e "$dest" ] && [ -n "$(ls -A "$dest" 2>/dev/null)" ]; then
  echo "$dest exists and is not empty" >&2; exit 1
fi
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

step() {  # step NAME COMMAND…: run it, print how long it took
  local name=$1 start end; shift
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  awk -v n="$name" -v s="$start" -v e="$end" 'BEGIN { printf "%-10s %8.2f s\n", n, e - s }' >&2
}

step database pg_dump --format=custom --no-owner --no-acl --file "$dest/database.dump" "$url"
step evidence bash -c 'cd "$1" && "$2" --app wsgi evidence export --to "$3/evidence" >&2' _ "$root" "$flask" "$dest"
step keys psql "$url" -v ON_ERROR_STOP=1 -qAtc "\\copy (SELECT o.code AS office, k.fingerprint, k.public_key, k.created_at, k.retired_at FROM recovery_keys k LEFT JOIN offices o ON o.id = k.office_id ORDER BY k.id) TO '$dest/recovery-public-keys.csv' WITH (FORMAT csv, HEADER)"

{
  echo "created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "schema_revision=$(psql "$url" -qAtc 'SELECT version_num FROM alembic_version')"
  echo "evidence_files=$(find "$dest/evidence" -type f | wc -l)"
  echo "code=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
} > "$dest/MANIFEST"
step checksums bash -c 'cd "$1" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 -r sha256sum > SHA256SUMS' _ "$dest"
echo "backup written to $dest" >&2
