#!/usr/bin/env bash
# Run a command with a Redis for the tests:   scripts/with-redis.sh pytest …
# Uses TEST_REDIS_URL if set, else the server at 127.0.0.1:6379 if one answers;
# otherwise installs Debian's redis-server when missing (apt, as root or with sudo)
# and starts a throwaway server on a free loopback port, without persistence,
# stopped and removed afterwards; TEST_REDIS_URL points the tests at it.
set -euo pipefail

answers() {  # answers HOST PORT: a Redis replies PONG there
  { exec 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  local reply
  read -r -t 2 reply <&3 || true
  exec 3>&- 3<&-
  [[ "$reply" == +PONG* ]]
}

if [ -n "${TEST_REDIS_URL:-}" ] || answers 127.0.0.1 6379; then
  exec "$@"
fi

if ! command -v redis-server >/dev/null; then
  echo "Redis is not installed; installing Debian's redis-server…" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d /tmp/inspect-redis.XXXXXX)
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$dir" \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/log"
cleanup() {
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 50); do answers 127.0.0.1 "$port" && break; sleep 0.1; done
echo "Started a throwaway Redis on port $port" >&2
export TEST_REDIS_URL="redis://127.0.0.1:$port/13"
"$@"
