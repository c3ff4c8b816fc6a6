#!/usr/bin/env bash
# Set up everything the analyser needs on a fresh Debian/Ubuntu machine with Python 3.11+
# and git: the system packages (when run as root with apt-get), a virtualenv in .venv, and
# the package with its test extras. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(git chromium poppler-utils fonts-dejavu-core graphviz linux-source-6.12)
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
# the kernel source the behaviour catalogue is built from (analyzer catalogue build)
[ -f /usr/src/linux-source-6.12.tar.xz ] || missing+=(linux-source-6.12)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these system packages (needed for browser/PDF checks and the catalogue build): ${missing[*]}" >&2
    echo "setup: e.g. sudo apt-get install ${SYSTEM_PACKAGES[*]}" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
echo "setup: ready (.venv)"
