"""docs/logging.md documents every kind and key the JSON log writes (tests/log_schema.py)."""

from __future__ import annotations

from pathlib import Path

from tests.log_schema import OPTIONAL, SCHEMA

DOC = Path(__file__).resolve().parent.parent / "docs" / "logging.md"


def test_every_kind_and_key_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind, keys in SCHEMA.items():
        assert f'`kind: "{kind}"' in text or f'`"{kind}"`' in text, kind
        for key in [*keys, *OPTIONAL.get(kind, {})]:
            assert f"`{key}`" in text, (kind, key)
