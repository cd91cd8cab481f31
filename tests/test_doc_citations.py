"""Every document the code cites is in the repository, with the cited section.

Comments cite ``docs/FILE.md`` and ``docs/FILE.md#anchor``; inside the codec
and session code they also cite wire sections by bare number (``A.5``,
``B.5.2``), which are sections of docs/protocol.md (docs/protocol.md says so).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "sioproxy").rglob("*.py"))
CITATION = re.compile(r"docs/([\w.-]+\.md)(?:#([\w-]+))?")
SECTION = re.compile(r"(?<![\w.#/-])([A-E])\.(\d+)(?:\.(\d+))?(?![\w])")
ANCHOR = re.compile(r'<a id="([\w-]+)"></a>')
HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)


def _anchors(doc: Path) -> set[str]:
    text = doc.read_text(encoding="utf-8")
    slugs = {
        re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in HEADING.findall(text)
    }
    return set(ANCHOR.findall(text)) | slugs


def _section_anchor(letter: str, major: str, minor: str | None) -> str:
    return f"{letter.lower()}{major}" + (f"-{minor}" if minor else "")


def _citations() -> list[tuple[str, str, str | None]]:
    found = []
    for source in SOURCES:
        rel = source.relative_to(ROOT).as_posix()
        text = source.read_text(encoding="utf-8")
        for m in CITATION.finditer(text):
            found.append((rel, m.group(1), m.group(2)))
        for m in SECTION.finditer(text):
            found.append((rel, "protocol.md", _section_anchor(*m.groups())))
    return found


CITATIONS = _citations()


def test_the_code_cites_documents() -> None:
    # The scan itself is alive: the codec cites protocol sections by the hundred.
    assert len(CITATIONS) > 100


@pytest.mark.parametrize(
    ("doc", "anchor"),
    sorted({(doc, anchor or "") for _, doc, anchor in CITATIONS}),
)
def test_every_cited_document_and_section_exists(doc: str, anchor: str) -> None:
    path = ROOT / "docs" / doc
    where = sorted({src for src, d, a in CITATIONS if d == doc and (a or "") == anchor})
    assert path.is_file(), f"docs/{doc} cited by {where} is not in the repository"
    if anchor:
        assert anchor in _anchors(path), f"docs/{doc}#{anchor} cited by {where} does not exist"
