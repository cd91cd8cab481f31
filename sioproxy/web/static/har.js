// The static report's HAR download: export --har of the selected entries, assembled from the
// pieces sioproxy.web.har_pieces made at report time with the exporter's own code. This file
// only selects and assembles, step for step as sioproxy/inspect/har.py's _Exporter does:
// a polling request is a run of consecutive selected packets of one connection in one
// direction; a WebSocket entry gets the frames of its selected packets and lasts until the
// last of them (or its close).
"use strict";
(function () {
  const utf8Length = (s) => new TextEncoder().encode(s).length;
  const round3 = (x) => Number(x.toFixed(3)); // Python's round(x, 3) (ties aside)
  // urllib.parse.urlencode (quote_plus): letters, digits and _.-~ are kept, space is "+".
  const quotePlus = (s) => encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, "+");
  const clone = (o) => JSON.parse(JSON.stringify(o));

  function harRequest(method, url, pairs, headers, body) {
    const request = {
      method, url, httpVersion: "HTTP/1.1", headers,
      queryString: pairs.map(([name, value]) => ({ name, value })),
      cookies: [], headersSize: -1, bodySize: body === null ? 0 : utf8Length(body),
    };
    if (body !== null) request.postData = { mimeType: "text/plain;charset=UTF-8", text: body };
    return request;
  }

  function harResponse(text, mime) {
    const size = text === null ? 0 : utf8Length(text);
    const content = { size, mimeType: mime };
    if (text !== null) content.text = text;
    return {
      status: 200, statusText: "OK", httpVersion: "HTTP/1.1",
      headers: text === null ? [] : [{ name: "Content-Type", value: mime }],
      cookies: [], content, redirectURL: "", headersSize: -1, bodySize: size,
      _transferSize: size, _error: null,
    };
  }

  function harEntry(conn, iso, duration, request, response) {
    const ms = round3(Math.max(duration, 0) * 1000);
    return {
      _initiator: { type: "other" }, _priority: "High", _resourceType: "xhr", cache: {},
      connection: conn, request, response, serverIPAddress: "", startedDateTime: iso, time: ms,
      timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: ms, receive: 0, _blocked_queueing: -1 },
    };
  }

  // pieces: sioproxy.web.har_pieces.har_pieces; seqs: the selected entries, in file order.
  function build(pieces, seqs) {
    const out = [];
    const conns = new Map();
    const emit = (started, entry) => out.push([started, out.length, entry]);

    function emitAll(state, list) {
      for (const [started, entry, isWs] of list) {
        const copy = clone(entry);
        emit(started, copy);
        if (isWs) { state.ws = copy; state.wsStarted = started; }
      }
    }

    function endWs(state, t) {
      const ms = round3(Math.max(pieces.start + t - state.wsStarted, 0) * 1000);
      state.ws.time = ms;
      state.ws.timings.wait = ms;
    }

    function target(state, first) {
      const info = state.info;
      if (info.legacy) return [first.legacy[0], first.legacy[1], [["t", first.legacy[1].slice(2)]]];
      if (first.dir !== pieces.c2s && !state.firstGetDone) {
        state.firstGetDone = true;
        if (info.handshake) return info.handshake;
      }
      const pairs = [...info.params, ["transport", "polling"], ["sid", state.sid || ""]];
      return [info.path, pairs.map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join("&"), pairs];
    }

    function body(state, group) {
      if (state.info.legacy) {
        const texts = group.map((p) => p.poll[0]);
        return texts.length === 1 ? texts[0] : texts.map((t) => `\ufffd${t.length}\ufffd${t}`).join("");
      }
      if (group[0].err) return group[0].poll[0];
      return group.flatMap((p) => p.poll).join(state.info.joiner);
    }

    function flush(state) {
      const group = state.group;
      state.group = [];
      if (!group.length) return;
      const first = group[0], last = group[group.length - 1];
      const text = body(state, group);
      const [path, query, pairs] = target(state, first);
      const c2s = first.dir === pieces.c2s;
      const url = state.info.base + path + (query ? `?${query}` : "");
      const request = harRequest(c2s ? "POST" : "GET", url, pairs, state.info.headers, c2s ? text : null);
      const response = harResponse(c2s ? "ok" : text, pieces.polling_content);
      emit(pieces.start + first.t, harEntry(state.conn, first.iso, last.t - first.t, request, response));
    }

    for (const seq of seqs) {
      const p = pieces.entries[String(seq)];
      if (!p) continue;
      if (p.kind === "open") {
        const state = { conn: p.conn, info: pieces.conns[p.conn], sid: p.sid, ws: null, wsStarted: 0, group: [], firstGetDone: false };
        conns.set(p.conn, state);
        emitAll(state, p.emit);
        continue;
      }
      const state = conns.get(p.conn);
      if (!state || p.kind === "skip") continue;
      if (p.kind === "packet") {
        if (p.sid !== undefined && (state.sid === null || state.sid === undefined)) state.sid = p.sid;
        if (p.transport === "websocket" && state.ws) {
          state.ws._webSocketMessages.push(...p.frames);
          endWs(state, p.t);
          continue;
        }
        const last = state.group[state.group.length - 1];
        if (last && (last.dir !== p.dir || last.transport !== p.transport || last.err || p.err)) flush(state);
        state.group.push(p);
        continue;
      }
      flush(state);
      if (p.emit) emitAll(state, p.emit);
      else if (p.kind === "close" && state.ws) endWs(state, p.t);
    }
    for (const state of conns.values()) flush(state);
    out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const log = clone(pieces.log);
    log.entries = out.map((item) => item[2]);
    return { log };
  }

  window.sioHar = { build };
})();
