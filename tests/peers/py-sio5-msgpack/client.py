"""python-socketio 5.x sync client with serializer="msgpack" (see ../python/sio_client.py)."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python"))

import sio_client

if __name__ == "__main__":
    sio_client.SERIALIZER = "msgpack"
    sio_client.main()
