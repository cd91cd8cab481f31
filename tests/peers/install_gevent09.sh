#!/usr/bin/env bash
# Installs gevent-socketio 0.3.6 (the original Socket.IO 0.9 server) for tests/interop:
# a Python 2.7 virtualenv in py/gevent09 from pyenv's CPython 2.7.18, with greenlet 2.0.2,
# gevent 1.0.2 built from source, gevent-websocket 0.10.1 (requirements-gevent09.txt).
# The server script is legacy/gevent09_server.py. Idempotent; any failure stops it.
set -euo pipefail
cd "$(dirname "$0")"

PY27="${GEVENT09_PYTHON:-$HOME/.pyenv/versions/2.7.18/bin/python}"
DIR=py/gevent09
fail() { echo "install_gevent09.sh: $*" >&2; exit 1; }

[ -x "$PY27" ] || fail "$PY27 not found (pyenv install 2.7.18, or set GEVENT09_PYTHON)"
"$PY27" -c 'import sys; sys.exit(sys.version_info[:2] != (2, 7))' \
    || fail "$PY27 is not Python 2.7"
command -v gcc >/dev/null || fail "gcc not found: gevent 1.0.2 is compiled from source"

if [ ! -x "$DIR/bin/python" ]; then
    if ! "$PY27" -m virtualenv --version >/dev/null 2>&1; then
        # 2.7.18 ships ensurepip (pip 19.2.3, offline); virtualenv 20.x is the last
        # line that still runs on and creates Python 2.7 environments.
        "$PY27" -m pip --version >/dev/null 2>&1 || "$PY27" -m ensurepip --default-pip
        "$PY27" -m pip install -q --disable-pip-version-check 'virtualenv<21'
    fi
    "$PY27" -m virtualenv -q "$DIR"
fi
PIP=("$DIR/bin/python" -m pip install -q --disable-pip-version-check --no-python-version-warning)
# greenlet first, so the pinned one is what gevent's "greenlet>=0.4.7" finds.
"${PIP[@]}" greenlet==2.0.2
"${PIP[@]}" -r requirements-gevent09.txt
"$DIR/bin/python" -c '
import gevent, gevent.core, geventwebsocket, socketio.server, socketio.namespace
assert gevent.__version__ == "1.0.2", gevent.__version__
' || fail "$DIR cannot import gevent 1.0.2 / gevent-socketio"
echo "install_gevent09.sh: gevent09 installed"
