'use strict';
// The chat client (client_common.js) on socket.io-client 0.9.16 (protocol "1"):
// one socket, "/admin" joined through socket.of(); the user in the query.
const path = require('path');
const io = require(path.join(__dirname, '..', 'node_modules', 'sio09-client'));

require('./client_common').run((opts, query) => {
  // util.merge() merges a `transports` option index by index: set the default list.
  io.transports = [opts.transport === 'polling' ? 'xhr-polling' : 'websocket'];
  const root = io.connect(opts.url, {
    reconnect: false,
    'force new connection': true,
    'try multiple transports': false,
    'connect timeout': 10000,
    query: new URLSearchParams(query).toString(),
  });
  const admin = opts.admin ? root.socket.of('/admin') : null;
  const connected = new Promise((resolve) => root.on('connect', resolve));
  return { root, admin, connected, close: () => root.socket.disconnect() };
});
