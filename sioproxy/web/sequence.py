"""The sequence picture: client lanes side by side, the server on the right, as SVG.

Layer: pure (web). Standard library and ``sioproxy.textsafe`` only; never twisted.

Input is the page's rows (:mod:`sioproxy.web.rows`). Each connection gets a
lane, in the order it opened; packets are arrows between a client lane and
the server lane (``c2s`` to the right, ``s2c`` back to the left), acks are
dashed and joined to their request by a curve in the lane's margin, opens and
closes are marks on the lane. Namespaces are coloured (legend at the top).
Rows go down one step each, whatever the time between them; a gap longer than
``GAP_SECONDS`` adds a small break labelled with its length, so a long idle
stretch does not push everything off the page.

Every element a test or a user may look for carries ``class`` and ``data-*``
attributes: ``g.msg`` has ``data-seq``, ``data-conn``, ``data-dir``,
``data-event``, ``data-nsp``; ``path.ack-link`` has ``data-seq`` (the ack) and
``data-ack-of`` (the request).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from sioproxy.textsafe import escape_controls
from sioproxy.web.rows import line_row

STEP = 22
GAP_SECONDS = 1.0
GAP_STEP = 18
LANE_WIDTH = 170
SERVER_GAP = 260
TOP = 70
MAX_ROWS = 4000  # past this the picture says it stopped; the list shows everything
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _x(text: object) -> str:
    """Text for an SVG attribute or element: control characters and markup escaped."""
    return escape(escape_controls(str(text)), quote=True)


def _label(row: dict[str, Any]) -> str:
    parts = [str(row.get("type") or "")]
    if row.get("event") is not None:
        parts.append(str(row["event"]))
    if row.get("id") is not None:
        parts.append(f"id={row['id']}")
    return " ".join(parts)


class _Picture:
    def __init__(self, conns: list[str]) -> None:
        self.lanes = {conn: 40 + i * LANE_WIDTH for i, conn in enumerate(conns)}
        self.server_x = 40 + max(len(conns) - 1, 0) * LANE_WIDTH + SERVER_GAP
        self.colours: dict[str, str] = {}
        self.body: list[str] = []
        self.y = TOP
        self.last_t: float | None = None
        self.request_y: dict[tuple[int, int], float] = {}  # (file, seq) -> y

    def colour(self, nsp: object) -> str:
        key = "" if nsp is None else str(nsp)
        if key not in self.colours:
            self.colours[key] = PALETTE[len(self.colours) % len(PALETTE)]
        return self.colours[key]

    def advance(self, t: float) -> None:
        if self.last_t is not None and t - self.last_t > GAP_SECONDS:
            self.y += GAP_STEP
            self.body.append(
                f'<text class="gap" x="4" y="{self.y - 4}">… {t - self.last_t:.1f} s</text>'
                f'<line class="gap" x1="0" x2="{self.server_x + 40}" y1="{self.y - 12}"'
                f' y2="{self.y - 12}"/>'
            )
        self.last_t = t
        self.y += STEP

    def packet(self, row: dict[str, Any]) -> None:
        lane = self.lanes[str(row["conn"])]
        c2s = row.get("dir") == "c2s"
        x1, x2 = (lane, self.server_x) if c2s else (self.server_x, lane)
        is_ack = row.get("type") == "ack" or row.get("ack_of") is not None
        colour = self.colour(row.get("nsp"))
        classes = f"msg {row.get('dir')}" + (" ack" if is_ack else "")
        event = "" if row.get("event") is None else _x(row["event"])
        y = self.y
        dash = ' stroke-dasharray="5 3"' if is_ack else ""
        self.body.append(
            f'<g class="{classes}" data-seq="{row["seq"]}" data-conn="{_x(row["conn"])}"'
            f' data-dir="{row.get("dir")}" data-event="{event}"'
            f' data-nsp="{_x(row.get("nsp") or "")}">'
            f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}"'
            f' marker-end="url(#arrow)"{dash}/>'
            f'<text x="{(x1 + x2) / 2}" y="{y - 4}" text-anchor="middle">#{row["seq"]} '
            f"{_x(_label(row))}</text></g>"
        )
        file = int(row.get("file") or 0)
        if row.get("id") is not None and not is_ack:
            self.request_y[(file, int(row["seq"]))] = y
        ack_of = row.get("ack_of")
        if ack_of is not None and (file, int(ack_of)) in self.request_y:
            y0 = self.request_y[(file, int(ack_of))]
            bend = lane - 22
            self.body.append(
                f'<path class="ack-link" data-seq="{row["seq"]}" data-ack-of="{ack_of}"'
                f' d="M{lane} {y0} C{bend} {y0} {bend} {y} {lane} {y}" stroke="{colour}"/>'
            )

    def life(self, row: dict[str, Any]) -> None:
        lane = self.lanes[str(row["conn"])]
        kind = str(row["kind"])
        text = {"open": f"open {row.get('transport')}", "upgrade": "upgrade"}.get(kind)
        if text is None:
            by = {"c2s": "by client", "s2c": "by server"}.get(str(row.get("by")), "")
            text = f"close {by}: {row.get('reason') or ''}".strip()
        self.body.append(
            f'<g class="life {kind}" data-seq="{row["seq"]}" data-conn="{_x(row["conn"])}">'
            f'<circle cx="{lane}" cy="{self.y}" r="5"/>'
            f'<text x="{lane + 8}" y="{self.y + 4}">{_x(text)}</text></g>'
        )

    def svg(self, title: str, note: str) -> str:
        height = self.y + 40
        width = self.server_x + 60
        head = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="{width}"'
            f' height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif"'
            ' font-size="11">',
            "<style>.lane line{stroke:#999;stroke-dasharray:2 4}.ack-link{fill:none;"
            "stroke-width:1;opacity:.6}.gap{fill:#888;stroke:#ccc;stroke-dasharray:1 3}"
            ".life circle{fill:#fff;stroke:#555}.life.close circle{fill:#555}</style>",
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7"'
            ' markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z"'
            ' fill="context-stroke"/></marker></defs>',
            f'<text class="title" x="4" y="14" font-weight="bold">{_x(title)}</text>',
        ]
        legend = [
            f'<text class="nsp" x="{4 + i * 120}" y="30" fill="{colour}">'
            f"{_x(nsp or '(engine.io)')}</text>"
            for i, (nsp, colour) in enumerate(self.colours.items())
        ]
        lanes = [
            f'<g class="lane" data-conn="{_x(name)}"><text x="{x}" y="{TOP - 14}"'
            f' text-anchor="middle" font-weight="bold">{_x(name)}</text>'
            f'<line x1="{x}" y1="{TOP - 8}" x2="{x}" y2="{height - 20}"/></g>'
            for name, x in [*self.lanes.items(), ("server", self.server_x)]
        ]
        tail = [f'<text class="note" x="4" y="{height - 6}">{_x(note)}</text>'] if note else []
        return "".join([*head, *legend, *lanes, *self.body, *tail, "</svg>"])


def sequence_svg(rows: Iterable[dict[str, Any]], *, title: str = "", show_all: bool = False) -> str:
    """One picture of ``rows`` (heartbeats only with ``show_all``)."""
    chosen = [r for r in rows if show_all or not r.get("heartbeat")]
    conns = list(dict.fromkeys(str(r["conn"]) for r in chosen))
    picture = _Picture(conns)
    note = ""
    for count, row in enumerate(chosen):
        if count == MAX_ROWS:
            note = f"first {MAX_ROWS} of {len(chosen)} rows drawn"
            break
        picture.advance(float(row.get("t") or 0.0))
        if row.get("kind") == "packet":
            picture.packet(row)
        else:
            picture.life(row)
    return picture.svg(title, note)


def session_pictures(
    rows: Sequence[dict[str, Any]], *, names: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """(title, svg) per recording session: one per file and ``record --append`` session."""
    groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((int(row.get("file") or 0), int(row.get("session") or 1)), []).append(row)
    out = []
    for (file, session), group in groups.items():
        name = names[file] if file < len(names) else f"file {file + 1}"
        title = f"{name}, session {session}"
        out.append((title, sequence_svg(group, title=title)))
    return out


def conn_picture(
    rows: Iterable[dict[str, Any]], file: int, conn: str, *, names: Sequence[str] = ()
) -> tuple[str, str]:
    """(title, svg) of one connection: its lane and the server's, nothing else."""
    name = names[file] if file < len(names) else f"file {file + 1}"
    title = f"{name}, connection {conn}"
    mine = (r for r in rows if int(r.get("file") or 0) == file and str(r["conn"]) == conn)
    return title, sequence_svg(mine, title=title)


def conn_pictures(
    rows: Sequence[dict[str, Any]], *, names: Sequence[str] = ()
) -> dict[str, tuple[str, str]]:
    """:func:`conn_picture` of every connection, keyed ``"FILE:CONN"`` (the page's keys)."""
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((int(row.get("file") or 0), str(row["conn"])), []).append(row)
    return {
        f"{file}:{conn}": conn_picture(group, file, conn, names=names)
        for (file, conn), group in groups.items()
    }


def pictures_of(
    lines: Iterable[bytes], names: list[str], conn: tuple[int, str] | None = None
) -> list[tuple[str, str]]:
    """[title, svg] per session of the page ``lines``, or of connection ``(file, conn)``."""
    rows = [line_row(line) for line in lines]
    if conn is not None:
        return [conn_picture(rows, conn[0], conn[1], names=names)]
    return session_pictures(rows, names=names)
