"""Recordings: the model, the append-only JSON Lines writer and reader, redaction.

Layer: pure. Imports the standard library, ``sioproxy.errors`` and
``sioproxy.types`` only; never twisted (the transport layer drives the writer
and passes it the clock). The file format is described in
docs/recording-format.md.
"""

from sioproxy.recording.delivery import as_seen_by, as_sent, delivered, packet_fate, sent_by_peer
from sioproxy.recording.header import FORMAT_MINOR, FORMAT_NAME, FORMAT_VERSION, Header
from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    HttpRequest,
    OpenEvent,
    OriginalFrame,
    PacketEntry,
    Recording,
    Session,
    UpgradeEvent,
    entry_from_json,
)
from sioproxy.recording.reader import EntryStream, iter_entries, read_recording
from sioproxy.recording.redact import (
    Redactor,
    fill_placeholders,
    is_placeholder,
    placeholder,
    placeholder_key,
)
from sioproxy.recording.writer import RecordingWriter, encode_line

__all__ = [
    "FORMAT_MINOR",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "CloseEvent",
    "Entry",
    "EntryStream",
    "Header",
    "HttpRequest",
    "OpenEvent",
    "OriginalFrame",
    "PacketEntry",
    "Recording",
    "RecordingWriter",
    "Redactor",
    "Session",
    "UpgradeEvent",
    "as_seen_by",
    "as_sent",
    "delivered",
    "encode_line",
    "entry_from_json",
    "fill_placeholders",
    "is_placeholder",
    "iter_entries",
    "packet_fate",
    "placeholder",
    "placeholder_key",
    "read_recording",
    "sent_by_peer",
]
