#!/usr/bin/env bash
# Creates bench/.venv-mitm with mitmproxy from PyPI: the tool users would
# otherwise pick, kept out of sioproxy's own venv (its pins clash with ours).
# Idempotent: a venv whose mitmdump runs is left alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-mitm"
py="${PY:-python3.11}"
if [ -x "$venv/bin/mitmdump" ] && "$venv/bin/mitmdump" --version >/dev/null 2>&1; then
    exit 0
fi
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q 'mitmproxy>=10,<13'
"$venv/bin/mitmdump" --version >/dev/null  # fails loudly if the install is broken
