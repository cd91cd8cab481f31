"""``spec --update``: new observations merged into a document a person edited.

Layer: pure (contracts). The existing document is kept as it is (titles,
descriptions, extra keys, order) and only grows, new entries after the old:

* an operation, channel or reply not in it yet is added, as ``spec`` writes it;
* a message whose payload still carries the hash sioproxy wrote
  (``x-sioproxy-inferred``) is widened to accept the new samples too;
* a message a person changed is never rewritten: a new sample it rejects is a
  :class:`Contradiction`, reported with the packet and the pointer.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sioproxy.contracts.document import (
    Collected,
    Names,
    OpSpec,
    add_operation,
    collect,
    fingerprint,
    index_document,
    message_object,
)
from sioproxy.contracts.infer import ENUM_MAX, JsonSchema, ordered_schema
from sioproxy.contracts.observe import Observation, OpKey
from sioproxy.contracts.validate import Validator, Violation


@dataclass(frozen=True, slots=True)
class Contradiction:
    """A new sample that a hand-edited schema rejects."""

    op_id: str
    message_id: str
    obs: Observation
    violation: Violation

    def __str__(self) -> str:
        return (
            f"{self.message_id}: seq {self.obs.seq} {self.obs.conn}: {self.violation} "
            "(hand-edited schema kept)"
        )


def _types(schema: Mapping[str, Any]) -> set[str]:
    wanted = schema.get("type", [])
    return set(wanted if isinstance(wanted, list) else [wanted])


def _merge_enum(a: Mapping[str, Any], b: Mapping[str, Any], out: JsonSchema) -> None:
    if "enum" in a and "enum" in b:
        values = list(a["enum"]) + [v for v in b["enum"] if v not in a["enum"]]
        if len([v for v in values if v is not None]) <= ENUM_MAX:
            strings = sorted(v for v in values if v is not None)
            out["enum"] = strings + ([None] if None in values else [])


def _merge_items(a: Mapping[str, Any], b: Mapping[str, Any], out: JsonSchema) -> None:
    for key, pick in (("minItems", min), ("maxItems", max)):
        if key in a and key in b:
            out[key] = pick(a[key], b[key])
    if "items" in a or "items" in b:
        out["items"] = (
            merge_schemas(a["items"], b["items"])
            if "items" in a and "items" in b
            else (a.get("items") or b.get("items"))
        )
    first, second = list(a.get("prefixItems", [])), list(b.get("prefixItems", []))
    if first or second:
        merged = [merge_schemas(x, y) for x, y in zip(first, second, strict=False)]
        longer = first if len(first) > len(second) else second
        out["prefixItems"] = merged + longer[len(merged) :]


def _merge_object(a: Mapping[str, Any], b: Mapping[str, Any], out: JsonSchema) -> None:
    pa, pb = a.get("properties", {}), b.get("properties", {})
    props = {
        key: merge_schemas(pa[key], pb[key])
        if key in pa and key in pb
        else pa.get(key, pb.get(key))
        for key in sorted(set(pa) | set(pb))
    }
    if props:
        out["properties"] = props
    required = sorted(set(a.get("required", [])) & set(b.get("required", [])))
    if required:
        out["required"] = required


def merge_schemas(a: Any, b: Any) -> Any:
    """A schema accepting what either inferred schema accepts (the subset ``spec`` writes)."""
    if a == b:
        return a
    simple = isinstance(a, Mapping) and isinstance(b, Mapping)
    if (
        not simple
        or "anyOf" in a
        or "anyOf" in b
        or ("binary" in (a.get("format"), b.get("format")))
    ):
        return {"anyOf": [a, b]}
    types = _types(a) | _types(b)
    if {"integer", "number"} <= types:
        types.discard("integer")
    ordered = sorted(types)
    out: JsonSchema = {"type": ordered[0] if len(ordered) == 1 else ordered}
    if a.get("format") == b.get("format") and "format" in a:
        out["format"] = a["format"]
    if "description" in a or "description" in b:
        out["description"] = a.get("description", b.get("description"))
    _merge_enum(a, b, out)
    _merge_object(a, b, out)
    _merge_items(a, b, out)
    return ordered_schema(out)


class _Updater:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.validator = Validator(doc)
        self.found: list[Contradiction] = []

    def message(self, ref_id: str, channel_ref: str) -> dict[str, Any] | None:
        try:
            node = self.validator.resolve(f"{channel_ref}/messages/{ref_id}")
            while isinstance(node, dict) and "$ref" in node:
                node = self.validator.resolve(node["$ref"])
        except (KeyError, ValueError, IndexError):
            return None
        return node if isinstance(node, dict) else None

    def merge(
        self,
        op_id: str,
        message_id: str,
        message: dict[str, Any],
        samples: list[Observation],
        schema: JsonSchema,
    ) -> None:
        payload = message.get("payload", True)
        rejected = [
            (obs, v) for obs in samples for v in self.validator.validate(obs.payload, payload)[:1]
        ]
        if not rejected:
            return
        if message.get("x-sioproxy-inferred") == fingerprint(payload):
            widened = merge_schemas(payload, schema)
            message["payload"] = widened
            message["x-sioproxy-inferred"] = fingerprint(widened)
            return
        self.found.extend(Contradiction(op_id, message_id, obs, v) for obs, v in rejected)

    def add_reply(self, op_id: str, channel_ref: str, item: Collected) -> None:
        assert item.reply is not None
        reply_id = f"{op_id}.reply"
        messages = self.doc.setdefault("components", {}).setdefault("messages", {})
        messages[reply_id] = message_object(
            f"{item.key[3]} ack", item.reply.schema(), item.reply_example
        )
        channel = self.validator.resolve(channel_ref)
        channel.setdefault("messages", {})[reply_id] = {"$ref": f"#/components/messages/{reply_id}"}
        op = self.doc["operations"][op_id]
        op["reply"] = {
            "channel": {"$ref": channel_ref},
            "messages": [{"$ref": f"{channel_ref}/messages/{reply_id}"}],
        }

    def existing(self, spec: OpSpec, item: Collected, samples: list[Observation]) -> None:
        op = self.doc["operations"][spec.op_id]
        channel_ref = op["channel"]["$ref"]
        requests = [obs for obs in samples if not obs.is_ack]
        acks = [obs for obs in samples if obs.is_ack]
        if requests and spec.message_ids:
            message = self.message(spec.message_ids[0], channel_ref)
            if message is not None:
                self.merge(
                    spec.op_id, spec.message_ids[0], message, requests, item.payload.schema()
                )
        if acks and item.reply is not None:
            if not spec.reply_ids:
                self.add_reply(spec.op_id, channel_ref, item)
                return
            message = self.message(spec.reply_ids[0], channel_ref)
            if message is not None:
                self.merge(spec.op_id, spec.reply_ids[0], message, acks, item.reply.schema())


def _names(doc: Mapping[str, Any]) -> Names:
    names = Names()
    for section in ("channels", "operations"):
        names.used.update(doc.get(section) or {})
    names.used.update((doc.get("components") or {}).get("messages") or {})
    for channel_id, channel in (doc.get("channels") or {}).items():
        if isinstance(channel, Mapping) and isinstance(channel.get("address"), str):
            names.channels.setdefault(channel["address"], channel_id)
    return names


def update_document(
    existing: Mapping[str, Any], observations: Iterable[Observation], servers: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Contradiction]]:
    """The existing document with the observations merged in, and what contradicted it."""
    doc = copy.deepcopy(dict(existing))
    for section in ("channels", "operations"):
        doc.setdefault(section, {})
    doc.setdefault("components", {}).setdefault("messages", {})
    for server_id, server in servers.items():
        known = doc.setdefault("servers", {})
        if server not in known.values():
            wanted, n = server_id, 1
            while server_id in known:
                n += 1
                server_id = f"{wanted}-{n}"
            known[server_id] = server
    samples: dict[OpKey, list[Observation]] = {}
    observed = list(observations)
    for obs in observed:
        samples.setdefault(obs.key, []).append(obs)
    collected = collect(observed)
    index = index_document(doc)
    names = _names(doc)
    updater = _Updater(doc)
    for key in sorted(collected, key=lambda k: (k[0], k[1].value, k[2], k[3])):
        spec = index.get(key)
        if spec is None:
            add_operation(doc, names, collected[key])
        else:
            updater.existing(spec, collected[key], samples[key])
    return doc, updater.found
