"""The python-socketio 5 scenario server, drifted: ``ack_me`` acks a number, not a string.

Test-side peer for tests/contracts: the same server as tests/peers/py-sio5/server.py,
except that ``ack_me`` answers ``[len(arg0), "ack"]`` instead of ``[arg0, "ack"]``, so
its first ack argument changes type from string to integer. Prints ``listening <port>``.
"""

from __future__ import annotations

import pathlib
import sys
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "peers" / "python"))

import sio_server

_register = sio_server.register


def register(sio: Any, namespace: str) -> None:
    _register(sio, namespace)

    async def ack_me(sid: str, *args: Any) -> tuple[Any, str]:
        return (len(str(args[0])) if args else 0, "ack")

    sio.on("ack_me", ack_me, namespace=namespace)


sio_server.register = register

if __name__ == "__main__":
    sio_server.main()
