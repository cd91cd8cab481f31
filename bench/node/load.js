'use strict';
// Benchmark load generator: socket.io-client 4 (or 0.9.16 with --flavor 09).
//
//   node load.js session URL '{"transport":"websocket","flavor":"4"}'
//     one socket; reads a phase spec as a JSON line on stdin, runs it, prints
//     its result as one JSON line, and so on until stdin closes. Between
//     phases the orchestrator samples the proxy's CPU and memory.
//     phases: {"phase":"rtt","n":N,"warmup":W}           sequential emit-with-ack
//             {"phase":"tput","n":N,"inflight":K,"limit":S}  K emit-with-ack in flight
//             {"phase":"push","n":N,"limit":S}             server push burst
//             {"phase":"push","n":N,"chunk":K,"limit":S}   the same, K events per server turn
//   node load.js conns URL '{"sockets":K,"limit":S}'
//     opens K sockets at once, prints {"connected","seconds"} when all are
//     connected (or the limit passed), then waits for stdin to close.
//
// Every loop is bounded by a count and a time limit; the process exits by
// itself when stdin closes.
const path = require('path');
const readline = require('readline');

const MODULES = path.join(__dirname, '..', '..', 'tests', 'peers', 'node_modules');
const DATA = { msg: 'hello from the client', n: 7, list: [1, 2, 3] };

function now() {
  return Number(process.hrtime.bigint()) / 1e9;
}

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function connect4(url, transport, extra) {
  const { io } = require(path.join(MODULES, 'sio4-client'));
  return io(url, {
    transports: [transport],
    forceNew: true,
    reconnection: false,
    timeout: 120000,
    ...extra,
  });
}

function connect09(url, transport) {
  const io = require(path.join(MODULES, 'sio09-client'));
  // util.merge() merges a `transports` option into the default list index by
  // index (['xhr-polling'] left websocket in it, and the client took websocket,
  // the server's first choice), so set the global default list instead, as
  // tests/peers/node-sio09/client.js does.
  io.transports = [transport];
  return io.connect(url, {
    'try multiple transports': false,
    'force new connection': true,
    reconnect: false,
    'connect timeout': 120000,
  });
}

function open(url, opts) {
  const socket = opts.flavor === '09' ? connect09(url, opts.transport) : connect4(url, opts.transport);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connect timeout')), 60000);
    socket.on('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.on('connect_error', (err) => reject(err));
    socket.on('error', (err) => reject(err));
  });
}

function ack(socket, i) {
  return new Promise((resolve) => socket.emit('ack', { seq: i, ...DATA }, resolve));
}

async function rtt(socket, spec) {
  for (let i = 0; i < spec.warmup; i++) await ack(socket, -1 - i);
  const samples = [];
  const deadline = now() + (spec.limit || 60);
  for (let i = 0; i < spec.n && now() < deadline; i++) {
    const t0 = process.hrtime.bigint();
    await ack(socket, i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  const pick = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { phase: 'rtt', n: samples.length, p50_us: pick(0.5), p99_us: pick(0.99) };
}

function tput(socket, spec) {
  // Keeps spec.inflight emits outstanding until spec.n were sent or the limit passed.
  return new Promise((resolve) => {
    const t0 = now();
    const deadline = t0 + spec.limit;
    let sent = 0;
    let done = 0;
    let stopped = false;
    // Watchdog: acks that never come (a peer that stalls) must not hang the run.
    const watchdog = setTimeout(() => {
      stopped = true;
      resolve({ phase: 'tput', ops: done, seconds: now() - t0, rate: done / (now() - t0), stalled: true });
    }, (spec.limit + 5) * 1000);
    const finish = () => {
      clearTimeout(watchdog);
      resolve({ phase: 'tput', ops: done, seconds: now() - t0, rate: done / (now() - t0) });
    };
    const next = () => {
      if (stopped) return;
      if (sent >= spec.n || now() >= deadline) {
        if (done === sent) {
          stopped = true;
          finish();
        }
        return;
      }
      const i = sent++;
      socket.emit('ack', { seq: i, ...DATA }, () => {
        done++;
        next();
      });
    };
    for (let k = 0; k < spec.inflight; k++) next();
  });
}

function push(socket, spec) {
  return new Promise((resolve) => {
    let got = 0;
    const t0 = now();
    const report = () => {
      socket.off('p', onP);
      resolve({ phase: 'push', n: spec.n, events: got, seconds: now() - t0, rate: got / (now() - t0) });
    };
    const timer = setTimeout(report, spec.limit * 1000);
    const onP = () => {
      got++;
      if (got === spec.n) {
        clearTimeout(timer);
        report();
      }
    };
    socket.on('p', onP);
    if (spec.chunk) socket.emit('pushc', spec.n, spec.chunk, () => {});
    else socket.emit('push', spec.n, () => {});
  });
}

async function session(url, opts) {
  const socket = await open(url, opts);
  out({ ready: true });
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const spec = JSON.parse(line);
    const run = { rtt, tput, push }[spec.phase];
    out(await run(socket, spec));
  }
  socket.disconnect();
}

async function conns(url, opts) {
  const sockets = [];
  const t0 = now();
  let connected = 0;
  let failed = 0;
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, opts.limit * 1000);
    const settle = () => {
      if (connected + failed === opts.sockets) {
        clearTimeout(timer);
        resolve();
      }
    };
    for (let i = 0; i < opts.sockets; i++) {
      const s = connect4(url, opts.transport || 'websocket', {});
      s.once('connect', () => { connected++; settle(); });
      s.once('connect_error', () => { failed++; settle(); });
      sockets.push(s);
    }
  });
  out({ connected, failed, seconds: now() - t0 });
  const lines = readline.createInterface({ input: process.stdin });
  for await (const _ of lines) { /* wait for stdin to close */ }
  for (const s of sockets) s.disconnect();
}

async function main() {
  const [mode, url, json] = process.argv.slice(2);
  const opts = { transport: 'websocket', flavor: '4', ...JSON.parse(json || '{}') };
  if (mode === 'session') await session(url, opts);
  else if (mode === 'conns') await conns(url, opts);
  else throw new Error(`unknown mode ${mode}`);
  process.exit(0);
}

main().catch((err) => {
  out({ error: String(err && err.stack ? err.stack : err) });
  process.exit(1);
});
