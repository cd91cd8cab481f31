#!/usr/bin/env bash
# Installs the real Socket.IO implementations that tests/interop runs (see README.md):
#   node_modules/       socket.io + socket.io-client 4.x, 3.1, 2.x and 0.9.x (npm aliases,
#                       socket.io-msgpack-parser;
#                       exact versions from package-lock.json)
#   py/eio3/            python-socketio 4.6.1 + python-engineio 3.14.2 (EIO3)
#   py/legacy09/        socketIO-client 0.5.7.4 (Socket.IO 0.9)
# python-socketio 5.x (EIO4) comes from the project's own .venv (pyproject dev extras).
# Idempotent: re-running checks and re-syncs everything; any failure stops the script.
set -euo pipefail
cd "$(dirname "$0")"

PY="${PEERS_PYTHON:-python3.11}"
for tool in node npm "$PY"; do
    command -v "$tool" >/dev/null || { echo "install.sh: $tool not found" >&2; exit 1; }
done

# --ignore-scripts: socket.io 0.9 pulls ws 0.4, whose native build fails on node 20;
# ws falls back to plain JavaScript without it.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

venv() {  # venv DIR REQUIREMENTS IMPORT
    local dir="$1" req="$2" module="$3"
    if [ ! -x "$dir/bin/python" ]; then
        "$PY" -m venv "$dir"
    fi
    "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    "$dir/bin/python" -c "import $module" \
        || { echo "install.sh: $dir cannot import $module" >&2; exit 1; }
}
venv py/eio3 requirements-eio3.txt socketio
venv py/legacy09 requirements-legacy09.txt socketIO_client
bash ./install_gevent09.sh  # gevent-socketio 0.3.6 on CPython 2.7 (py/gevent09)

node -e '
for (const m of ["sio4", "sio4-client", "sio3", "sio3-client", "sio2", "sio2-client",
                 "sio09", "sio09-client", "socket.io-msgpack-parser"]) {
  require("./node_modules/" + m);
}' || { echo "install.sh: a node peer package does not load" >&2; exit 1; }
echo "install.sh: peers installed"
