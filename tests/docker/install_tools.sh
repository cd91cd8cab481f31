#!/usr/bin/env bash
# Install buildah and mmdebstrap (Debian packages) for tests/docker/ and `make image`
# on a machine without a Docker engine. Called from `make peers`; a no-op when both
# are on PATH. docs/operations.md, "Build and test the image without a Docker daemon".
set -euo pipefail
if command -v buildah >/dev/null 2>&1 && command -v mmdebstrap >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends buildah mmdebstrap >/dev/null
buildah --version
