#!/usr/bin/env bash
# Install what the harness needs, once: later calls return at once while pyproject.toml
# is unchanged and the package still imports from this checkout.
#   bash scripts/install.sh          the harness (torch==2.13.0 pinned in pyproject.toml)
#   bash scripts/install.sh --dev    + test tools, Dask distributed (the `dist` extra, so the
#                                    Dask executor's tests run), and Chromium for the HTML
#                                    report test
# Both add Debian's dataset-fashion-mnist (real labelled images) where apt is usable;
# without it proxies use synthetic inputs, with a warning.
set -euo pipefail
cd "$(dirname "$0")/.."
level=run
[ "${1:-}" = "--dev" ] && level=dev
stamp=".install-stamp-$level"
# The extras each level installs: part of the stamp, so a change here reinstalls once.
extras=""
[ $level = dev ] && extras="[dev,dist]"
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $(command -v python3) $extras"

installed() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    python3 -c 'import pathlib, sys, harness; sys.exit(pathlib.Path(harness.__file__).parents[1] != pathlib.Path.cwd())' 2>/dev/null &&
    { [ $level != dev ] || python3 -c 'import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in ("pytest", "distributed")))'; }
}

apt_install() {  # apt_install PACKAGE: quietly, as root only; never fatal
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ "$(id -u)" != 0 ]; then
    echo "install: run 'sudo apt-get install -y $1' to add it" >&2
    return 1
  fi
  apt-get install -y -q "$1" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$1" >/dev/null 2>&1; }
}

if ! installed; then
  # Until 0.1.0 got its own name the distribution was called `harness`; an install under
  # the old name would keep a second `harness` command and package record. Removed first:
  # uninstalling it after the new install would delete the command they share.
  # (pip's output is read whole first: under pipefail, `grep -q` closing the pipe early
  # would make pip fail and the test read false.)
  old="$(python3 -m pip show harness 2>/dev/null || true)"
  if grep -q '^Summary: The proxy-ranking harness' <<<"$old"; then
    python3 -m pip uninstall -q -y harness
  fi
  echo "install: pip install -e .$extras (first time: a few minutes)" >&2
  python3 -m pip install -q -e ".$extras"
  echo "$want" >"$stamp"
fi
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  apt_install dataset-fashion-mnist ||
    echo "install: no dataset-fashion-mnist; proxies will use synthetic inputs" >&2
fi
if [ $level = dev ] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium || echo "install: no chromium; the HTML report browser test will skip" >&2
fi
exit 0
