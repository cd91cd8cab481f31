"""The rewrite pipeline: TOML rules, addon hooks, event-level faults, ack-id consistency.

Layer: pure. Imports the codec, ``sioproxy.types`` and ``sioproxy.errors``;
never twisted or autobahn. The transport glue calls ``Pipeline.process`` for
each decoded Socket.IO packet and turns the returned actions into bytes and
timers. docs/rules.md is the user documentation.
"""

from __future__ import annotations

from sioproxy.pipeline.actions import (
    Action,
    CloseConnection,
    CloseNamespace,
    ConsumedAck,
    Dropped,
    Emit,
    Note,
    PacketContext,
    from_view,
    to_view,
)
from sioproxy.pipeline.hooks import Addon, HookContext, load_addon
from sioproxy.pipeline.process import Pipeline
from sioproxy.pipeline.rules import Rule, RuleSet
from sioproxy.pipeline.rules_file import load_rules, parse_rules

__all__ = [
    "Action",
    "Addon",
    "CloseConnection",
    "CloseNamespace",
    "ConsumedAck",
    "Dropped",
    "Emit",
    "HookContext",
    "Note",
    "PacketContext",
    "Pipeline",
    "Rule",
    "RuleSet",
    "from_view",
    "load_addon",
    "load_rules",
    "parse_rules",
    "to_view",
]
