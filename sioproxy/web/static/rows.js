// The page's rows, made in the browser from the recording lines the server sends (the
// recording entry's JSON, sioproxy/web/lines.py): a port of `entry_row` (sioproxy/web/rows.py),
// `describe` (sioproxy/inspect/filters.py) and `packet_fate` (sioproxy/recording/delivery.py),
// so the filter box (filter.js) sees the fields `show --filter` sees.
// tests/web/test_rows_js.py runs this and the Python over the same lines and compares.
"use strict";
(function (root) {
  const RAW_LIMIT = 2000;
  const EIO_HEARTBEATS = new Set(["ping", "pong", "noop", "upgrade"]);
  const LEGACY_HEARTBEATS = new Set(["heartbeat", "noop"]);
  const SIO_EVENTS = new Set(["event", "binary_event"]);
  const NOTE_FATES = [
    ["not forwarded", "dropped"], ["consumed by the proxy", "dropped"], ["injected", "injected"],
    ["sent by ", "injected"], ["namespace ", "injected"], ["connection closed by rule", "injected"],
    ["delayed ", "delayed"],
  ];
  const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const get = (o, k) => (has(o, k) && o[k] !== undefined ? o[k] : null); // dict.get
  const isMapping = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  // Python's truthiness and str() for JSON values.
  function truthy(v) {
    if (Array.isArray(v)) return v.length > 0;
    if (isMapping(v)) return Object.keys(v).length > 0;
    return Boolean(v);
  }
  function pyStr(v) {
    if (v === null || v === undefined) return "None";
    if (v === true) return "True";
    if (v === false) return "False";
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  // rows._cut: Python counts code points, not UTF-16 units.
  function cut(text) {
    if (typeof text !== "string" || text.length <= RAW_LIMIT) return text === undefined ? null : text;
    const points = Array.from(text);
    if (points.length <= RAW_LIMIT) return text;
    return points.slice(0, RAW_LIMIT).join("") + `... (${points.length} characters)`;
  }

  function argsList(value) { // ops.logfmt.args_list
    if (value === null || value === undefined) return [];
    return Array.isArray(value) ? value : [value];
  }

  function packetFate(e) {
    if (has(e, "fate") && e.fate !== null) return e.fate;
    if (has(e, "original") && e.original !== null) return "rewritten";
    const note = get(e, "note");
    if (note !== null) for (const [prefix, fate] of NOTE_FATES) if (note.startsWith(prefix)) return fate;
    return null;
  }

  function eioFields(packet) {
    const sio = get(packet, "sio");
    if (!isMapping(sio)) {
      const eio = pyStr(get(packet, "eio"));
      const data = has(packet, "data") ? packet.data : get(packet, "binary");
      return { type: eio, args: data, heartbeat: EIO_HEARTBEATS.has(eio) };
    }
    const kind = pyStr(get(sio, "type"));
    const data = get(sio, "data");
    const fields = { type: kind, nsp: get(sio, "nsp"), ack_id: get(sio, "id") };
    if (SIO_EVENTS.has(kind) && Array.isArray(data) && data.length && typeof data[0] === "string") {
      return Object.assign(fields, { event: data[0], args: data.slice(1) });
    }
    return Object.assign(fields, { args: data });
  }

  function legacyFields(packet) {
    const kind = pyStr(get(packet, "type"));
    const endpoint = get(packet, "endpoint");
    const fields = { type: kind, nsp: truthy(endpoint) ? endpoint : "/", heartbeat: LEGACY_HEARTBEATS.has(kind) };
    if (kind === "event") {
      const name = get(packet, "name");
      return Object.assign(fields, {
        event: typeof name === "string" ? name : null, ack_id: get(packet, "id"), args: get(packet, "args"),
      });
    }
    if (kind === "ack") return Object.assign(fields, { ack_id: get(packet, "ackId"), args: get(packet, "args") });
    if (kind === "connect") return Object.assign(fields, { args: truthy(get(packet, "qs")) ? packet.qs : null });
    if (kind === "error") return Object.assign(fields, { args: [get(packet, "reason"), get(packet, "advice")] });
    return Object.assign(fields, { ack_id: get(packet, "id"), args: get(packet, "data") });
  }

  function packetRow(e, row) {
    const packet = get(e, "packet");
    let info = { type: "undecoded" };
    if (packet !== null) info = has(packet, "eio") ? eioFields(packet) : legacyFields(packet);
    const or = (v) => (v === undefined ? null : v);
    Object.assign(row, {
      dir: e.dir, transport: e.transport, nsp: or(info.nsp), type: info.type, event: or(info.event),
      id: or(info.ack_id), ack_of: get(e, "ack_of"),
      args: info.type !== "connect" ? argsList(info.args) : [],
      attachments: (get(e, "attachments_b64") || []).length, heartbeat: Boolean(info.heartbeat),
      raw: cut(typeof e.raw === "string" ? e.raw : null), fate: packetFate(e), rule: get(e, "rule"),
      note: get(e, "note"),
    });
    if (packet === null) row.error = get(e, "error");
  }

  // One line's object -> its row (rows.line_row / entry_row).
  function fromLine(obj) {
    const e = Object.assign({}, obj);
    const file = has(e, "file") ? e.file : 0;
    const session = has(e, "session") ? e.session : 1;
    delete e.file;
    delete e.session;
    const row = { time: e.t, t: e.t, kind: e.kind, seq: e.seq, conn: e.conn, file };
    if (e.kind === "packet") packetRow(e, row);
    else if (e.kind === "open") Object.assign(row, { generation: e.generation, transport: e.transport, sid: get(e, "sid"), type: "open" });
    else if (e.kind === "close") Object.assign(row, { reason: e.reason, by: get(e, "by"), type: "close" });
    else Object.assign(row, { transport: e.transport, type: "upgrade" });
    if (typeof e.raw === "string" && cut(e.raw) !== e.raw) e.raw = cut(e.raw);
    row.detail = e;
    row.session = session;
    return row;
  }

  root.sioRows = { fromLine };
  if (typeof module !== "undefined") module.exports = root.sioRows;
})(typeof window !== "undefined" ? window : globalThis);
