"""JavaScript's JSON.parse and JSON.stringify, as the 0.9 peers run them.

Layer: pure codec helper, standard library only (plus sioproxy.errors).
Node writes ``1.0`` as ``1``, ``1e-7`` as ``1e-7``, non-ASCII literally and lone
surrogates escaped (docs/protocol.md#a4-5); Python's json differs on all of these.
``JSON.parse`` refuses ``NaN``/``Infinity``, which Python accepts.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from sioproxy.codec.bigjson import BIG, paused
from sioproxy.codec.limits import SHORT_ENOUGH, too_deep
from sioproxy.errors import EncodeError


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # JSON.parse refuses NaN/Infinity


# json's C scanner, built once: ``json.loads(text, parse_constant=...)`` builds a
# decoder per call and goes through two Python frames, which cost more than
# scanning a small packet's arguments (docs/performance.md, round 7).
_scan_once: Any = json.JSONDecoder(parse_constant=_reject_constant).scan_once  # type: ignore[attr-defined]
_BLANKS: Final = " \t\n\r"  # json's whitespace, before and after the value


def parse_json(text: str) -> tuple[bool, Any]:
    """``JSON.parse`` in a try block: (ok, value). Never raises.

    Accepts what ``json.loads(text, parse_constant=...)`` accepts: one value
    with json's whitespace around it (a byte order mark is no value). JSON nested deeper
    than ``limits.MAX_JSON_DEPTH`` is not parsed (not ok);
    ``legacy.decode_packet`` refuses such a packet before it gets here.
    """
    size = len(text)
    if size > SHORT_ENOUGH and too_deep(text):  # (too_deep's own first test, without its call)
        return False, None
    start = size - len(text.lstrip(_BLANKS)) if text[:1] in _BLANKS else 0
    try:
        if size < BIG:
            value, end = _scan_once(text, start)
        else:
            value, end = paused(_scan_once, text, start)
    except (StopIteration, ValueError, RecursionError):
        return False, None
    if end != size and text[end:].strip(_BLANKS):
        return False, None
    return True, value


_SURROGATE = re.compile("[\ud800-\udfff]")


def js_string(text: str) -> str:
    """``JSON.stringify`` of a string: non-ASCII literal, lone surrogates escaped."""
    out = json.dumps(text, ensure_ascii=False)
    if _SURROGATE.search(out) is None:
        return out
    return _escape_surrogates(out)


def js_number(value: float) -> str:
    """``JSON.stringify`` of a double: ``1.0`` -> ``1``, ``1e-7`` -> ``1e-7`` (A.4.5)."""
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    parts = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, parts.digits))
    k = len(digits)
    n = int(parts.exponent) + k  # decimal point position, ECMA-262 Number::toString
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{sign}{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return f"{sign}0.{'0' * -n}{digits}"
    exp = n - 1
    mantissa = digits[0] + (f".{digits[1:]}" if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if exp >= 0 else '-'}{abs(exp)}"


def js_stringify(value: Any) -> str:
    """Node's ``JSON.stringify`` (no spaces, insertion order, UTF-8 literal, A.4.5).

    A value of plain types only (str, int, bool, None, and lists, tuples and
    dicts with str keys of them) is written by Python's json, which says the
    same for these (lone surrogates escaped after, as ``js_string`` does);
    anything else (a float, a non-str key, a deep value) takes the walk below.
    """
    try:
        plain = _plain(value)
    except RecursionError:
        plain = False
    if plain:
        try:
            out = _PLAIN.encode(value)
        except RecursionError:
            return _walked(value)
        return out if _SURROGATE.search(out) is None else _escape_surrogates(out)
    return _walked(value)


_PLAIN: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _escape_surrogates(text: str) -> str:
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _plain(value: Any) -> bool:
    """Whether Python's json writes ``value`` as ``JSON.stringify`` does."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is list or kind is tuple:
        return all(map(_plain, value))
    if kind is dict:
        return all(type(key) is str for key in value) and all(map(_plain, value.values()))
    return False


def _walked(value: Any) -> str:
    out: list[str] = []
    try:
        _stringify(value, out)
    except RecursionError:
        raise EncodeError("JSON value nested too deeply (or circular)") from None
    return "".join(out)


def _stringify(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(js_string(value))
    elif value is None or isinstance(value, bool):
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float | Decimal):
        out.append(js_number(float(value)))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise EncodeError(f"JSON object keys must be str, got {key!r}")
            out.append(f"{',' if index else ''}{js_string(key)}:")
            _stringify(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _stringify(item, out)
        out.append("]")
    else:
        raise EncodeError(f"not JSON-serializable: {type(value).__name__}")
