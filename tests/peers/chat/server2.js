'use strict';
// The multi-room chat of server4.js on socket.io 2.x (Engine.IO 3 / Socket.IO v4):
// the same handlers; the user comes from the handshake query (no auth in 2.x).
const http = require('http');
const path = require('path');
const socketio = require(path.join(__dirname, '..', 'node_modules', 'sio2'));
const { listen } = require('../common/scenario');
const { chat } = require('./server4');

const httpServer = http.createServer();
chat(socketio(httpServer, { serveClient: false }));
listen(httpServer);
