#!/usr/bin/env bash
# The test command for developers and CI (.ci/run calls it):
#
#   bash scripts/test.sh [pytest arguments]
#
# Installs what is missing (scripts/install.sh, quick when nothing changed),
# then runs the whole suite; tests under tests/integration start the real
# daemons themselves through devstack.  Must run as root.
set -euo pipefail

cd "$(dirname "$0")/.."

bash scripts/install.sh

# --- Static checks ---------------------------------------------------------
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

# --- Tests -------------------------------------------------------------------
# pytest exits 5 when it collected nothing: that is a failure here, never a pass.
set +e
.venv/bin/pytest -q tests "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
    echo "test.sh: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
