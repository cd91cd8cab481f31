"""socketIO-client 0.5.7.4 (Socket.IO 0.9, protocol "1") running the interop scenario.

socketIO-client is single-threaded: packets are only read when the caller asks, so the
inboxes pump the library's own ``_process_events`` until the awaited observation arrives.
Namespace leave/re-join uses its public ``disconnect(path)`` and ``define(..., path)``.
"""

from __future__ import annotations

import contextlib
import pathlib
import sys
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python"))

from scenario import ANSWER, Inbox, Transcript, first_echo, parse_args, run_main
from socketIO_client import BaseNamespace, SocketIO
from socketIO_client.exceptions import TimeoutError as SioTimeout

MODES = ["websocket", "xhr-polling"]


def watch(ns: Any, inbox: Inbox) -> None:
    ns.on("connect", lambda: inbox.push(["connect"]))
    for name in ("echo", "answer_received"):
        ns.on(name, _pusher(inbox, name))

    def question(*args: Any) -> None:
        ack = args[-1]
        inbox.push(["event", "question", list(args[:-1])])
        ack(*ANSWER)

    ns.on("question", question)

    def message(data: Any, *ack: Any) -> None:
        # 3::: arrives as str, 4::: as the decoded JSON value (docs/protocol.md#a4-1).
        inbox.push(["message", data] if isinstance(data, str) else ["json", data])

    ns.on("message", message)


def _pusher(inbox: Inbox, name: str) -> Any:
    return lambda *args: inbox.push(["event", name, list(args)])


def acked(ns: Any, inbox: Inbox, name: str, *args: Any) -> None:
    ns.emit(name, *args, lambda *reply: inbox.push(["ack", name, list(reply)]))


def scenario(opts: Any) -> dict[str, Any]:
    url = urlsplit(opts.url)
    sio = SocketIO(
        f"{url.scheme}://{url.hostname}",
        url.port,
        Namespace=BaseNamespace,
        wait_for_connection=False,
        transports=[opts.transport],
    )

    def pump(left: float) -> None:
        # Packets the transport read ahead (xhr-polling's opening GET) go first, without
        # a new read: _process_events() would go on to a GET, and a GET given up on
        # time-out can swallow the next packet the server writes to it.
        queued = sio._transport._packets
        while queued:
            sio._process_packet(queued.pop(0))
        if root_in.pending() or chat_in.pending():
            return
        # One read for the rest of the step: an xhr-polling GET answers as soon as
        # the server queues a packet, so it is never abandoned while one is due.
        with contextlib.suppress(SioTimeout):
            sio._process_events(left)

    t = Transcript()
    root_in, chat_in = Inbox("/", pump), Inbox("/chat", pump)
    root = sio.get_namespace("")
    watch(root, root_in)
    t.expect(root_in, "/", "connect")
    chat = sio.define(BaseNamespace, "/chat")
    watch(chat, chat_in)
    t.expect(chat_in, "/chat", "connect")
    if opts.extra_ack_first:
        acked(root, root_in, "ack_me", "warmup")
        t.warmup = root_in.next("warmup ack")[2]
    root.emit("echo", *first_echo(opts.echo_text))
    t.expect(root_in, "/", "event:echo")
    acked(root, root_in, "ack_me", "x")
    t.expect(root_in, "/", "ack:ack_me")
    root.emit("ask_me")
    t.expect(root_in, "/", "event:question")
    t.expect(root_in, "/", "event:answer_received")
    root.message("plain ünïcode 😀")
    t.expect(root_in, "/", "message")
    root.message({"a": [1, 2]})
    t.expect(root_in, "/", "json")

    chat.emit("echo", *first_echo(None))
    t.expect(chat_in, "/chat", "event:echo")
    acked(chat, chat_in, "ack_me", "x")
    t.expect(chat_in, "/chat", "ack:ack_me")
    sio.disconnect("/chat")
    t.add("/chat", ["leave"])
    acked(root, root_in, "ack_me", "sync")  # the barrier every client makes here
    t.expect(root_in, "/", "ack:ack_me")
    chat = sio.define(BaseNamespace, "/chat")
    watch(chat, chat_in)
    t.expect(chat_in, "/chat", "connect")
    chat.emit("echo", "again")
    t.expect(chat_in, "/chat", "event:echo")
    acked(chat, chat_in, "bye")
    t.expect(chat_in, "/chat", "ack:bye")
    transport = sio._transport_name
    sio.disconnect()
    return t.result(transport)


if __name__ == "__main__":
    options = parse_args(MODES)
    run_main(lambda: scenario(options))
