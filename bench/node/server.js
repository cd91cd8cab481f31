'use strict';
// Benchmark server: socket.io 4 (Engine.IO 4 / Socket.IO v5) on 127.0.0.1.
// Prints {"port": N} on stdout once listening. Events:
//   "ack"  (data, cb)  -> cb(data)                      emit-with-ack round trips
//   "push" (n, cb)     -> n x emit("p", i, PAYLOAD); cb(n)   server push burst
//   "pushc" (n, k, cb) -> the same n events, k per setImmediate turn (the way a
//                         busy server spreads its pushes over event-loop turns)
const http = require('http');
const path = require('path');
const { Server } = require(path.join(__dirname, '..', '..', 'tests', 'peers', 'node_modules', 'sio4'));

const PAYLOAD = { msg: 'hello from the server', n: 42, ok: true };

const httpServer = http.createServer();
// Large backlog: the 5,000-socket test connects everything at once.
const io = new Server(httpServer, {
  serveClient: false,
  pingInterval: 25000,
  pingTimeout: 60000,
  maxHttpBufferSize: 1e7,
});
io.on('connection', (socket) => {
  socket.on('ack', (data, cb) => {
    if (typeof cb === 'function') cb(data);
  });
  socket.on('push', (n, cb) => {
    for (let i = 0; i < n; i++) socket.emit('p', i, PAYLOAD);
    if (typeof cb === 'function') cb(n);
  });
  socket.on('pushc', (n, k, cb) => {
    let i = 0;
    const turn = () => {
      const end = Math.min(n, i + k);
      for (; i < end; i++) socket.emit('p', i, PAYLOAD);
      if (i < n) setImmediate(turn);
      else if (typeof cb === 'function') cb(n);
    };
    turn();
  });
});
httpServer.listen({ port: 0, host: '127.0.0.1', backlog: 8192 }, () => {
  process.stdout.write(JSON.stringify({ port: httpServer.address().port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
