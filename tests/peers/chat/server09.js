'use strict';
// The multi-room chat of server4.js on socket.io 0.9.19 (protocol "1"): rooms
// with socket.join, broadcasts with io.sockets.in(room) and socket.broadcast.to,
// acks both ways (node 0.9 asks for a data ack only when the callback declares a
// parameter, docs/protocol.md#a10), "/admin" via io.of. The user comes from the
// handshake query. CHAT_DRIFT=said changes the broadcast's text.
const http = require('http');
const path = require('path');
const sio = require(path.join(__dirname, '..', 'node_modules', 'sio09'));
const { listen } = require('../common/scenario');

const drift = process.env.CHAT_DRIFT || '';
const userOf = (socket) => String(socket.handshake.query.user || 'anonymous');

const httpServer = http.createServer();
// 0.9's websocket transport puts no 'error' listener on the raw TCP socket.
httpServer.on('connection', (sock) => sock.on('error', () => {}));
const io = sio.listen(httpServer, { log: false });
io.set('transports', ['websocket', 'xhr-polling']);
io.sockets.on('connection', (socket) => {
  const user = userOf(socket);
  let room = null;
  socket.on('join', (name, ack) => {
    room = String(name);
    socket.join(room);
    socket.broadcast.to(room).emit('joined', user);
    ack({ joined: room });
    socket.emit('confirm', room, function (answer) {
      socket.emit('confirmed', answer);
    });
  });
  socket.on('say', (text, ack) => {
    const said = drift === 'said' ? `${text}!` : text;
    if (room !== null) io.sockets.in(room).emit('said', { from: user, text: said });
    ack('ok');
  });
});
io.of('/admin').on('connection', (socket) => {
  socket.emit('hello-admin', { user: userOf(socket) });
});
listen(httpServer);
