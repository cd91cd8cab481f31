"""AsyncAPI 3.0 documents: building one from observations, and reading one back.

Layer: pure (contracts). The mapping (docs/contracts.md):

* a namespace is a channel (``address`` ``/chat``; the 0.9 default endpoint is ``/``);
* an event name in one direction is an operation: ``send`` for client to
  server, ``receive`` for server to client (the client's view); 0.9
  ``message``/``json`` packets and a CONNECT's auth object are operations of
  their own (``x-sioproxy-kind``);
* a message's payload is the argument list, a tuple (``prefixItems``); a 0.9
  message's payload is its text or JSON value, a connect's the auth object;
* an acknowledgement is the operation's ``reply``, a message of the same channel.

Ids are made of the action, the channel id and the event name
(``send.chat.event.ack_me``), characters outside ``[A-Za-z0-9_.-]`` replaced,
so a document is the same for the same traffic. A message sioproxy wrote
carries ``x-sioproxy-inferred``, a hash of its payload schema: ``--update``
widens such a message and leaves one a person changed alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sioproxy.contracts.infer import Attachment, JsonSchema, Shape
from sioproxy.contracts.observe import Observation, OpKey, namespace_of
from sioproxy.contracts.validate import Validator
from sioproxy.types import Direction

ASYNCAPI_VERSION = "3.0.0"
ACTIONS = {Direction.C2S: "send", Direction.S2C: "receive"}
_DIRECTIONS = {action: direction for direction, action in ACTIONS.items()}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")
_EXAMPLE_LIMIT = 2000
DESCRIPTION = (
    "Inferred by sioproxy from recorded Socket.IO traffic. A channel is a namespace; "
    "an operation is an event in one direction: `send` is client to server, `receive` "
    "server to client (the client's view). A payload is the event's argument list "
    "(a tuple); an acknowledgement is the operation's reply."
)


def fingerprint(schema: Any) -> str:
    """A short hash of a schema, to tell whether a person changed it."""
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def plain(value: Any) -> Any:
    """A payload as plain JSON: attachments as base64 text (for examples)."""
    if isinstance(value, Attachment):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


@dataclass(slots=True)
class Collected:
    """Payload and reply shapes of one operation, with the first example of each."""

    key: OpKey
    payload: Shape
    reply: Shape | None = None
    example: Any = None
    reply_example: Any = None

    def add(self, obs: Observation) -> None:
        if obs.is_ack:
            if self.reply is None:
                self.reply = Shape(tuple_mode=True)
                self.reply_example = plain(obs.payload)
            self.reply.add(obs.payload)
        else:
            self.payload.add(obs.payload)


def collect(observations: Iterable[Observation]) -> dict[OpKey, Collected]:
    found: dict[OpKey, Collected] = {}
    for obs in observations:
        item = found.get(obs.key)
        if item is None:
            shape = Shape(tuple_mode=obs.key[2] == "event")
            item = found[obs.key] = Collected(obs.key, shape)
        if not obs.is_ack and not item.payload.types:
            item.example = plain(obs.payload)
        item.add(obs)
    return found


def safe_id(text: str) -> str:
    return _UNSAFE.sub("_", text) or "_"


@dataclass(slots=True)
class Names:
    """Deterministic, unique ids for channels and operations."""

    channels: dict[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def unique(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.used:
            n += 1
            name = f"{wanted}-{n}"
        self.used.add(name)
        return name

    def channel(self, namespace: str) -> str:
        if namespace not in self.channels:
            stripped = namespace.strip("/")
            self.channels[namespace] = self.unique(safe_id(stripped) if stripped else "root")
        return self.channels[namespace]

    def operation(self, key: OpKey) -> str:
        namespace, direction, kind, name = key
        tail = f"event.{safe_id(name)}" if kind == "event" else kind
        return self.unique(f"{ACTIONS[direction]}.{self.channel(namespace)}.{tail}")


def server_objects(upstreams: Iterable[tuple[str, list[str]]]) -> dict[str, Any]:
    """``servers`` from (upstream URL, generations) pairs."""
    found = sorted({(url, tuple(sorted(gens))) for url, gens in upstreams if url})
    servers: dict[str, Any] = {}
    for index, (url, gens) in enumerate(found, 1):
        parts = urlsplit(url)
        server: dict[str, Any] = {"host": parts.netloc, "protocol": parts.scheme or "http"}
        if parts.path not in ("", "/"):
            server["pathname"] = parts.path
        server["description"] = "the upstream the recordings were made against"
        if gens:
            server["x-sioproxy-generations"] = list(gens)
        servers["upstream" if len(found) == 1 else f"upstream{index}"] = server
    return servers


def message_object(name: str, schema: JsonSchema, example: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"name": name, "payload": schema}
    if len(json.dumps(example, ensure_ascii=False)) <= _EXAMPLE_LIMIT:
        message["examples"] = [{"payload": example}]
    message["x-sioproxy-inferred"] = fingerprint(schema)
    return message


def _operation(key: OpKey, channel: str, message_id: str, reply_id: str | None) -> dict[str, Any]:
    _namespace, direction, kind, name = key
    op: dict[str, Any] = {
        "action": ACTIONS[direction],
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{message_id}"}],
    }
    if reply_id is not None:
        op["reply"] = {
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{reply_id}"}],
        }
    if kind == "event":
        op["x-sioproxy-event"] = name
    op["x-sioproxy-kind"] = kind
    return op


def add_operation(doc: dict[str, Any], names: Names, item: Collected) -> str:
    """Add one operation (its channel, messages and reply) to ``doc``; its id."""
    namespace = item.key[0]
    channel_id = names.channel(namespace)
    channel = doc["channels"].setdefault(
        channel_id,
        {"address": namespace, "description": f"Socket.IO namespace {namespace}", "messages": {}},
    )
    op_id = names.operation(item.key)
    messages = doc["components"]["messages"]
    name = item.key[3]
    messages[op_id] = message_object(name, item.payload.schema(), item.example)
    channel["messages"][op_id] = {"$ref": f"#/components/messages/{op_id}"}
    reply_id = None
    if item.reply is not None:
        reply_id = f"{op_id}.reply"
        messages[reply_id] = message_object(f"{name} ack", item.reply.schema(), item.reply_example)
        channel["messages"][reply_id] = {"$ref": f"#/components/messages/{reply_id}"}
    doc["operations"][op_id] = _operation(item.key, channel_id, op_id, reply_id)
    return op_id


def _sort_key(key: OpKey) -> tuple[str, str, str, str]:
    return (key[0], key[1].value, key[2], key[3])


def build_document(
    observations: Iterable[Observation],
    servers: Mapping[str, Any],
    *,
    title: str = "Socket.IO API",
    version: str = "1.0.0",
) -> dict[str, Any]:
    """A whole AsyncAPI 3.0 document; the same input gives the same document."""
    doc = empty_document(servers, title=title, version=version)
    names = Names()
    collected = collect(observations)
    for key in sorted(collected, key=_sort_key):
        add_operation(doc, names, collected[key])
    return sort_document(doc)


def empty_document(servers: Mapping[str, Any], *, title: str, version: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": title, "version": version, "description": DESCRIPTION},
        "defaultContentType": "application/json",
    }
    if servers:
        doc["servers"] = dict(servers)
    doc |= {"channels": {}, "operations": {}, "components": {"messages": {}}}
    return doc


def sort_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Channels, operations, messages and each channel's messages by id."""
    for section in ("channels", "operations"):
        doc[section] = dict(sorted(doc.get(section, {}).items()))
    components = doc.setdefault("components", {})
    components["messages"] = dict(sorted(components.get("messages", {}).items()))
    for channel in doc["channels"].values():
        if isinstance(channel, dict) and isinstance(channel.get("messages"), dict):
            channel["messages"] = dict(sorted(channel["messages"].items()))
    return doc


