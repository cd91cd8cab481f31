'use strict';
// socket.io 4.x server with connectionStateRecovery (socket.io >= 4.6): after a
// transport drop the client comes back with its pid and offset and gets what it missed.
// Drifted servers for replay-client: RECOVERY_PEER_OFF=1 in the environment turns
// recovery off, RECOVERY_PEER_MAX_MS=N keeps a session N ms only.
const http = require('http');
const path = require('path');
const { Server } = require(path.join(__dirname, '..', 'node_modules', 'sio4'));
const { listen } = require('../common/scenario');

const httpServer = http.createServer();
const io = new Server(httpServer, {
  serveClient: false,
  connectionStateRecovery: process.env.RECOVERY_PEER_OFF
    ? undefined
    : { maxDisconnectionDuration: Number(process.env.RECOVERY_PEER_MAX_MS || 60000) },
});
io.on('connection', (socket) => {
  socket.emit('hello', socket.recovered ? 'recovered' : 'fresh');
  socket.on('tick', (n) => socket.emit('tock', n));
  // Sent while the client is away: delivered on recovery.
  socket.on('disconnect', () => setTimeout(() => io.emit('missed', 'while away'), 20));
});
listen(httpServer);
