'use strict';
// A client for the rewrite tests that tolerates missing replies: it reports
// what it saw, including "timeout" where an answer never came within its own
// bounded wait. One script for socket.io-client 4 (EIO4), 2 (EIO3) and 0.9.16.
//   node fault_client.js --lib sio4|sio2|sio09 --url URL --transport MODE [--wait MS]
// Prints one JSON line: {transport, echo, ack, probe, probe_acked, final}.
const path = require('path');

const MODULES = path.join(__dirname, '..', '..', '..', 'peers', 'node_modules');
const RUN_TIMEOUT_MS = 25000;

function parse(argv) {
  const out = { lib: 'sio4', url: null, transport: 'websocket', wait: '1500' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in out) || i + 1 >= argv.length) throw new Error(`bad option ${argv[i]}`);
    out[key] = argv[i + 1];
  }
  if (!out.url) throw new Error('--url is required');
  return out;
}

function connect(opts) {
  if (opts.lib === 'sio09') {
    const io = require(path.join(MODULES, 'sio09-client'));
    io.transports = [opts.transport];
    const root = io.connect(opts.url, {
      reconnect: false,
      'force new connection': true,
      'try multiple transports': false,
      'connect timeout': 10000,
    });
    return { socket: root, name: () => root.socket.transport.name, close: () => root.socket.disconnect() };
  }
  const { Manager } = require(path.join(MODULES, opts.lib === 'sio2' ? 'sio2-client' : 'sio4-client'));
  const modes = {
    websocket: { transports: ['websocket'], upgrade: false },
    polling: { transports: ['polling'], upgrade: false },
    upgrade: { transports: ['polling', 'websocket'], upgrade: true },
  };
  const manager = new Manager(opts.url, { ...modes[opts.transport], reconnection: false, timeout: 10000 });
  const socket = manager.socket('/');
  if (socket.open && !socket.connected && opts.lib === 'sio4') socket.open();
  return { socket, name: () => manager.engine.transport.name, close: () => socket.disconnect() };
}

// Resolve with the first value passed to `arm`'s callback, or "timeout" after `ms`.
function within(ms, arm) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    arm((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

async function main() {
  const opts = parse(process.argv.slice(2));
  const wait = Number(opts.wait);
  const conn = connect(opts);
  const s = conn.socket;
  const out = { probe: null, probe_acked: false, events: [] };
  s.on('probe', (...args) => {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    out.probe = args;
    if (ack) {
      ack('probe-answer');
      out.probe_acked = true;
    }
  });
  const connected = await within(10000, (done) => s.on('connect', () => done(true)));
  if (connected !== true) throw new Error('no connect');
  out.echo = await within(wait, (done) => {
    s.on('echo', (...args) => done(args));
    s.emit('echo', 'hi');
  });
  out.ack = await within(wait, (done) => s.emit('ack_me', 'x', (...reply) => done(reply)));
  // A round trip that must always work: traffic still flows after the faults.
  out.final = await within(10000, (done) => s.emit('ack_me', 'final', (...reply) => done(reply)));
  out.transport = conn.name();
  conn.close();
  return out;
}

const killer = setTimeout(() => {
  process.stderr.write(`client run exceeded ${RUN_TIMEOUT_MS} ms\n`);
  process.exit(3);
}, RUN_TIMEOUT_MS);
main()
  .then((out) => process.stdout.write(JSON.stringify(out) + '\n', () => {
    clearTimeout(killer);
    process.exit(0);
  }))
  .catch((err) => {
    process.stderr.write(`client failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  });
