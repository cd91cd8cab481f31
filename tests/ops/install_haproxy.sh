#!/usr/bin/env bash
# Install HAProxy (Debian package `haproxy`) for tests/ops/test_haproxy.py.
# Called from `make peers`; a no-op when haproxy is already on PATH.
# The package's service is not started: the test runs its own haproxy with a
# generated config on loopback ports and stops it by pid.
set -euo pipefail
if command -v haproxy >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit 101 stops the package from starting the system service.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends haproxy >/dev/null
haproxy -v | head -1
