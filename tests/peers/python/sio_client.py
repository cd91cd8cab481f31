"""The interop scenario's client side for python-socketio's sync ``Client`` (4.x and 5.x).

python-socketio has no public call to leave one namespace and join it again on a live
connection, so ``leave``/``rejoin`` send the DISCONNECT/CONNECT packets themselves through
the client's own packet class and keep its namespace bookkeeping in step.
"""

from __future__ import annotations

import threading
from typing import Any

import socketio
from scenario import (
    ANSWER,
    BIN_PAYLOAD,
    Inbox,
    Transcript,
    first_echo,
    parse_args,
    run_main,
)
from socketio import packet

MODES = {
    "websocket": ["websocket"],
    "polling": ["polling"],
    "upgrade": ["polling", "websocket"],
}


def watch(sio: Any, ns: str, inbox: Inbox) -> None:
    sio.on("connect", lambda *a: inbox.push(["connect"]), namespace=ns)
    for name in ("echo", "answer_received", "bin"):
        sio.on(name, _pusher(inbox, name), namespace=ns)

    def question(*args: Any) -> tuple[str, str]:
        inbox.push(["event", "question", list(args)])
        return ANSWER

    sio.on("question", question, namespace=ns)


def _pusher(inbox: Inbox, name: str) -> Any:
    return lambda *args: inbox.push(["event", name, list(args)])


def acked(sio: Any, ns: str, inbox: Inbox, name: str, *args: Any) -> None:
    def callback(*reply: Any) -> None:
        inbox.push(["ack", name, list(reply)])

    sio.emit(name, args, namespace=ns, callback=callback)


def leave(sio: Any, ns: str) -> None:
    packet_class = getattr(sio, "packet_class", packet.Packet)
    sio._send_packet(packet_class(packet.DISCONNECT, namespace=ns))
    if isinstance(sio.namespaces, dict):  # 5.x: {namespace: sid}
        sio.namespaces.pop(ns, None)
    elif ns in sio.namespaces:  # 4.x: [namespace, ...]
        sio.namespaces.remove(ns)


def rejoin(sio: Any, ns: str) -> None:
    packet_class = getattr(sio, "packet_class", packet.Packet)
    sio._send_packet(packet_class(packet.CONNECT, namespace=ns))


def barrier(t: Transcript, sio: Any, root: Inbox) -> None:
    """A round trip on "/" between leaving and re-joining /chat.

    python-engineio's polling writer batches "1/chat," and "0/chat," into one payload;
    socket.io 4 handles the leave on the next tick, sees the join while /chat is still
    joined, and closes the whole connection ("invalid state").
    """
    acked(sio, "/", root, "ack_me", "sync")
    t.expect(root, "/", "ack:ack_me")


def connect(sio: Any, url: str, transports: list[str]) -> None:
    if isinstance(getattr(sio, "namespaces", None), dict):
        sio.connect(url, transports=transports, namespaces=["/", "/chat"], wait_timeout=10)
    else:  # 4.x always joins "/" and takes the extra namespaces
        sio.connect(url, transports=transports, namespaces=["/chat"])


# "msgpack" for the py-sio5-msgpack peer (python-socketio 5's serializer="msgpack").
SERIALIZER = "default"


def scenario(opts: Any) -> dict[str, Any]:
    extra = {} if SERIALIZER == "default" else {"serializer": SERIALIZER}
    sio = socketio.Client(reconnection=False, **extra)
    t = Transcript()
    root, chat = Inbox("/"), Inbox("/chat")
    watch(sio, "/", root)
    watch(sio, "/chat", chat)
    connect(sio, opts.url, MODES[opts.transport])
    t.expect(root, "/", "connect")
    t.expect(chat, "/chat", "connect")
    if opts.extra_ack_first:
        acked(sio, "/", root, "ack_me", "warmup")
        t.warmup = root.next("warmup ack")[2]
    sio.emit("echo", tuple(first_echo(opts.echo_text)), namespace="/")
    t.expect(root, "/", "event:echo")
    acked(sio, "/", root, "ack_me", "x")
    t.expect(root, "/", "ack:ack_me")
    sio.emit("ask_me", namespace="/")
    t.expect(root, "/", "event:question")
    t.expect(root, "/", "event:answer_received")
    acked(sio, "/", root, "bin_echo", BIN_PAYLOAD)
    t.take(root, "/", ["event:bin", "ack:bin_echo"])

    sio.emit("echo", tuple(first_echo(None)), namespace="/chat")
    t.expect(chat, "/chat", "event:echo")
    acked(sio, "/chat", chat, "ack_me", "x")
    t.expect(chat, "/chat", "ack:ack_me")
    leave(sio, "/chat")
    t.add("/chat", ["leave"])
    barrier(t, sio, root)
    rejoin(sio, "/chat")
    t.expect(chat, "/chat", "connect")
    sio.emit("echo", ("again",), namespace="/chat")
    t.expect(chat, "/chat", "event:echo")
    acked(sio, "/chat", chat, "bye")
    t.expect(chat, "/chat", "ack:bye")
    transport = sio.transport()
    bounded_disconnect(sio)
    return t.result(transport)


def bounded_disconnect(sio: Any, wait: float = 1.0) -> None:
    """Send the close packet, but do not wait out a held long poll.

    python-engineio servers do not answer a pending polling GET when the
    client's close packet arrives (the GET waits for pingInterval +
    pingTimeout), and the client's disconnect() joins its reader, so about one
    polling run in five took 20+ s, directly as well as through a proxy.
    """
    closer = threading.Thread(target=sio.disconnect, daemon=True)
    closer.start()
    closer.join(wait)


def main() -> None:
    opts = parse_args(list(MODES))
    run_main(lambda: scenario(opts))
