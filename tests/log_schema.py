"""The JSON log schema of docs/logging.md, as a checker for tests.

Test-side helper: ``check_schema(line)`` parses one ``--log-format json`` line and
asserts it has exactly the keys its ``kind`` allows, with the documented types.
"""

from __future__ import annotations

import json
from typing import Any

# The schema of docs/logging.md: kind -> {key: allowed types}; OPTIONAL keys may be absent.
NUM = (int, float)
OPT_STR = (str, type(None))
OPT_INT = (int, type(None))
SCHEMA: dict[str, dict[str, tuple[type, ...]]] = {
    "packet": {
        "seq": OPT_INT,
        "conn": (str,),
        "dir": (str,),
        "transport": (str,),
        "nsp": OPT_STR,
        "type": (str,),
        "event": OPT_STR,
        "id": OPT_INT,
        "ack_of": OPT_INT,
        "args": (list,),
        "attachments": (int,),
    },
    "open": {
        "seq": OPT_INT,
        "conn": (str,),
        "generation": (str,),
        "transport": (str,),
        "sid": OPT_STR,
    },
    "upgrade": {"seq": OPT_INT, "conn": (str,), "transport": (str,)},
    "close": {"seq": OPT_INT, "conn": (str,), "reason": OPT_STR, "by": OPT_STR},
    "note": {"level": (str,), "conn": OPT_STR, "text": (str,)},
    "miss": {"report": (dict,)},
    "summary": {
        "connections": (int,),
        "recorded_connections": (int,),
        "matched": (int,),
        "mismatches": (list,),
        "unplayed": (list,),
        "unopened": (list,),
        "wrong_protocol": (int,),
        "max_wait_releases": (int,),
        "retries_answered": (int,),
        "ok": (bool,),
    },
}
OPTIONAL = {"packet": {"error": (str,), "raw": (str,)}, "open": {"replaying": (str,)}}


def check_schema(line: str) -> dict[str, Any]:
    obj = json.loads(line)
    assert isinstance(obj, dict), line
    assert isinstance(obj.pop("time"), NUM), line
    kind = obj.pop("kind")
    required, optional = SCHEMA[kind], OPTIONAL.get(kind, {})
    assert set(required) <= set(obj) <= set(required) | set(optional), line
    for key, value in obj.items():
        assert isinstance(value, {**required, **optional}[key]), (key, line)
    if kind == "packet":
        assert obj["dir"] in ("c2s", "s2c")
    if kind == "close":
        assert obj["by"] in ("c2s", "s2c", None)
    if kind == "note":
        assert obj["level"] in ("info", "warning")
    obj["kind"] = kind
    return obj
