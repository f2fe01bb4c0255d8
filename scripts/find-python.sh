#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter, or explain what to install.
# Order: python3.12 / python3.13 / python3 on PATH, then pyenv's installed versions.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for candidate in python3.12 python3.13 python3; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if ok "$path"; then echo "$path"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
  for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])(\.|$)' | sort -V); do
    prefix=$(pyenv prefix "$version" 2>/dev/null) || continue
    if ok "$prefix/bin/python3"; then echo "$prefix/bin/python3"; exit 0; fi
  done
fi
echo "inspect_app needs Python 3.12 or newer (vietnam-provinces 2026.x requires it)." >&2
echo "Install it, e.g. 'apt-get install python3.12 python3.12-venv' or 'pyenv install 3.12'," >&2
echo "or run: make PYTHON=/path/to/python3.12 …" >&2
exit 1
