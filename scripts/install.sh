#!/usr/bin/env bash
# One-step install: the harness with its test tools, and real images when the system allows.
# torch is pinned to 2.13.0 in pyproject.toml (an unpinned torch pulls a multi-GB CUDA build).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[dev]"
# Fashion-MNIST (real labelled images) from Debian; optional: the harness falls back to
# synthetic inputs with a warning when it is absent.
if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 ||
      (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1)) ||
      echo "install: could not install dataset-fashion-mnist; proxies will use synthetic inputs"
  else
    echo "install: run 'sudo apt-get install -y dataset-fashion-mnist' for real images"
  fi
fi
