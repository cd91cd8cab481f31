#!/usr/bin/env bash
# Install Chromium (Debian package `chromium`) for the browser tests in tests/web.
# Called from `make peers`; a no-op when chromium is already on PATH. Playwright
# (a dev extra in pyproject.toml) drives this executable: browser downloads are
# never needed (tests/web/conftest.py points Playwright at it).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
