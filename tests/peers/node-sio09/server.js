'use strict';
// socket.io 0.9.19 server (protocol "1", /socket.io/1/) running the interop scenario.
const http = require('http');
const path = require('path');
const sio = require(path.join(__dirname, '..', 'node_modules', 'sio09'));
const { listen } = require('../common/scenario');

function handle(socket) {
  // A namespace leave (0::/chat) keeps the server Socket object, and a re-join
  // hands the same object to "connection" again: drop the old handlers so
  // they are not registered twice.
  socket.on('disconnect', () => socket.removeAllListeners());
  socket.on('echo', function (...args) {
    if (args.length && typeof args[args.length - 1] === 'function') args.pop();
    socket.emit('echo', ...args);
  });
  socket.on('ack_me', function (...args) {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    if (ack) ack(args[0], 'ack');
  });
  socket.on('ask_me', function () {
    // node 0.9 requests a data ack ("5:<id>+") only when the callback declares
    // parameters (cb.length > 0, docs/protocol.md#a10), so name one.
    socket.emit('question', 'what?', function (first) {
      socket.emit('answer_received', ...arguments);
    });
  });
  socket.on('bye', function (...args) {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    if (ack) ack();
  });
  // A plain message (3:::) and a json message (4:::) both arrive as
  // "message"; the type of the data tells them apart.
  socket.on('message', function (data) {
    if (typeof data === 'string') socket.send(data);
    else socket.json.send(data);
  });
}

const httpServer = http.createServer();
// 0.9's websocket transport puts no 'error' listener on the raw TCP socket,
// so a peer reset (a client that exits right after disconnecting) would crash
// node 20 with an unhandled 'error' event.
httpServer.on('connection', (sock) => sock.on('error', () => {}));
const io = sio.listen(httpServer, { log: false });
io.set('transports', ['websocket', 'htmlfile', 'xhr-polling', 'jsonp-polling']);
io.sockets.on('connection', handle);
io.of('/chat').on('connection', handle);
listen(httpServer);
