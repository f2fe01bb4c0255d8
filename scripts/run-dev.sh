#!/usr/bin/env bash
# `make run`: the web server and, beside it, the scheduler (reminders, notices,
# digests, the outbox), which stops when the web server stops. E-mails go to the
# development mailbox (instance/mailbox), readable in the app under /dev/mailbox.
set -euo pipefail
cd "$(dirname "$0")/.."
FLASK=(.venv/bin/flask --app wsgi)
export DEV_MAILBOX_DIR="${DEV_MAILBOX_DIR:-$PWD/instance/mailbox}"
export SCHEDULER_TICK_SECONDS="${SCHEDULER_TICK_SECONDS:-20}"
# A demo at any hour: the jobs that write to people act all day (working days only).
export JOB_HOURS="${JOB_HOURS:-0-24}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-5000}"

"${FLASK[@]}" scheduler run &
scheduler=$!
stop() {
  if kill -0 "$scheduler" 2>/dev/null; then
    kill "$scheduler" 2>/dev/null || true
    wait "$scheduler" 2>/dev/null || true
  fi
}
trap stop EXIT INT TERM

echo "Scheduler running (pid $scheduler); e-mails go to $DEV_MAILBOX_DIR (read them at /dev/mailbox)."
echo "Serving on http://$HOST:$PORT/ (Ctrl-C stops both)"
"${FLASK[@]}" run --host "$HOST" --port "$PORT"
