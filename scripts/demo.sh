#!/usr/bin/env bash
# The main job, for a fresh Debian/Ubuntu machine, as root:
#
#   bash scripts/demo.sh [--keep]
#
# Installs what is missing (Debian packages, the venv), starts clamd on the bundled
# signatures, the milter, and a private Postfix on 127.0.0.1:10025 (and Sendmail on
# :10026), sends every mail in samples/ through Postfix and prints what happened to
# each next to the verdict `mailwarden scan` gives it. --keep leaves the stack
# running (stop it with: .venv/bin/python -m devstack down).
set -euo pipefail

cd "$(dirname "$0")/.."

bash scripts/install.sh
exec .venv/bin/python -m devstack.demo "$@"
