#!/usr/bin/env bash
# Installs the Python clients the suite drives (authlib, schemathesis) into a virtual
# environment outside the clone, once: $INTELLIAUTH_PYTHON_VENV, or beside cargo's target
# directory. Prints the environment's python. Safe to run from parallel tests (flock).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${INTELLIAUTH_PYTHON_VENV:-${CARGO_TARGET_DIR:-$here/../../target}/python-clients}"
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$here/requirements.txt" "$stamp"; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  cp "$here/requirements.txt" "$stamp"
fi
echo "$venv/bin/python"
