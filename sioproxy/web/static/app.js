// The inspector page. Data comes either embedded (sioproxy report --html: a JSON script
// element #sio-data) or live from the server (sioproxy web, --web): server-sent events on
// /events, one recording line per event, the event id being the server's ring id, so a
// reconnecting EventSource sends Last-Event-ID and the server sends what followed. Both are
// recording entries (sioproxy/web/lines.py); rows.js makes the rows of either the same way.
"use strict";
(function () {
  const ROW_H = 20;
  const OVERSCAN = 10;
  const all = [];          // every row received, in order
  let view = [];           // indexes into `all` that pass the filter
  let predicate = null;
  let showAll = false;
  let selected = null;     // row object
  let dropped = 0, evicted = 0, live = false, state = "";
  const bySeq = new Map(); // "file:seq" -> row
  const answeredBy = new Map(); // "file:seq" of a request -> seq of its ack
  const replayMarks = new Map(); // "file:seq" -> played|waiting|unplayed|retried
  let misses = [];
  let pictures = [];
  let connPictures = {}; // report: "FILE:CONN" -> [title, svg]

  const fromLine = window.sioRows.fromLine; // a recording line -> its row (rows.js)
  const $ = (id) => document.getElementById(id);
  const list = $("list"), spacer = $("spacer"), detail = $("detail");
  const key = (row, seq) => `${row.file || 0}:${seq === undefined ? row.seq : seq}`;

  function visible(row) {
    if (row.heartbeat && !showAll) return false;
    return predicate === null || predicate(row);
  }

  function add(row) {
    all.push(row);
    bySeq.set(key(row), row);
    if (row.ack_of !== null && row.ack_of !== undefined) answeredBy.set(key(row, row.ack_of), row.seq);
    if (visible(row)) view.push(all.length - 1);
  }

  function refilter() {
    view = [];
    for (let i = 0; i < all.length; i++) if (visible(all[i])) view.push(i);
    schedule();
  }

  // New rows redraw the list at most ten times a second (a busy proxy sends thousands);
  // scrolling redraws on the next frame.
  let pending = false, lastRender = 0;
  function schedule(now) {
    if (pending) return;
    pending = true;
    const wait = now ? 0 : Math.max(0, lastRender + 100 - performance.now());
    setTimeout(() => requestAnimationFrame(() => { pending = false; lastRender = performance.now(); render(); }), wait);
  }

  // Recorded text is shown with control and bidi characters as escapes, as sioproxy.textsafe
  // does for the log: a peer cannot make a row read backwards or hide text.
  const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  const SHORT = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  const safe = (s) => s.replace(UNSAFE, (c) => SHORT[c] || "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));

  function text(tag, cls, value) {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = safe(String(value));
    return el;
  }

  function preview(args) {
    if (!args || !args.length) return "";
    const s = JSON.stringify(args);
    return s.length > 120 ? s.slice(0, 117) + "..." : s;
  }

  function rowElement(row, index) {
    const el = document.createElement("div");
    el.className = "row" + (row.kind !== "packet" ? " life" : "") + (row.error ? " error" : "")
      + (row === selected ? " sel" : "");
    el.style.top = `${index * ROW_H}px`;
    el.dataset.seq = row.seq;
    el.dataset.file = row.file || 0;
    el.dataset.conn = row.conn;
    el.dataset.kind = row.kind;
    el.dataset.event = row.event === null || row.event === undefined ? "" : row.event;
    el.append(text("span", "seq", `#${row.seq}`), text("span", "t", (row.t || 0).toFixed(3)),
      text("span", "conn", row.conn));
    if (row.kind === "packet") {
      el.append(text("span", row.dir, row.dir === "c2s" ? "->" : "<-"), text("span", "", row.transport));
      if (row.error) el.append(text("span", "", `DECODE ERROR: ${row.error}`));
      else {
        if (row.nsp !== null && row.nsp !== undefined) el.append(text("span", "", row.nsp));
        el.append(text("span", "type", row.type));
        if (row.event !== null && row.event !== undefined) el.append(text("span", "event", JSON.stringify(row.event)));
        if (row.id !== null && row.id !== undefined) el.append(text("span", "", `id=${row.id}`));
      }
      link(el, row.ack_of, "↩ #");
      link(el, answeredBy.get(key(row)), "↪ answered by #");
      const mark = replayMarks.get(key(row));
      if (mark) el.append(text("span", `mark ${mark}`, mark));
      el.append(text("span", "args", preview(row.args)));
      if (row.attachments) el.append(text("span", "", `+${row.attachments} attachment(s)`));
      if (row.fate) el.append(text("span", "", `(${row.fate}${row.rule ? " by rule " + row.rule : ""})`));
      if (row.note) el.append(text("span", "note", `note: ${row.note}`));
    } else {
      el.append(text("span", "", lifeText(row)));
    }
    return el;
  }

  function link(el, seq, label) {
    if (seq === null || seq === undefined) return;
    const a = text("span", "link", `${label}${seq}`);
    a.dataset.target = seq;
    el.append(a);
  }

  function lifeText(row) {
    if (row.kind === "open") return `open ${row.generation} ${row.transport}${row.sid ? " sid=" + row.sid : ""}`;
    if (row.kind === "upgrade") return `upgrade to ${row.transport}`;
    const by = { c2s: " by client", s2c: " by server" }[row.by] || "";
    return `close${by}: ${row.reason || ""}`;
  }

  function render() {
    const follow = list.scrollTop + list.clientHeight >= spacer.offsetHeight - ROW_H * 2;
    spacer.style.height = `${view.length * ROW_H}px`;
    if (live && follow && !selected) list.scrollTop = spacer.offsetHeight;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(view.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW_H) + OVERSCAN);
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) frag.append(rowElement(all[view[i]], i));
    spacer.replaceChildren(frag);
    status();
  }

  function status() {
    const s = $("status");
    s.replaceChildren(text("span", "", `${view.length} shown / ${all.length} rows`));
    if (live) s.append(text("span", "", ` · ${state}`));
    if (dropped || evicted) {
      s.append(text("span", "dropped", ` · dropped ${dropped}`));
      if (evicted) s.append(text("span", "", ` (ring let ${evicted} go)`));
    }
    if (misses.length) s.append(text("span", "dropped", ` · ${misses.length} miss(es)`));
  }

  function select(row) {
    selected = row;
    window.sioDetail.show(detail, row, live);  // detail.js: asks the server when live
    schedule();
  }

  function scrollToSeq(file, seq) {
    const row = bySeq.get(`${file}:${seq}`);
    if (!row) return;
    let pos = view.findIndex((i) => all[i] === row);
    if (pos < 0) { // filtered out: show everything so the target is on screen
      $("filter").value = ""; predicate = null; filterText = ""; $("filter-error").textContent = "";
      refilter(); downloadLinks();
      pos = view.findIndex((i) => all[i] === row);
    }
    list.scrollTop = Math.max(0, pos * ROW_H - list.clientHeight / 2);
    select(row);
    render();
  }

  list.addEventListener("scroll", () => schedule(true));
  window.addEventListener("resize", () => schedule(true));
  spacer.addEventListener("click", (ev) => {
    const target = ev.target.closest(".link");
    const el = ev.target.closest(".row");
    if (!el) return;
    if (target) { scrollToSeq(el.dataset.file, target.dataset.target); return; }
    select(bySeq.get(`${el.dataset.file}:${el.dataset.seq}`));
  });

  // The downloads are made by the server from the same filter text (show --filter's
  // language, in Python): they always match the list, whatever the page has received.
  let filterText = "";
  function downloadLinks() {
    const query = `?filter=${encodeURIComponent(filterText)}&all=${showAll ? 1 : 0}`;
    $("download-jsonl").href = `download.jsonl${query}`;
    $("download-har").href = `download.har${query}`;
  }

  $("filter").addEventListener("input", () => {
    const value = $("filter").value.trim();
    const err = $("filter-error");
    if (!value) { predicate = null; filterText = ""; err.textContent = ""; refilter(); downloadLinks(); return; }
    try {
      predicate = window.sioFilter.compileFilter(value);
      filterText = value; err.textContent = ""; refilter(); downloadLinks();
    } catch (e) { if (!(e instanceof window.sioFilter.FilterSyntaxError)) throw e; err.textContent = e.message; }
  });
  $("show-all").addEventListener("change", () => { showAll = $("show-all").checked; refilter(); downloadLinks(); });

  document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll(".tabs button").forEach((x) => x.classList.toggle("on", x === b));
    document.querySelectorAll(".view").forEach((v) => v.classList.toggle("on", v.id === `${b.dataset.view}-view`));
    if (b.dataset.view === "sequence") showSequence();
    if (b.dataset.view === "connections") showConnections();
    if (b.dataset.view === "diff") showDiff();
    if (b.dataset.view === "packets") schedule();
  }));

  // The Sequence tab lives in sequence.js (per session, or one connection).
  const showSequence = () => window.sioSequence.show(live, pictures, connPictures);

  function showConnections() {
    const conns = new Map();
    for (const row of all) {
      const k = `${row.file || 0}:${row.conn}`;
      if (!conns.has(k)) conns.set(k, { conn: row.conn, file: row.file || 0, packets: 0, upgrades: [] });
      const c = conns.get(k);
      if (row.kind === "open") Object.assign(c, { opened: row.t, generation: row.generation, transport: row.transport, sid: row.sid });
      else if (row.kind === "upgrade") c.upgrades.push(`${row.transport} at ${row.t.toFixed(3)}`);
      else if (row.kind === "close") Object.assign(c, { closed: row.t, by: row.by, reason: row.reason });
      else c.packets += 1;
    }
    const table = document.createElement("table");
    const head = ["file", "conn", "generation", "opened", "transport", "sid", "upgrades", "packets", "closed", "by", "reason"];
    const tr = document.createElement("tr");
    head.forEach((h) => tr.append(text("th", "", h)));
    table.append(tr);
    for (const c of conns.values()) {
      const r = document.createElement("tr");
      r.dataset.conn = c.conn;
      r.dataset.file = c.file;
      r.title = "click: the sequence picture of this connection";
      [c.file, c.conn, c.generation, fmt(c.opened), c.transport, c.sid, c.upgrades.join(", "), c.packets,
        fmt(c.closed), c.by, c.reason].forEach((v) => r.append(text("td", "", v === undefined || v === null ? "" : String(v))));
      table.append(r);
    }
    const box = $("connections-view");
    box.replaceChildren(table);
    if (misses.length) {
      box.append(text("h3", "", "Replay misses"));
      misses.forEach((m) => box.append(text("pre", "", JSON.stringify(m, null, 2))));
    }
  }
  const fmt = (t) => (t === undefined ? "" : t.toFixed(3));

  function onReplay(data) {
    for (const [k, mark] of Object.entries(data.marks || {})) replayMarks.set(k, mark);
    if (data.miss) misses.push(data.miss);
    if (data.misses) misses = data.misses.slice();
    schedule();
  }

  // sioproxy web REPORT [FILE]: a `sioproxy diff --report` file; drifting recorded packets
  // are marked changed / missing in the list like replay marks.
  let diffView = null;
  function onDiff(view, marks) {
    diffView = view;
    for (const [k, mark] of Object.entries(marks || {})) replayMarks.set(k, mark);
    $("diff-tab").hidden = false;
    schedule();
  }
  function showDiff() {
    window.sioDiff.render($("diff-view"), diffView || { connections: [] }, (seq) => {
      document.querySelector('.tabs button[data-view="packets"]').click();
      scrollToSeq(0, seq);
    });
  }

  function startLive() {
    live = true;
    state = "connecting";
    const source = new EventSource("events");
    source.onopen = () => { state = "live"; schedule(); };
    source.onerror = () => { state = "reconnecting"; schedule(); };
    source.onmessage = (ev) => { add(fromLine(JSON.parse(ev.data))); schedule(); };
    source.addEventListener("dropped", (ev) => {
      const d = JSON.parse(ev.data); dropped = d.dropped; evicted = d.evicted; schedule();
    });
    source.addEventListener("replay", (ev) => onReplay(JSON.parse(ev.data)));
    source.addEventListener("diff", (ev) => { const d = JSON.parse(ev.data); onDiff(d.view, d.marks); });
  }

  const embedded = $("sio-data");
  if (embedded) {
    const data = JSON.parse(embedded.textContent);
    data.lines.forEach((line) => add(fromLine(line)));
    pictures = data.pictures || [];
    connPictures = data.conn_pictures || {};
    if (data.diff) onDiff(data.diff.view, data.diff.marks);
    if (data.replay) onReplay(data.replay);
    render();
  } else {
    $("downloads").hidden = false;  // made by the server (a report makes them in offline.js)
    startLive();
    render();
  }
  window.sioInspector = {
    scrollToSeq, rows: () => all.length, shown: () => view.length, seqs: () => all.map((r) => r.seq),
    data: () => all, text, safe,
    // What the list shows now and the filter it shows it with (the last one that parsed).
    view: () => view.map((i) => all[i]), viewOptions: () => ({ filter: filterText, showAll }),
  };
})();
