'use strict';
// A small multi-room chat on socket.io 4.x (Engine.IO 4 / Socket.IO v5), for
// the causal replay tests (tests/interop/test_chat_replay.py):
//   "/"      auth {user}; join(room, ack) joins a room, tells the others in it
//            ("joined") and asks the client to confirm (a server-initiated ack,
//            answered with "confirmed"); say(text, ack) broadcasts "said" to the
//            room, sender included.
//   "/admin" says "hello-admin" to whoever joins it.
// CHAT_DRIFT=said in the environment changes the "said" payload (the text gets
// a "!"), for the drift tests of `sioproxy diff`.
// Prints `listening <port>` and serves until SIGTERM, like the other peers.
const http = require('http');
const path = require('path');
const { Server } = require(path.join(__dirname, '..', 'node_modules', 'sio4'));
const { listen } = require('../common/scenario');

const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false });
const drift = process.env.CHAT_DRIFT || '';

io.on('connection', (socket) => {
  const user = String((socket.handshake.auth || {}).user || 'anonymous');
  let room = null;
  socket.on('join', (name, ack) => {
    room = String(name);
    socket.join(room);
    socket.to(room).emit('joined', user);
    ack({ joined: room });
    socket.emit('confirm', room, (answer) => socket.emit('confirmed', answer));
  });
  socket.on('say', (text, ack) => {
    const said = drift === 'said' ? `${text}!` : text;
    if (room !== null) io.to(room).emit('said', { from: user, text: said });
    ack('ok');
  });
});

io.of('/admin').on('connection', (socket) => {
  socket.emit('hello-admin', { user: String((socket.handshake.auth || {}).user) });
});

listen(httpServer);
