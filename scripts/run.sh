#!/usr/bin/env bash
# The main job on a fresh machine: install what is needed (first time only), then
# `harness run` on its embedded default. Extra arguments go to `harness run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec python3 -m harness run "$@"
