#!/usr/bin/env bash
# Builds wheels/ on this host for an offline image build (the Dockerfile installs from wheels/ when it holds any):
# the runtime dependencies of pyproject.toml, setuptools to build the project, and what only the
# image's Python needs (Debian bookworm's 3.11.2: redis-py asks for async-timeout below 3.11.3).
#   container/wheels.sh [PYTHON]      (default python3; a Python 3.11 with pip)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
requirements=$(mktemp)
trap 'rm -f "$requirements"' EXIT
"$python" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
  >"$requirements"
"$python" -m pip wheel -q --disable-pip-version-check -w wheels -r "$requirements" 'setuptools>=68' 'async-timeout>=4.0.3'
