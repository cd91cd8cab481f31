"""JSON values as the wire sees them.

Layer: pure codec, standard library only (every codec module may import it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["same_json"]


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON texts: same types (``1``, ``1.0``, ``true`` differ), same key order.

    ``-0.0`` and ``0.0`` differ too: they encode differently. For parsed JSON
    ``repr`` shows exactly those differences, at C speed.
    """
    return bool(a == b) and repr(a) == repr(b)
