// The Sequence tab: one picture per recording session, or the picture of one connection
// (its lane and the server's) chosen in the selector above the pictures or by clicking the
// connection's row in the Connections tab. The pictures are SVG made by sioproxy.web.sequence
// (every recorded string escaped there): embedded in a report (`pictures`, `conn_pictures`
// keyed "FILE:CONN"), asked from the server live (pictures.json, pictures.json?file=F&conn=C).
"use strict";
(function () {
  let chosen = "";  // "" = per session; else "FILE:CONN"
  let source = { live: false, pictures: [], connPictures: {} };

  function connections() {
    const keys = new Map();
    for (const row of window.sioInspector.data()) {
      const key = `${row.file || 0}:${row.conn}`;
      if (!keys.has(key)) keys.set(key, row);
    }
    return [...keys.keys()];
  }

  function selector(keys) {
    const select = document.createElement("select");
    select.id = "seq-conn";
    select.setAttribute("aria-label", "sequence of");
    const several = keys.some((key) => !key.startsWith("0:"));  // sioproxy web with several files
    select.append(new Option("every connection, per session", ""));
    for (const key of keys) {
      const [file, conn] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
      select.append(new Option(`connection ${conn}${several ? ` (file ${Number(file) + 1})` : ""}`, key));
    }
    select.value = keys.includes(chosen) ? chosen : "";
    select.addEventListener("change", () => { chosen = select.value; draw(); });
    return select;
  }

  async function pictures() {
    if (!chosen) {
      if (!source.live) return source.pictures;
      try { return await (await fetch("pictures.json")).json(); } catch (e) { return []; }
    }
    const [file, conn] = [chosen.slice(0, chosen.indexOf(":")), chosen.slice(chosen.indexOf(":") + 1)];
    if (!source.live) return source.connPictures[chosen] ? [source.connPictures[chosen]] : [];
    const query = `file=${encodeURIComponent(file)}&conn=${encodeURIComponent(conn)}`;
    try { return await (await fetch(`pictures.json?${query}`)).json(); } catch (e) { return []; }
  }

  async function draw() {
    const box = document.getElementById("sequence-view");
    const keys = connections();
    const list = await pictures();
    box.replaceChildren(selector(keys));
    for (const [title, svg] of list) {
      const div = document.createElement("div");
      div.className = "picture";
      const a = document.createElement("a");
      a.textContent = `download ${title} as SVG`;
      a.href = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
      a.download = "sequence.svg";
      const holder = document.createElement("div");
      holder.append(new DOMParser().parseFromString(svg, "image/svg+xml").documentElement);
      div.append(a, holder);
      box.append(div);
    }
    if (!list.length) {
      const p = document.createElement("p");
      p.textContent = "No packets yet.";
      box.append(p);
    }
  }

  // show(): the tab was opened; conn(file, conn): open it on one connection's picture.
  function show(live, embeddedPictures, connPictures) {
    source = { live, pictures: embeddedPictures || [], connPictures: connPictures || {} };
    return draw();
  }
  function showConnection(file, conn) {
    chosen = `${file}:${conn}`;
    document.querySelector('.tabs button[data-view="sequence"]').click();
  }

  document.getElementById("connections-view").addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr[data-conn]");
    if (tr) showConnection(tr.dataset.file || 0, tr.dataset.conn);
  });
  window.sioSequence = { show, showConnection, chosen: () => chosen };
})();
