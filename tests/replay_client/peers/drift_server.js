'use strict';
// A scenario server whose behaviour can drift from tests/peers' servers, for the
// replay-client drift tests. Same handlers as tests/peers/common/modern_server.js
// and tests/peers/node-sio09/server.js, except for --drift:
//   none     behave exactly like the scenario servers
//   ack      ack_me answers [arg0, "ACK-CHANGED"] instead of [arg0, "ack"]
//   missing  echo is never emitted back
//   extra    after every ack_me ack, also emit surprise ["extra"]
// Usage: node drift_server.js --impl sio4|sio2|sio09 --drift MODE --port 0
// Prints "listening <port>" first, like the peers (tests/peers/README.md).
const http = require('http');
const path = require('path');
const { parseArgs } = require('../../peers/common/scenario');

const opts = parseArgs(process.argv.slice(2), { impl: 'sio4', drift: 'none', port: '0' });
const MODULES = path.join(__dirname, '..', '..', 'peers', 'node_modules');

function lastFn(args) {
  return args.length && typeof args[args.length - 1] === 'function' ? args.pop() : null;
}

function handle(socket) {
  if (opts.impl === 'sio09') socket.on('disconnect', () => socket.removeAllListeners());
  socket.on('echo', (...args) => {
    lastFn(args);
    if (opts.drift !== 'missing') socket.emit('echo', ...args);
  });
  socket.on('ack_me', (...args) => {
    const ack = lastFn(args);
    if (ack) ack(args[0], opts.drift === 'ack' ? 'ACK-CHANGED' : 'ack');
    if (opts.drift === 'extra') socket.emit('surprise', 'extra');
  });
  socket.on('ask_me', () => {
    // node 0.9 asks for a data ack only when the callback declares a parameter.
    socket.emit('question', 'what?', function (first) {
      socket.emit('answer_received', ...arguments);
    });
  });
  socket.on('bin_echo', (...args) => {
    const ack = lastFn(args);
    const data = Buffer.from(args[0]);
    socket.emit('bin', data, { nested: data });
    if (ack) ack(Buffer.from(data).reverse());
  });
  socket.on('bye', (...args) => {
    const ack = lastFn(args);
    if (ack) ack();
  });
  socket.on('message', (data) => {
    if (typeof data === 'string') socket.send(data);
    else socket.json.send(data);
  });
}

const httpServer = http.createServer();
if (opts.impl === 'sio09') {
  httpServer.on('connection', (sock) => sock.on('error', () => {}));
  const io = require(path.join(MODULES, 'sio09')).listen(httpServer, { log: false });
  io.set('transports', ['websocket', 'htmlfile', 'xhr-polling', 'jsonp-polling']);
  io.sockets.on('connection', handle);
  io.of('/chat').on('connection', handle);
} else if (opts.impl === 'sio4' || opts.impl === 'sio2') {
  const sio = require(path.join(MODULES, opts.impl));
  const io = opts.impl === 'sio4' ? new sio.Server(httpServer, { serveClient: false })
    : sio(httpServer, { serveClient: false });
  io.of('/').on('connection', handle);
  io.of('/chat').on('connection', handle);
} else {
  throw new Error(`unknown --impl ${opts.impl}`);
}
httpServer.listen(Number(opts.port), '127.0.0.1', () => {
  process.stdout.write(`listening ${httpServer.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