@dataclass(frozen=True, slots=True)
class OpSpec:
    """One operation of a document, as the checker needs it."""

    op_id: str
    payload: Any
    reply: Any | None
    message_ids: tuple[str, ...]
    reply_ids: tuple[str, ...]


def _message_ids(refs: Any) -> tuple[str, ...]:
    ids = []
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, Mapping) and isinstance(ref.get("$ref"), str):
            ids.append(ref["$ref"].rsplit("/", 1)[-1])
    return tuple(ids)


def _payloads(resolver: Validator, refs: Any) -> Any:
    """The payload schema of a list of message refs (anyOf when several)."""
    schemas = []
    for ref in refs if isinstance(refs, list) else []:
        message = resolver.resolve(ref["$ref"]) if "$ref" in ref else ref
        while isinstance(message, Mapping) and "$ref" in message:
            message = resolver.resolve(message["$ref"])
        payload = message.get("payload", True) if isinstance(message, Mapping) else True
        if isinstance(payload, Mapping) and "schemaFormat" in payload and "schema" in payload:
            payload = payload["schema"]  # AsyncAPI 3's multi-format schema object
        schemas.append(payload)
    if not schemas:
        return True
    return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}


def _op_key(resolver: Validator, op: Mapping[str, Any], payload_names: list[str]) -> OpKey | None:
    direction = _DIRECTIONS.get(op.get("action", ""))
    channel_ref = op.get("channel", {})
    if direction is None or not isinstance(channel_ref, Mapping) or "$ref" not in channel_ref:
        return None
    channel = resolver.resolve(channel_ref["$ref"])
    address = channel.get("address") if isinstance(channel, Mapping) else None
    namespace = namespace_of(address if isinstance(address, str) else "/")
    kind = str(op.get("x-sioproxy-kind", "event"))
    name = op.get("x-sioproxy-event")
    if kind != "event":
        name = kind
    elif not isinstance(name, str):
        name = payload_names[0] if payload_names else None
    return None if name is None else (namespace, direction, kind, name)


def index_document(doc: Mapping[str, Any]) -> dict[OpKey, OpSpec]:
    """Every operation of a document by (namespace, direction, kind, name).

    Raises ``KeyError`` for a reference that does not resolve.
    """
    resolver = Validator(doc)
    found: dict[OpKey, OpSpec] = {}
    for op_id, op in sorted((doc.get("operations") or {}).items()):
        if not isinstance(op, Mapping):
            continue
        refs = op.get("messages", [])
        names = []
        for ref in refs if isinstance(refs, list) else []:
            message = resolver.resolve(ref["$ref"]) if "$ref" in ref else ref
            while isinstance(message, Mapping) and "$ref" in message:
                message = resolver.resolve(message["$ref"])
            if isinstance(message, Mapping) and isinstance(message.get("name"), str):
                names.append(message["name"])
        key = _op_key(resolver, op, names)
        if key is None:
            continue
        reply = op.get("reply")
        reply_refs = reply.get("messages") if isinstance(reply, Mapping) else None
        found[key] = OpSpec(
            op_id=op_id,
            payload=_payloads(resolver, refs),
            reply=None if reply_refs is None else _payloads(resolver, reply_refs),
            message_ids=_message_ids(refs),
            reply_ids=_message_ids(reply_refs),
        )
    return found
