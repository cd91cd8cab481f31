'use strict';
// Benchmark server: socket.io 0.9.19 (protocol "1"), websocket transport.
// Prints {"port": N} once listening; "ack" (data, cb) -> cb(data).
const http = require('http');
const path = require('path');
const sio = require(path.join(__dirname, '..', '..', 'tests', 'peers', 'node_modules', 'sio09'));

const httpServer = http.createServer();
// 0.9's websocket transport puts no 'error' listener on the raw socket.
httpServer.on('connection', (sock) => sock.on('error', () => {}));
const io = sio.listen(httpServer, { log: false });
io.set('transports', ['websocket', 'xhr-polling']);
io.sockets.on('connection', (socket) => {
  socket.on('ack', (data, cb) => {
    if (typeof cb === 'function') cb(data);
  });
});
httpServer.listen({ port: 0, host: '127.0.0.1', backlog: 8192 }, () => {
  process.stdout.write(JSON.stringify({ port: httpServer.address().port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
