'use strict';
// A small multi-room chat on socket.io 4.x (Engine.IO 4 / Socket.IO v5), for
// the causal replay tests (tests/interop/test_chat_replay.py); server2.js runs
// the same handlers (``chat``) on socket.io 2.x:
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
const { listen } = require('../common/scenario');

// user: the auth object's (socket.io 4), else the handshake query's (socket.io 2 has no auth).
function userOf(socket) {
  const auth = socket.handshake.auth || {};
  return String(auth.user || socket.handshake.query.user || 'anonymous');
}

function chat(io) {
  const drift = process.env.CHAT_DRIFT || '';

  io.on('connection', (socket) => {
    const user = userOf(socket);
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
    socket.emit('hello-admin', { user: userOf(socket) });
  });
}

module.exports = { chat };

if (require.main === module) {
  const { Server } = require(path.join(__dirname, '..', 'node_modules', 'sio4'));
  const httpServer = http.createServer();
  chat(new Server(httpServer, { serveClient: false }));
  listen(httpServer);
}
