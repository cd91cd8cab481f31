// The detail pane: the clicked entry as recorded (its dict form), the raw wire text, each
// binary attachment as size and hex, and for a packet a rule rewrote the `original` its
// sender sent. Rows made from recording lines (rows.js) carry the entry (`detail`);
// a row without one is completed from the server: GET packet?file=F&seq=N, answered from
// the file, the ring or the replayed recording, redacted as the page lines are
// (sioproxy/web/packets.py).
"use strict";
(function () {
  let asked = null;  // the row whose entry is on its way; a later click wins

  function attachmentText(a) {
    try {
      const bytes = atob(typeof a === "string" ? a : a.data || a.base64 || "");
      let hex = "";
      for (let i = 0; i < Math.min(bytes.length, 256); i++) hex += bytes.charCodeAt(i).toString(16).padStart(2, "0") + " ";
      return `${bytes.length} bytes\n${hex}${bytes.length > 256 ? "..." : ""}`;
    } catch (e) { return JSON.stringify(a); }
  }

  function draw(box, row, entry, note) {
    const text = window.sioInspector.text;
    box.replaceChildren();
    box.dataset.seq = row.seq;
    box.dataset.source = entry ? "entry" : "row";
    const h = (t) => box.append(text("h3", "", t));
    const pre = (t, cls) => box.append(text("pre", cls || "", t));
    // Text laid out on several lines here (JSON, hex): the breaks are ours; each line is safe.
    const lines = (t, cls) => {
      const el = document.createElement("pre");
      el.className = cls;
      el.textContent = t.split("\n").map(window.sioInspector.safe).join("\n");
      box.append(el);
    };
    const json = (obj, cls) => lines(JSON.stringify(obj, null, 2), cls);
    h(`#${row.seq} ${row.conn} ${row.kind}`);
    if (note) box.append(text("p", "note", note));
    json(entry || row, "entry");
    const raw = entry && typeof entry.raw === "string" ? entry.raw : row.raw;
    if (raw) { h("raw wire text"); pre(raw, "raw"); }
    if (entry && entry.raw_b64) { h("binary frame"); lines(attachmentText(entry.raw_b64), "raw"); }
    const atts = (entry && entry.attachments_b64) || [];  // the recording's key (base64 each)
    atts.forEach((a, n) => { h(`attachment ${n}`); lines(attachmentText(a), "attachment"); });
    if (entry && entry.original) { h("original (what the sender sent)"); json(entry.original, "original"); }
  }

  async function show(box, row, live) {
    asked = row;
    if (row.detail || !live) { draw(box, row, row.detail || null, ""); return; }
    draw(box, row, null, "loading the entry...");
    let entry = null, note = "";
    try {
      const response = await fetch(`packet?file=${row.file || 0}&seq=${row.seq}`);
      if (response.ok) entry = (await response.json()).entry;
      else note = (await response.text()).trim();
    } catch (e) { note = "the server did not answer"; }
    if (asked === row) draw(box, row, entry, note);
  }

  window.sioDetail = { show };
})();
