"""The web inspector: ``sioproxy web``, ``sioproxy report --html`` and ``--web``.

Pure parts (no twisted): :mod:`~sioproxy.web.rows` turns recording entries and
live session events into the page's rows (the JSON log schema of
docs/logging.md plus a few keys), :mod:`~sioproxy.web.ring` keeps the last N
rows, :mod:`~sioproxy.web.sequence` draws the sequence picture as SVG and
:mod:`~sioproxy.web.report` writes the self-contained HTML report, with
what its page makes the downloads from (:mod:`~sioproxy.web.offline`,
:mod:`~sioproxy.web.har_pieces`); :mod:`~sioproxy.web.packets` finds the
entry of a clicked row. The Twisted modules are :mod:`~sioproxy.web.server`
and :mod:`~sioproxy.web.pages`. docs/web.md is the user guide.
"""
