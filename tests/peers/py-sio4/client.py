"""python-socketio 4.x (Engine.IO 3) sync client running the interop scenario.

The scenario itself is in ../python/sio_client.py.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python"))

import sio_client

if __name__ == "__main__":
    sio_client.main()
