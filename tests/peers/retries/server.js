'use strict';
// socket.io 4.x server whose "slow" handler acks after --delay ms (default 300).
const http = require('http');
const path = require('path');
const { Server } = require(path.join(__dirname, '..', 'node_modules', 'sio4'));
const { listen, parseArgs } = require('../common/scenario');

const delay = Number(parseArgs(process.argv.slice(2), { port: '0', delay: '300' }).delay);
const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false });
io.on('connection', (socket) => {
  socket.on('slow', (value, ack) => setTimeout(() => ack('done ' + value), delay));
});
listen(httpServer);
