"""``--sio-html-report DIR``: a failing replay's recording as a static HTML page.

Layer: testing helpers. Uses ``sioproxy.web.report`` (the page of ``sioproxy
report --html``, docs/web.md) and ``sioproxy.testing.paths`` for a safe file
name. The page holds the recording's rows and sequence pictures and, under
its Connections tab, the replay's mismatch report (as the failure prints it).
"""

from __future__ import annotations

from pathlib import Path

from sioproxy.recording import read_recording
from sioproxy.testing.paths import safe_component
from sioproxy.web.offline import offline_scripts
from sioproxy.web.report import build_report, load_rows


def write_miss_report(folder: Path, nodeid: str, recording: Path, verdict: str) -> Path:
    """Write ``FOLDER/<test id>.html``; returns its path (replacing an older one)."""
    loaded = read_recording(recording)
    page = build_report(
        load_rows([(recording.name, loaded)]),
        title=f"sioproxy replay miss: {nodeid}",
        replay={"marks": {}, "misses": [{"test": nodeid, "report": verdict.splitlines()}]},
        offline=offline_scripts(loaded),  # its downloads of the filtered view, as a report's
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_component(nodeid)}.html"
    path.write_text(page, encoding="utf-8")
    return path
