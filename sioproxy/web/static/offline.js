// The static report's downloads (sioproxy report --html): the filtered view as a JSONL
// recording and as HAR, made in the browser from what the report embeds
// (sioproxy/web/offline.py), as the server's /download.jsonl and /download.har make them
// (sioproxy/web/download.py): the rows the list shows now, plus the `open` entry of every
// connection with a selected row.
"use strict";
(function () {
  const cache = {};
  function embedded(id) {
    if (!(id in cache)) cache[id] = JSON.parse(document.getElementById(id).textContent);
    return cache[id];
  }

  // The seqs download.select keeps, in file order.
  function selectedSeqs() {
    const inspector = window.sioInspector;
    const shown = inspector.view();
    const opens = new Map();
    for (const row of inspector.data()) if (row.kind === "open") opens.set(row.conn, row.seq);
    const wanted = new Set(shown.map((row) => row.seq));
    for (const row of shown) if (opens.has(row.conn)) wanted.add(opens.get(row.conn));
    return inspector.data().filter((row) => wanted.has(row.seq)).map((row) => row.seq);
  }

  function note() {
    const { filter, showAll } = window.sioInspector.viewOptions();
    return { filter, show_all: showAll };
  }

  function jsonl() {
    const source = embedded("sio-source");
    const out = [source.header.replace(JSON.stringify(source.marker), JSON.stringify(note()))];
    const pending = source.sessions.slice();
    for (const seq of selectedSeqs()) {
      while (pending.length && pending[0][0] < seq) out.push(pending.shift()[1]);
      out.push(source.lines[String(seq)]);
    }
    return out.join("\n") + "\n";
  }

  function har() {
    return JSON.stringify(window.sioHar.build(embedded("sio-har"), selectedSeqs()), null, 2) + "\n";
  }

  function save(text, name, type) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  }

  function attach() {
    if (!document.getElementById("sio-source")) return;
    document.getElementById("downloads").hidden = false;
    document.getElementById("download-jsonl").addEventListener("click", (ev) => {
      ev.preventDefault();
      save(jsonl(), "sioproxy-view.jsonl", "application/x-ndjson");
    });
    const harLink = document.getElementById("download-har");
    harLink.hidden = !document.getElementById("sio-har");  // export --har refused the file
    harLink.addEventListener("click", (ev) => {
      ev.preventDefault();
      save(har(), "sioproxy-view.har", "application/json");
    });
  }

  window.sioOffline = { jsonl, har, selectedSeqs };
  attach();
})();
