"""python-socketio 4.x (Engine.IO 3) server running the interop scenario.

The scenario itself is in ../python/sio_server.py. python-socketio 4.6.1 and
python-engineio 3.14.2 predate Python 3.11 and pass bare coroutines to
``asyncio.wait``, which 3.11 refuses; the shim below wraps them in tasks first.
"""

import asyncio
import pathlib
import sys
from collections.abc import Awaitable, Iterable
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python"))

import sio_server

_asyncio_wait = asyncio.wait


async def _wait_accepting_coroutines(aws: Iterable[Awaitable[Any]], **kwargs: Any) -> Any:
    return await _asyncio_wait([asyncio.ensure_future(aw) for aw in aws], **kwargs)


asyncio.wait = _wait_accepting_coroutines  # type: ignore[assignment]

if __name__ == "__main__":
    sio_server.main()
