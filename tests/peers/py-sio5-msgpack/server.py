"""python-socketio 5.x server with serializer="msgpack" (see ../python/sio_server.py)."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python"))

import sio_server

if __name__ == "__main__":
    sio_server.SERIALIZER = "msgpack"
    sio_server.main()
