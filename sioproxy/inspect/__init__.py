"""Looking at recordings: ``show`` (with filters and follow), HAR export/import, merge.

Layer: pure (inspect). Imports the codec, session and recording layers; never
twisted. The ``sioproxy show/export/import/merge`` verbs live in
``sioproxy.cli.inspect_cmds``; docs/inspect.md is the user guide.
"""

from sioproxy.inspect.filters import EntryInfo, Filter, FilterSyntaxError, compile_filter, describe
from sioproxy.inspect.follow import RecordingTail, follow
from sioproxy.inspect.har import ImportResult, export_har, import_har
from sioproxy.inspect.merge import merge_files, merge_recordings
from sioproxy.inspect.show import Formatter, ShowOptions, answers, render, want_color

__all__ = [
    "EntryInfo",
    "Filter",
    "FilterSyntaxError",
    "Formatter",
    "ImportResult",
    "RecordingTail",
    "ShowOptions",
    "answers",
    "compile_filter",
    "describe",
    "export_har",
    "follow",
    "import_har",
    "merge_files",
    "merge_recordings",
    "render",
    "want_color",
]
