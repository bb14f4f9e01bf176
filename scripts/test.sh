#!/usr/bin/env bash
# The tests on a fresh machine: install what is needed (first time only), lint, then the
# default test suite (slow tests excluded: python3 -m pytest -m slow). Extra arguments
# go to pytest. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
ruff check harness tests benchmarks scripts examples
exec python3 -m pytest "$@"
