"""Every example in docs/rules.md parses (TOML as rules, Python as an addon)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sioproxy.errors import ConfigError
from sioproxy.pipeline import Dropped, load_addon, parse_rules
from sioproxy.pipeline.rules import KINDS

from .helpers import C2S, EIO4, LEGACY, S2C, event, pipe, run, summary

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
TEXT = DOC.read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", TEXT, flags=re.S)


TOML_BLOCKS = blocks("toml")
PY_BLOCKS = blocks("python")


def test_doc_has_examples() -> None:
    assert len(TOML_BLOCKS) >= 8
    assert len(PY_BLOCKS) >= 2


@pytest.mark.parametrize("block", TOML_BLOCKS)
def test_toml_examples_parse(block: str) -> None:
    assert len(parse_rules(block, "docs/rules.md")) >= 1


@pytest.mark.parametrize("index", range(len(PY_BLOCKS)))
def test_python_examples_load(index: int, tmp_path: Path) -> None:
    path = tmp_path / f"example{index}.py"
    path.write_text(PY_BLOCKS[index], encoding="utf-8")
    addon = load_addon(str(path))
    assert addon.on_packet is not None


def test_every_rule_key_is_documented() -> None:
    from sioproxy.pipeline.rules_file import _INJECT_KEYS, _RULE_KEYS

    for key in sorted(_RULE_KEYS | _INJECT_KEYS):
        assert f"| `{key}` |" in TEXT, key
    for kind in sorted(KINDS):
        assert kind in TEXT, kind


def test_error_examples_are_real() -> None:
    with pytest.raises(ConfigError, match="unknown key 'evnt'"):
        parse_rules('[[rules]]\nevnt = "x"\n')


def test_first_example_works_as_written() -> None:
    p, _ = pipe(TOML_BLOCKS[0])
    for gen in (LEGACY, EIO4):
        out = run(p, gen, S2C, event(gen, "echo", "hi", ns="/chat"))
        assert summary(gen, out)[0][2] == ["rewritten"]
        assert isinstance(run(p, gen, C2S, event(gen, "tick"))[0], Dropped)
