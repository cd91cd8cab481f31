"""What the proxy did with a recorded packet, and how each side saw it.

Layer: pure (recording). Standard library and ``sioproxy.types``; never
twisted. A packet entry records what the proxy delivered; its ``fate`` (or,
in a format 1.0 recording, its ``original`` and ``note``) says whether it was
dropped, injected, rewritten or delayed. ``as_seen_by`` gives the entry as
the client or the server saw it, which is what replay and contracts compare.
"""

from __future__ import annotations

import dataclasses

from sioproxy.recording.model import PacketEntry
from sioproxy.types import Fate, Side

__all__ = ["as_seen_by", "as_sent", "delivered", "packet_fate", "sent_by_peer"]


# How recordings written before ``fate`` existed (format 1.0) said it in ``note``.
_NOTE_FATES = (
    ("not forwarded", Fate.DROPPED),
    ("consumed by the proxy", Fate.DROPPED),
    ("injected", Fate.INJECTED),
    ("sent by ", Fate.INJECTED),
    ("namespace ", Fate.INJECTED),  # "namespace /x closed by rule 'r'": a proxy-made disconnect
    ("connection closed by rule", Fate.INJECTED),
    ("delayed ", Fate.DELAYED),
)


def packet_fate(entry: PacketEntry) -> Fate | None:
    """What the proxy did with the packet: the recorded ``fate``, or for an older
    recording the one its ``original`` and ``note`` imply. None: forwarded as received.
    """
    if entry.fate is not None:
        return entry.fate
    if entry.original is not None:
        return Fate.REWRITTEN
    note = entry.note
    if note is not None:
        for prefix, fate in _NOTE_FATES:
            if note.startswith(prefix):
                return fate
    return None


def delivered(entry: PacketEntry) -> bool:
    """Whether the receiver (the other side of ``dir``) got this packet."""
    return packet_fate(entry) is not Fate.DROPPED


def sent_by_peer(entry: PacketEntry) -> bool:
    """Whether the sender (the side ``dir`` starts from) sent this packet."""
    return packet_fate(entry) is not Fate.INJECTED


def as_sent(entry: PacketEntry) -> PacketEntry:
    """The entry as its sender wrote it: a rewritten packet's ``original``, and
    a held-back packet at the time it was sent (``t`` minus ``delay``)."""
    if entry.delay:
        entry = dataclasses.replace(entry, t=max(entry.t - entry.delay, 0.0))
    original = entry.original
    if original is None or packet_fate(entry) is not Fate.REWRITTEN:
        return entry
    packet = original.packet
    return dataclasses.replace(
        entry,
        raw=original.raw,
        attachments=original.attachments,
        packet=packet,
        error=None if packet is not None else "the original frame did not decode",
    )


def as_seen_by(entry: PacketEntry, side: Side) -> tuple[PacketEntry | None, str | None]:
    """The entry as ``side`` saw it: what it sent, or what was delivered to it.

    (None, why) when ``side`` never saw it: a packet the proxy injected, seen
    from its apparent sender, or one it dropped, seen from its receiver.
    """
    fate = packet_fate(entry)
    if fate is None:
        return entry, None
    rule = f" by rule {entry.rule!r}" if entry.rule else ""
    if side.sends(entry.dir):
        if not sent_by_peer(entry):
            return None, f"injected{rule}: the {side.value} never sent it"
        return as_sent(entry), None
    if not delivered(entry):
        return None, f"dropped{rule}: the {side.value} never received it"
    return entry, None
