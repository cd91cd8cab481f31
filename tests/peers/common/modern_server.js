'use strict';
// The scenario's server side for socket.io 2.x and 4.x (same handler API).

function lastFn(args) {
  return args.length && typeof args[args.length - 1] === 'function' ? args.pop() : null;
}

function handle(socket) {
  socket.on('echo', (...args) => {
    lastFn(args);
    socket.emit('echo', ...args);
  });
  socket.on('ack_me', (...args) => {
    const ack = lastFn(args);
    if (ack) ack(args[0], 'ack');
  });
  socket.on('ask_me', () => {
    socket.emit('question', 'what?', (...answer) => socket.emit('answer_received', ...answer));
  });
  socket.on('bin_echo', (...args) => {
    const ack = lastFn(args);
    const data = Buffer.from(args[0]);
    // The event goes out before the ack, like python-socketio (whose acks are
    // sent when the handler returns); clients record both in a fixed order anyway.
    socket.emit('bin', data, { nested: data });
    if (ack) ack(Buffer.from(data).reverse());
  });
  socket.on('bye', (...args) => {
    const ack = lastFn(args);
    if (ack) ack();
  });
}

function serve(io) {
  io.of('/').on('connection', handle);
  io.of('/chat').on('connection', handle);
}

module.exports = { serve };
