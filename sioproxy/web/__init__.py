"""The web inspector: ``sioproxy web``, ``sioproxy report --html`` and ``--web``.

Pure parts (no twisted): :mod:`~sioproxy.web.rows` turns recording entries and
live session events into the page's rows (the JSON log schema of
docs/logging.md plus a few keys), :mod:`~sioproxy.web.ring` keeps the last N
rows, :mod:`~sioproxy.web.sequence` draws the sequence picture as SVG and
:mod:`~sioproxy.web.report` writes the self-contained HTML report. The only
Twisted module is :mod:`~sioproxy.web.server`. docs/web.md is the user guide.
"""
