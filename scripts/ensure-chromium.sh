#!/usr/bin/env bash
# Install Debian's Chromium for the end-to-end tests when it is missing.
set -eu
[ -x /usr/bin/chromium ] && exit 0
echo "Installing Debian's chromium for the end-to-end tests…" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
