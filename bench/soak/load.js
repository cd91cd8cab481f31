'use strict';
// Soak load generator: N socket.io 4 clients (websocket) emitting with ack at a
// steady rate, checking every ack end to end. Usage:
//   node load.js --url http://127.0.0.1:PORT --sockets 5000 --seconds 600
//                --interval-ms 2000 --ramp-per-s 500 --drain-ms 30000
// Each socket emits ack_me({c, n}) with n = 0, 1, 2... every interval; the
// server acks (args[0], 'ack'). An ack must carry the next expected n of that
// socket: anything else is counted as reordered, duplicated or foreign.
// Prints progress lines ("progress {...}") and a final "result {...}" line.
const path = require('path');
const { io } = require(path.join(__dirname, '..', '..', 'tests', 'peers', 'node_modules', 'sio4-client'));

function args() {
  const out = { url: '', sockets: 100, seconds: 60, intervalMs: 2000, rampPerS: 500, drainMs: 30000 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in out)) throw new Error(`unknown option ${argv[i]}`);
    out[key] = key === 'url' ? argv[i + 1] : Number(argv[i + 1]);
  }
  if (!out.url) throw new Error('--url is required');
  return out;
}

const opt = args();
const stats = {
  sockets: opt.sockets, connected: 0, connect_errors: 0, disconnects: 0,
  sent: 0, acked: 0, reordered: 0, duplicated: 0, foreign: 0, lost: 0,
  max_outstanding: 0, ack_ms_max: 0, ack_ms_sum: 0,
};
const clients = [];
let sending = true;
let closing = false;

function startClient(c) {
  const socket = io(opt.url, { transports: ['websocket'], reconnection: false, timeout: 60000 });
  const state = { socket, next: 0, expect: 0, outstanding: new Map(), timer: null };
  clients.push(state);
  socket.on('connect', () => {
    stats.connected += 1;
    // Spread the emits of all sockets evenly over the interval.
    const offset = Math.floor(Math.random() * opt.intervalMs);
    setTimeout(() => {
      state.timer = setInterval(() => emit(c, state), opt.intervalMs);
    }, offset);
  });
  socket.on('connect_error', () => { stats.connect_errors += 1; });
  // Only disconnects before our own close at the end count.
  socket.on('disconnect', () => { if (!closing) stats.disconnects += 1; });
}

function emit(c, state) {
  if (!sending || !state.socket.connected) return;
  const n = state.next++;
  state.outstanding.set(n, Date.now());
  stats.sent += 1;
  if (state.outstanding.size > stats.max_outstanding) stats.max_outstanding = state.outstanding.size;
  state.socket.emit('ack_me', { c, n }, (echo, word) => {
    if (!echo || echo.c !== c || word !== 'ack') { stats.foreign += 1; return; }
    const sentAt = state.outstanding.get(echo.n);
    if (sentAt === undefined) { stats.duplicated += 1; return; }
    if (echo.n !== state.expect) stats.reordered += 1;
    state.expect = echo.n + 1;
    state.outstanding.delete(echo.n);
    stats.acked += 1;
    const ms = Date.now() - sentAt;
    stats.ack_ms_sum += ms;
    if (ms > stats.ack_ms_max) stats.ack_ms_max = ms;
  });
}

function report(kind) {
  const out = Object.assign({}, stats, { t: Math.round((Date.now() - t0) / 1000) });
  out.ack_ms_mean = stats.acked ? +(stats.ack_ms_sum / stats.acked).toFixed(2) : null;
  console.log(`${kind} ${JSON.stringify(out)}`);
}

const t0 = Date.now();
let started = 0;
const ramp = setInterval(() => {
  const batch = Math.max(1, Math.round(opt.rampPerS / 10));
  for (let i = 0; i < batch && started < opt.sockets; i++) startClient(started++);
  if (started >= opt.sockets) clearInterval(ramp);
}, 100);
const progress = setInterval(() => report('progress'), 10000);

setTimeout(() => {
  sending = false;
  for (const s of clients) clearInterval(s.timer);
  // Drain: wait until every outstanding ack arrived, bounded by drainMs.
  const deadline = Date.now() + opt.drainMs;
  const drain = setInterval(() => {
    const outstanding = clients.reduce((k, s) => k + s.outstanding.size, 0);
    if (outstanding === 0 || Date.now() > deadline) {
      clearInterval(drain);
      clearInterval(progress);
      stats.lost = outstanding;
      closing = true;
      for (const s of clients) s.socket.close();
      report('result');
      setTimeout(() => process.exit(0), 500);
    }
  }, 200);
}, opt.seconds * 1000);
