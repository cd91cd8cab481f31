// The Diff view: a `sioproxy diff --report` file, each drifting server packet recorded | live
// side by side. The server decodes both wire texts into the dict form (sioproxy/web/diffview.py),
// the one the report's JSON pointers point into; every value at a differing pointer is
// highlighted (class "hl", its pointer in data-pointer).
"use strict";
(function (root) {
  const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  const safe = (s) => String(s).replace(UNSAFE, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));

  function el(tag, cls, value) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (value !== undefined) e.textContent = safe(value);
    return e;
  }

  const step = (pointer, key) => `${pointer}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;

  // The JSON value as nested elements, each value carrying its pointer.
  function tree(value, pointer, marked) {
    const node = el("span", "jv");
    node.dataset.pointer = pointer;
    if (marked.has(pointer)) node.classList.add("hl");
    if (Array.isArray(value) || (value !== null && typeof value === "object")) {
      const isArray = Array.isArray(value);
      const keys = isArray ? value.map((_, i) => i) : Object.keys(value);
      node.append(isArray ? "[" : "{");
      keys.forEach((k, n) => {
        const line = el("div", "jl");
        if (!isArray) line.append(el("span", "jk", JSON.stringify(k)), ": ");
        line.append(tree(value[k], step(pointer, k), marked));
        if (n < keys.length - 1) line.append(",");
        node.append(line);
      });
      node.append(isArray ? "]" : "}");
    } else {
      node.append(safe(JSON.stringify(value)));
    }
    return node;
  }

  function side(title, data, marked) {
    const box = el("div", `side ${title}`);
    box.append(el("h4", "", title));
    if (!data) { box.append(el("p", "none", title === "live" ? "(not received)" : "(not in the recording)")); return box; }
    box.append(el("pre", "wire", data.text));
    if (data.dict !== null && data.dict !== undefined) {
      const pre = el("pre", "json");
      pre.append(tree(data.dict, "", marked));
      box.append(pre);
    }
    return box;
  }

  function item(d, onSeq) {
    const box = el("div", `drift ${d.kind}`);
    box.dataset.kind = d.kind;
    if (d.seq !== null && d.seq !== undefined) box.dataset.seq = d.seq;
    const head = el("div", "drift-head");
    head.append(el("b", "", d.kind.toUpperCase()), " ");
    if (d.seq !== null && d.seq !== undefined) {
      const a = el("span", "link", `seq ${d.seq}`);
      a.addEventListener("click", () => onSeq(d.seq));
      head.append(a);
    } else head.append("live only");
    head.append(` namespace ${d.namespace === null || d.namespace === undefined ? "''" : d.namespace} ${d.event || ""}`);
    box.append(head);
    const marked = new Set(d.pointers || []);
    const pair = el("div", "pair");
    pair.append(side("recorded", d.recorded, marked), side("live", d.live, marked));
    box.append(pair);
    (d.differences || []).forEach((x) => box.append(el("div", "difference",
      `${x.pointer}: recorded ${JSON.stringify(x.recorded)} != live ${JSON.stringify(x.live)}`)));
    if (d.note) box.append(el("div", "note", `note: ${d.note}`));
    return box;
  }

  function render(box, view, onSeq) {
    box.replaceChildren();
    const counts = Object.entries(view.counts || {}).map(([k, n]) => `${n} ${k}`).join(", ");
    box.append(el("h3", "", `diff of ${view.recording || "a recording"} against ${view.target || "?"}:`
      + ` ${view.drift_count} drift${counts ? " (" + counts + ")" : ""}`));
    if (view.unreachable) box.append(el("p", "note", `unreachable: ${view.unreachable}`));
    (view.errors || []).forEach((e) => box.append(el("p", "note", `error: ${e}`)));
    for (const conn of view.connections || []) {
      const section = el("section", "diff-conn");
      section.dataset.conn = conn.conn;
      section.append(el("h3", "", `connection ${conn.conn} (client ${conn.client}, ${conn.transport}):`
        + ` ${conn.sent} sent, ${conn.received} received, ${conn.drift.length} drift, ended: ${conn.end}`));
      conn.drift.forEach((d) => section.append(item(d, onSeq)));
      box.append(section);
    }
  }

  root.sioDiff = { render };
})(typeof window !== "undefined" ? window : globalThis);
